//! Who may do what to whom. Every refusal is a value with a sentence a person understands;
//! the UI shows it, and the service checks it before it touches the store.

use crate::domain::user::{StaffRole, User, UserId, UserKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// "Can generate lockout codes user", in the source procedure's words.
    GenerateLockoutCodes,
}

impl Permission {
    pub const ALL: [Permission; 1] = [Permission::GenerateLockoutCodes];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::GenerateLockoutCodes => "generate_lockout_codes",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Permission::GenerateLockoutCodes => "Can generate lockout codes user",
        }
    }
}

/// A signed-in member of staff, as the rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: UserId,
    pub username: String,
    pub role: StaffRole,
    pub permissions: Vec<Permission>,
}

impl Staff {
    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
    pub fn is_admin(&self) -> bool {
        self.role == StaffRole::Admin
    }
}

/// A member of staff as the Staff pane lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub user: User,
    pub staff: Staff,
    pub disabled: bool,
    /// Their sign-in is locked until then.
    pub login_locked_until: Option<i64>,
    pub last_sign_in: Option<i64>,
    pub open_sessions: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Nobody may generate or revoke backup codes for their own account.")]
    OwnAccount,
    #[error("You do not have the permission \"Can generate lockout codes user\".")]
    MissingPermission,
    #[error("Only admin-level staff may generate or revoke backup codes for other staff users.")]
    StaffTargetNeedsAdmin,
    #[error("Only admin-level staff may do this.")]
    AdminOnly,
    #[error("Staff profiles are edited by admin-level staff; you may change your own password.")]
    StaffProfile,
    #[error("Nobody may change their own role, permission or status.")]
    OwnPermissions,
    #[error("That user is not a member of staff.")]
    NotStaff,
    #[error("This institution does not permit backup codes as a two-factor method (Institution Settings).")]
    BackupCodesNotPermitted,
    #[error("This is the last enabled admin-level member of staff: make another admin first.")]
    LastAdmin,
    #[error("You changed this user's email or phone within the cool-off: another admin must override it.")]
    OwnContactChange,
    #[error("This account is your own (it shares your email or phone, or an admin linked it to you).")]
    OwnLinkedIdentity,
    #[error("Nobody may approve their own request: another admin must.")]
    OwnRequest,
    #[error("Nobody edits their own profile here: another admin does (your password: Ctrl+P).")]
    OwnProfile,
    #[error("Nobody approves or declines a grant they asked for: another admin must.")]
    OwnGrantRequest,
    #[error("Nobody approves or declines a grant to themselves: another admin must.")]
    GrantToSelf,
    #[error("The database's owner stands in for the second admin only while a single admin is enabled.")]
    OwnerOnlyWithOneAdmin,
}

/// Generating (and revoking) backup codes: agents for customers; admin-level staff for
/// customers and other staff; both need the permission; nobody for themselves.
pub fn may_manage_codes(actor: &Staff, target: &User) -> Result<(), Refusal> {
    if actor.id == target.id {
        return Err(Refusal::OwnAccount);
    }
    if !actor.has(Permission::GenerateLockoutCodes) {
        return Err(Refusal::MissingPermission);
    }
    if target.kind == UserKind::Staff && !actor.is_admin() {
        return Err(Refusal::StaffTargetNeedsAdmin);
    }
    Ok(())
}

/// Any staff may edit a customer's profile; staff profiles are for admins; nobody edits
/// their own.
pub fn may_edit_profile(actor: &Staff, target: &User) -> Result<(), Refusal> {
    // One's own email and phone are what links one to one's own customer account.
    if actor.id == target.id {
        return Err(Refusal::OwnProfile);
    }
    if target.kind == UserKind::Staff && !actor.is_admin() {
        return Err(Refusal::StaffProfile);
    }
    Ok(())
}

/// Institution settings and the audit log.
pub fn may_administer(actor: &Staff) -> Result<(), Refusal> {
    if actor.is_admin() { Ok(()) } else { Err(Refusal::AdminOnly) }
}

