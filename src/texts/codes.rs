//! The sentences of issuing and revoking codes: the warning, the codes screen, the
//! two-person rule's requests and approvals, and the notices sent to customers.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warning {
    pub title: String,
    pub body: String,
    pub choose: String,
    pub note: String,
    pub note_short: String,
    pub confirm_hint: String,
    pub note_hint: String,
    pub cancel: String,
    pub generate: String,
    pub signals: String,
    pub signal_contact: String,
    pub signal_codes: String,
    pub signal_failures: String,
    pub signal_locked: String,
    pub signal_staff: String,
    pub signal_email: String,
    pub signal_override: String,
    pub signal_link: String,
    pub signal_velocity: String,
    pub signal_user_velocity: String,
    pub request: String,
    pub needs_second: String,
    pub request_hint: String,
    pub not_offered: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codes {
    pub guidance: String,
    pub leave: String,
    pub masked: String,
    pub heading: String,
    pub read_out: String,
    pub hides_in: String,
    pub expire: String,
    pub no_expiry: String,
    pub wiped_by_lock: String,
    pub leave_title: String,
    pub stay: String,
    pub leave_and_wipe: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    pub title: String,
    pub body: String,
    pub cancel: String,
    pub revoke: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoFactor {
    pub email_permitted: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approvals {
    pub second_title: String,
    pub revoke_all_hint: String,
    pub revoke_all_title: String,
    pub revoke_all_body: String,
    pub revoke_all: String,
    pub revoked_all: String,
    pub link_title: String,
    pub link_body: String,
    pub link: String,
    pub link_label: String,
    pub link_hint: String,
    pub linked: String,
    pub second_on: String,
    pub second_off: String,
    pub second_saved: String,
    pub title: String,
    pub header_count: String,
    pub empty: String,
    pub loading: String,
    pub row: String,
    pub requester: String,
    pub target: String,
    pub check: String,
    pub note: String,
    pub reasons: String,
    pub signals: String,
    pub created: String,
    pub state_pending: String,
    pub state_approved: String,
    pub reason_label: String,
    pub reason_hint: String,
    pub approve_title: String,
    pub approve_body: String,
    pub approve: String,
    pub approve_grant_title: String,
    pub approve_grant_body: String,
    pub decline_grant_body: String,
    pub grant_approved: String,
    pub grant_declined: String,
    pub grant_row: String,
    pub grant_title: String,
    pub gives: String,
    pub expires: String,
    pub grant_rule: String,
    pub decline_title: String,
    pub decline_body: String,
    pub decline: String,
    pub withdraw_title: String,
    pub withdraw_body: String,
    pub withdraw: String,
    pub cancel: String,
    pub approved: String,
    pub declined: String,
    pub withdrawn: String,
    pub sent: String,
    pub waiting: String,
    pub waiting_other: String,
    pub approved_mine: String,
    pub declined_mine: String,
    pub generating: String,
    pub deciding: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    pub generated: String,
    pub revoked: String,
    pub redeemed: String,
    /// To the old addresses after a contact change: never names the new ones.
    pub contact_changed_old: String,
    pub contact_changed_new: String,
    /// The same, for a change another system made (Digital Banking, the bank's own tools).
    pub contact_changed_old_outside: String,
    pub contact_changed_new_outside: String,
    pub exhausted: String,
}
