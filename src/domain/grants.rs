//! Granting power takes two (DESIGN.md, "No single person…"): a new admin, the permission
//! "Can generate lockout codes user", making an agent an admin and re-enabling a disabled
//! account are asked for by one admin and take effect only when a second admin approves:
//! never the one who asked, never the subject. Taking power away (withdrawing, demoting,
//! disabling) stays immediate. Only an empty database takes its first admin from one
//! person; while a database has a single enabled admin, the database's owner (who runs
//! `helpdesk migrate`) stands in as the second person for a pending grant.

use crate::domain::access::{Permission, Refusal, Staff, StaffChange};
use crate::domain::second_factor::KeyFingerprint;
use crate::domain::user::{User, UserId, UserKind};

/// How long a grant waits for its second admin before it expires, in seconds (3 days: a
/// weekend, and not a standing invitation).
pub const GRANT_WAITS_SECS: i64 = 3 * 24 * 3600;

/// What a grant gives its subject once approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantKind {
    /// Admin-level staff (a new admin, or an agent made one).
    AdminRole,
    /// A permission, today "Can generate lockout codes user".
    Permission(Permission),
    /// A disabled account may sign in again.
    Reenable,
    /// A member of staff's authenticator is forgotten; they enrol again.
    FactorReset,
    /// An SSH key stands for their second factor.
    SshKey(KeyFingerprint),
}

impl GrantKind {
    /// The stored kind (`grant_requests.kind`, a closed set the schema checks), and the
    /// permission's name for `Permission`.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::AdminRole => "admin_role",
            GrantKind::Permission(_) => "permission",
            GrantKind::Reenable => "reenable",
            GrantKind::FactorReset => "factor_reset",
            GrantKind::SshKey(_) => "ssh_key",
        }
    }
    pub fn permission(self) -> Option<Permission> {
        match self {
            GrantKind::Permission(p) => Some(p),
            _ => None,
        }
    }
    /// The key an `SshKey` grant binds.
    pub fn key(self) -> Option<KeyFingerprint> {
        match self {
            GrantKind::SshKey(key) => Some(key),
            _ => None,
        }
    }
    /// The stored kind, permission and key read back; `None` for anything else.
    pub fn parse(kind: &str, permission: Option<&str>, key: Option<&str>) -> Option<Self> {
        match (kind, permission, key) {
            ("admin_role", None, None) => Some(GrantKind::AdminRole),
            ("reenable", None, None) => Some(GrantKind::Reenable),
            ("factor_reset", None, None) => Some(GrantKind::FactorReset),
            ("permission", Some(p), None) => Permission::parse(p).map(GrantKind::Permission),
            ("ssh_key", None, Some(k)) => KeyFingerprint::parse(k).map(GrantKind::SshKey),
            _ => None,
        }
    }
    /// The change an approval applies.
    pub fn change(self) -> StaffChange {
        match self {
            GrantKind::AdminRole => StaffChange::Promote,
            GrantKind::Permission(p) => StaffChange::Grant(p),
            GrantKind::Reenable => StaffChange::Enable,
            GrantKind::FactorReset => StaffChange::ResetFactor,
            GrantKind::SshKey(key) => StaffChange::BindKey(key),
        }
    }
    /// The grant a staff change asks for, when it gives power; `None` for a change that
    /// takes effect at once (withdrawing, demoting, disabling, unlocking, ending sessions).
    pub fn of_change(change: StaffChange) -> Option<Self> {
        match change {
            StaffChange::Promote => Some(GrantKind::AdminRole),
            StaffChange::Grant(p) => Some(GrantKind::Permission(p)),
            StaffChange::Enable => Some(GrantKind::Reenable),
            StaffChange::ResetFactor => Some(GrantKind::FactorReset),
            StaffChange::BindKey(key) => Some(GrantKind::SshKey(key)),
            StaffChange::Withdraw(_)
            | StaffChange::Demote
            | StaffChange::Disable
            | StaffChange::Unlock
            | StaffChange::EndSessions => None,
        }
    }
    /// What it gives, in a sentence's words.
    pub fn words(self) -> String {
        match self {
            GrantKind::AdminRole => "admin-level role".into(),
            GrantKind::Permission(p) => format!("permission \"{}\"", p.label()),
            GrantKind::Reenable => "re-enabling the account".into(),
            GrantKind::FactorReset => "a new authenticator (second factor reset)".into(),
            GrantKind::SshKey(key) => format!("the SSH key {} as their second factor", key.openssh()),
        }
    }
}

/// The state of a grant request. `Approved` means applied: the approval and the change are
/// one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantState {
    Pending,
    Approved,
    Declined,
    /// The admin who asked took it back.
    Withdrawn,
    Expired,
}

