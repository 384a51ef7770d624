//! The rule for the link to the database: a PostgreSQL server that is not on this machine
//! is reached over TLS with its certificate verified, unless the operator names the network
//! as trusted (`database.trusted_network`).

/// How the link to the database is protected, as `Config::transport` decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// SQLite: a file on this machine.
    File,
    /// PostgreSQL on loopback or a Unix socket: nothing crosses a network.
    Local,
    /// TLS with the server's certificate checked (`sslmode=verify-full` or `verify-ca`).
    Verified(String),
    /// Another host without a verified certificate, allowed by `database.trusted_network`.
    Trusted { sslmode: Option<String> },
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::File => f.write_str("a SQLite file on this machine"),
            Transport::Local => f.write_str("PostgreSQL on this machine (loopback or a Unix socket)"),
            Transport::Verified(mode) => {
                write!(f, "PostgreSQL over TLS with the certificate verified (sslmode={mode})")
            }
            Transport::Trusted { sslmode } => write!(
                f,
                "PostgreSQL on another host WITHOUT a verified certificate (sslmode={}), allowed by database.trusted_network",
                sslmode.as_deref().unwrap_or("unset: TLS if offered, else plain text")
            ),
        }
    }
}

/// The rule for a database URL: a PostgreSQL server that is not on this machine is reached
/// over TLS with its certificate verified (`sslmode=verify-full` or `verify-ca`; sqlx's
/// default "prefer" falls back to plain text, and "require" accepts any certificate),
/// unless `trusted` names the network as trusted. The error says what to change.
pub fn transport(url: &str, trusted: bool) -> Result<Transport, String> {
    if url.starts_with("sqlite:") {
        return Ok(Transport::File);
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    let param = |name: &str| parsed.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let sslmode = param("sslmode");
    // libpq's `host` parameter outranks the URL's host; a path there is a Unix socket.
    let host = param("host").or_else(|| parsed.host_str().map(str::to_owned)).unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let decoded = url::form_urlencoded::parse(host.as_bytes()).map(|(k, _)| k.into_owned()).next().unwrap_or_default();
    let local = host.is_empty()
        || decoded.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match sslmode.as_deref() {
        _ if local => Ok(Transport::Local),
        Some(mode @ ("verify-full" | "verify-ca")) => Ok(Transport::Verified(mode.to_owned())),
        _ if trusted => Ok(Transport::Trusted { sslmode }),
        _ => Err(format!(
            "names the PostgreSQL host {host}, which is not this machine: add sslmode=verify-full (with \
             sslrootcert=… when the server's CA is not the system's) so that the link is encrypted and the \
             server proven, or set database.trusted_network = true if the network itself is trusted"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{Transport, transport};

    #[test]
    fn a_remote_postgres_needs_a_verified_certificate_or_a_trusted_network() {
        assert_eq!(transport("sqlite://helpdesk.db", false), Ok(Transport::File));
        for local in [
            "postgres://app@127.0.0.1:5432/hd",
            "postgres://app@localhost/hd",
            "postgres://app@[::1]:5432/hd",
            "postgres:///hd",
            "postgres://app@%2Fvar%2Frun%2Fpostgresql/hd",
            "postgres:///hd?host=/var/run/postgresql",
        ] {
            assert_eq!(transport(local, false), Ok(Transport::Local), "{local}");
        }
        let remote = "postgres://app@db.bank.example/hd";
        for refused in [remote.to_owned(), format!("{remote}?sslmode=require"), format!("{remote}?sslmode=prefer")] {
            let why = transport(&refused, false).unwrap_err();
            assert!(why.contains("sslmode=verify-full") && why.contains("trusted_network"), "{why}");
        }
        let verified = format!("{remote}?sslmode=verify-full&sslrootcert=/etc/ssl/bank-ca.pem");
        assert_eq!(transport(&verified, false), Ok(Transport::Verified("verify-full".into())));
        assert_eq!(
            transport(&format!("{remote}?sslmode=verify-ca"), false),
            Ok(Transport::Verified("verify-ca".into()))
        );
        let trusted = transport(&format!("{remote}?sslmode=require"), true).unwrap();
        assert_eq!(trusted, Transport::Trusted { sslmode: Some("require".into()) });
        // The host parameter outranks the URL's: a remote one is not hidden behind localhost.
        assert!(transport("postgres://app@localhost/hd?host=db.bank.example", false).is_err());
    }
}
