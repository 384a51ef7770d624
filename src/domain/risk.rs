//! What the database knows that should make an agent careful before generating codes:
//! each signal is present only when true. The warning shows them above the identity
//! check; the store computes them in one query.

use crate::domain::two_person::RecordedChange;

/// Codes generated for this user in the last day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentCodes {
    pub by: String,
    pub at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskSignals {
    /// Email and phone changes in the last week, newest first, whoever made them.
    pub contact_changes: Vec<RecordedChange>,
    pub recent_codes: Option<RecentCodes>,
    /// Failed redemptions since the last success or new batch.
    pub failed_redemptions: i64,
    /// The user's backup codes are locked until then.
    pub codes_locked_until: Option<i64>,
    pub staff_target: bool,
    pub email_permitted: bool,
}

impl RiskSignals {
    /// How far back a contact change counts as a signal.
    pub const CONTACT_WINDOW_SECS: i64 = 7 * 86_400;
    /// How far back an earlier generation counts as a signal.
    pub const CODES_WINDOW_SECS: i64 = 86_400;

    pub fn any(&self) -> bool {
        self != &Self::default()
    }
}
