//! `helpdesk serve`: the redemption service, its flags over the `[serve]` settings, and
//! the throw-away files of `--demo`. It exits 0 after a clean stop, 2 when it cannot start.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use super::demo;
use super::exit::{Failure, SUCCESS};
use crate::config::Config;
use crate::desk::{HelpDesk, OUTSIDE_CHANGES_EVERY, redact_url};
use crate::serve::Server;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Listen here instead of serve.address (for example 127.0.0.1:8443)
    #[arg(long, value_name = "IP:PORT")]
    address: Option<SocketAddr>,
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
}

impl ServeArgs {
    /// `--demo` serves the demo's database unless `--database` names another.
    pub fn own_database(&self) -> Option<&'static str> {
        self.demo.then_some(demo::DEFAULT_URL)
    }

    /// Puts the flags over `[serve]` (relative paths on the command line are the caller's,
    /// from the current directory) and lowers the process's priority to `serve.nice`.
    pub fn before_runtime(&self, config: &mut Config) -> Result<(), Failure> {
        if self.demo {
            let files = DemoFiles::here();
            config.serve.certificate = Some(files.certificate);
            config.serve.private_key = Some(files.private_key);
        }
        let serve = &mut config.serve;
        serve.address = self.address.unwrap_or(serve.address);
        serve.certificate = self.certificate.clone().or(serve.certificate.take());
        serve.private_key = self.private_key.clone().or(serve.private_key.take());
        lower_priority(serve.nice).map_err(|e| {
            Failure::new(format!("cannot lower the server's priority to serve.nice = {}: {e}", serve.nice))
        })
    }

    /// Serves until SIGTERM (`serve`); with `--demo`, first makes the demo's files.
    pub async fn run(self, config: &Config) -> Result<u8, Failure> {
        if self.demo && !demo::named_for_demo(&config.database_url) {
            return Err(Failure::new(format!(
                "--demo makes a client with the demo's published admin password, so it only uses a database whose \
                 name says \"demo\" ({} does not)",
                redact_url(&config.database_url)
            )));
        }
        let desk = super::open_desk(config).await.map_err(|e| Failure::new(e.to_string()))?;
        if self.demo {
            let files = DemoFiles::here();
            files.prepare(&desk).await?;
            crate::cli::terminal::tell(&format!(
                "Demo: certificate {}, bearer token in {}. Generate a code in the UI (cargo run -- demo, as \
                 alex.agent), then:\n  curl --cacert {} -H \"Authorization: Bearer $(cat {})\" \
                 -H 'Content-Type: application/json' -d '{{\"username\":\"amara.okafor\",\"code\":\"XXXX-XXXX-XXXX\"}}' \
                 https://localhost:{}/v1/backup-codes/redeem",
                files.certificate.display(),
                files.token.display(),
                files.certificate.display(),
                files.token.display(),
                config.serve.address.port()
            ));
        }
        serve(desk, config).await
    }
}

