//! The edge: command line, configuration, logging, error reports, exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{Parser, Subcommand};
use color_eyre::eyre::{Result, WrapErr, eyre};

use helpdesk::cli::{self, admin, audit_export, audit_verify, demo, staff, verify_code};
use helpdesk::config::Config;
use helpdesk::domain::access::{Permission, StaffChange};
use helpdesk::domain::audit::{AuditAction, AuditFilter};
use helpdesk::domain::time;
use helpdesk::domain::user::StaffRole;

#[derive(Parser)]
#[command(
    name = "helpdesk",
    version,
    about = "Issue one-time backup codes to Digital Banking users who cannot receive 2FA codes"
)]
struct Cli {
    /// Configuration file (default: $HELPDESK_CONFIG, else ./config.toml if it exists, else
    /// built-in defaults). Relative paths in it resolve from its folder.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The database to use, outranking HELPDESK_DATABASE_URL, DATABASE_URL and the file's
    /// `database.url` (sqlite://PATH or postgres://…). For `demo` the default is
    /// sqlite://helpdesk-demo.db.
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create (if missing) and open a demo database with staff and customers
    Demo {
        /// Customers to create in a new demo database
        #[arg(long, default_value_t = demo::DEFAULT_CUSTOMERS, value_parser = clap::value_parser!(u64).range(6..=10_000_000))]
        users: u64,
        /// Only create the database; do not open the UI
        #[arg(long)]
        no_ui: bool,
        /// Seed the demo's published passwords into a database whose name does not say
        /// "demo" (it must still be empty and never have held data)
        #[arg(long)]
        i_know_this_is_a_demo: bool,
    },
    /// Create or upgrade the database schema, then exit
    Migrate,
    /// Manage staff accounts
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Check a backup code as the Digital Banking login would (code on standard input;
    /// exit 0 accepted, 1 rejected, 2 error)
    VerifyCode {
        #[arg(long)]
        username: String,
    },
    /// Read the audit log
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Backup codes across the institution
    Codes {
        #[command(subcommand)]
        command: CodesCommand,
    },
    /// The HTTPS redemption service the Digital Banking login calls ([serve] in
    /// config.toml; docs/redemption-api.md). Stops on SIGTERM after the calls in flight
    Serve {
        /// Listen here instead of serve.address (for example 127.0.0.1:8443)
        #[arg(long, value_name = "IP:PORT")]
        address: Option<std::net::SocketAddr>,
        /// The certificate chain (PEM) instead of serve.certificate
        #[arg(long, value_name = "PATH")]
        certificate: Option<PathBuf>,
        /// The private key (PEM) instead of serve.private_key
        #[arg(long, value_name = "PATH")]
        private_key: Option<PathBuf>,
        /// On the demo database: make a throw-away certificate for localhost and a demo
        /// client's token in this folder (helpdesk-demo-cert.pem, helpdesk-demo-token), then serve
        #[arg(long, conflicts_with_all = ["certificate", "private_key"])]
        demo: bool,
    },
    /// The systems that call `helpdesk serve`, each with its own bearer token (needs an admin)
    ServeClients {
        #[command(subcommand)]
        command: ServeClientsCommand,
    },
}

#[derive(Subcommand)]
enum ServeClientsCommand {
    /// Give a calling system its own bearer token, printed once on standard output
    Create {
        /// A name for the caller: 1 to 64 of a-z, 0-9, '.', '-', '_'
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Every caller, revoked ones too
    List {
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Revoke a caller's token: its next call is refused
    Revoke {
        name: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
}

#[derive(Subcommand)]
enum CodesCommand {
    /// The emergency stop: revoke every active batch at once (one transaction, audited
    /// with the count, every holder told). Needs an admin; asks nothing more
    RevokeAll {
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a member of staff; passwords are read from the terminal or standard input.
    /// Without credentials only while the database has no admin (bootstrap); afterwards
    /// an admin's username and password are needed (on standard input: the admin's
    /// password on the first line, the new password on the second)
    Create {
        /// The admin who authorises this (prompted for on a terminal when an admin exists)
        #[arg(long, value_name = "USERNAME")]
        admin_username: Option<String>,
        #[arg(long)]
        username: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        email: String,
        /// Admin-level staff (may act on other staff, edit settings, read the audit log)
        #[arg(long)]
        admin: bool,
        /// Grant "Can generate lockout codes user"
        #[arg(long)]
        can_generate_codes: bool,
    },
    /// List staff: role, permission, status, sign-in lock, last sign-in, open sessions
    List {
        /// An admin's username (prompted for on a terminal); the password is read from the
        /// terminal or standard input
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Disable a member of staff: they cannot sign in, and their sessions end
    Disable {
        username: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Enable a disabled member of staff again
    Enable {
        username: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Lift a member of staff's sign-in lock
    Unlock {
        username: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Every audit event as JSON lines on standard output, for a SIEM; needs an admin's
    /// credentials (the password from the terminal, or one line of standard input)
    Export {
        /// Only events with an id above this one
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Only events at or after this instant (RFC 3339, or 2026-11-28)
        #[arg(long, value_parser = instant)]
        since: Option<i64>,
        /// Only events before this instant (RFC 3339, or 2026-11-28)
        #[arg(long, value_parser = instant)]
        until: Option<i64>,
        /// Only events of this action (for example backup_codes_generated)
        #[arg(long, value_parser = action)]
        action: Option<AuditAction>,
        /// The admin whose session reads the log (prompted for on a terminal)
        #[arg(long, value_name = "USERNAME")]
        admin_username: Option<String>,
    },
    /// Checks the audit log's hash chain and names every broken link (exit 0 intact, 1
    /// broken, 2 error)
    Verify {
        /// A hash kept outside the database, as ID:HASH (an exported event's id and its
        /// chain_hash): the chain must still carry it there
        #[arg(long, value_name = "ID:HASH", value_parser = anchor)]
        anchor: Option<helpdesk::domain::audit_chain::Anchor>,
    },
}

fn instant(text: &str) -> Result<i64, String> {
    time::parse_instant(text).ok_or_else(|| format!("{text:?} is not a date (write 2026-11-28 or RFC 3339)"))
}

fn anchor(text: &str) -> Result<helpdesk::domain::audit_chain::Anchor, String> {
    helpdesk::domain::audit_chain::Anchor::parse(text)
        .ok_or_else(|| format!("{text:?} is not ID:HASH (an event id, a colon, 64 hex digits)"))
}

fn action(text: &str) -> Result<AuditAction, String> {
    AuditAction::parse(text).ok_or_else(|| format!("{text:?} is not an audit action"))
}

fn main() -> ExitCode {
    cli::process::keep_private();
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("helpdesk: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    // `--database` outranks the environment and the file; the demo has its own default.
    match (cli.database, &cli.command) {
        (Some(url), _) if url.trim().is_empty() => {
            eprintln!("helpdesk: --database is empty: give a URL such as sqlite://helpdesk.db");
            return ExitCode::from(2);
        }
        (Some(url), _) => config.database_url = url,
        (None, Some(Command::Demo { .. } | Command::Serve { demo: true, .. })) => {
            config.database_url = demo::DEFAULT_URL.to_owned()
        }
        (None, _) => {}
    }
    if let Err(e) = config.transport() {
        eprintln!("helpdesk: configuration error: {e}");
        return ExitCode::from(2);
    }
    if let Some(Command::Serve { address, certificate, private_key, demo }) = &cli.command {
        if *demo {
            let files = cli::serve::DemoFiles::here();
            config.serve.certificate = Some(files.certificate);
            config.serve.private_key = Some(files.private_key);
        }
        let serve = &mut config.serve;
        serve.address = address.unwrap_or(serve.address);
        // Relative paths on the command line are the caller's, from the current directory.
        serve.certificate = certificate.clone().or(serve.certificate.take());
        serve.private_key = private_key.clone().or(serve.private_key.take());
        if let Err(e) = cli::serve::lower_priority(serve.nice) {
            eprintln!("helpdesk: cannot lower the server's priority to serve.nice = {}: {e}", serve.nice);
            return ExitCode::from(2);
        }
    }
    if let Err(e) = color_eyre::install() {
        eprintln!("helpdesk: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("helpdesk: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            eprintln!("helpdesk: {report:#}");
            ExitCode::from(2)
        }
    }
}

fn init_log(config: &Config) -> Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&config.log_file)
        .wrap_err_with(|| format!("cannot open the log file {} (log.file)", config.log_file.display()))?;
    let level: tracing::Level = config.log_level.parse().map_err(|_| eyre!("log.level"))?;
    tracing_subscriber::fmt().with_writer(Mutex::new(file)).with_ansi(false).with_max_level(level).init();
    Ok(())
}

async fn run(command: Option<Command>, config: Config) -> Result<u8> {
    init_log(&config)?;
    if let Ok(transport) = config.transport() {
        tracing::info!(database = %helpdesk::desk::redact_url(&config.database_url), "the database link: {transport}");
    }
    match command {
        None => {
            if let Some(problem) = helpdesk::ui::unusable_terminal() {
                eprintln!("helpdesk: {problem}");
                return Ok(2);
            }
            let desk = cli::open_desk(&config).await?;
            helpdesk::ui::run(desk, config, None).await?;
            Ok(0)
        }
        Some(Command::Demo { users, no_ui, i_know_this_is_a_demo }) => {
            if !demo::named_for_demo(&config.database_url) && !i_know_this_is_a_demo {
                eprintln!(
                    "helpdesk: the demo writes published passwords, so it only uses a database whose name says \
                     \"demo\" ({} does not); add --i-know-this-is-a-demo if this one is meant for it",
                    helpdesk::desk::redact_url(&config.database_url)
                );
                return Ok(2);
            }
            let desk = cli::open_desk_to_migrate(&config).await?;
            // A demo database from an earlier version gets this version's search keys.
            desk.refold_all().await?;
            let started = std::time::Instant::now();
            let show = std::io::stderr().is_terminal() || no_ui;
            let outcome = demo::seed(&desk, users, config.password_cost, |n| {
                if show && n % 100_000 < 10_000 {
                    eprintln!("  {n} customers written");
                }
            })
            .await?;
            match outcome {
                demo::Seeded::Created { customers } => {
                    eprintln!(
                        "Demo database {} created with {customers} customers in {:.1} s.",
                        helpdesk::desk::redact_url(&config.database_url),
                        started.elapsed().as_secs_f64()
                    );
                }
                demo::Seeded::AlreadyThere { users } => {
                    eprintln!(
                        "Demo database {} already has {users} users; delete it to start over.",
                        helpdesk::desk::redact_url(&config.database_url)
                    );
                }
                demo::Seeded::HeldData => {
                    eprintln!(
                        "helpdesk: {} has no users but an audit log: it has held real data, and the demo's \
                         published passwords never go into it. Use a new database.",
                        helpdesk::desk::redact_url(&config.database_url)
                    );
                    return Ok(2);
                }
            }
            eprintln!("Demo staff (username / password):");
            for (username, first, last, role, may, pass) in demo::DEMO_STAFF {
                let what = match (role, may) {
                    (StaffRole::Admin, _) => "admin-level, may generate codes",
                    (StaffRole::Agent, true) => "agent, may generate codes for customers",
                    (StaffRole::Agent, false) => "agent without the permission",
                };
                eprintln!("  {username:<12} / {pass:<22} {first} {last}: {what}");
            }
            if !no_ui {
                if let Some(problem) = helpdesk::ui::unusable_terminal() {
                    eprintln!("helpdesk: {problem} (the demo database is ready; --no-ui skips the UI)");
                    return Ok(2);
                }
                let hint = helpdesk::texts::texts().login.demo_hint.clone();
                helpdesk::ui::run(desk, config, Some(hint)).await?;
            }
            Ok(0)
        }
        Some(Command::Migrate) => {
            let desk = cli::open_desk_to_migrate(&config).await?;
            let folded = desk.refold_all().await?;
            // Contact changes another system made get their audit event and notices now.
            let changes = desk.handle_all_outside_changes().await?;
            println!("The database {} is at the latest schema.", helpdesk::desk::redact_url(&config.database_url));
            if changes > 0 {
                println!("{changes} contact changes made outside helpdesk were audited and their old addresses told.");
            }
            if folded > 0 {
                println!(
                    "Search keys folded again for {folded} users (written before this version or by another system)."
                );
            }
            Ok(0)
        }
        Some(Command::Staff {
            command:
                StaffCommand::Create { admin_username, username, first_name, last_name, email, admin, can_generate_codes },
        }) => {
            let desk = cli::open_desk(&config).await?;
            // Bootstrap only while no admin can sign in; from then on an admin authorises it.
            let session = if admin_username.is_some() || desk.has_enabled_admin().await? {
                Some(admin::sign_in(&desk, admin_username).await?)
            } else {
                None
            };
            let role = if admin { StaffRole::Admin } else { StaffRole::Agent };
            let permissions = if can_generate_codes { vec![Permission::GenerateLockoutCodes] } else { vec![] };
            let created = match staff::read_new_password().wrap_err("reading the password") {
                Ok(password) => {
                    let new = helpdesk::desk::NewStaff {
                        username: &username,
                        first_name: &first_name,
                        last_name: &last_name,
                        email: &email,
                        role,
                        permissions,
                        password,
                    };
                    match &session {
                        Some(s) => desk.create_staff_as(s, new).await,
                        None => desk.create_staff(new).await,
                    }
                }
                .map_err(Into::into),
                Err(e) => Err(e),
            };
            if let Some(s) = &session {
                desk.logout(s).await?;
            }
            let id = created?;
            println!("Created staff user {} (id {id}, {}).", username.to_lowercase(), role.as_str());
            Ok(0)
        }
        Some(Command::VerifyCode { username }) => {
            let desk = match cli::open_desk(&config).await {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(verify_code::ERROR);
                }
            };
            Ok(verify_code::run(&desk, &username, std::io::stdin().lock()).await)
        }
        Some(Command::Staff { command: StaffCommand::List { admin_username } }) => {
            let desk = cli::open_desk(&config).await?;
            let session = admin::sign_in(&desk, admin_username).await?;
            let listed = staff::list(&desk, &session, &mut std::io::stdout().lock()).await;
            desk.logout(&session).await?;
            listed?;
            Ok(0)
        }
        Some(Command::Staff { command: StaffCommand::Disable { username, admin_username } }) => {
            staff_change(&config, &username, admin_username, StaffChange::Disable).await
        }
        Some(Command::Staff { command: StaffCommand::Enable { username, admin_username } }) => {
            staff_change(&config, &username, admin_username, StaffChange::Enable).await
        }
        Some(Command::Staff { command: StaffCommand::Unlock { username, admin_username } }) => {
            staff_change(&config, &username, admin_username, StaffChange::Unlock).await
        }
        Some(Command::Audit { command: AuditCommand::Export { after, since, until, action, admin_username } }) => {
            let desk = cli::open_desk(&config).await?;
            let session = admin::sign_in(&desk, admin_username).await?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let filter = AuditFilter { since, until, action, ..AuditFilter::default() };
            let exported = audit_export::run(&desk, &session, &filter, after, &mut out).await;
            desk.logout(&session).await?;
            eprintln!("{} events exported.", exported?);
            Ok(0)
        }
        Some(Command::Codes { command: CodesCommand::RevokeAll { admin_username } }) => {
            let desk = cli::open_desk(&config).await?;
            let session = admin::sign_in(&desk, admin_username).await?;
            let revoked = desk.revoke_all_codes(&session).await;
            desk.logout(&session).await?;
            println!(
                "{} active batches revoked; every holder is told through the outbox. Backup codes can now be \
                 switched off in Institution Settings.",
                revoked?
            );
            Ok(0)
        }
        Some(Command::Serve { demo: is_demo, .. }) => {
            if is_demo && !demo::named_for_demo(&config.database_url) {
                eprintln!(
                    "helpdesk: --demo makes a client with the demo's published admin password, so it only uses a \
                     database whose name says \"demo\" ({} does not)",
                    helpdesk::desk::redact_url(&config.database_url)
                );
                return Ok(cli::serve::CANNOT_START);
            }
            let desk = match cli::open_desk(&config).await {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("helpdesk: {e}");
                    return Ok(cli::serve::CANNOT_START);
                }
            };
            if is_demo {
                let files = cli::serve::DemoFiles::here();
                files.prepare(&desk).await?;
                eprintln!(
                    "Demo: certificate {}, bearer token in {}. Generate a code in the UI (cargo run -- demo, as \
                     alex.agent), then:\n  curl --cacert {} -H \"Authorization: Bearer $(cat {})\" \
                     -d '{{\"username\":\"amara.okafor\",\"code\":\"XXXX-XXXX-XXXX\"}}' \
                     https://localhost:{}/v1/backup-codes/redeem",
                    files.certificate.display(),
                    files.token.display(),
                    files.certificate.display(),
                    files.token.display(),
                    config.serve.address.port()
                );
            }
            Ok(cli::serve::run(desk, &config).await)
        }
        Some(Command::ServeClients { command }) => {
            let desk = cli::open_desk(&config).await?;
            let admin = match &command {
                ServeClientsCommand::Create { admin_username, .. }
                | ServeClientsCommand::List { admin_username }
                | ServeClientsCommand::Revoke { admin_username, .. } => admin_username.clone(),
            };
            let session = admin::sign_in(&desk, admin).await?;
            let mut out = std::io::stdout().lock();
            let done = match &command {
                ServeClientsCommand::Create { name, .. } => cli::serve::create(&desk, &session, name, &mut out).await,
                ServeClientsCommand::List { .. } => cli::serve::list(&desk, &session, &mut out).await,
                ServeClientsCommand::Revoke { name, .. } => match desk.revoke_serve_client(&session, name).await {
                    Ok(()) => {
                        println!("Serve client {name} revoked: its next call is refused.");
                        Ok(())
                    }
                    Err(e) => Err(e.into()),
                },
            };
            desk.logout(&session).await?;
            done?;
            Ok(0)
        }
        Some(Command::Audit { command: AuditCommand::Verify { anchor } }) => {
            let desk = match cli::open_desk(&config).await {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(audit_verify::ERROR);
                }
            };
            Ok(audit_verify::run(&desk, anchor, &mut std::io::stdout().lock()).await)
        }
    }
}

/// `helpdesk staff disable|enable|unlock`: signs in as the admin, applies the change
/// through the same rule as the Staff pane, signs out.
async fn staff_change(config: &Config, username: &str, admin: Option<String>, change: StaffChange) -> Result<u8> {
    let desk = cli::open_desk(config).await?;
    let session = admin::sign_in(&desk, admin).await?;
    let done = staff::change(&desk, &session, username, change).await;
    desk.logout(&session).await?;
    println!("{}", done?);
    Ok(0)
}
