//! Backup codes: generating a batch (after the warning) and revoking it; redeeming a code
//! as the Digital Banking login does is in `redeem.rs`. The rules are in `domain::access` (who),
//! `domain::audit` (the identity check and its note) and `domain::codes` (the codes);
//! this file puts them in order around the store.

use crate::desk::{DeskError, DeskResult, HelpDesk, Session, blocking};
use crate::domain::access;
use crate::domain::audit::{AuditAction, IdentityCheck, NewAuditEvent};
use crate::domain::codes::{self, BackupCode};
use crate::domain::notice::notices_for;
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
        access::may_manage_codes(&actor, &user)?;
        let identity = check.with_note(note.as_deref().unwrap_or_default())?;
        let policy = self.policy.clone();
        let batch = blocking(move || codes::generate(&policy)).await??;
        let now = self.now();
        let expires_at = self.policy.expiry_secs().map(|s| now + s);
        let mut audit = NewAuditEvent::new(now, AuditAction::BackupCodesGenerated)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username);
        audit.identity_check = Some(identity.check);
        audit.note = identity.note.clone();
        audit.code_count = Some(batch.codes.len() as i64);
        audit.expires_at = expires_at;
        let notices = notices_for(&user, "backup_codes_generated", &texts().notifications.generated);
        let batch_id = self
            .store
            .store_batch(
                &NewBatch {
                    user_id: user.id,
                    generated_by: actor.id,
                    created_at: now,
                    expires_at,
                    salt: &batch.salt,
                    cost: self.policy.cost(),
                    hashes: &batch.hashes,
                    identity_check: identity.check,
                    note: identity.note,
                },
                &audit,
                &notices,
            )
            .await?;
        tracing::info!(batch_id, actor = %actor.username, target = %user.username, count = batch.codes.len(), "backup codes generated");
        let mut batch = batch;
        Ok(IssuedCodes { batch_id, codes: std::mem::take(&mut batch.codes), expires_at })
    }

    pub async fn revoke_codes(&self, session: &Session, target: UserId) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        access::may_manage_codes(&actor, &user)?;
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
