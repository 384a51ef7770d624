//! Staff sign-in, the idle lock's re-authentication, sign-out and password changes.
//! Every password check is throttled per member of staff and every failure is audited.

use zeroize::Zeroizing;

use crate::desk::{DeskError, DeskResult, HelpDesk, Session, blocking};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::password;
use crate::domain::profile;
use crate::domain::session::Departure;
use crate::domain::user::UserId;
use crate::store::{Reservation, StaffCredentials, Throttle};

impl HelpDesk {
    /// The password check shared by sign-in and unlock: throttled, and every failure audited.
    pub(in crate::desk) async fn check_password(
        &self,
        username: &str,
        password: Zeroizing<String>,
        now: i64,
    ) -> DeskResult<StaffCredentials> {
        // Bounded before any work; no username is longer (`domain::redemption`).
        let username: String =
            username.trim().chars().take(crate::domain::redemption::USERNAME_MAX_CHARS + 1).collect::<String>();
        // The one username rule (`redemption::typed_username`): ASCII case only.
        let username = username.to_ascii_lowercase();
        let Some(creds) = self.store.staff_credentials(&username).await? else {
            let cost = self.password_cost;
            blocking(move || password::verify_nothing(&cost, &password)).await?;
            // What was typed is not recorded: people type passwords into username fields.
            let event = NewAuditEvent::new(now, AuditAction::StaffLoginFailed)
                .detail(format!("unknown username ({} characters)", username.chars().count()));
            self.store.append_audit(&[event]).await?;
            return Err(DeskError::BadCredentials);
        };
        let user = &creds.user;
        let failed = |detail: String| {
            NewAuditEvent::new(now, AuditAction::StaffLoginFailed).actor(user.id, &user.username).detail(detail)
        };
        let locks = self.reserve_sign_in(user.id, &user.username, now, "refused while locked").await?;
        let stored = creds.password_hash.clone().unwrap_or_default();
        let ok = blocking(move || password::verify(&stored, &password)).await?;
        if !ok {
            self.sign_in_failed(user.id, &user.username, now, "wrong password", locks).await?;
            return Err(DeskError::BadCredentials);
        }
        self.store.clear_failures(user.id, Throttle::Login).await?;
        // Said only after the right password, so that it tells a guesser nothing.
        if creds.disabled {
            self.store.append_audit(&[failed("account disabled".into())]).await?;
            return Err(DeskError::Disabled);
        }
        Ok(creds)
    }

    /// Counts a sign-in attempt (a password or an authenticator code) before it is checked,
    /// under the one sign-in throttle; `LoginLocked` (audited with `refused`) while a lock
    /// is in force. `true` when this attempt sets the lock if it fails.
    pub(in crate::desk) async fn reserve_sign_in(
        &self,
        staff: UserId,
        username: &str,
        now: i64,
        refused: &str,
    ) -> DeskResult<bool> {
        let limits = &self.limits;
        let reserved = self
            .store
            .reserve_attempt(staff, Throttle::Login, now, limits.login_max_failures, limits.login_lockout_secs)
            .await?;
        match reserved {
            Reservation::Locked { until } => {
                let event =
                    NewAuditEvent::new(now, AuditAction::StaffLoginFailed).actor(staff, username).detail(refused);
                self.store.append_audit(&[event]).await?;
                Err(DeskError::LoginLocked { until })
            }
            Reservation::Granted { locks, .. } => Ok(locks),
        }
    }

    /// Audits a failed sign-in attempt, with the lock it set (`locks`).
    pub(in crate::desk) async fn sign_in_failed(
        &self,
        staff: UserId,
        username: &str,
        now: i64,
        why: &str,
        locks: bool,
    ) -> DeskResult<()> {
        let mut events =
            vec![NewAuditEvent::new(now, AuditAction::StaffLoginFailed).actor(staff, username).detail(why)];
        if locks {
            events.push(
                NewAuditEvent::new(now, AuditAction::StaffLoginLocked)
                    .actor(staff, username)
                    .detail(format!("{} failures", self.limits.login_max_failures)),
            );
        }
        self.store.append_audit(&events).await?;
        Ok(())
    }

    pub async fn logout(&self, session: &Session) -> DeskResult<()> {
        self.logout_because(session, Departure::SignedOut).await
    }

    /// Ends the session on the server; the logout's audit event says why (`reason:
    /// connection_lost`, …).
    pub async fn logout_because(&self, session: &Session, departure: Departure) -> DeskResult<()> {
        // The session row says whose session it is, not the caller.
        let Some(record) = self.store.session(session.id).await? else { return Ok(()) };
        let owner = self.store.user(record.staff_id).await?.ok_or(DeskError::SessionEnded)?;
        let event = NewAuditEvent::new(self.now(), AuditAction::StaffLogout)
            .actor(owner.id, &owner.username)
            .detail(format!("reason: {}", departure.as_str()));
        self.store.end_session(session.id, self.now(), &event).await?;
        Ok(())
    }

    /// Whether the session still stands: not ended, its owner still enabled.
    pub async fn check_session(&self, session: &Session) -> DeskResult<()> {
        self.actor(session).await.map(drop)
    }

    /// Re-authenticates an idle-locked session with the password; the session stays the
    /// same. `true` when the authenticator code is asked for next (`step_up`), which then
    /// completes the unlock.
    pub async fn unlock(&self, session: &Session, password: Zeroizing<String>) -> DeskResult<bool> {
        let actor = self.actor(session).await?;
        let now = self.now();
        self.check_password(&actor.username, password, now).await?;
        let event = NewAuditEvent::new(now, AuditAction::StaffLogin)
            .actor(actor.id, &actor.username)
            .detail("unlocked after inactivity");
        self.store.append_audit(&[event]).await?;
        Ok(self.store.staff_second_factor().await?)
    }

    /// Changes the signed-in staff's own password and ends all their sessions.
    pub async fn change_password(
        &self,
        session: &Session,
        current: Zeroizing<String>,
        new: Zeroizing<String>,
    ) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        profile::password(&new, &actor.username)?;
        // The current password goes through the sign-in check: throttled, and a wrong one
        // audited, so a walk-up attacker at an unlocked screen cannot guess at leisure.
        match self.check_password(&actor.username, current, self.now()).await {
            Err(DeskError::BadCredentials) => return Err(DeskError::WrongPassword),
            other => {
                other?;
            }
        }
        let cost = self.password_cost;
        let hash = blocking(move || password::hash(&cost, &new)).await??;
        let audit = NewAuditEvent::new(self.now(), AuditAction::PasswordChanged)
            .actor(actor.id, &actor.username)
            .target(actor.id, &actor.username);
        self.store.set_password(actor.id, &hash, self.now(), &audit).await?;
        Ok(())
    }
}
