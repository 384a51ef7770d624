//! The command line as a person or a script runs it: the real binary, its output and exit codes.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod audit_key;
mod commands;
mod staff_commands;

/// Turns "Staff need a second factor" off in the SQLite database at `url`, as its owner
/// would: for the tests of commands that sign an admin in several times within one
/// 30-second step (each authenticator code works once). The factor's own tests keep it on.
pub fn second_factor_off(url: &str) {
    use sqlx::Connection;
    let url = url.to_owned();
    // On a thread of its own: some callers are inside the test's runtime already.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            let mut c = sqlx::SqliteConnection::connect(&url).await.expect("the test's database");
            sqlx::query("UPDATE institutions SET staff_second_factor = 0").execute(&mut c).await.unwrap();
        })
    })
    .join()
    .unwrap();
}
