//! The append-only record of high-risk actions. An event names who did what to whom and
//! how identity was verified; it never holds code material.

use serde::Serialize;

use crate::domain::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    BackupCodesGenerated,
    BackupCodesRevoked,
    BackupCodeRedeemed,
    BackupCodeRejected,
    BackupCodesLocked,
    StaffLogin,
    StaffLoginFailed,
    StaffLoginLocked,
    StaffLogout,
    PasswordChanged,
    ProfileUpdated,
    PermittedMethodsChanged,
    PermissionGranted,
    PermissionRevoked,
    StaffCreated,
    StaffDisabled,
    StaffEnabled,
    StaffUnlocked,
    StaffSessionsEnded,
    StaffRoleChanged,
    ContactDetailsChanged,
    CoolOffOverridden,
    ActionRefused,
    BackupCodesExhausted,
    CodesRequested,
    CodeRequestApproved,
    CodeRequestDeclined,
    CodeRequestWithdrawn,
    CodeRequestExpired,
    CodeRequestVoided,
    CodeRequestUsed,
    IdentityLinked,
    SecondPersonRuleChanged,
    AllBackupCodesRevoked,
    AuditExported,
    /// An admin-level screen or list read (staff, settings, the audit log, approvals):
    /// recorded only when refused.
    AdminRead,
    /// A system that calls `helpdesk serve` was given a credential, or lost it.
    ServeClientCreated,
    ServeClientRevoked,
    /// A call to `helpdesk serve` with a missing, wrong or revoked bearer token.
    ServeCallRefused,
    /// The audit chain's links are keyed from this event on (`helpdesk migrate` on a
    /// database whose chain was unkeyed); its link covers the last unkeyed one.
    AuditChainKeyed,
    /// The audit chain's links are keyed under a new key from this event on (`helpdesk
    /// audit rotate-key`), this one's included; its link covers the last one under the
    /// retired key.
    AuditKeyRotated,
    /// An admin asked for a grant (a new admin, the permission, a role, re-enabling).
    GrantRequested,
    /// A second admin (or the owner beside a single admin) approved it; the change itself
    /// is its own event, in the same transaction.
    GrantApproved,
    GrantDeclined,
    GrantWithdrawn,
    GrantExpired,
    /// A member of staff enrolled an authenticator (second factor).
    StaffFactorEnrolled,
    /// An approved reset cleared it; they enrol again.
    StaffFactorReset,
    /// A session proved its factor again before a risky action (step-up).
    StaffSteppedUp,
    /// An SSH key was bound to a member of staff as their second factor.
    StaffKeyBound,
}

