//! The people in the identity database: customers of Digital Banking and bank staff.

use std::fmt;

pub type UserId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    Customer,
    Staff,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Customer => "customer",
            UserKind::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "customer" => Some(UserKind::Customer),
            "staff" => Some(UserKind::Staff),
            _ => None,
        }
    }
}

/// Where a user is in Digital Banking enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolment {
    /// Registered credentials but never completed a 2FA login.
    Registered,
    /// Has logged in with a second factor at least once.
    Enrolled,
}

impl Enrolment {
    pub fn as_str(self) -> &'static str {
        match self {
            Enrolment::Registered => "registered",
            Enrolment::Enrolled => "enrolled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "registered" => Some(Enrolment::Registered),
            "enrolled" => Some(Enrolment::Enrolled),
            _ => None,
        }
    }
}

impl fmt::Display for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Enrolment::Registered => "Registered",
            Enrolment::Enrolled => "Enrolled",
        })
    }
}

/// Staff level. Admin-level staff may act on other staff and edit institution settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    Agent,
    Admin,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Agent => "agent",
            StaffRole::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(StaffRole::Agent),
            "admin" => Some(StaffRole::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub kind: UserKind,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// E.164, for example +447700900123.
    pub phone: String,
    /// The phone's grouping and region as stored beside it (`phone::shown_stored` checks
    /// them); empty when not stored.
    pub phone_form: crate::domain::phone::StoredForm,
    pub enrolment: Enrolment,
    /// Set for staff only.
    pub role: Option<StaffRole>,
    pub created_at: i64,
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
    pub fn is_staff(&self) -> bool {
        self.kind == UserKind::Staff
    }
}

/// A second factor a user has enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub method: crate::domain::institution::TwoFactorMethod,
    pub label: String,
    pub added_at: i64,
}

pub use crate::domain::search::sort_key;
