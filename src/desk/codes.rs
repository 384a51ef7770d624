//! Backup codes: generating a batch (after the warning) and revoking it; redeeming a code
//! as the Digital Banking login does is in `redeem.rs`. The rules are in `domain::access` (who),
//! `domain::audit` (the identity check and its note) and `domain::codes` (the codes);
//! this file puts them in order around the store.

use crate::desk::two_person::Weighed;
use crate::desk::{DeskError, DeskResult, HelpDesk, Session, blocking};
use crate::domain::access::{self, CoolOff, Staff};
use crate::domain::audit::{AuditAction, IdentityCheck, NewAuditEvent, VerifiedIdentity};
use crate::domain::codes::{self, BackupCode};
use crate::domain::notice::notices_for;
use crate::domain::time::format_utc;
use crate::domain::two_person::{self, CodeRequest, Reason};
use crate::domain::user::{User, UserId};
use crate::store::{Acting, BatchOutcome, NewBatch, NewRequest, RevokeOutcome};
use crate::texts::texts;

/// The codes of a batch that has been committed, for the one-time view. Dropping it wipes
/// the codes: each is held in a buffer that zeroes itself.
#[derive(Debug)]
pub struct IssuedCodes {
    pub batch_id: i64,
    pub codes: Vec<BackupCode>,
    pub expires_at: Option<i64>,
}

/// The outcome of one redemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// The code was good and is now used; `codes_left` of its batch remain unused.
    Accepted {
        codes_left: i64,
    },
    Rejected,
    Locked {
        until: i64,
    },
}

/// What a confirmed warning leads to: the codes, or a request that waits for a second
/// admin (the two-person rule).
#[derive(Debug)]
pub enum Generation {
    Issued(IssuedCodes),
    Requested(Box<CodeRequest>),
}

/// What the person chose on the warning: for whom, how identity was verified (with the
/// note), and the newest contact change (its id) as the warning showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningChoice {
    pub target: UserId,
    pub check: IdentityCheck,
    pub note: Option<String>,
    pub seen: Option<i64>,
}

/// A generation that passed every check before it (`prepare`): who asks, for whom, on what
/// check, weighed, with the reasons it needs a second admin (none: one person may).
pub(super) struct Prepared {
    pub actor: Staff,
    pub user: User,
    pub identity: VerifiedIdentity,
    pub weighed: Weighed,
    pub reasons: Vec<Reason>,
}

