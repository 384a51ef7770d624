//! No single person, and no single recent change, can hand out a working code
//! (DESIGN.md). This module holds the rules; the service applies them before it writes,
//! and the storing transaction checks again what can change meanwhile.
//!
//! - **Contact changes** come from the `contact_changes` table, which triggers fill for
//!   every writer ([`RecordedChange`]).
//! - **Identity checks** are weighed against them ([`check_available`]): a call-back to a
//!   number that changed within the cool-off verifies nothing.
//! - **The two-person rule** ([`reasons`]) lists why a request waits for a second admin,
//!   and [`may_approve`] says who that admin may be.
//! - **Velocity** ([`Velocity`], [`VelocityLimits`]) and **linked identities**
//!   ([`links`]) feed both.

mod contact;
mod links;
mod requests;
mod velocity;

pub use contact::*;
pub use links::*;
pub use requests::*;
pub use velocity::*;

#[cfg(test)]
mod tests;
