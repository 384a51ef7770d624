//! Granting power takes two: asking for a grant, and a second admin's approval (which
//! applies it), decline, the asker's withdrawal and expiry, each audited. The rules are in
//! `domain::grants`; the store applies an approval in the approval's own transaction.

use crate::desk::{DeskError, DeskResult, HelpDesk, Session};
use crate::domain::access::{Refusal, Staff};
use crate::domain::audit::{AuditAction, IdentityCheck, NewAuditEvent};
use crate::domain::grants::{self, GRANT_WAITS_SECS, GrantKind, GrantRequest};
use crate::domain::time::format_utc;
use crate::domain::user::{StaffRole, User, UserId};
use crate::store::{Acting, GrantDecider, GrantDecision, GrantOutcome};

/// The most pending grants the Approvals pane lists.
const PENDING_GRANTS_SHOWN: i64 = 200;

/// What a staff change did: applied at once, or asked for as a grant that waits for a
/// second admin (its number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChangeDone {
    Applied,
    Asked(i64),
}

impl HelpDesk {
    /// Asks for `kind` for member of staff `subject`: an admin, for someone else. The grant
    /// waits for a second admin (`approve_grant`) for `GRANT_WAITS_SECS`. The same grant
    /// asked twice is one request (`GrantAlreadyPending`).
    pub async fn ask_grant(&self, session: &Session, subject: UserId, kind: GrantKind) -> DeskResult<i64> {
        let actor = self.actor(session).await?;
        let user = self.store.user(subject).await?.ok_or(DeskError::NoSuchUser)?;
        let attempted = AuditAction::GrantRequested;
        self.audited(&actor, Some(&user), attempted, grants::may_ask(&actor, &user)).await?;
        self.fresh_factor(session, attempted).await?;
        let now = self.now();
        let until = now + GRANT_WAITS_SECS;
        let audit = NewAuditEvent::new(now, attempted)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username)
            .detail(format!("{}; waits for a second admin until {}", kind.words(), format_utc(until)));
        let rule = |staff: &Staff| grants::may_ask(staff, &user);
        let may = |staff: &Staff| rule(staff).is_ok();
        let acting = Acting { session: session.id, actor: actor.id, may: &may };
        match self.store.ask_grant(acting, user.id, kind, now, until, &audit).await? {
            GrantOutcome::Done(id) => {
                tracing::info!(grant = id, actor = %actor.username.escape_debug(), subject = %user.username.escape_debug(), kind = kind.as_str(), "grant asked");
                Ok(id)
            }
            GrantOutcome::AlreadyPending(id) => Err(DeskError::GrantAlreadyPending(id)),
            GrantOutcome::NoLongerActing => self.refused_meanwhile(session, Some(&user), attempted, rule).await,
            GrantOutcome::Closed | GrantOutcome::NotASingleAdmin => Err(DeskError::GrantClosed),
        }
    }

    /// Pending grants, oldest first, for admins (the Approvals pane); expired ones closed
    /// first.
    pub async fn pending_grants(&self, session: &Session) -> DeskResult<Vec<GrantRequest>> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::AdminRead, crate::domain::access::may_administer(&actor)).await?;
        self.expire_grants().await?;
        Ok(self.store.pending_grants(PENDING_GRANTS_SHOWN).await?)
    }

    /// Closes every pending grant past its time, each audited as expired.
    pub async fn expire_grants(&self) -> DeskResult<u64> {
        let now = self.now();
        let audit = |g: &GrantRequest| {
            NewAuditEvent::new(now, AuditAction::GrantExpired)
                .actor(g.asked_by_id, &g.asked_by)
                .target(g.subject_id, &g.subject)
                .detail(format!("{}; no second admin decided in time", g.kind.words()))
        };
        Ok(self.store.expire_grants(now, &audit).await?)
    }

    /// Approves a pending grant and applies it, in one transaction: by an enabled admin who
    /// neither asked for it nor receives it.
    pub async fn approve_grant(&self, session: &Session, id: i64) -> DeskResult<()> {
        let (actor, grant, subject) = self.pending_grant(session, id).await?;
        let attempted = AuditAction::GrantApproved;
        self.audited(&actor, Some(&subject), attempted, grants::may_decide(&actor, &grant)).await?;
        self.fresh_factor(session, attempted).await?;
        let now = self.now();
        let audit = NewAuditEvent::new(now, attempted)
            .actor(actor.id, &actor.username)
            .target(subject.id, &subject.username)
            .detail(format!("{}; asked by {}", grant.kind.words(), grant.asked_by));
        let change_audit = applied(&grant, &subject, now).actor(actor.id, &actor.username);
        let decision = GrantDecision::Approve { change: grant.kind.change(), change_audit: &change_audit };
        let rule = |staff: &Staff| grants::may_decide(staff, &grant);
        let may = |staff: &Staff| rule(staff).is_ok();
        let by = GrantDecider::Admin(Acting { session: session.id, actor: actor.id, may: &may });
        match self.store.decide_grant(id, by, decision, now, &audit).await? {
            GrantOutcome::Done(_) => {
                tracing::info!(grant = id, approver = %actor.username.escape_debug(), "grant approved");
                Ok(())
            }
            GrantOutcome::NoLongerActing => self.refused_meanwhile(session, Some(&subject), attempted, rule).await,
            _ => Err(DeskError::GrantClosed),
        }
    }

    /// Declines a pending grant with a reason the asker reads.
    pub async fn decline_grant(&self, session: &Session, id: i64, reason: &str) -> DeskResult<()> {
        let (actor, grant, subject) = self.pending_grant(session, id).await?;
        let attempted = AuditAction::GrantDeclined;
        self.audited(&actor, Some(&subject), attempted, grants::may_decide(&actor, &grant)).await?;
        let reason = IdentityCheck::Other.with_note(reason).map_err(|_| DeskError::DeclineNeedsReason)?.note;
        let reason = reason.ok_or(DeskError::DeclineNeedsReason)?;
        self.fresh_factor(session, attempted).await?;
        let now = self.now();
        let mut audit = NewAuditEvent::new(now, attempted)
            .actor(actor.id, &actor.username)
            .target(subject.id, &subject.username)
            .detail(format!("{}; asked by {}", grant.kind.words(), grant.asked_by));
        audit.note = Some(reason.clone());
        let rule = |staff: &Staff| grants::may_decide(staff, &grant);
        let may = |staff: &Staff| rule(staff).is_ok();
        let by = GrantDecider::Admin(Acting { session: session.id, actor: actor.id, may: &may });
        match self.store.decide_grant(id, by, GrantDecision::Decline { reason: &reason }, now, &audit).await? {
            GrantOutcome::Done(_) => Ok(()),
            GrantOutcome::NoLongerActing => self.refused_meanwhile(session, Some(&subject), attempted, rule).await,
            _ => Err(DeskError::GrantClosed),
        }
    }

    /// The admin who asked takes a pending grant back.
    pub async fn withdraw_grant(&self, session: &Session, id: i64) -> DeskResult<()> {
        let (actor, grant, subject) = self.pending_grant(session, id).await?;
        let attempted = AuditAction::GrantWithdrawn;
        if actor.id != grant.asked_by_id {
            self.audited(&actor, Some(&subject), attempted, Err::<(), _>(DeskError::NotYourRequest)).await?;
        }
        let now = self.now();
        let audit = NewAuditEvent::new(now, attempted)
            .actor(actor.id, &actor.username)
            .target(subject.id, &subject.username)
            .detail(grant.kind.words());
        let may = |staff: &Staff| staff.id == grant.asked_by_id;
        let acting = Acting { session: session.id, actor: actor.id, may: &may };
        match self.store.withdraw_grant(id, acting, now, &audit).await? {
            GrantOutcome::Done(_) => Ok(()),
            GrantOutcome::NoLongerActing => Err(DeskError::SessionEnded),
            _ => Err(DeskError::GrantClosed),
        }
    }

    /// Approves a pending grant as the database's owner (`helpdesk grants approve
    /// --as-owner`, run with the owner's database URL): only while exactly one admin is
    /// enabled, so that the first admin's second admin is made by two people. On
    /// PostgreSQL the database refuses it from any other role.
    pub async fn approve_grant_as_owner(&self, id: i64) -> DeskResult<()> {
        self.expire_grants().await?;
        let grant = self.store.grant_request(id).await?.ok_or(DeskError::NoSuchGrant)?;
        let subject = self.store.user(grant.subject_id).await?.ok_or(DeskError::NoSuchUser)?;
        grants::owner_may_decide(self.store.count_enabled_admins().await?)?;
        let now = self.now();
        let mut audit =
            NewAuditEvent::new(now, AuditAction::GrantApproved).target(subject.id, &subject.username).detail(format!(
                "{}; asked by {}; approved by the database's owner beside a single admin",
                grant.kind.words(),
                grant.asked_by
            ));
        audit.actor = "database owner (command line)".into();
        let mut change_audit = applied(&grant, &subject, now);
        change_audit.actor = audit.actor.clone();
        let decision = GrantDecision::Approve { change: grant.kind.change(), change_audit: &change_audit };
        match self.store.decide_grant(id, GrantDecider::Owner, decision, now, &audit).await? {
            GrantOutcome::Done(_) => Ok(()),
            GrantOutcome::NotASingleAdmin => Err(Refusal::OwnerOnlyWithOneAdmin.into()),
            _ => Err(DeskError::GrantClosed),
        }
    }

    /// Asks for each power a new member of staff was created with (the admin role, the
    /// permission); returns the requests' numbers.
    pub(in crate::desk) async fn ask_new_staff_grants(
        &self,
        session: &Session,
        id: UserId,
        role: StaffRole,
        permissions: &[crate::domain::access::Permission],
    ) -> DeskResult<Vec<i64>> {
        let mut asked = Vec::new();
        if role == StaffRole::Admin {
            asked.push(self.ask_grant(session, id, GrantKind::AdminRole).await?);
        }
        for &p in permissions {
            asked.push(self.ask_grant(session, id, GrantKind::Permission(p)).await?);
        }
        Ok(asked)
    }

    /// The actor, the pending grant (expired ones closed first) and its subject.
    async fn pending_grant(&self, session: &Session, id: i64) -> DeskResult<(Staff, GrantRequest, User)> {
        let actor = self.actor(session).await?;
        self.expire_grants().await?;
        let grant = self.store.grant_request(id).await?.ok_or(DeskError::NoSuchGrant)?;
        if grant.state != grants::GrantState::Pending {
            return Err(DeskError::GrantClosed);
        }
        let subject = self.store.user(grant.subject_id).await?.ok_or(DeskError::NoSuchUser)?;
        Ok((actor, grant, subject))
    }
}

/// The audit event of the change an approval applies (the same action a direct change
/// would record), without its actor.
fn applied(grant: &GrantRequest, subject: &User, now: i64) -> NewAuditEvent {
    let (action, detail) = match grant.kind {
        GrantKind::Permission(p) => (AuditAction::PermissionGranted, p.label().to_owned()),
        GrantKind::AdminRole => {
            (AuditAction::StaffRoleChanged, format!("{} -> admin", subject.role.map_or("none", |r| r.as_str())))
        }
        GrantKind::Reenable => (AuditAction::StaffEnabled, "may sign in again".to_owned()),
        GrantKind::FactorReset => {
            (AuditAction::StaffFactorReset, "enrols a new authenticator at the next sign-in".to_owned())
        }
        GrantKind::SshKey(key) => (AuditAction::StaffKeyBound, format!("SSH key {}", key.openssh())),
    };
    NewAuditEvent::new(now, action)
        .target(subject.id, &subject.username)
        .detail(format!("{detail}; asked by {}", grant.asked_by))
}