impl GrantState {
    pub const ALL: [GrantState; 5] =
        [GrantState::Pending, GrantState::Approved, GrantState::Declined, GrantState::Withdrawn, GrantState::Expired];
    pub fn as_str(self) -> &'static str {
        match self {
            GrantState::Pending => "pending",
            GrantState::Approved => "approved",
            GrantState::Declined => "declined",
            GrantState::Withdrawn => "withdrawn",
            GrantState::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Who decided a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decider {
    /// A second admin, as (id, username).
    Admin(UserId, String),
    /// The database's owner, while the database had a single enabled admin.
    Owner,
}

/// A grant request, as the Approvals pane and `helpdesk grants list` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRequest {
    pub id: i64,
    pub kind: GrantKind,
    pub subject_id: UserId,
    pub subject: String,
    pub subject_name: String,
    pub asked_by_id: UserId,
    pub asked_by: String,
    pub asked_at: i64,
    /// A pending grant expires then (Unix seconds).
    pub expires_at: i64,
    pub state: GrantState,
    pub decided_by: Option<Decider>,
    pub decided_at: Option<i64>,
    /// A decline's reason.
    pub decision_note: Option<String>,
}

/// Asking for a grant: an admin, for another member of staff.
pub fn may_ask(actor: &Staff, subject: &User) -> Result<(), Refusal> {
    if !actor.is_admin() {
        return Err(Refusal::AdminOnly);
    }
    if subject.kind != UserKind::Staff {
        return Err(Refusal::NotStaff);
    }
    if actor.id == subject.id {
        return Err(Refusal::OwnPermissions);
    }
    Ok(())
}

/// Approving or declining a grant: an enabled admin (the caller reads `actor` from the
/// enabled staff), neither the one who asked nor the subject.
pub fn may_decide(actor: &Staff, grant: &GrantRequest) -> Result<(), Refusal> {
    if !actor.is_admin() {
        return Err(Refusal::AdminOnly);
    }
    if actor.id == grant.asked_by_id {
        return Err(Refusal::OwnGrantRequest);
    }
    if actor.id == grant.subject_id {
        return Err(Refusal::GrantToSelf);
    }
    Ok(())
}

/// The database's owner may stand in for the second admin only while exactly one admin is
/// enabled (the first admin's second): from the second admin on, grants need two admins.
pub fn owner_may_decide(enabled_admins: i64) -> Result<(), Refusal> {
    if enabled_admins == 1 { Ok(()) } else { Err(Refusal::OwnerOnlyWithOneAdmin) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{staff, user};
    use crate::domain::user::StaffRole;

    fn grant(asked_by: UserId, subject: UserId) -> GrantRequest {
        GrantRequest {
            id: 1,
            kind: GrantKind::AdminRole,
            subject_id: subject,
            subject: "x".into(),
            subject_name: "X".into(),
            asked_by_id: asked_by,
            asked_by: "a".into(),
            asked_at: 0,
            expires_at: GRANT_WAITS_SECS,
            state: GrantState::Pending,
            decided_by: None,
            decided_at: None,
            decision_note: None,
        }
    }

    #[test]
    fn a_grant_is_decided_by_a_third_person() {
        let (ada, ben, new) = (staff(1, StaffRole::Admin), staff(2, StaffRole::Admin), staff(3, StaffRole::Admin));
        let asked = grant(ada.id, new.id);
        assert_eq!(may_decide(&ada, &asked), Err(Refusal::OwnGrantRequest));
        assert_eq!(may_decide(&new, &asked), Err(Refusal::GrantToSelf));
        assert_eq!(may_decide(&staff(4, StaffRole::Agent), &asked), Err(Refusal::AdminOnly));
        assert_eq!(may_decide(&ben, &asked), Ok(()));
    }

    #[test]
    fn only_admins_ask_and_never_for_themselves_or_customers() {
        let ada = staff(1, StaffRole::Admin);
        assert_eq!(may_ask(&ada, &user(1, UserKind::Staff, Some(StaffRole::Admin))), Err(Refusal::OwnPermissions));
        assert_eq!(may_ask(&ada, &user(5, UserKind::Customer, None)), Err(Refusal::NotStaff));
        assert_eq!(may_ask(&staff(2, StaffRole::Agent), &user(3, UserKind::Staff, None)), Err(Refusal::AdminOnly));
        assert_eq!(may_ask(&ada, &user(3, UserKind::Staff, Some(StaffRole::Agent))), Ok(()));
    }

    #[test]
    fn the_owner_stands_in_only_beside_a_single_admin() {
        assert_eq!(owner_may_decide(1), Ok(()));
        assert_eq!(owner_may_decide(2), Err(Refusal::OwnerOnlyWithOneAdmin));
        assert_eq!(owner_may_decide(0), Err(Refusal::OwnerOnlyWithOneAdmin));
    }

    #[test]
    fn every_power_giving_change_is_a_grant_and_reads_back() {
        for change in [
            StaffChange::Promote,
            StaffChange::Grant(Permission::GenerateLockoutCodes),
            StaffChange::Enable,
            StaffChange::ResetFactor,
            StaffChange::BindKey(KeyFingerprint([3; 32])),
        ] {
            let kind = GrantKind::of_change(change).expect("gives power");
            assert_eq!(kind.change(), change);
            let key = kind.key().map(|k| k.hex());
            assert_eq!(
                GrantKind::parse(kind.as_str(), kind.permission().map(Permission::as_str), key.as_deref()),
                Some(kind)
            );
        }
        for change in [StaffChange::Demote, StaffChange::Disable, StaffChange::Unlock, StaffChange::EndSessions] {
            assert_eq!(GrantKind::of_change(change), None);
        }
        assert_eq!(GrantKind::parse("permission", Some("root"), None), None);
        assert_eq!(GrantKind::parse("admin_role", Some("generate_lockout_codes"), None), None);
        assert_eq!(GrantKind::parse("ssh_key", None, Some("not hex")), None);
    }
}
