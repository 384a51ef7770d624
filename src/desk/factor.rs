//! The staff's second factor at sign-in, at unlock and before risky actions (step-up): an
//! authenticator code after the password, enrolment at the first sign-in, each code once,
//! wrong codes counted with wrong passwords. The code's rules are `domain::second_factor`.

use zeroize::Zeroizing;

use crate::desk::{DeskError, DeskResult, HelpDesk, Session};
use crate::domain::access::Staff;
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::second_factor::{CodeRefusal, FactorKey, FactorSecret};
use crate::domain::user::UserId;
use crate::store::Throttle;

/// How long the code may follow the password, in seconds.
const TICKET_SECS: i64 = 5 * 60;

/// A password that was right, waiting for its second factor. Only the service makes one
/// (its fields are private), and it holds for `TICKET_SECS`.
#[derive(Debug, Clone)]
pub struct FactorTicket {
    staff: Staff,
    name: String,
    issued_at: i64,
    /// A new secret, when the member of staff enrols now.
    enrolling: Option<FactorSecret>,
}

impl FactorTicket {
    pub fn username(&self) -> &str {
        &self.staff.username
    }
    /// The `otpauth://` URI to show as a QR code, when enrolling.
    pub fn enrolment_uri(&self) -> Option<Zeroizing<String>> {
        self.enrolling.as_ref().map(|s| s.uri(&self.staff.username))
    }
    /// The secret as base32, to type into an app that cannot scan, when enrolling.
    pub fn enrolment_secret(&self) -> Option<Zeroizing<String>> {
        self.enrolling.as_ref().map(FactorSecret::to_base32)
    }
}

/// What a right password leads to.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in (the institution does not ask staff for a second factor).
    Done(Session),
    /// A code from the authenticator app is asked for.
    Code(FactorTicket),
    /// The first sign-in: enrol the authenticator from the QR code, then confirm with a code.
    Enrol(FactorTicket),
}

impl HelpDesk {
    /// The password, then what the second factor asks for (`SignIn`). Throttled and
    /// audited like every password check.
    pub async fn sign_in(&self, username: &str, password: Zeroizing<String>) -> DeskResult<SignIn> {
        let now = self.now();
        let creds = self.check_password(username, password, now).await?;
        let user = &creds.user;
        // A bound SSH key stands for the code, and a member with bound keys signs in only
        // with one of them.
        let bound = self.store.bound_keys(user.id).await?;
        if !bound.is_empty() {
            if self.session_key.is_some_and(|key| bound.contains(&key)) {
                let how = "password and a bound SSH key";
                return Ok(SignIn::Done(self.open_session(&creds.staff, user.full_name(), now, how).await?));
            }
            let event = NewAuditEvent::new(now, AuditAction::StaffLoginFailed)
                .actor(user.id, &user.username)
                .detail("not from an SSH session with a key bound to the account");
            self.store.append_audit(&[event]).await?;
            return Err(DeskError::BoundKeyNeeded);
        }
        if !self.store.staff_second_factor().await? {
            return Ok(SignIn::Done(self.open_session(&creds.staff, user.full_name(), now, "password").await?));
        }
        let stored = self.store.factor(user.id).await?.ok_or(DeskError::BadCredentials)?;
        let ticket =
            FactorTicket { staff: creds.staff.clone(), name: user.full_name(), issued_at: now, enrolling: None };
        if stored.sealed.is_some() {
            return Ok(SignIn::Code(ticket));
        }
        self.factor_key()?;
        let secret = FactorSecret::random().map_err(|_| DeskError::NoFactorKey)?;
        Ok(SignIn::Enrol(FactorTicket { enrolling: Some(secret), ..ticket }))
    }

    /// Sign-in with the password alone, for callers that cannot ask for a code: refused
    /// (`SecondFactorNeeded`) when the institution asks staff for a second factor.
    pub async fn login(&self, username: &str, password: Zeroizing<String>) -> DeskResult<crate::desk::Session> {
        match self.sign_in(username, password).await? {
            SignIn::Done(session) => Ok(session),
            SignIn::Code(_) | SignIn::Enrol(_) => Err(DeskError::SecondFactorNeeded),
        }
    }

    /// The second step: the code (or, enrolling, the first code of the new secret, which
    /// stores it). Wrong codes count toward the sign-in lock and are audited; a code is
    /// accepted once.
    pub async fn finish_sign_in(&self, ticket: &FactorTicket, code: &str) -> DeskResult<Session> {
        let now = self.now();
        if now - ticket.issued_at > TICKET_SECS || now < ticket.issued_at {
            return Err(DeskError::FactorTicketExpired);
        }
        let staff = &ticket.staff;
        match &ticket.enrolling {
            Some(secret) => self.enrol(staff, secret, code, now).await?,
            None => self.check_code(staff.id, &staff.username, code, now).await?,
        }
        let how = if ticket.enrolling.is_some() {
            "password and a newly enrolled authenticator"
        } else {
            "password and authenticator code"
        };
        self.open_session(staff, ticket.name.clone(), now, how).await
    }