/// Lowers this process's CPU priority to `nice` (0 to 19) so that the staff's own work on
/// the same host is scheduled first. Called before the runtime starts its threads: each
/// thread inherits its creator's priority.
/// A process already run at a lower priority (a service manager's `Nice=`) keeps it.
fn lower_priority(nice: i32) -> std::io::Result<()> {
    // SAFETY: getpriority and setpriority read only their integer arguments. getpriority
    // may return -1 as a value, so errno is cleared first and read after.
    let current = unsafe {
        *libc::__errno_location() = 0;
        libc::getpriority(libc::PRIO_PROCESS, 0)
    };
    if current >= nice && std::io::Error::last_os_error().raw_os_error() == Some(0) {
        return Ok(());
    }
    let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
    if done == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

/// Binds, serves until SIGTERM or Ctrl-C, drains. Says where it listens on standard error.
async fn serve(desk: HelpDesk, config: &Config) -> Result<u8, Failure> {
    let desk = Arc::new(desk);
    let server = Server::bind(desk.clone(), config.serve.clone())
        .await
        .map_err(|e| Failure::new(format!("configuration error: {e}")))?;
    let address = server.address().map_err(|e| Failure::new(format!("cannot read the listening address: {e}")))?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let metrics = match server.metrics_address().transpose() {
        Ok(Some(metrics)) => format!("metrics on http://{metrics}{}", crate::serve::metrics::PATH),
        Ok(None) => "no metrics (serve.metrics_address is off)".to_owned(),
        Err(e) => return Err(Failure::new(format!("cannot read the metrics address: {e}"))),
    };
    crate::cli::terminal::tell(&format!(
        "helpdesk serve: listening on https://{address} ({cores} redemptions hash at once, {} more may wait); \
         {metrics}; SIGTERM or Ctrl-C stops it",
        config.serve.queue
    ));
    tracing::info!(%address, cores, queue = config.serve.queue, "serving redemptions");
    // Other systems' contact changes are audited and told within seconds, agents or not.
    let (stop_watching, stopped) = tokio::sync::oneshot::channel::<()>();
    let watching = tokio::spawn(async move {
        desk.watch_outside_changes(OUTSIDE_CHANGES_EVERY, async {
            let _ = stopped.await;
        })
        .await
    });
    let drained = server.run(shutdown_signal()).await;
    let _ = stop_watching.send(());
    let _ = watching.await;
    if drained.open_connections > 0 || drained.unfinished_calls > 0 {
        crate::cli::terminal::tell(&format!(
            "helpdesk serve: stopped; after serve.drain_seconds {} connections were still open and {} calls unfinished",
            drained.open_connections, drained.unfinished_calls
        ));
    } else {
        crate::cli::terminal::tell("helpdesk serve: stopped; every call in flight was finished");
    }
    tracing::info!(?drained, "stopped serving");
    Ok(SUCCESS)
}

/// SIGTERM (what a service manager sends) or SIGINT (Ctrl-C).
pub(super) async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::warn!("SIGTERM cannot be caught ({e}); only Ctrl-C stops the server");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// What `helpdesk serve --demo` leaves in the current folder: a throw-away certificate for
/// localhost and its key, and a demo client's bearer token (each readable by this account
/// only). For trying the service on the demo database; never for a real one.
pub struct DemoFiles {
    pub certificate: std::path::PathBuf,
    pub private_key: std::path::PathBuf,
    pub token: std::path::PathBuf,
}

impl DemoFiles {
    pub fn here() -> Self {
        Self {
            certificate: "helpdesk-demo-cert.pem".into(),
            private_key: "helpdesk-demo-key.pem".into(),
            token: "helpdesk-demo-token".into(),
        }
    }

    /// Makes what is missing: the certificate (rcgen, for localhost and 127.0.0.1), and a
    /// token that still works, created as the demo admin (audited like any other).
    pub async fn prepare(&self, desk: &HelpDesk) -> color_eyre::Result<()> {
        use color_eyre::eyre::WrapErr;
        if !self.certificate.exists() || !self.private_key.exists() {
            let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .wrap_err("making the demo certificate")?;
            write_private(&self.private_key, made.signing_key.serialize_pem().as_bytes())?;
            write_private(&self.certificate, made.cert.pem().as_bytes())?;
        }
        let kept = std::fs::read_to_string(&self.token).ok().map(|t| zeroize::Zeroizing::new(t.trim().to_owned()));
        if let Some(token) = kept
            && desk.serve_caller(&crate::domain::serve_client::token_hash(&token)).await?.is_some()
        {
            return Ok(());
        }
        let admin = demo::DEMO_STAFF
            .iter()
            .find(|s| s.3 == crate::domain::user::StaffRole::Admin)
            .map(|s| s.0)
            .ok_or_else(|| color_eyre::eyre::eyre!("the demo has no admin"))?;
        let session = demo::sign_in_demo(desk, admin)
            .await
            .wrap_err("signing in as the demo admin (is this the demo database?)")?;
        let name = format!("demo-login-{}", desk.now());
        let created =
            super::admin::in_session(desk, &session, async |desk, s| desk.create_serve_client(s, &name).await).await?;
        write_private(&self.token, format!("{}\n", created.token.as_str()).as_bytes())?;
        Ok(())
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> color_eyre::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| color_eyre::eyre::eyre!("cannot write {}: {e}", path.display()))?;
    // A file that was already there keeps its mode on open: set it.
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(bytes)?;
    Ok(())
}
