//! The two-person rule's second half: the Approvals pane's list, approving, declining,
//! withdrawing, and the requester's generation once approved. The rules are in
//! `domain::two_person`; a request is tied to its batch in the storing transaction, which
//! uses the approval up (`Store::store_batch`).

use crate::desk::codes::Prepared;
use crate::desk::{DeskError, DeskResult, HelpDesk, IssuedCodes, Session};
use crate::domain::access::{self, Refusal};
use crate::domain::audit::{AuditAction, IdentityCheck, NewAuditEvent, VerifiedIdentity};
use crate::domain::time::format_utc;
use crate::domain::two_person::{self, CodeRequest, RequestState};
use crate::domain::user::UserId;
use crate::store::RequestMove;

/// The most open requests the Approvals pane lists.
const OPEN_REQUESTS_SHOWN: i64 = 200;

impl HelpDesk {
    /// Closes every open request past its time, each audited as expired.
    pub async fn expire_requests(&self) -> DeskResult<u64> {
        let now = self.now();
        let audit = |r: &CodeRequest| {
            NewAuditEvent::new(now, AuditAction::CodeRequestExpired)
                .actor(r.requester_id, &r.requester)
                .target(r.target_id, &r.target)
                .detail(match &r.decided_by {
                    Some((_, by)) => format!("request #{}; approved by {by} but not used in time", r.id),
                    None => format!("request #{}; no second admin decided in time", r.id),
                })
        };
        Ok(self.store.expire_requests(now, &audit).await?)
    }

