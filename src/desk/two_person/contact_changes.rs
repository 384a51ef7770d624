//! Contact changes another writer made (Digital Banking, a script): the triggers record
//! them; the help desk audits each and tells the old and the new address.

use std::future::Future;
use std::time::Duration;

use crate::desk::{DeskResult, HelpDesk};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::notice::Notice;
use crate::domain::two_person::ContactField;
use crate::texts::texts;

/// How often `helpdesk serve` and `helpdesk watch` look for contact changes other systems
/// made: one indexed read (`contact_changes` where not handled) a round.
pub const OUTSIDE_CHANGES_EVERY: Duration = Duration::from_secs(2);

impl HelpDesk {
    /// Every contact change another writer made, handled (`handle_outside_changes`), a
    /// hundred at a time: what `helpdesk migrate` runs. Returns how many.
    pub async fn handle_all_outside_changes(&self) -> DeskResult<u64> {
        let mut total = 0;
        loop {
            let n = self.handle_outside_changes().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// Writes the audit event and the notices to the old addresses of every contact change
    /// another writer made (Digital Banking, a script): the triggers recorded it, this
    /// tells about it. Run before every search, detail and generation, and by
    /// `helpdesk migrate`; a change is handled once, whichever process gets there first.
    pub async fn handle_outside_changes(&self) -> DeskResult<u64> {
        let mut handled = 0;
        for change in self.store.unhandled_contact_changes(100).await? {
            let Some(user) = self.store.user(change.user_id).await? else { continue };
            let audit = NewAuditEvent::new(change.at, AuditAction::ContactDetailsChanged)
                .target(user.id, &user.username)
                .detail(change.audit_detail());
            let audit = NewAuditEvent { actor: "another writer (outside helpdesk)".into(), ..audit };
            // The old address of the field that changed is told (the owner, if this is a
            // takeover), and the new one; the other field's address may be the attacker's
            // by now, so it is not the one warned.
            let t = &texts().notifications;
            let channel = match change.field {
                ContactField::Email => "email",
                ContactField::Phone => "sms",
            };
            let notice = |address: &str, body: &str| Notice {
                user_id: user.id,
                channel,
                address: address.to_owned(),
                kind: "contact_details_changed",
                body: body.to_owned(),
            };
            let notices: Vec<Notice> =
                // Said as another system's change: the customer's own through Digital Banking, or
                // not theirs at all; never "our help desk", which did not make it.
                [
                    notice(&change.old_value, &t.contact_changed_old_outside),
                    notice(&change.new_value, &t.contact_changed_new_outside),
                ]
                    .into_iter()
                    .filter(|n| !n.address.trim().is_empty())
                    .collect();
            if self.store.handle_contact_change(change.id, &[audit], &notices).await? {
                handled += 1;
                tracing::warn!(user = %user.username.escape_debug(), field = change.field.as_str(), "contact detail changed outside helpdesk");
            }
        }
        Ok(handled)
    }

    /// Handles other writers' contact changes (`handle_outside_changes`) every `every`
    /// until `stop` completes: what `helpdesk serve` and `helpdesk watch` run, so that the
    /// audit event and the notices follow within seconds whether or not anyone is using the
    /// help desk. A failed round (the database briefly unreachable) is logged and retried;
    /// several processes may run it at once, and each change is still handled once.
    pub async fn watch_outside_changes(&self, every: Duration, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            match self.handle_outside_changes().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(handled = n, "contact changes made outside helpdesk handled"),
                Err(e) => tracing::warn!("handling contact changes made outside helpdesk failed: {e}"),
            }
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}