impl HelpDesk {
    /// The warning's Generate Backup Codes: `seen` is the newest contact change as the
    /// warning showed it (if one came since, nothing happens, so that every decision is
    /// made on what the person read). Codes when one person may generate them; otherwise a
    /// request for a second admin, with the signals the warning showed and the reasons.
    pub async fn request_codes(&self, session: &Session, choice: WarningChoice) -> DeskResult<Generation> {
        let prepared = self.prepare(session, choice).await?;
        if prepared.reasons.is_empty() {
            return Ok(Generation::Issued(self.issue(session, prepared, None).await?));
        }
        let Prepared { actor, user, identity, weighed, reasons } = prepared;
        let now = self.now();
        let sentences: Vec<String> = reasons.iter().map(Reason::sentence).collect();
        let request = NewRequest {
            requester_id: actor.id,
            target_id: user.id,
            identity_check: identity.check,
            note: identity.note.clone(),
            signals: weighed.signals.clone(),
            reasons,
            marks: weighed.marks,
            created_at: now,
            expires_at: now + self.limits.request_secs,
        };
        let mut audit = NewAuditEvent::new(now, AuditAction::CodesRequested)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username)
            .detail(format!("waits for a second admin: {}", sentences.join("; ")));
        audit.identity_check = Some(identity.check);
        audit.note = identity.note;
        let Some(id) = self.store.insert_request(&request, &audit).await? else {
            let refused: DeskResult<Generation> = Err(DeskError::RequestOpen);
            return self.audited(&actor, Some(&user), AuditAction::CodesRequested, refused).await;
        };
        tracing::info!(request = id, actor = %actor.username.escape_debug(), target = %user.username.escape_debug(), "codes requested");
        let request = self.store.request(id).await?.ok_or(DeskError::NoSuchRequest)?;
        Ok(Generation::Requested(Box::new(request)))
    }

    /// Generation from the warning when one person may generate: as `request_codes`, but
    /// a generation that needs a second admin is refused (audited) instead of requested.
    pub async fn generate_codes_after_warning(
        &self,
        session: &Session,
        choice: WarningChoice,
    ) -> DeskResult<IssuedCodes> {
        let prepared = self.prepare(session, choice).await?;
        if !prepared.reasons.is_empty() {
            let reasons = prepared.reasons.iter().map(Reason::sentence).collect();
            let refused: DeskResult<()> = Err(DeskError::NeedsSecondPerson(reasons));
            self.audited(&prepared.actor, Some(&prepared.user), AuditAction::BackupCodesGenerated, refused).await?;
        }
        self.issue(session, prepared, None).await
    }

    /// Generates a batch for `target` on the contact details as they are now (the command
    /// line and the tests); a generation that needs a second admin is refused.
    pub async fn generate_codes(
        &self,
        session: &Session,
        target: UserId,
        check: IdentityCheck,
        note: Option<String>,
    ) -> DeskResult<IssuedCodes> {
        let seen = self.store.target_marks(target).await?.contact;
        self.generate_codes_after_warning(session, WarningChoice { target, check, note, seen }).await
    }

    /// Every check before a generation or a request, each refusal audited: who may act,
    /// the note, the contact details as the warning saw them, the cool-off and linked
    /// identities, the check against the signals. Returns the reasons for a second admin.
    async fn prepare(&self, session: &Session, choice: WarningChoice) -> DeskResult<Prepared> {
        let WarningChoice { target, check, note, seen } = choice;
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        let attempted = AuditAction::BackupCodesGenerated;
        self.audited(&actor, Some(&user), attempted, access::may_manage_codes(&actor, &user)).await?;
        let identity = check.with_note(note.as_deref().unwrap_or_default())?;
        let now = self.now();
        let weighed = self.weigh(&actor, &user, now).await?;
        if weighed.marks.contact != seen {
            let refused: DeskResult<()> = Err(DeskError::ChangedSinceWarning);
            self.audited(&actor, Some(&user), attempted, refused).await?;
        }
        self.audited(&actor, Some(&user), attempted, weighed.gate).await?;
        let offered = weighed.checks.iter().find(|(c, _)| *c == check).map_or(Ok(()), |(_, why)| why.clone());
        let offered = offered.map_err(DeskError::CheckNotOffered);
        self.audited(&actor, Some(&user), attempted, offered).await?;
        let reasons = weighed.circumstances.as_ref().map_or_else(Vec::new, |c| two_person::reasons(c, check));
        Ok(Prepared { actor, user, identity, weighed, reasons })
    }

    /// Hashes and stores a batch; with `approved`, the request it uses (consumed in the
    /// storing transaction). The codes are handed back only after the batch, its audit
    /// events and its notices have committed.
    pub(super) async fn issue(
        &self,
        session: &Session,
        prepared: Prepared,
        approved: Option<&CodeRequest>,
    ) -> DeskResult<IssuedCodes> {
        if prepared.user.is_staff() {
            self.fresh_factor(session, AuditAction::BackupCodesGenerated).await?;
        }
        let now = self.now();
        let policy = self.policy.clone();
        let batch = blocking(move || codes::generate(&policy)).await??;
        let expires_at = self.policy.expiry_secs().map(|s| now + s);
        let (generated, audits) = prepared.generation_audits(approved, now, batch.codes.len() as i64, expires_at);
        let Prepared { actor, user, identity, weighed, .. } = prepared;
        let (actor, user, weighed) = (&actor, &user, &weighed);
        let notices = notices_for(user, "backup_codes_generated", &texts().notifications.generated);
        // The rule again, on the staff member as the storing transaction reads them.
        let may = |staff: &Staff| access::may_manage_codes(staff, user).is_ok();
        let stored = self
            .store
            .store_batch(
                &NewBatch {
                    user_id: user.id,
                    generated_by: actor.id,
                    session: session.id,
                    created_at: now,
                    expires_at,
                    salt: &batch.salt,
                    cost: self.policy.cost(),
                    hashes: &batch.hashes,
                    identity_check: identity.check,
                    note: identity.note,
                    contact_seen: weighed.marks.contact,
                    request: approved.map(|r| (r.id, r.batch_seen)),
                    velocity_limits: approved.is_none().then_some(self.limits.velocity),
                },
                &may,
                &generated,
                &audits,
                &notices,
            )
            .await?;
        let batch_id = match stored {
            BatchOutcome::Stored(id) => id,
            BatchOutcome::NoLongerActing => {
                // The session ended or the right was taken away while the codes were hashed.
                let (attempted, rule) =
                    (AuditAction::BackupCodesGenerated, |a: &Staff| access::may_manage_codes(a, user));
                return self.refused_meanwhile(session, Some(user), attempted, rule).await;
            }
            BatchOutcome::ContactChanged => {
                if let Some(r) = approved {
                    self.void(r, "the contact details changed after the approval").await?;
                }
                let refused: DeskResult<IssuedCodes> = Err(DeskError::ChangedSinceWarning);
                return self.audited(actor, Some(user), AuditAction::BackupCodesGenerated, refused).await;
            }
            BatchOutcome::ApprovalGone => {
                if let Some(r) = approved {
                    self.void_if_overtaken(r).await?;
                }
                return Err(DeskError::RequestClosed);
            }
            BatchOutcome::SecondPersonNeeded => {
                let reasons = vec![
                    "a velocity limit was reached, or every batch now needs a second person, meanwhile".to_owned(),
                ];
                let refused: DeskResult<IssuedCodes> = Err(DeskError::NeedsSecondPerson(reasons));
                return self.audited(actor, Some(user), AuditAction::BackupCodesGenerated, refused).await;
            }
        };
        tracing::info!(batch_id, actor = %actor.username.escape_debug(), target = %user.username.escape_debug(), count = batch.codes.len(), "backup codes generated");
        let mut batch = batch;
        Ok(IssuedCodes { batch_id, codes: std::mem::take(&mut batch.codes), expires_at })
    }

    /// The emergency stop, for a bank that learns codes leaked: every active batch revoked
    /// in one transaction, audited with the count, every holder told. Admin-level staff
    /// only. Returns how many batches were revoked; backup codes may then be switched off
    /// in Institution Settings.
    pub async fn revoke_all_codes(&self, session: &Session) -> DeskResult<u64> {
        let actor = self.actor(session).await?;
        let attempted = AuditAction::AllBackupCodesRevoked;
        self.audited(&actor, None, attempted, access::may_administer(&actor)).await?;
        let now = self.now();
        let audit = NewAuditEvent::new(now, attempted).actor(actor.id, &actor.username).detail("emergency stop");
        let body = texts().notifications.revoked.clone();
        let notices = move |user: &User| notices_for(user, "backup_codes_revoked", &body);
        let revoked = self.store.revoke_all_batches(actor.id, now, &audit, &notices).await?;
        tracing::warn!(actor = %actor.username.escape_debug(), revoked, "every active backup code batch revoked");
        Ok(revoked)
    }

    pub async fn revoke_codes(&self, session: &Session, target: UserId) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        let attempted = AuditAction::BackupCodesRevoked;
        self.audited(&actor, Some(&user), attempted, access::may_manage_codes(&actor, &user)).await?;
        let now = self.now();
        let audit = NewAuditEvent::new(now, AuditAction::BackupCodesRevoked)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username);
        let notices = notices_for(&user, "backup_codes_revoked", &texts().notifications.revoked);
        let may = |staff: &Staff| access::may_manage_codes(staff, &user).is_ok();
        let acting = Acting { session: session.id, actor: actor.id, may: &may };
        match self.store.revoke_batch(acting, user.id, now, &audit, &notices).await? {
            RevokeOutcome::Revoked => {
                tracing::info!(actor = %actor.username.escape_debug(), target = %user.username.escape_debug(), "backup codes revoked");
                Ok(())
            }
            RevokeOutcome::NoActiveBatch => Err(DeskError::NoActiveBatch),
            RevokeOutcome::NoLongerActing => {
                let rule = |a: &Staff| access::may_manage_codes(a, &user);
                self.refused_meanwhile(session, Some(&user), attempted, rule).await
            }
        }
    }
}

