//! The help desk's rules through its service, on SQLite and on PostgreSQL: codes and their
//! redemption, the two-person rule, refusals and their audit, staff, search, the database's
//! own rules, faults, and the production path through PgBouncer.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod admin;
mod audit;
mod audit_rotation;
mod backup_codes;
mod batch_rules;
mod database_rules;
mod faults;
mod grants;
mod no_plaintext;
mod pgbouncer;
mod properties;
mod redemption;
mod refusals;
mod search;
mod second_factor;
mod staff;
mod two_person;
