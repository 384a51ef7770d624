//! Backup codes: generating a batch (after the warning) and revoking it; redeeming a code
//! as the Digital Banking login does is in `redeem.rs`. The rules are in `domain::access` (who),
//! `domain::audit` (the identity check and its note) and `domain::codes` (the codes);
//! this file puts them in order around the store.

use crate::desk::{DeskError, DeskResult, HelpDesk, Session, blocking};
use crate::domain::access::{self, CoolOff, Staff};
use crate::domain::audit::{AuditAction, IdentityCheck, NewAuditEvent};
use crate::domain::codes::{self, BackupCode};
use crate::domain::notice::notices_for;
use crate::domain::time::format_utc;
use crate::domain::user::UserId;
use crate::store::NewBatch;
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
    Accepted,
    Rejected,
    Locked { until: i64 },
}

impl HelpDesk {
    /// Generation from the warning: `seen` is when the user's contact details last changed
    /// as the warning showed it. If they changed since, nothing is generated, so that an
    /// override of the cool-off is always made on what the person read.
    pub async fn generate_codes_after_warning(
        &self,
        session: &Session,
        target: UserId,
        check: IdentityCheck,
        note: Option<String>,
        seen: Option<i64>,
    ) -> DeskResult<IssuedCodes> {
        if self.store.contact_changed_at(target).await? != seen {
            return Err(DeskError::ChangedSinceWarning);
        }
        self.generate_codes(session, target, check, note).await
    }

    /// Generates a batch for `target`. The codes are handed back only after the batch,
    /// its audit event and its notices have committed.
    pub async fn generate_codes(
        &self,
        session: &Session,
        target: UserId,
        check: IdentityCheck,
        note: Option<String>,
    ) -> DeskResult<IssuedCodes> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        let attempted = AuditAction::BackupCodesGenerated;
        self.audited(&actor, Some(&user), attempted, access::may_manage_codes(&actor, &user)).await?;
        let identity = check.with_note(note.as_deref().unwrap_or_default())?;
        let now = self.now();
        let cool_off = self.cool_off(&actor, &user, now).await?;
        let cool_off = self.audited(&actor, Some(&user), attempted, cool_off).await?;
        let policy = self.policy.clone();
        let batch = blocking(move || codes::generate(&policy)).await??;
        let expires_at = self.policy.expiry_secs().map(|s| now + s);
        let mut audit = NewAuditEvent::new(now, AuditAction::BackupCodesGenerated)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username);
        audit.identity_check = Some(identity.check);
        audit.note = identity.note.clone();
        audit.code_count = Some(batch.codes.len() as i64);
        audit.expires_at = expires_at;
        let mut audits = vec![audit];
        if let CoolOff::Overridden { until } = cool_off {
            audits.push(
                NewAuditEvent::new(now, AuditAction::CoolOffOverridden)
                    .actor(actor.id, &actor.username)
                    .target(user.id, &user.username)
                    .detail(format!("contact details changed; cool-off would have lasted until {}", format_utc(until))),
            );
        }
        let notices = notices_for(&user, "backup_codes_generated", &texts().notifications.generated);
        // The rule again, on the staff member as the storing transaction reads them.
        let may = |staff: &Staff| access::may_manage_codes(staff, &user).is_ok();
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
                },
                &may,
                &audits,
                &notices,
            )
            .await?;
        let Some(batch_id) = stored else {
            // The session ended or the right was taken away while the codes were hashed.
            let actor = self.actor(session).await?;
            self.audited(&actor, Some(&user), attempted, access::may_manage_codes(&actor, &user)).await?;
            return Err(DeskError::SessionEnded);
        };
        tracing::info!(batch_id, actor = %actor.username, target = %user.username, count = batch.codes.len(), "backup codes generated");
        let mut batch = batch;
        Ok(IssuedCodes { batch_id, codes: std::mem::take(&mut batch.codes), expires_at })
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
        if self.store.revoke_batch(user.id, actor.id, now, &audit, &notices).await? {
            tracing::info!(actor = %actor.username, target = %user.username, "backup codes revoked");
            Ok(())
        } else {
            Err(DeskError::NoActiveBatch)
        }
    }
}
