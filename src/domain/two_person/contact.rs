//! Contact changes, whoever made them, and the cool-off that follows one: a changed email
//! or phone is a takeover signal, and identity checks are weighed against it.

use crate::domain::access::{Refusal, Staff};
use crate::domain::audit::IdentityCheck;
use crate::domain::time::format_utc;
use crate::domain::user::UserId;

/// Which contact detail changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactField {
    Email,
    Phone,
}

impl ContactField {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactField::Email => "email",
            ContactField::Phone => "phone",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(ContactField::Email),
            "phone" => Some(ContactField::Phone),
            _ => None,
        }
    }
}

/// A row of `contact_changes`: one email or phone change, whoever made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedChange {
    pub id: i64,
    pub user_id: UserId,
    pub field: ContactField,
    pub old_value: String,
    pub new_value: String,
    pub at: i64,
    /// The member of staff who made it through helpdesk, as (id, username); `None` when
    /// another system (Digital Banking's profile page, a script) wrote it.
    pub staff: Option<(UserId, String)>,
}

impl RecordedChange {
    pub fn outside_helpdesk(&self) -> bool {
        self.staff.is_none()
    }

    /// Who made it, for a sentence: "helpdesk (ann.admin)" or "outside helpdesk".
    pub fn source(&self) -> String {
        match &self.staff {
            Some((_, username)) => format!("in helpdesk by {username}"),
            None => "outside helpdesk".to_owned(),
        }
    }

    /// The audit detail of a change another writer made: before and after.
    pub fn audit_detail(&self) -> String {
        format!("{}: {:?} -> {:?} ({})", self.field.as_str(), self.old_value, self.new_value, self.source())
    }
}

/// The changes still inside the cool-off at `now`, newest first (`changes` newest first).
pub fn within_cool_off(changes: &[RecordedChange], now: i64, cooloff_secs: i64) -> Vec<&RecordedChange> {
    changes.iter().filter(|c| c.at + cooloff_secs > now).collect()
}

/// How a generation stands against the cool-off after a contact change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoolOff {
    /// No contact change within the cool-off.
    Clear,
    /// Within the cool-off: only as an override a second admin approves; neither the
    /// requester nor the approver made the change.
    Overridden { until: i64 },
}

/// A changed email or phone is a takeover signal: for `cooloff_secs` after the newest
/// change (`changes` newest first), no one person may hand out codes. Whoever may generate
/// may ask for an override, which admin-level staff approve (`reasons`), unless they made
/// one of the changes themselves: an insider who changed the phone must not also ask for,
/// or approve, the codes.
pub fn cool_off(actor: &Staff, changes: &[RecordedChange], now: i64, cooloff_secs: i64) -> Result<CoolOff, Refusal> {
    let recent = within_cool_off(changes, now, cooloff_secs);
    let Some(newest) = recent.first() else { return Ok(CoolOff::Clear) };
    let until = newest.at + cooloff_secs;
    if recent.iter().any(|c| c.staff.as_ref().is_some_and(|(id, _)| *id == actor.id)) {
        return Err(Refusal::OwnContactChange);
    }
    Ok(CoolOff::Overridden { until })
}

/// Whether `check` verifies anything given the contact changes inside the cool-off: a
/// call-back goes to the number on file, which verifies nothing while that number is new.
/// `Err` holds the reason, for the warning to show beside the dimmed choice.
pub fn check_available(check: IdentityCheck, recent: &[&RecordedChange]) -> Result<(), String> {
    match check {
        IdentityCheck::CallBackNumberOnFile => match recent.iter().find(|c| c.field == ContactField::Phone) {
            Some(change) => {
                let (source, at) = (change.source(), format_utc(change.at));
                Err(format!("the phone number changed {source} at {at}: a call-back to it verifies nothing"))
            }
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// A check that proves little on its own: account details can be read off a stolen
/// statement, and "other" is whatever the note says. Either needs a second person.
pub fn is_weak(check: IdentityCheck) -> bool {
    matches!(check, IdentityCheck::KnowledgeBasedVerification | IdentityCheck::Other)
}
