//! The two-person rule, as the service applies it: the weighing of a request
//! (`weighing`), contact changes made outside helpdesk (`contact_changes`), and requests
//! with their approvals (`approvals`). The rules themselves are `domain::two_person`;
//! the storing transaction checks again what can change meanwhile (`Store::store_batch`).

mod approvals;
mod contact_changes;
mod weighing;

pub use contact_changes::OUTSIDE_CHANGES_EVERY;
pub use weighing::{SignalFacts, Weighed, signals};
