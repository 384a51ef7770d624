//! Staff and users as the domain's own tests build them.

use crate::domain::access::{Permission, Staff};
use crate::domain::user::{Enrolment, StaffRole, User, UserId, UserKind};

/// `s{id}`, with the code permission.
pub fn staff(id: UserId, role: StaffRole) -> Staff {
    Staff { id, username: format!("s{id}"), role, permissions: vec![Permission::GenerateLockoutCodes] }
}

/// `u{id}`, Ann Lee, enrolled, with no email or phone.
pub fn user(id: UserId, kind: UserKind, role: Option<StaffRole>) -> User {
    User {
        id,
        kind,
        username: format!("u{id}"),
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        email: String::new(),
        phone: String::new(),
        phone_form: Default::default(),
        enrolment: Enrolment::Enrolled,
        role,
        created_at: 0,
    }
}
