//! The command line as a person or a script runs it: the real binary, its output and exit codes.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod audit_key;
mod commands;
mod staff_commands;
