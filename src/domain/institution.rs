//! The institution's two-factor settings.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TwoFactorMethod {
    Email,
    Sms,
    Voice,
    AuthenticatorApp,
    BackupCodes,
}

impl TwoFactorMethod {
    pub const ALL: [TwoFactorMethod; 5] = [
        TwoFactorMethod::Email,
        TwoFactorMethod::Sms,
        TwoFactorMethod::Voice,
        TwoFactorMethod::AuthenticatorApp,
        TwoFactorMethod::BackupCodes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TwoFactorMethod::Email => "email",
            TwoFactorMethod::Sms => "sms",
            TwoFactorMethod::Voice => "voice",
            TwoFactorMethod::AuthenticatorApp => "authenticator_app",
            TwoFactorMethod::BackupCodes => "backup_codes",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            TwoFactorMethod::Email => "Email",
            TwoFactorMethod::Sms => "SMS text message",
            TwoFactorMethod::Voice => "Voice call",
            TwoFactorMethod::AuthenticatorApp => "Authenticator app",
            TwoFactorMethod::BackupCodes => "Backup codes",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    pub id: i64,
    pub name: String,
    pub permitted: Vec<TwoFactorMethod>,
    /// "Backup codes always need a second person" (the two-person rule for every batch).
    pub second_person_always: bool,
}

impl Institution {
    pub fn permits(&self, method: TwoFactorMethod) -> bool {
        self.permitted.contains(&method)
    }

    /// The source procedure is meant for institutions without email 2FA: where email is
    /// permitted, the user can normally finish enrolment by email instead.
    pub fn email_makes_codes_unusual(&self) -> bool {
        self.permits(TwoFactorMethod::Email)
    }
}

/// Why a change to the permitted methods was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("At least one two-factor method must stay permitted.")]
    NoMethod,
    #[error(
        "{active} users hold active backup codes. Revoke them (or let them expire) before backup codes stop being a permitted method."
    )]
    BackupCodesInUse { active: i64 },
}

/// A new set of permitted methods: never empty, and backup codes stay while anyone holds
/// an active batch (`active_batches`), so that no issued code is stranded.
pub fn check_permitted(methods: &[TwoFactorMethod], active_batches: i64) -> Result<(), SettingsError> {
    if methods.is_empty() {
        return Err(SettingsError::NoMethod);
    }
    if !methods.contains(&TwoFactorMethod::BackupCodes) && active_batches > 0 {
        return Err(SettingsError::BackupCodesInUse { active: active_batches });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permitted_methods_never_empty_nor_strand_active_codes() {
        use TwoFactorMethod::*;
        assert_eq!(check_permitted(&[], 0), Err(SettingsError::NoMethod));
        assert_eq!(check_permitted(&[Sms], 3), Err(SettingsError::BackupCodesInUse { active: 3 }));
        assert!(SettingsError::BackupCodesInUse { active: 3 }.to_string().starts_with("3 users"));
        assert_eq!(check_permitted(&[Sms], 0), Ok(()));
        assert_eq!(check_permitted(&[Sms, BackupCodes], 3), Ok(()));
    }
}