    /// Proves the session's factor again (an unlock, or before a risky action): the code
    /// is checked like at sign-in, and the session is marked as proven now.
    pub async fn step_up(&self, session: &Session, code: &str) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let now = self.now();
        self.check_code(actor.id, &actor.username, code, now).await?;
        self.store.prove_factor(session.id, now).await?;
        let event = NewAuditEvent::new(now, AuditAction::StaffSteppedUp).actor(actor.id, &actor.username);
        self.store.append_audit(&[event]).await?;
        Ok(())
    }

    /// Whether the session proved its factor within `staff.step_up_minutes`
    /// (`StepUpNeeded` otherwise, audited as a refusal of `attempted`); always true where
    /// the institution does not ask staff for a second factor.
    pub(in crate::desk) async fn fresh_factor(&self, session: &Session, attempted: AuditAction) -> DeskResult<()> {
        if !self.store.staff_second_factor().await? {
            return Ok(());
        }
        let now = self.now();
        let proven = self.store.factor_proven_at(session.id).await?;
        if proven.is_some_and(|at| at <= now && now - at <= self.limits.step_up_secs) {
            return Ok(());
        }
        let actor = self.actor(session).await?;
        self.audited(&actor, None, attempted, Err::<(), _>(DeskError::StepUpNeeded)).await
    }

    /// Enrols a demo member of staff with their published secret (`helpdesk demo` only,
    /// which writes only into a database named for the demo), audited as such.
    pub async fn enrol_published_factor(&self, username: &str, secret: &FactorSecret) -> DeskResult<()> {
        let key = self.factor_key()?;
        let user = self.store.user_by_username(username).await?.ok_or(DeskError::NoSuchUser)?;
        let sealed = key.seal(secret, user.id).map_err(|_| DeskError::NoFactorKey)?;
        let now = self.now();
        let event = NewAuditEvent::new(now, AuditAction::StaffFactorEnrolled)
            .target(user.id, &user.username)
            .detail("demo: a published secret (never in a real deployment)");
        self.store.enrol_factor(user.id, &sealed, 0, now, &event).await?;
        Ok(())
    }

    fn factor_key(&self) -> DeskResult<&FactorKey> {
        self.factor_key.as_ref().ok_or(DeskError::NoFactorKey)
    }

    async fn open_session(&self, staff: &Staff, name: String, now: i64, how: &str) -> DeskResult<Session> {
        let event = NewAuditEvent::new(now, AuditAction::StaffLogin).actor(staff.id, &staff.username).detail(how);
        let id = self.store.start_session(staff.id, now, &event).await?;
        if how != "password" {
            self.store.prove_factor(id, now).await?;
        }
        tracing::info!(staff = %staff.username.escape_debug(), session = id, "staff signed in");
        Ok(Session { id, staff: staff.clone(), name })
    }

    /// The enrolment's confirming code: it must come from the new secret; then the secret
    /// is sealed and stored, with the code's step as used.
    async fn enrol(&self, staff: &Staff, secret: &FactorSecret, code: &str, now: i64) -> DeskResult<()> {
        let key = self.factor_key()?;
        let step = self.counted(staff.id, &staff.username, now, |_| secret.check(code, now, None)).await?;
        let sealed = key.seal(secret, staff.id).map_err(|_| DeskError::NoFactorKey)?;
        let event = NewAuditEvent::new(now, AuditAction::StaffFactorEnrolled)
            .actor(staff.id, &staff.username)
            .target(staff.id, &staff.username)
            .detail("authenticator app (TOTP)");
        if !self.store.enrol_factor(staff.id, &sealed, step, now, &event).await? {
            // Another sign-in enrolled first: this secret is not the one stored.
            return Err(DeskError::FactorTicketExpired);
        }
        Ok(())
    }

    /// A code for the enrolled secret: checked, then its step used up atomically.
    async fn check_code(&self, staff: UserId, username: &str, code: &str, now: i64) -> DeskResult<()> {
        let key = self.factor_key()?;
        let stored = self.store.factor(staff).await?.ok_or(DeskError::SessionEnded)?;
        let sealed = stored.sealed.ok_or(DeskError::FactorTicketExpired)?;
        let secret = key.open(&sealed, staff).ok_or_else(|| {
            crate::store::StoreError::Corrupt(format!(
                "the authenticator secret of {username} does not open under staff.factor_key_file"
            ))
        })?;
        let last = stored.last_step;
        let step = self.counted(staff, username, now, |_| secret.check(code, now, last)).await?;
        if !self.store.use_factor_step(staff, step).await? {
            return Err(CodeRefusal::Replayed.into());
        }
        Ok(())
    }

    /// Runs a code check under the sign-in throttle: the attempt is counted first, a
    /// failure audited (with the lock it set), a success clears the count.
    async fn counted(
        &self,
        staff: UserId,
        username: &str,
        now: i64,
        check: impl FnOnce(()) -> Result<i64, CodeRefusal>,
    ) -> DeskResult<i64> {
        let locks = self.reserve_sign_in(staff, username, now, "authenticator code refused while locked").await?;
        match check(()) {
            Ok(step) => {
                self.store.clear_failures(staff, Throttle::Login).await?;
                Ok(step)
            }
            Err(refusal) => {
                let why = match refusal {
                    CodeRefusal::Replayed => "authenticator code used before",
                    _ => "wrong authenticator code",
                };
                self.sign_in_failed(staff, username, now, why, locks).await?;
                Err(refusal.into())
            }
        }
    }
}
