//! How long a staff session lives on the server: at most `ui.session_max_hours` from
//! sign-in, and only while its process says it is there (a heartbeat at least every
//! idle-lock period; the UI sends one while it runs, locked or not).

/// Why the server ended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Older than the longest a session may last.
    TooOld { max_secs: i64 },
    /// No sign of its process for longer than the idle lock.
    Abandoned { idle_secs: i64 },
}

impl SessionEnd {
    /// For the audit event that records the end.
    pub fn reason(self) -> String {
        match self {
            SessionEnd::TooOld { max_secs } => format!("session expired after {} hours", max_secs / 3600),
            SessionEnd::Abandoned { idle_secs } => {
                format!("session abandoned: no sign of its process for over {} minutes", idle_secs / 60)
            }
        }
    }
}

/// Why a member of staff's session ended on their side, recorded with the logout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    /// Signed out (Ctrl+O, or a command for scripts at its end).
    SignedOut,
    /// Left the program (q, Esc on the sign-in screen).
    Quit,
    /// The terminal went away: SIGHUP (the SSH connection dropped), input that ended, or a
    /// write that failed.
    ConnectionLost,
    /// Told to stop: SIGTERM or SIGQUIT.
    Terminated,
    /// SIGINT from outside (in the UI, Ctrl+C is a key).
    Interrupted,
}

impl Departure {
    pub fn as_str(self) -> &'static str {
        match self {
            Departure::SignedOut => "signed_out",
            Departure::Quit => "quit",
            Departure::ConnectionLost => "connection_lost",
            Departure::Terminated => "terminated",
            Departure::Interrupted => "interrupted",
        }
    }
}

/// Whether a session started at `started_at` and last seen at `last_seen_at` may go on at
/// `now`.
pub fn check(started_at: i64, last_seen_at: i64, now: i64, max_secs: i64, idle_secs: i64) -> Result<(), SessionEnd> {
    if now - started_at > max_secs {
        return Err(SessionEnd::TooOld { max_secs });
    }
    if now - last_seen_at > idle_secs {
        return Err(SessionEnd::Abandoned { idle_secs });
    }
    Ok(())
}

/// How often a live process must show itself: a quarter of the idle period, so that a
/// missed beat or two never ends a session that is in use.
pub fn heartbeat_every(idle_secs: i64) -> i64 {
    (idle_secs / 4).max(1)
}

/// Whether a service call should record the heartbeat: only when the last one is older
/// than a beat, so that a busy session does not write on every call.
pub fn heartbeat_due(last_seen_at: i64, now: i64, idle_secs: i64) -> bool {
    now - last_seen_at >= heartbeat_every(idle_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_when_too_old_or_abandoned() {
        assert_eq!(check(0, 0, 100, 12 * 3600, 300), Ok(()));
        assert_eq!(check(0, 12 * 3600, 12 * 3600 + 1, 12 * 3600, 300), Err(SessionEnd::TooOld { max_secs: 43_200 }));
        assert_eq!(check(0, 0, 301, 12 * 3600, 300), Err(SessionEnd::Abandoned { idle_secs: 300 }));
        assert!(!heartbeat_due(100, 150, 300) && heartbeat_due(100, 175, 300));
    }
}
