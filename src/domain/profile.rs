//! The profile form's rules, with the source procedure's messages.
//!
//! Names are Unicode letters. A single space, hyphen or apostrophe (' or ’) may join two
//! runs of letters, so "Jean-Luc", "O'Brien", "Mary Ann" and "Zoë" are names, while
//! "--", "O''Brien", "-Ann", "R2D2" and "Ann!" are not. Length counts letters only.

use std::collections::HashSet;
use std::sync::LazyLock;

use zeroize::Zeroizing;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("First name must have at least 2 characters. Numbers and special characters are not allowed.")]
    FirstName,
    #[error("Last name must have at least 1 characters. Numbers and special characters are not allowed.")]
    LastName,
    #[error("Enter a valid email")]
    Email,
    #[error("Enter a valid password: {0}")]
    Password(&'static str),
    #[error("A phone number is written in international form, like +447700900123.")]
    Phone,
    #[error("Username: 3 to 64 characters: lower-case letters, digits, dot, hyphen, underscore.")]
    Username,
}

pub const NAME_MAX: usize = 50;

/// The cleaned name (outer spaces trimmed), if it obeys the name rule with `min` letters.
fn clean_name(raw: &str, min: usize) -> Option<String> {
    let name = raw.trim();
    let mut letters = 0;
    let mut prev_joiner = true; // the start behaves like a joiner: no leading joiner
    for c in name.chars() {
        if c.is_alphabetic() {
            letters += 1;
            prev_joiner = false;
        } else if matches!(c, ' ' | '-' | '\'' | '’') {
            if prev_joiner {
                return None;
            }
            prev_joiner = true;
        } else {
            return None;
        }
    }
    (letters >= min && letters <= NAME_MAX && !prev_joiner).then(|| name.to_owned())
}

pub fn first_name(raw: &str) -> Result<String, ProfileError> {
    clean_name(raw, 2).ok_or(ProfileError::FirstName)
}

pub fn last_name(raw: &str) -> Result<String, ProfileError> {
    clean_name(raw, 1).ok_or(ProfileError::LastName)
}

/// A pragmatic check: one @, a local part, a dotted domain, no spaces. Stored lower-case.
pub fn email(raw: &str) -> Result<String, ProfileError> {
    let e = raw.trim().to_lowercase();
    let Some((local, domain)) = e.split_once('@') else { return Err(ProfileError::Email) };
    let ok = !local.is_empty()
        && e.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(e) } else { Err(ProfileError::Email) }
}

/// E.164: a plus and 8 to 15 digits, the first not 0; spaces, hyphens, dots and brackets
/// typed around them are dropped. An empty phone is allowed (not every user has one).
pub fn phone(raw: &str) -> Result<String, ProfileError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let only_punctuation = raw.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !raw.starts_with('+') || !only_punctuation || !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(ProfileError::Phone);
    }
    Ok(format!("+{digits}"))
}

/// Staff usernames: ASCII so that they read the same on every terminal, stored lower-case.
pub fn username(raw: &str) -> Result<String, ProfileError> {
    let u = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&u.len())
        && u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c));
    if ok { Ok(u) } else { Err(ProfileError::Username) }
}

/// A changed email or phone: the takeover signal. Both old and new values are kept, so
/// that the old addresses can be told and the audit shows before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactChange {
    pub old_email: String,
    pub new_email: String,
    pub old_phone: String,
    pub new_phone: String,
}

impl ContactChange {
    /// The change from the stored contact details to the cleaned new ones, if any.
    pub fn between(old_email: &str, old_phone: &str, new_email: &str, new_phone: &str) -> Option<Self> {
        (old_email != new_email || old_phone != new_phone).then(|| Self {
            old_email: old_email.to_owned(),
            new_email: new_email.to_owned(),
            old_phone: old_phone.to_owned(),
            new_phone: new_phone.to_owned(),
        })
    }

    pub fn email_changed(&self) -> bool {
        self.old_email != self.new_email
    }

    pub fn phone_changed(&self) -> bool {
        self.old_phone != self.new_phone
    }

    /// "email", "phone" or "email and phone".
    pub fn what(&self) -> &'static str {
        match (self.email_changed(), self.phone_changed()) {
            (true, true) => "email and phone",
            (true, false) => "email",
            _ => "phone",
        }
    }

    /// Before → after, for the audit log.
    pub fn audit_detail(&self) -> String {
        let mut parts = Vec::new();
        if self.email_changed() {
            parts.push(format!("email {:?} -> {:?}", self.old_email, self.new_email));
        }
        if self.phone_changed() {
            parts.push(format!("phone {:?} -> {:?}", self.old_phone, self.new_phone));
        }
        parts.join("; ")
    }
}

