//! The SQL both databases run, by topic, as named statements. SQLite and PostgreSQL accept
//! the same text here (`$n` parameters, `RETURNING`, partial indexes, `CASE`); what
//! differs between them sits behind `Dialect`.

pub mod audit;
pub mod codes;
pub mod factor;
pub mod grants;
pub mod instance_keys;
pub mod institution;
pub mod notices;
pub mod risk;
pub mod search;
pub mod serve_clients;
pub mod sessions;
pub mod staff;
pub mod throttle;
pub mod two_person;
pub mod users;

/// `(…),(…)` for a multi-row insert of `rows` rows of `columns` values; `param` writes
/// the n-th (from 1) parameter in the database's style (`Dialect::bulk_param`).
pub fn values(rows: usize, columns: usize, param: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..columns {
            if c > 0 {
                out.push(',');
            }
            out.push_str(&param(r * columns + c + 1));
        }
        out.push(')');
    }
    out
}
