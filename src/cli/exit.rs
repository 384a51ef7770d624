//! How a command ends: the exit codes, and the one place that says why a command failed.

use std::process::ExitCode;

use color_eyre::Report;

use crate::config::ConfigError;

/// Done; for `verify-code` the code was accepted, for `audit verify` the chain is intact.
pub const SUCCESS: u8 = 0;
/// The answer is no: `verify-code` rejected the code, `audit verify` found a broken link,
/// `audit rotate-key` found one and rotated nothing.
pub const NO: u8 = 1;
/// Failed, and said why on standard error (clap's own refusals of arguments are 2 too).
pub const FAILED: u8 = 2;

/// The exit codes, as `--help` lists them.
pub const AFTER_HELP: &str = "Exit codes:
  0  done (verify-code: the code was accepted; audit verify: the chain is intact;
     serve: stopped cleanly)
  1  the answer is no (verify-code: the code was rejected; audit verify: the chain is broken;
     audit rotate-key: the chain is broken, so the key was not rotated)
  2  an error, said on standard error: bad arguments or configuration, a database that
     cannot be opened, a refused sign-in or action, a server that cannot start";

/// Why a command failed: printed once, by `report`, and the exit code is `FAILED`.
#[derive(Debug)]
pub struct Failure {
    voice: Voice,
    message: String,
}

/// The prefix a failure is said with.
#[derive(Debug, Clone, Copy)]
enum Voice {
    /// `helpdesk: …`, as every command but the two checks says it.
    Program,
    /// `error: …`, beside the answer of `verify-code` and `audit verify`, whose callers
    /// (the login, a monitoring job) read the exit code and keep standard error as it is.
    Check,
}

impl Failure {
    /// A failure said as `helpdesk: {message}`.
    pub fn new(message: impl Into<String>) -> Self {
        Self { voice: Voice::Program, message: message.into() }
    }

    /// A failure of `verify-code` or `audit verify`, said as `error: {message}`.
    pub fn of_check(message: impl Into<String>) -> Self {
        Self { voice: Voice::Check, message: message.into() }
    }

    /// A refused configuration: `configuration error: …`, except a flag the command line
    /// gave empty, which is said as it is.
    pub fn config(error: ConfigError) -> Self {
        match error {
            ConfigError::EmptyDatabaseFlag => Self::new(error.to_string()),
            error => Self::new(format!("configuration error: {error}")),
        }
    }

    /// Says the failure on standard error; the process then exits with `FAILED`.
    pub fn report(&self) -> ExitCode {
        let prefix = match self.voice {
            Voice::Program => "helpdesk",
            Voice::Check => "error",
        };
        crate::cli::terminal::tell(&format!("{prefix}: {}", self.message));
        ExitCode::from(FAILED)
    }
}

/// Any error reached with `?` is said with its chain of causes (`{:#}`).
impl<E: Into<Report>> From<E> for Failure {
    fn from(error: E) -> Self {
        let report: Report = error.into();
        Self::new(format!("{report:#}"))
    }
}