impl AuditAction {
    pub const ALL: [AuditAction; 50] = [
        AuditAction::BackupCodesGenerated,
        AuditAction::BackupCodesRevoked,
        AuditAction::BackupCodeRedeemed,
        AuditAction::BackupCodeRejected,
        AuditAction::BackupCodesLocked,
        AuditAction::StaffLogin,
        AuditAction::StaffLoginFailed,
        AuditAction::StaffLoginLocked,
        AuditAction::StaffLogout,
        AuditAction::PasswordChanged,
        AuditAction::ProfileUpdated,
        AuditAction::PermittedMethodsChanged,
        AuditAction::PermissionGranted,
        AuditAction::PermissionRevoked,
        AuditAction::StaffCreated,
        AuditAction::StaffDisabled,
        AuditAction::StaffEnabled,
        AuditAction::StaffUnlocked,
        AuditAction::StaffSessionsEnded,
        AuditAction::StaffRoleChanged,
        AuditAction::ContactDetailsChanged,
        AuditAction::CoolOffOverridden,
        AuditAction::ActionRefused,
        AuditAction::BackupCodesExhausted,
        AuditAction::CodesRequested,
        AuditAction::CodeRequestApproved,
        AuditAction::CodeRequestDeclined,
        AuditAction::CodeRequestWithdrawn,
        AuditAction::CodeRequestExpired,
        AuditAction::CodeRequestVoided,
        AuditAction::CodeRequestUsed,
        AuditAction::IdentityLinked,
        AuditAction::SecondPersonRuleChanged,
        AuditAction::AllBackupCodesRevoked,
        AuditAction::AuditExported,
        AuditAction::AdminRead,
        AuditAction::ServeClientCreated,
        AuditAction::ServeClientRevoked,
        AuditAction::ServeCallRefused,
        AuditAction::AuditChainKeyed,
        AuditAction::AuditKeyRotated,
        AuditAction::GrantRequested,
        AuditAction::GrantApproved,
        AuditAction::GrantDeclined,
        AuditAction::GrantWithdrawn,
        AuditAction::GrantExpired,
        AuditAction::StaffFactorEnrolled,
        AuditAction::StaffFactorReset,
        AuditAction::StaffSteppedUp,
        AuditAction::StaffKeyBound,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::BackupCodesGenerated => "backup_codes_generated",
            AuditAction::BackupCodesRevoked => "backup_codes_revoked",
            AuditAction::BackupCodeRedeemed => "backup_code_redeemed",
            AuditAction::BackupCodeRejected => "backup_code_rejected",
            AuditAction::BackupCodesLocked => "backup_codes_locked",
            AuditAction::StaffLogin => "staff_login",
            AuditAction::StaffLoginFailed => "staff_login_failed",
            AuditAction::StaffLoginLocked => "staff_login_locked",
            AuditAction::StaffLogout => "staff_logout",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::ProfileUpdated => "profile_updated",
            AuditAction::PermittedMethodsChanged => "permitted_methods_changed",
            AuditAction::PermissionGranted => "permission_granted",
            AuditAction::PermissionRevoked => "permission_revoked",
            AuditAction::StaffCreated => "staff_created",
            AuditAction::StaffDisabled => "staff_disabled",
            AuditAction::StaffEnabled => "staff_enabled",
            AuditAction::StaffUnlocked => "staff_unlocked",
            AuditAction::StaffSessionsEnded => "staff_sessions_ended",
            AuditAction::StaffRoleChanged => "staff_role_changed",
            AuditAction::ContactDetailsChanged => "contact_details_changed",
            AuditAction::CoolOffOverridden => "cool_off_overridden",
            AuditAction::ActionRefused => "action_refused",
            AuditAction::BackupCodesExhausted => "backup_codes_exhausted",
            AuditAction::CodesRequested => "codes_requested",
            AuditAction::CodeRequestApproved => "code_request_approved",
            AuditAction::CodeRequestDeclined => "code_request_declined",
            AuditAction::CodeRequestWithdrawn => "code_request_withdrawn",
            AuditAction::CodeRequestExpired => "code_request_expired",
            AuditAction::CodeRequestVoided => "code_request_voided",
            AuditAction::CodeRequestUsed => "code_request_used",
            AuditAction::IdentityLinked => "identity_linked",
            AuditAction::SecondPersonRuleChanged => "second_person_rule_changed",
            AuditAction::AllBackupCodesRevoked => "all_backup_codes_revoked",
            AuditAction::AuditExported => "audit_exported",
            AuditAction::AdminRead => "admin_read",
            AuditAction::ServeClientCreated => "serve_client_created",
            AuditAction::ServeClientRevoked => "serve_client_revoked",
            AuditAction::ServeCallRefused => "serve_call_refused",
            AuditAction::AuditChainKeyed => "audit_chain_keyed",
            AuditAction::AuditKeyRotated => "audit_key_rotated",
            AuditAction::GrantRequested => "grant_requested",
            AuditAction::GrantApproved => "grant_approved",
            AuditAction::GrantDeclined => "grant_declined",
            AuditAction::GrantWithdrawn => "grant_withdrawn",
            AuditAction::GrantExpired => "grant_expired",
            AuditAction::StaffFactorEnrolled => "staff_factor_enrolled",
            AuditAction::StaffFactorReset => "staff_factor_reset",
            AuditAction::StaffSteppedUp => "staff_stepped_up",
            AuditAction::StaffKeyBound => "staff_key_bound",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// How the agent satisfied themselves that the caller is the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityCheck {
    InPersonPhotoId,
    CallBackNumberOnFile,
    KnowledgeBasedVerification,
    Other,
}

impl IdentityCheck {
    pub const ALL: [IdentityCheck; 4] = [
        IdentityCheck::InPersonPhotoId,
        IdentityCheck::CallBackNumberOnFile,
        IdentityCheck::KnowledgeBasedVerification,
        IdentityCheck::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityCheck::InPersonPhotoId => "in_person_photo_id",
            IdentityCheck::CallBackNumberOnFile => "call_back_number_on_file",
            IdentityCheck::KnowledgeBasedVerification => "knowledge_based_verification",
            IdentityCheck::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// A few words, for narrow places.
    pub fn short_label(self) -> &'static str {
        match self {
            IdentityCheck::InPersonPhotoId => "photo ID, in person",
            IdentityCheck::CallBackNumberOnFile => "call-back to number on file",
            IdentityCheck::KnowledgeBasedVerification => "account details on a call",
            IdentityCheck::Other => "other (see note)",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            IdentityCheck::InPersonPhotoId => "In person, with government photo ID",
            IdentityCheck::CallBackNumberOnFile => "Called back on the phone number on file",
            IdentityCheck::KnowledgeBasedVerification => "Verified account details over a call",
            IdentityCheck::Other => "Other (describe in the note)",
        }
    }
}

/// The longest note an agent may attach to a generation.
pub const NOTE_MAX: usize = 500;

/// Why a note was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("Choosing \"Other\" needs a note that says how identity was verified.")]
    Required,
    #[error("The note is too long (at most {NOTE_MAX} characters).")]
    TooLong,
    #[error("The note may hold only printable text.")]
    NotText,
    #[error("The note may not hold text-direction controls or line separators (U+2028, U+2029).")]
    Layout,
}

