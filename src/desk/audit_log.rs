//! The audit log's integrity and its export, from the command line: `helpdesk audit
//! verify` walks the hash chain (`domain::audit_chain`); `helpdesk audit rotate-key`
//! moves it to a new key; `helpdesk audit export` is for admin-level staff only, like the
//! audit pane.

use crate::desk::{DeskError, DeskResult, HelpDesk, Session};
use crate::domain::access;
use crate::domain::audit::{AuditAction, AuditEvent, AuditFilter, NewAuditEvent};
use crate::domain::audit_chain::{Anchor, AuditKey, ChainReport, ChainWalk, hex};

/// Events read at a time while verifying.
const PAGE: i64 = 1_000;

impl HelpDesk {
    /// Walks every audit event, oldest first, and reports the first broken link. Needs no
    /// session: it shows ids and counts, never an event's content.
    pub async fn verify_audit_chain(&self) -> DeskResult<ChainReport> {
        self.verify_audit_chain_against(None).await
    }

    /// Walks the whole chain and reports every break; with `anchor`, also checks that the
    /// event the SIEM kept still carries the hash it kept.
    pub async fn verify_audit_chain_against(&self, anchor: Option<Anchor>) -> DeskResult<ChainReport> {
        // The head first: events appended during the walk come after it and are left for
        // the next run, instead of looking like a broken tail.
        let head = self.store.audit_chain_head().await?;
        let last = head.last_id;
        let mut walk = ChainWalk::new(head, self.store.audit_key().clone());
        if let Some(anchor) = anchor {
            walk = walk.with_anchor(anchor);
        }
        let mut after = 0;
        'pages: loop {
            let page = self.store.chained_audit_events(after, PAGE).await?;
            let Some(tail) = page.last() else { break };
            after = tail.event.id;
            for chained in &page {
                if chained.event.id > last {
                    break 'pages;
                }
                walk.step(&chained.event, chained.chain_hash.as_deref());
            }
        }
        Ok(walk.finish())
    }

    /// Anchors a chain whose links are all unkeyed (written before the chain was keyed):
    /// appends `audit_chain_keyed`, whose keyed link covers the last unkeyed link, so that
    /// rewriting or cutting short the unkeyed part breaks a link only the key's holder can
    /// make. Nothing to do for a chain already keyed or still empty. `true` if written.
    pub async fn key_the_audit_chain(&self) -> DeskResult<bool> {
        let head = self.store.audit_chain_head().await?;
        if head.last_id != head.keyed_after || head.last_id == head.starts_after {
            return Ok(false);
        }
        let detail = format!(
            "links are HMAC-SHA-256 under the audit key from here on; this one covers event {}'s SHA-256 link {}",
            head.last_id,
            hex(&head.last_hash)
        );
        self.store.append_audit(&[NewAuditEvent::new(self.now(), AuditAction::AuditChainKeyed).detail(detail)]).await?;
        Ok(true)
    }

    /// The key this service links the events it writes under, with the keys it retired.
    pub fn audit_key(&self) -> &AuditKey {
        self.store.audit_key()
    }

    /// Rotates the audit key, for admin-level staff (`helpdesk audit rotate-key`): checks the
    /// whole chain under the current key and the ones it retired, and then appends
    /// `audit_key_rotated` by the admin, linked under `rotated`'s new key, covering the last
    /// link under the old one. `rotated` is `self.audit_key().rotated()`, already written
    /// beside the key file; the caller puts it in place once this returns, before any
    /// process writes under the old key again. A broken chain is refused, audited, and
    /// nothing is rotated (`DeskError::ChainBroken`, naming the first break).
    pub async fn rotate_audit_key(&self, session: &Session, rotated: &AuditKey) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let attempted = AuditAction::AuditKeyRotated;
        self.audited(&actor, None, attempted, access::may_administer(&actor)).await?;
        let report = self.verify_audit_chain().await?;
        let intact = report.broken.map_or(Ok(()), |at| Err(DeskError::ChainBroken(at)));
        self.audited(&actor, None, attempted, intact).await?;
        let head = self.store.audit_chain_head().await?;
        let detail = format!(
            "links are HMAC-SHA-256 under a new audit key from here on, {} retired; this one covers event {}'s link {}",
            rotated.retired(),
            head.last_id,
            hex(&head.last_hash)
        );
        let event = NewAuditEvent::new(self.now(), attempted).actor(actor.id, &actor.username).detail(detail);
        self.store.append_audit_under(rotated, &[event]).await?;
        tracing::warn!(actor = %actor.username.escape_debug(), retired = rotated.retired(), "audit key rotated");
        Ok(())
    }

    /// One page of the audit log for `helpdesk audit export`, for admin-level staff:
    /// matching events with an id above `after`, oldest first.
    pub async fn export_audit_as(
        &self,
        session: &Session,
        filter: &AuditFilter,
        after: i64,
        limit: i64,
    ) -> DeskResult<Vec<AuditEvent>> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::AuditExported, access::may_administer(&actor)).await?;
        Ok(self.store.audit_events(filter, after, limit).await?)
    }
}
