//! The help desk's rules: codes, access, audit, profiles. No SQL and no terminal here.

pub mod access;
pub mod audit;
pub mod codes;
pub mod institution;
pub mod notice;
pub mod password;
pub mod profile;
pub mod risk;
pub mod time;
pub mod user;