/// How identity was verified, with the agent's note: what a generation records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub check: IdentityCheck,
    pub note: Option<String>,
}

impl IdentityCheck {
    /// The rule for the note that goes with a check: trimmed, bounded, printable, and
    /// required when the check is "Other" (the note is then the only record of how).
    pub fn with_note(self, note: &str) -> Result<VerifiedIdentity, NoteError> {
        let note = note.trim();
        if note.chars().count() > NOTE_MAX {
            return Err(NoteError::TooLong);
        }
        if note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(NoteError::NotText);
        }
        // A direction control would draw the note reversed for the next reader; a line or
        // paragraph separator would split its event for readers that split on them.
        if note.chars().any(|c| crate::domain::text::is_direction_control(c) || matches!(c, '\u{2028}' | '\u{2029}')) {
            return Err(NoteError::Layout);
        }
        if note.is_empty() && self == IdentityCheck::Other {
            return Err(NoteError::Required);
        }
        Ok(VerifiedIdentity { check: self, note: (!note.is_empty()).then(|| note.to_owned()) })
    }
}

/// An event about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub at: i64,
    pub actor_id: Option<UserId>,
    pub actor: String,
    pub target_id: Option<UserId>,
    pub target: String,
    pub action: AuditAction,
    pub identity_check: Option<IdentityCheck>,
    pub note: Option<String>,
    pub code_count: Option<i64>,
    pub expires_at: Option<i64>,
    pub detail: Option<String>,
    /// The batch a generation event records (`backup_codes_generated` only): the store
    /// sets it as it writes the event with its batch, which the database requires
    /// (migration 0022).
    pub batch_id: Option<i64>,
}

impl NewAuditEvent {
    pub fn new(at: i64, action: AuditAction) -> Self {
        Self {
            at,
            actor_id: None,
            actor: String::new(),
            target_id: None,
            target: String::new(),
            action,
            identity_check: None,
            note: None,
            code_count: None,
            expires_at: None,
            detail: None,
            batch_id: None,
        }
    }
    pub fn actor(mut self, id: UserId, username: &str) -> Self {
        self.actor_id = Some(id);
        self.actor = username.to_owned();
        self
    }
    pub fn target(mut self, id: UserId, username: &str) -> Self {
        self.target_id = Some(id);
        self.target = username.to_owned();
        self
    }
    /// Names the system that made the call (a `helpdesk serve` client) at the end of the
    /// detail, so that every redemption's event says who asked.
    pub fn via(mut self, client: Option<&str>) -> Self {
        if let Some(client) = client {
            let via = format!("via serve client {client}");
            self.detail = Some(match self.detail.take() {
                Some(d) if !d.is_empty() => format!("{d}; {via}"),
                _ => via,
            });
        }
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Which events the audit pane or an export asks for; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The actor's username, exactly.
    pub actor: Option<String>,
    /// The target's username, exactly.
    pub target: Option<String>,
    pub action: Option<AuditAction>,
    /// From this instant, inclusive.
    pub since: Option<i64>,
    /// Before this instant.
    pub until: Option<i64>,
}

/// An event as read back, for the audit pane and the SIEM export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    pub at_utc: String,
    pub actor_id: Option<UserId>,
    pub actor: String,
    pub target_id: Option<UserId>,
    pub target: String,
    pub action: String,
    pub identity_check: Option<String>,
    pub note: Option<String>,
    pub code_count: Option<i64>,
    pub expires_at: Option<i64>,
    pub detail: Option<String>,
    /// The batch a generation event records (none for events written before migration 0022).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<i64>,
    /// The event's link in the audit chain, 64 hex digits (`None` before the chain began):
    /// what a SIEM keeps as an anchor for `helpdesk audit verify --anchor ID:HASH`. Not part
    /// of what the chain hashes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_hash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_bounded_and_required_for_other() {
        let photo = IdentityCheck::InPersonPhotoId;
        assert_eq!(photo.with_note("  ").unwrap().note, None);
        assert_eq!(photo.with_note(" seen ID ").unwrap().note.as_deref(), Some("seen ID"));
        assert_eq!(photo.with_note(&"x".repeat(NOTE_MAX + 1)), Err(NoteError::TooLong));
        assert_eq!(photo.with_note("seen\u{1b}[2J ID"), Err(NoteError::NotText));
        assert_eq!(IdentityCheck::Other.with_note(" "), Err(NoteError::Required));
        assert_eq!(photo.with_note("seen \u{202e}DI"), Err(NoteError::Layout));
        assert_eq!(photo.with_note("seen\u{2028}ID"), Err(NoteError::Layout));
        assert_eq!(photo.with_note("seen \u{2067}x\u{2069}"), Err(NoteError::Layout));
        assert!(IdentityCheck::Other.with_note("branch manager vouched").is_ok());
    }
}
