//! The edge: parses the command line, loads the configuration, sets up error reports and
//! the log, and hands the command to `cli::run`. Exit codes: `cli::exit`.

use std::process::ExitCode;
use std::sync::Mutex;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr, eyre};

use helpdesk::cli::exit::Failure;
use helpdesk::cli::{self, Cli};
use helpdesk::config::Config;

fn main() -> ExitCode {
    cli::process::keep_private();
    let cli = Cli::parse();
    match start(cli) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => failure.report(),
    }
}

fn start(cli: Cli) -> Result<u8, Failure> {
    let database = cli.database();
    let mut config =
        Config::load(cli.config.as_deref(), database, |k| std::env::var(k).ok()).map_err(Failure::config)?;
    config.transport().map_err(Failure::config)?;
    if let Some(key) = &cli.ssh_key {
        // An empty key: the session authenticated otherwise (a password, say).
        if !key.trim().is_empty() {
            let parsed = helpdesk::domain::second_factor::KeyFingerprint::of_public_key(key);
            config.ssh_key = Some(parsed.ok_or_else(|| Failure::new("--ssh-key is not a public key (TYPE BASE64)"))?);
        }
    }
    cli::before_runtime(cli.command.as_ref(), &mut config)?;
    color_eyre::install().map_err(|e| Failure::new(e.to_string()))?;
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| Failure::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        init_log(&config)?;
        if let Ok(transport) = config.transport() {
            let database = helpdesk::desk::redact_url(&config.database_url);
            tracing::info!(%database, "the database link: {transport}");
        }
        cli::run(cli.command, config).await
    })
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
