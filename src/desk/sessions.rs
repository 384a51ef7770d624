//! Staff sessions as the server keeps them: every operation reads the session's row, takes
//! the actor from it (never from the `Session` value a caller holds), refuses a session
//! that ended, outlived `ui.session_max_hours` or lost its process, and records that the
//! process is alive.

use crate::desk::{DeskError, DeskResult, HelpDesk, Session};
use crate::domain::access::Staff;
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::session;

impl HelpDesk {
    /// The member of staff the session belongs to, as they are now. `beat` records the
    /// heartbeat whatever its age; otherwise only when the last one is a beat old.
    pub(super) async fn session_actor(&self, session: &Session, beat: bool) -> DeskResult<Staff> {
        let now = self.now();
        let record = self.store.session(session.id).await?.ok_or(DeskError::SessionEnded)?;
        if record.ended_at.is_some() {
            return Err(DeskError::SessionEnded);
        }
        let limits = &self.limits;
        if let Err(end) = session::check(
            record.started_at,
            record.last_seen_at,
            now,
            limits.session_max_secs,
            limits.session_idle_secs,
        ) {
            let mut event = NewAuditEvent::new(now, AuditAction::StaffLogout).detail(end.reason());
            if let Some(user) = self.store.user(record.staff_id).await? {
                event = event.actor(user.id, &user.username);
            }
            self.store.end_session(session.id, now, &event).await?;
            tracing::info!(session = session.id, reason = %end.reason(), "session ended by the server");
            return Err(DeskError::SessionEnded);
        }
        if beat || session::heartbeat_due(record.last_seen_at, now, limits.session_idle_secs) {
            self.store.touch_session(session.id, now).await?;
        }
        self.store.staff(record.staff_id).await?.ok_or(DeskError::SessionEnded)
    }

    /// Tells the server the session's process is still there. The UI calls it every
    /// `heartbeat_interval` while it runs, locked or not; a session whose process stops
    /// calling is refused once the idle lock's time has passed.
    pub async fn heartbeat(&self, session: &Session) -> DeskResult<()> {
        self.session_actor(session, true).await.map(|_| ())
    }

    /// How often `heartbeat` must be called.
    pub fn heartbeat_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(session::heartbeat_every(self.limits.session_idle_secs) as u64)
    }
}