/// Granting or removing a permission: admins, on someone else.
pub fn may_change_permissions(actor: &Staff, target: &User) -> Result<(), Refusal> {
    may_administer(actor)?;
    if actor.id == target.id {
        return Err(Refusal::OwnPermissions);
    }
    Ok(())
}

/// What an admin may change about a member of staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChange {
    Grant(Permission),
    Withdraw(Permission),
    Promote,
    Demote,
    Disable,
    Enable,
    /// Lift a sign-in lock.
    Unlock,
    /// End every open session.
    EndSessions,
    /// Clear their authenticator secret and end their sessions: they enrol again at the
    /// next sign-in. A grant (it lets whoever holds the password enrol a new device).
    ResetFactor,
    /// Bind an SSH key: a session that authenticated with it stands for their
    /// authenticator code, and they sign in only from such sessions. A grant.
    BindKey(crate::domain::second_factor::KeyFingerprint),
}

impl StaffChange {
    /// Whether the change can leave the institution without an enabled admin.
    pub fn removes_an_admin(self) -> bool {
        matches!(self, StaffChange::Demote | StaffChange::Disable)
    }
}

/// Changing a member of staff (role, permission, status, lock, sessions): admins only,
/// never on themselves, and never taking away the last enabled admin. `enabled_admins`
/// counts the enabled admin-level staff now; `target_enabled` says whether the target is
/// one of them (demoting a disabled admin takes nobody away).
pub fn may_change_staff(
    actor: &Staff,
    target: &User,
    target_enabled: bool,
    change: StaffChange,
    enabled_admins: i64,
) -> Result<(), Refusal> {
    may_administer(actor)?;
    if target.kind != UserKind::Staff {
        return Err(Refusal::NotStaff);
    }
    if actor.id == target.id {
        return Err(Refusal::OwnPermissions);
    }
    if change.removes_an_admin() && target.role == Some(StaffRole::Admin) && target_enabled && enabled_admins <= 1 {
        return Err(Refusal::LastAdmin);
    }
    Ok(())
}

pub use crate::domain::two_person::CoolOff;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{staff, user};

    #[test]
    fn staff_changes_are_for_admins_on_others_and_keep_an_admin() {
        let admin = staff(1, StaffRole::Admin);
        let other_admin = user(2, UserKind::Staff, Some(StaffRole::Admin));
        let agent = user(3, UserKind::Staff, Some(StaffRole::Agent));
        let customer = user(4, UserKind::Customer, None);
        let me = user(1, UserKind::Staff, Some(StaffRole::Admin));
        assert_eq!(may_change_staff(&admin, &agent, true, StaffChange::Disable, 1), Ok(()));
        assert_eq!(may_change_staff(&admin, &other_admin, true, StaffChange::Demote, 2), Ok(()));
        assert_eq!(may_change_staff(&admin, &other_admin, true, StaffChange::Disable, 1), Err(Refusal::LastAdmin));
        // A disabled admin is not one of the enabled: demoting them takes nobody away.
        assert_eq!(may_change_staff(&admin, &other_admin, false, StaffChange::Demote, 1), Ok(()));
        assert_eq!(may_change_staff(&admin, &other_admin, true, StaffChange::Unlock, 1), Ok(()));
        assert_eq!(may_change_staff(&admin, &me, true, StaffChange::Disable, 5), Err(Refusal::OwnPermissions));
        assert_eq!(may_change_staff(&admin, &me, true, StaffChange::EndSessions, 5), Err(Refusal::OwnPermissions));
        assert_eq!(may_change_staff(&admin, &customer, true, StaffChange::Disable, 5), Err(Refusal::NotStaff));
        let agent_actor = staff(3, StaffRole::Agent);
        assert_eq!(may_change_staff(&agent_actor, &other_admin, true, StaffChange::Unlock, 2), Err(Refusal::AdminOnly));
    }
}