impl Prepared {
    /// The events a generation writes with its batch: the generation itself (what the
    /// warning showed, and the approval it used), then the request used and a cool-off
    /// override. `count` codes, expiring at `expires_at`.
    fn generation_audits(
        &self,
        approved: Option<&CodeRequest>,
        now: i64,
        count: i64,
        expires_at: Option<i64>,
    ) -> (NewAuditEvent, Vec<NewAuditEvent>) {
        let approver = approved.and_then(|r| r.decided_by.clone()).map_or_else(String::new, |(_, name)| name);
        let mut audit = NewAuditEvent::new(now, AuditAction::BackupCodesGenerated)
            .actor(self.actor.id, &self.actor.username)
            .target(self.user.id, &self.user.username);
        audit.identity_check = Some(self.identity.check);
        audit.note = self.identity.note.clone();
        audit.code_count = Some(count);
        audit.expires_at = expires_at;
        let shown = if self.weighed.signals.is_empty() { "none".to_owned() } else { self.weighed.signals.join(" | ") };
        audit.detail = Some(match approved {
            Some(r) => format!("request #{} approved by {approver}; signals shown: {shown}", r.id),
            None => format!("signals shown: {shown}"),
        });
        let mut audits = Vec::new();
        if let Some(r) = approved {
            audits.push(
                NewAuditEvent::new(now, AuditAction::CodeRequestUsed)
                    .actor(self.actor.id, &self.actor.username)
                    .target(self.user.id, &self.user.username)
                    .detail(format!("request #{}; approved by {approver}", r.id)),
            );
        }
        if let Ok(CoolOff::Overridden { until }) = self.weighed.gate {
            audits.push(
                NewAuditEvent::new(now, AuditAction::CoolOffOverridden)
                    .actor(self.actor.id, &self.actor.username)
                    .target(self.user.id, &self.user.username)
                    .detail(format!(
                        "contact details changed; cool-off would have lasted until {}{}",
                        format_utc(until),
                        if approver.is_empty() { String::new() } else { format!("; approved by {approver}") }
                    )),
            );
        }
        (audit, audits)
    }
}
