//! What the load examples share: the staff and customers they write.

// Each example takes what it needs of this.
#![allow(dead_code)]

use helpdesk::domain::access::Permission;
use helpdesk::domain::two_person::VelocityLimits;
use helpdesk::domain::user::{Enrolment, StaffRole, UserKind};
use helpdesk::store::NewUser;

/// A member of staff (with the code permission) or a customer, created a day ago. Staff
/// have no phone: a member of staff sharing a customer's phone is that customer (a linked
/// identity), and codes for them would need a second admin.
pub fn person(kind: UserKind, username: String, role: Option<StaffRole>, hash: Option<String>) -> NewUser {
    NewUser {
        kind,
        email: format!("{username}@load.example"),
        phone: if kind == UserKind::Staff { String::new() } else { "+447911123456".into() },
        username,
        first_name: "Load".into(),
        last_name: "Tester".into(),
        enrolment: Enrolment::Registered,
        role,
        password_hash: hash,
        permissions: if role.is_some() { vec![Permission::GenerateLockoutCodes] } else { vec![] },
        devices: vec![],
        created_at: helpdesk::domain::time::now() - 86_400,
    }
}

/// The database under a URL, for statements the store does not make; each example adds
/// the reads it needs in an `impl Raw` of its own.
pub enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    pub async fn open(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            Raw::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
        } else {
            Raw::Postgres(sqlx::PgPool::connect(url).await.unwrap())
        }
    }
}

/// A benchmark issues far more batches than any person: the velocity limits (which would
/// send them to a second admin) are lifted.
pub fn unlimited_velocity() -> VelocityLimits {
    VelocityLimits { per_agent_hour: i64::MAX, per_agent_day: i64::MAX, per_user_day: i64::MAX }
}
