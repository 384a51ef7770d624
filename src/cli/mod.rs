//! The command line: `Cli` is what clap parses, `Command` its subcommands, each with its
//! arguments and its `run` in its own module. `main.rs` parses, loads the configuration,
//! and hands the command to `run`; a failure is said once, by `exit::Failure`.

pub mod admin;
pub mod audit;
pub mod audit_export;
pub mod audit_rotate;
pub mod audit_verify;
pub mod codes;
pub mod demo;
pub mod exit;
pub mod grants;
pub mod migrate;
pub mod process;
pub mod serve;
pub mod serve_clients;
pub mod staff;
pub mod terminal;
pub mod verify_code;
pub mod watch;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigError, audit_key, factor_key};
use crate::desk::{DeskError, HelpDesk, Opening};
use exit::Failure;

#[derive(Parser)]
#[command(
    name = "helpdesk",
    version,
    about = "Issue one-time backup codes to Digital Banking users who cannot receive 2FA codes",
    after_help = exit::AFTER_HELP
)]
pub struct Cli {
    /// Configuration file (default: $HELPDESK_CONFIG, else ./config.toml if it exists, else
    /// built-in defaults). Relative paths in it resolve from its folder.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The database to use, outranking HELPDESK_DATABASE_URL, DATABASE_URL and the file's
    /// `database.url` (sqlite://PATH or postgres://…). For `demo` the default is
    /// sqlite://helpdesk-demo.db.
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// The public key the SSH session authenticated with, `TYPE BASE64` (the ForceCommand
    /// wrapper passes it from sshd's ExposeAuthInfo): where an admin bound it to the member
    /// of staff signing in, it stands for their authenticator code
    #[arg(long, global = true, value_name = "KEY")]
    pub ssh_key: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create (if missing) and open a demo database with staff and customers
    Demo(demo::DemoArgs),
    /// Create or upgrade the database schema, then exit
    Migrate,
    /// Manage staff accounts
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// Grants of power waiting for a second admin: list, approve, decline, withdraw
    #[command(subcommand)]
    Grants(grants::GrantsCommand),
    /// Check a backup code as the Digital Banking login would (code on standard input;
    /// exit 0 accepted, 1 rejected, 2 error)
    VerifyCode(verify_code::VerifyCodeArgs),
    /// Read the audit log
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Backup codes across the institution
    #[command(subcommand)]
    Codes(codes::CodesCommand),
    /// The HTTPS redemption service the Digital Banking login calls ([serve] in
    /// config.toml; docs/redemption-api.md). Stops on SIGTERM after the calls in flight
    Serve(serve::ServeArgs),
    /// The systems that call `helpdesk serve`, each with its own bearer token (needs an admin)
    #[command(subcommand)]
    ServeClients(serve_clients::ServeClientsCommand),
    /// Audit and tell, within seconds, the contact changes other systems make (what `serve`
    /// also does), until SIGTERM or Ctrl-C
    Watch,
}

impl Cli {
    /// The database the command line chose: `--database`, else the command's own default
    /// (the demo's database for `demo` and `serve --demo`). `Config::load` ranks it first.
    pub fn database(&self) -> Option<String> {
        let own = match &self.command {
            Some(Command::Demo(_)) => Some(demo::DEFAULT_URL),
            Some(Command::Serve(args)) => args.own_database(),
            _ => None,
        };
        self.database.clone().or(own.map(str::to_owned))
    }
}

/// What a command does to the process and its configuration before the async runtime
/// starts its threads (each thread inherits the process's priority).
pub fn before_runtime(command: Option<&Command>, config: &mut Config) -> Result<(), Failure> {
    match command {
        Some(Command::Serve(args)) => args.before_runtime(config),
        _ => Ok(()),
    }
}

/// Runs the command (the terminal UI without one); `Ok` holds the exit code of an answer
/// (`exit::SUCCESS` or `exit::NO`).
pub async fn run(command: Option<Command>, config: Config) -> Result<u8, Failure> {
    match command {
        None => terminal(config).await,
        Some(Command::Demo(args)) => args.run(config).await,
        Some(Command::Migrate) => migrate::run(&config).await,
        Some(Command::Staff(command)) => command.run(&config).await,
        Some(Command::Grants(command)) => command.run(&config).await,
        Some(Command::VerifyCode(args)) => args.run(&config).await,
        Some(Command::Audit(command)) => command.run(&config).await,
        Some(Command::Codes(command)) => command.run(&config).await,
        Some(Command::Serve(args)) => args.run(&config).await,
        Some(Command::ServeClients(command)) => command.run(&config).await,
        Some(Command::Watch) => watch::run(&config).await,
    }
}

/// No subcommand: the terminal UI.
async fn terminal(config: Config) -> Result<u8, Failure> {
    if let Some(problem) = crate::ui::unusable_terminal() {
        return Err(Failure::new(problem.to_string()));
    }
    let desk = open_desk(&config).await?;
    crate::ui::run(desk, config, None, false).await?;
    Ok(exit::SUCCESS)
}

/// Why the service could not be opened: its audit key (`audit.key_file`), or the database.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("configuration error: {0}")]
    KeyFile(ConfigError),
    #[error(transparent)]
    Desk(#[from] DeskError),
}

/// Opens the configured database, which must exist, and wraps it in the service, with the
/// audit key read from `audit.key_file` (refused if missing or readable by others). Only
/// the schema's owner migrates it (`Opening::Run`).
pub async fn open_desk(config: &Config) -> Result<HelpDesk, OpenError> {
    open_desk_with(config, Opening::Run).await
}

/// Opens the configured database for `helpdesk migrate` and the demo: creates a missing
/// SQLite file and a missing audit key file, and applies every migration.
pub async fn open_desk_to_migrate(config: &Config) -> Result<HelpDesk, OpenError> {
    open_desk_with(config, Opening::Migrate).await
}

async fn open_desk_with(config: &Config, opening: Opening) -> Result<HelpDesk, OpenError> {
    let (url, connections) = (&config.database_url, config.max_connections);
    let key_file = &config.audit_key_file;
    let key = match opening {
        Opening::Migrate => audit_key::create_if_missing(key_file).and_then(|_| audit_key::read(key_file)),
        Opening::Run => audit_key::read(key_file),
    };
    let key = match key {
        Ok(key) => key,
        Err(refused) => {
            // A database that is missing or out of reach is said first: it is what to fix first.
            crate::store::check_opens(url, opening).await.map_err(DeskError::from)?;
            return Err(OpenError::KeyFile(refused));
        }
    };
    // The factor key: made beside the audit key by `migrate` and the demo; read when
    // present by every other command (a missing one is said at a sign-in that needs it).
    let factor_file = &config.factor_key_file;
    if opening == Opening::Migrate {
        factor_key::create_if_missing(factor_file).map_err(OpenError::KeyFile)?;
    }
    let factor = match factor_key::read(factor_file) {
        Ok(key) => Some(key),
        Err(_) if std::fs::symlink_metadata(factor_file).is_err() => None,
        Err(refused) => return Err(OpenError::KeyFile(refused)),
    };
    let (policy, cost, limits) = (config.codes.clone(), config.password_cost, config.limits);
    let desk = HelpDesk::open(url, connections, opening, &key, policy, cost, limits).await?;
    let desk = match factor {
        Some(key) => desk.with_factor_key(key),
        None => desk,
    };
    Ok(match config.ssh_key {
        Some(key) => desk.with_session_key(key),
        None => desk,
    })
}