    /// Open requests, oldest first, for admins (the Approvals pane).
    pub async fn open_requests(&self, session: &Session) -> DeskResult<Vec<CodeRequest>> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::AdminRead, access::may_administer(&actor)).await?;
        self.expire_requests().await?;
        Ok(self.store.open_requests(OPEN_REQUESTS_SHOWN).await?)
    }

    /// Pending requests for codes and grants, for the header of an admin's screen; 0 for
    /// agents.
    pub async fn pending_requests(&self, session: &Session) -> DeskResult<i64> {
        let actor = self.actor(session).await?;
        if !actor.is_admin() {
            return Ok(0);
        }
        let now = self.now();
        Ok(self.store.count_pending(now).await? + self.store.count_pending_grants(now).await?)
    }

    /// A request as its requester or an admin reads it.
    pub async fn code_request(&self, session: &Session, id: i64) -> DeskResult<CodeRequest> {
        let actor = self.actor(session).await?;
        let request = self.store.request(id).await?.ok_or(DeskError::NoSuchRequest)?;
        if request.requester_id != actor.id {
            self.audited(&actor, None, AuditAction::AdminRead, access::may_administer(&actor)).await?;
        }
        Ok(request)
    }

    /// Approves a pending request: by an enabled admin with the permission, who is neither
    /// the requester nor the target nor linked to the target, and, for a cool-off override,
    /// made none of the changes. A contact change or a batch since the request voids it.
    /// Two admins approving at once: one wins, the other is told it is closed.
    pub async fn approve_request(&self, session: &Session, id: i64) -> DeskResult<()> {
        let (actor, request, user) = self.open_request(session, id).await?;
        let attempted = AuditAction::CodeRequestApproved;
        let now = self.now();
        let weighed = self.weigh(&actor, &user, now).await?;
        let recent = two_person::within_cool_off(&weighed.changes, now, self.limits.contact_cooloff_secs);
        let rule = two_person::may_approve(&actor, &request, &weighed.links, &recent);
        self.audited(&actor, Some(&user), attempted, rule).await?;
        if request.state != RequestState::Pending {
            return Err(DeskError::RequestClosed);
        }
        self.fresh_factor(session, attempted).await?;
        if request.overtaken_by(&weighed.marks) {
            let why = "the user's contact details changed, or codes were issued, after the request";
            self.void(&request, why).await?;
            return Err(DeskError::RequestVoided(why.into()));
        }
        let until = now + self.limits.approval_secs;
        let change = RequestMove {
            to: RequestState::Approved,
            from: Some(RequestState::Pending),
            by: Some(actor.id),
            at: now,
            note: None,
            approval_expires_at: Some(until),
        };
        let audit =
            NewAuditEvent::new(now, attempted).actor(actor.id, &actor.username).target(user.id, &user.username).detail(
                format!("request #{} by {}; may be used until {}", request.id, request.requester, format_utc(until)),
            );
        if !self.store.move_request(id, &change, &audit).await? {
            return Err(DeskError::RequestClosed);
        }
        tracing::info!(request = id, approver = %actor.username.escape_debug(), requester = %request.requester.escape_debug(), "request approved");
        Ok(())
    }

    /// Declines a pending request with a reason the requester reads.
    pub async fn decline_request(&self, session: &Session, id: i64, reason: &str) -> DeskResult<()> {
        let (actor, request, user) = self.open_request(session, id).await?;
        let attempted = AuditAction::CodeRequestDeclined;
        // Who may decline is who may decide: an admin with the right, not the requester,
        // not the target.
        self.audited(&actor, Some(&user), attempted, two_person::may_approve(&actor, &request, &[], &[])).await?;
        let reason = IdentityCheck::Other.with_note(reason).map_err(|_| DeskError::DeclineNeedsReason)?.note;
        self.fresh_factor(session, attempted).await?;
        let now = self.now();
        let change = RequestMove {
            to: RequestState::Declined,
            from: Some(RequestState::Pending),
            by: Some(actor.id),
            at: now,
            note: reason.clone(),
            approval_expires_at: None,
        };
        let mut audit = NewAuditEvent::new(now, attempted)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username)
            .detail(format!("request #{} by {}", request.id, request.requester));
        audit.note = reason;
        if !self.store.move_request(id, &change, &audit).await? {
            return Err(DeskError::RequestClosed);
        }
        Ok(())
    }

    /// The requester takes back their open request.
    pub async fn withdraw_request(&self, session: &Session, id: i64) -> DeskResult<()> {
        let (actor, request, user) = self.open_request(session, id).await?;
        let mine = if actor.id == request.requester_id { Ok(()) } else { Err(DeskError::NotYourRequest) };
        self.audited(&actor, Some(&user), AuditAction::CodeRequestWithdrawn, mine).await?;
        let now = self.now();
        let change = RequestMove {
            to: RequestState::Withdrawn,
            from: None,
            by: None,
            at: now,
            note: None,
            approval_expires_at: None,
        };
        let audit = NewAuditEvent::new(now, AuditAction::CodeRequestWithdrawn)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username)
            .detail(format!("request #{}", request.id));
        if !self.store.move_request(id, &change, &audit).await? {
            return Err(DeskError::RequestClosed);
        }
        Ok(())
    }

    /// The requester's generation once a second admin approved: every check again (who
    /// may act, the institution, linked identities), then the approval is used inside the
    /// storing transaction, once, before it expires, and only if no contact change or
    /// batch came since. The codes go to the requester only.
    pub async fn generate_approved(&self, session: &Session, id: i64) -> DeskResult<IssuedCodes> {
        let (actor, request, user) = self.open_request(session, id).await?;
        let attempted = AuditAction::BackupCodesGenerated;
        // Someone else using an approval is exactly what the audit log must show.
        let mine = if actor.id == request.requester_id { Ok(()) } else { Err(DeskError::NotYourRequest) };
        self.audited(&actor, Some(&user), attempted, mine).await?;
        if request.state != RequestState::Approved {
            return Err(DeskError::RequestClosed);
        }
        self.audited(&actor, Some(&user), attempted, access::may_manage_codes(&actor, &user)).await?;
        let weighed = self.weigh(&actor, &user, self.now()).await?;
        if request.overtaken_by(&weighed.marks) {
            let why = "the user's contact details changed, or codes were issued, after the approval";
            self.void(&request, why).await?;
            return Err(DeskError::RequestVoided(why.into()));
        }
        self.audited(&actor, Some(&user), attempted, weighed.gate).await?;
        let identity = VerifiedIdentity { check: request.identity_check, note: request.note.clone() };
        let prepared = Prepared { actor, user, identity, weighed, reasons: Vec::new() };
        self.issue(session, prepared, Some(&request)).await
    }

    /// Closes an open request as void, audited.
    pub(in crate::desk) async fn void(&self, request: &CodeRequest, why: &str) -> DeskResult<()> {
        let now = self.now();
        let change = RequestMove {
            to: RequestState::Void,
            from: None,
            by: None,
            at: now,
            note: None,
            approval_expires_at: None,
        };
        let audit = NewAuditEvent::new(now, AuditAction::CodeRequestVoided)
            .actor(request.requester_id, &request.requester)
            .target(request.target_id, &request.target)
            .detail(format!("request #{}: {why}", request.id));
        self.store.move_request(request.id, &change, &audit).await?;
        Ok(())
    }

    /// After the storing transaction could not use an approval: void it when a newer batch
    /// or contact change is why.
    pub(in crate::desk) async fn void_if_overtaken(&self, request: &CodeRequest) -> DeskResult<()> {
        let marks = self.store.target_marks(request.target_id).await?;
        if request.overtaken_by(&marks) {
            self.void(request, "codes were issued or contact details changed after the approval").await?;
        }
        Ok(())
    }

    /// The actor, the request (expired ones closed first) and its target.
    async fn open_request(
        &self,
        session: &Session,
        id: i64,
    ) -> DeskResult<(crate::domain::access::Staff, CodeRequest, crate::domain::user::User)> {
        let actor = self.actor(session).await?;
        self.expire_requests().await?;
        let request = self.store.request(id).await?.ok_or(DeskError::NoSuchRequest)?;
        if !request.state.is_open() {
            return Err(DeskError::RequestClosed);
        }
        let user = self.store.user(request.target_id).await?.ok_or(DeskError::NoSuchUser)?;
        Ok((actor, request, user))
    }

    /// Links a customer account to a member of staff (their own account at the bank):
    /// codes for it are then refused to them and need a second admin for anyone else.
    pub async fn link_identity(&self, session: &Session, staff: UserId, customer: &str) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let member = self.store.user(staff).await?.ok_or(DeskError::NoSuchUser)?;
        let attempted = AuditAction::IdentityLinked;
        self.audited(&actor, Some(&member), attempted, access::may_administer(&actor)).await?;
        if !member.is_staff() {
            return Err(Refusal::NotStaff.into());
        }
        let user = self.store.user_by_username(customer.trim()).await?.ok_or(DeskError::NoSuchCustomer)?;
        if user.is_staff() {
            return Err(DeskError::NoSuchCustomer);
        }
        let now = self.now();
        let audit = NewAuditEvent::new(now, attempted)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username)
            .detail(format!("the customer account of member of staff {}", member.username));
        self.store.link_identity(member.id, user.id, actor.id, now, &audit).await?;
        Ok(())
    }

    /// Institution Settings: "Backup codes always need a second person", audited.
    pub async fn set_second_person_always(&self, session: &Session, on: bool) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let attempted = AuditAction::SecondPersonRuleChanged;
        self.audited(&actor, None, attempted, access::may_administer(&actor)).await?;
        let before = self.store.institution().await?.second_person_always;
        let audit = NewAuditEvent::new(self.now(), attempted)
            .actor(actor.id, &actor.username)
            .detail(format!("backup codes always need a second person: {before} -> {on}"));
        self.store.set_second_person_always(on, &audit).await?;
        Ok(())
    }

    /// Whether every batch needs a second person (Institution Settings).
    pub async fn second_person_always(&self) -> DeskResult<bool> {
        Ok(self.store.institution().await?.second_person_always)
    }
}
