//! The `impl` header every topic file of `SqlStore` shares.

/// An `impl` block of `SqlStore<D>` with the bounds its statements ask of `D`'s sqlx
/// driver: running on a connection, and the column types bound and read. Both drivers
/// provide them. Rust does not let `Dialect` carry such bounds for its users, so they are
/// written once, here.
///
/// `sql_impl! { impl TopicStore; … }` implements a topic trait (with `async_trait`);
/// `sql_impl! { … }` without the header is an inherent block, for the steps topics share.
macro_rules! sql_impl {
    (impl $topic:path; $($body:tt)*) => {
        sql_impl!(@with_bounds [#[::async_trait::async_trait]] [$topic for] { $($body)* });
    };
    (@with_bounds [$($attr:tt)*] [$($topic:tt)*] { $($body:tt)* }) => {
        $($attr)*
        impl<D: $crate::store::dialect::Dialect> $($topic)* $crate::store::sql_store::SqlStore<D>
        where
            for<'c> &'c mut D::Connection: ::sqlx::Executor<'c, Database = D>,
            for<'q> D::Arguments<'q>: ::sqlx::IntoArguments<'q, D>,
            for<'r> &'r str: ::sqlx::ColumnIndex<D::Row>,
            usize: ::sqlx::ColumnIndex<D::Row>,
            i64: $crate::store::dialect::Column<D>,
            Option<i64>: $crate::store::dialect::Column<D>,
            String: $crate::store::dialect::Column<D>,
            Option<String>: $crate::store::dialect::Column<D>,
            Vec<u8>: $crate::store::dialect::Column<D>,
            Option<Vec<u8>>: $crate::store::dialect::Column<D>,
            for<'q> &'q str: $crate::store::dialect::Param<'q, D>,
            for<'q> Option<&'q str>: $crate::store::dialect::Param<'q, D>,
            for<'q> &'q [u8]: $crate::store::dialect::Param<'q, D>,
        {
            $($body)*
        }
    };
    ($($body:tt)*) => {
        sql_impl!(@with_bounds [] [] { $($body)* });
    };
}