/// The 30,000 most common passwords of public breach corpora (the list zxcvbn ships),
/// lower-cased, with the long ones our length rule would otherwise let through first.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("../../assets/common-passwords.txt").lines().collect());
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// NIST SP 800-63B style: long enough, not a known-common password, not the username.
pub fn password(candidate: &Zeroizing<String>, username: &str) -> Result<(), ProfileError> {
    let len = candidate.chars().count();
    if len < PASSWORD_MIN {
        return Err(ProfileError::Password("use at least 12 characters"));
    }
    if len > PASSWORD_MAX {
        return Err(ProfileError::Password("use at most 128 characters"));
    }
    let lower = Zeroizing::new(candidate.to_lowercase());
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(ProfileError::Password("it must not contain your username"));
    }
    if COMMON_PASSWORDS.contains(lower.as_str()) {
        return Err(ProfileError::Password("that password is too common"));
    }
    let mut chars = lower.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(ProfileError::Password("it must not repeat one character"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_joiners_are_accepted() {
        for ok in ["Jean-Luc", "O'Brien", "O’Brien", "Mary Ann", "Zoë", "Łukasz", "李雷", "  Ann  "] {
            assert!(first_name(ok).is_ok(), "{ok} should be a valid first name");
        }
        assert_eq!(first_name("  Ann ").unwrap(), "Ann");
        assert!(last_name("X").is_ok());
    }

    #[test]
    fn bad_names_get_the_source_message() {
        for bad in ["A", "R2D2", "Ann!", "-Ann", "Ann-", "O''Brien", "Jean--Luc", "Mary  Ann", ""] {
            assert_eq!(first_name(bad), Err(ProfileError::FirstName), "{bad:?}");
        }
        assert_eq!(last_name(""), Err(ProfileError::LastName));
        assert_eq!(
            ProfileError::FirstName.to_string(),
            "First name must have at least 2 characters. Numbers and special characters are not allowed."
        );
    }

    #[test]
    fn phones_are_e164() {
        assert_eq!(phone("+44 7700 900123").unwrap(), "+447700900123");
        assert_eq!(phone("+1 (415) 555-0100").unwrap(), "+14155550100");
        assert_eq!(phone("  ").unwrap(), "");
        for bad in ["07700 900123", "+44 77OO", "+1234567890123456", "+0123456789"] {
            assert_eq!(phone(bad), Err(ProfileError::Phone), "{bad}");
        }
    }

    #[test]
    fn usernames_are_lower_case_ascii() {
        assert_eq!(username(" Alex.Agent ").unwrap(), "alex.agent");
        for bad in ["al", "alex agent", "zoë", &"a".repeat(65)] {
            assert_eq!(username(bad), Err(ProfileError::Username), "{bad}");
        }
    }

    #[test]
    fn a_contact_change_names_what_changed_before_and_after() {
        assert_eq!(ContactChange::between("a@x.example", "+441", "a@x.example", "+441"), None);
        let change = ContactChange::between("a@x.example", "+441", "b@y.example", "+441").unwrap();
        assert_eq!(change.what(), "email");
        assert_eq!(change.audit_detail(), r#"email "a@x.example" -> "b@y.example""#);
        let both = ContactChange::between("a@x.example", "+441", "b@y.example", "+442").unwrap();
        assert_eq!(both.what(), "email and phone");
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in ["ana", "ana@", "@example.com", "ana@example", "a na@example.com", "a@b@c.com", "ana@.com"] {
            assert_eq!(email(bad), Err(ProfileError::Email), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        let p = |s: &str| password(&Zeroizing::new(s.to_owned()), "agent.smith");
        assert!(p("correct horse battery").is_ok());
        assert!(p("short").is_err());
        assert!(p("aaaaaaaaaaaaaaa").is_err());
        assert!(p("my agent.smith pass").is_err());
        assert!(p("password1234").is_err(), "common password accepted");
        assert!(p("q1w2e3r4t5y6").is_err(), "a keyboard walk from the breach lists was accepted");
        assert!(COMMON_PASSWORDS.len() >= 10_000, "only {} common passwords", COMMON_PASSWORDS.len());
    }
}
