//! `helpdesk serve` and `helpdesk serve-clients`: the redemption service and the
//! credentials of the systems that call it.

use std::io::Write;
use std::sync::Arc;

use crate::config::Config;
use crate::desk::{HelpDesk, Session};
use crate::domain::time;
use crate::serve::Server;

/// Exit codes of `helpdesk serve`: 0 after a clean stop, 2 when it cannot start.
pub const STOPPED: u8 = 0;
pub const CANNOT_START: u8 = 2;

/// Lowers this process's CPU priority to `nice` (0 to 19) so that the staff's own work on
/// the same host is scheduled first. Called before the runtime starts its threads: each
/// thread inherits its creator's priority.
/// A process already run at a lower priority (a service manager's `Nice=`) keeps it.
pub fn lower_priority(nice: i32) -> std::io::Result<()> {
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
pub async fn run(desk: HelpDesk, config: &Config) -> u8 {
    let server = match Server::bind(Arc::new(desk), config.serve.clone()).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("helpdesk: configuration error: {e}");
            return CANNOT_START;
        }
    };
    let address = match server.address() {
        Ok(address) => address,
        Err(e) => {
            eprintln!("helpdesk: cannot read the listening address: {e}");
            return CANNOT_START;
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!(
        "helpdesk serve: listening on https://{address} ({cores} redemptions hash at once, {} more may wait); \
         SIGTERM or Ctrl-C stops it",
        config.serve.queue
    );
    tracing::info!(%address, cores, queue = config.serve.queue, "serving redemptions");
    let cut = server.run(shutdown_signal()).await;
    if cut > 0 {
        eprintln!("helpdesk serve: stopped; {cut} connections were still open after serve.drain_seconds");
    } else {
        eprintln!("helpdesk serve: stopped; every call in flight was answered");
    }
    tracing::info!(cut, "stopped serving");
    STOPPED
}

/// SIGTERM (what a service manager sends) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
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

/// `serve-clients create`: prints the token once, on standard output alone (so that it
/// can be piped into a secret store), and the advice on standard error.
pub async fn create(desk: &HelpDesk, session: &Session, name: &str, out: &mut impl Write) -> color_eyre::Result<()> {
    let created = desk.create_serve_client(session, name).await?;
    eprintln!(
        "Serve client {} created (id {}). Its bearer token follows, once: put it in the login's secret store now; \
         it is not kept anywhere and cannot be shown again (revoke and create another if it is lost).",
        created.name, created.id
    );
    writeln!(out, "{}", created.token.as_str())?;
    Ok(())
}

/// `serve-clients list`: one line a client.
pub async fn list(desk: &HelpDesk, session: &Session, out: &mut impl Write) -> color_eyre::Result<()> {
    let clients = desk.serve_clients(session).await?;
    if clients.is_empty() {
        writeln!(out, "No serve clients yet: create one with `helpdesk serve-clients create --name NAME`.")?;
        return Ok(());
    }
    writeln!(out, "{:<32} {:<22} {:<16} STATUS", "NAME", "CREATED", "BY")?;
    for c in clients {
        let status = match c.revoked_at {
            Some(at) => format!("revoked {}", time::format_utc(at)),
            None => "active".to_owned(),
        };
        writeln!(out, "{:<32} {:<22} {:<16} {status}", c.name, time::format_utc(c.created_at), c.created_by)?;
    }
    Ok(())
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
        let (admin, password) = crate::cli::demo::DEMO_STAFF
            .iter()
            .find(|s| s.3 == crate::domain::user::StaffRole::Admin)
            .map(|s| (s.0, s.5))
            .ok_or_else(|| color_eyre::eyre::eyre!("the demo has no admin"))?;
        let session = desk
            .login(admin, zeroize::Zeroizing::new(password.to_owned()))
            .await
            .wrap_err("signing in as the demo admin (is this the demo database?)")?;
        let name = format!("demo-login-{}", desk.now());
        let created = desk.create_serve_client(&session, &name).await;
        desk.logout(&session).await?;
        write_private(&self.token, format!("{}\n", created?.token.as_str()).as_bytes())?;
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
