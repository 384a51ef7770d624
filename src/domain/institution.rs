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
