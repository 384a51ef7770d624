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
    #[error("You may not change your own permissions or role.")]
    OwnPermissions,
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

/// Any staff may edit a customer's profile; staff profiles are for admins.
pub fn may_edit_profile(actor: &Staff, target: &User) -> Result<(), Refusal> {
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
