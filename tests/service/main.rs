//! The help desk's rules through its service, on SQLite and on PostgreSQL: codes and their
//! redemption, the two-person rule, refusals and their audit, staff, search, the database's
//! own rules, faults, and the production path through PgBouncer.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod admin;
mod backup_codes;
mod faults;
mod no_plaintext;
mod pgbouncer;
mod properties;
mod refusals;
mod search;
mod security;
mod staff;
mod two_person;
