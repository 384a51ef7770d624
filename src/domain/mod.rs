//! The help desk's rules: codes, access, audit, profiles. No SQL and no terminal here.

pub mod access;
pub mod audit;
pub mod audit_chain;
pub mod code_hash;
pub mod codes;
pub mod grants;
pub mod institution;
pub mod notice;
pub mod password;
pub mod phone;
pub mod profile;
pub mod redemption;
pub mod risk;
pub mod search;
pub mod second_factor;
pub mod serve_client;
pub mod session;
pub mod text;
pub mod time;
pub mod two_person;
pub mod user;

#[cfg(test)]
mod fixtures;
