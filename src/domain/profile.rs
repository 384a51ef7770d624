//! The profile form's rules, with the source procedure's messages.
//!
//! A name is letters of any script with their combining marks (Devanagari vowel signs,
//! Vietnamese tones, Yoruba dots below), in runs joined by one space, hyphen, apostrophe
//! (' or ’) or the Catalan middle dot (·): "Jean-Luc", "O'Brien", "Mary Ann", "Zoë",
//! "Col·lell", "कृष्ण", "Nguyễn", "Ọládùnní", "李雷" are names; "--", "O''Brien", "-Ann",
//! "R2D2" and "Ann!" are not. A zero-width joiner or non-joiner may sit between two letters
//! of a script that writes with them (not Latin). Invisible, control and direction
//! characters are refused. Names are stored in NFC, and their length is what a reader
//! sees: grapheme clusters of letters (UAX #29), joiners not counted.

use std::collections::HashSet;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
use unicode_segmentation::UnicodeSegmentation;
use zeroize::Zeroizing;

use crate::domain::phone::{self, HomeRegion, PhoneError};
use crate::domain::text;

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
    #[error("Phone: {0}.")]
    Phone(PhoneError),
    #[error("Username: 3 to 64 characters: lower-case letters, digits, dot, hyphen, underscore.")]
    Username,
}

pub const NAME_MAX: usize = 50;

/// The cleaned name (outer spaces trimmed, NFC), if it obeys the name rule with `min` to
/// `NAME_MAX` grapheme clusters.
fn clean_name(raw: &str, min: usize) -> Option<String> {
    let name: String = raw.trim().nfc().collect();
    let chars: Vec<char> = name.chars().collect();
    let mut prev_joiner = true; // the start behaves like a joiner: no leading joiner
    for (i, &c) in chars.iter().enumerate() {
        let letter_before = i > 0 && is_name_letter(chars[i - 1]);
        if c.is_alphabetic() && !text::is_hidden(c) {
            prev_joiner = false;
        } else if is_mark(c) {
            // A mark belongs to the letter before it.
            if prev_joiner {
                return None;
            }
        } else if text::is_joiner_control(c) {
            let letter_after = chars.get(i + 1).is_some_and(|&n| n.is_alphabetic() && !n.is_ascii());
            if !(letter_before && letter_after && !chars[i - 1].is_ascii()) {
                return None;
            }
        } else if matches!(c, ' ' | '-' | '\'' | '’' | '·') {
            if prev_joiner {
                return None;
            }
            prev_joiner = true;
        } else {
            return None;
        }
    }
    let seen = name.graphemes(true).filter(|g| g.chars().any(char::is_alphabetic)).count();
    (seen >= min && seen <= NAME_MAX && !prev_joiner).then_some(name)
}

fn is_mark(c: char) -> bool {
    matches!(c.general_category_group(), GeneralCategoryGroup::Mark)
}

fn is_name_letter(c: char) -> bool {
    (c.is_alphabetic() && !text::is_hidden(c)) || is_mark(c)
}

pub fn first_name(raw: &str) -> Result<String, ProfileError> {
    clean_name(raw, 2).ok_or(ProfileError::FirstName)
}

pub fn last_name(raw: &str) -> Result<String, ProfileError> {
    clean_name(raw, 1).ok_or(ProfileError::LastName)
}

/// RFC 5321's limits on an address: 64 octets before the @, 254 in all.
pub const EMAIL_LOCAL_MAX: usize = 64;
pub const EMAIL_MAX: usize = 254;

/// One @, a local part of visible characters, a domain that IDNA (UTS #46) accepts, with a
/// dot. International domains are stored in their Unicode form as UTS #46 maps it
/// (lower case, full-width folded), so two spellings of one domain compare equal; the
/// lengths are checked on the ASCII (A-label) form that mail servers see. Any invisible,
/// control or direction character anywhere is refused.
pub fn email(raw: &str) -> Result<String, ProfileError> {
    let e: String = raw.trim().nfc().collect::<String>().to_lowercase();
    if e.chars().any(|c| text::is_hidden(c) || c.is_whitespace()) {
        return Err(ProfileError::Email);
    }
    let Some((local, domain)) = e.rsplit_once('@') else { return Err(ProfileError::Email) };
    let Ok(ascii) = idna::domain_to_ascii_strict(domain) else { return Err(ProfileError::Email) };
    let ok = !local.is_empty()
        && local.len() <= EMAIL_LOCAL_MAX
        && !local.contains('@')
        && local.len() + 1 + ascii.len() <= EMAIL_MAX
        && ascii.contains('.')
        && !ascii.starts_with('.')
        && !ascii.ends_with('.')
        && !ascii.contains("..");
    if !ok {
        return Err(ProfileError::Email);
    }
    let (unicode, result) = idna::domain_to_unicode(&ascii);
    result.map_err(|_| ProfileError::Email)?;
    Ok(format!("{local}@{unicode}"))
}

/// A phone number as typed, to E.164 by libphonenumber's rules (`domain::phone`); an empty
/// phone is allowed (not every user has one).
pub fn phone(raw: &str, home: HomeRegion) -> Result<String, ProfileError> {
    phone::parse(raw, home).map_err(ProfileError::Phone)
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
        for ok in ["Jean-Luc", "O'Brien", "O’Brien", "Mary Ann", "Zoë", "Łukasz", "李雷", "  Ann  ", "Col·lell"]
        {
            assert!(first_name(ok).is_ok(), "{ok} should be a valid first name");
        }
        assert_eq!(first_name("  Ann ").unwrap(), "Ann");
        assert!(last_name("X").is_ok());
    }

    #[test]
    fn names_in_every_script_with_their_marks() {
        // Devanagari, Tamil, Thai, Vietnamese and Yoruba, typed composed and decomposed.
        for ok in [
            "कृष्ण",
            "முருகன்",
            "สมชาย",
            "Nguyễn",
            "Nguye\u{302}\u{303}n",
            "Ọládùnní",
            "O\u{323}la\u{301}du\u{300}nni\u{301}",
            "Дмитрий",
            "Σωκράτης",
            "محمد",
            "क्\u{200d}षमा",
        ] {
            assert!(first_name(ok).is_ok(), "{ok:?} should be a valid first name");
        }
        assert_eq!(first_name("Nguye\u{302}\u{303}n").unwrap(), "Nguyễn", "stored in NFC");
        // Two grapheme clusters are two letters to a reader, however many code points.
        assert!(first_name("कृष").is_ok());
        assert_eq!(first_name("कृ"), Err(ProfileError::FirstName));
        assert_eq!(first_name(&"é".repeat(NAME_MAX)).unwrap().chars().count(), NAME_MAX);
        assert_eq!(first_name(&"e\u{301}".repeat(NAME_MAX + 1)), Err(ProfileError::FirstName));
    }

    #[test]
    fn invisible_and_direction_characters_are_refused() {
        for bad in [
            "An\u{200b}n",
            "Ann\u{202e}",
            "\u{2066}Ann",
            "A\u{1b}[8mnn",
            "Ann\u{feff}",
            "A\u{ad}nn",
            "\u{301}Ann",
            "Ann \u{301}",
            "An\u{200d}n",
        ] {
            assert_eq!(first_name(bad), Err(ProfileError::FirstName), "{bad:?}");
        }
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
    fn phones_as_typed_become_e164() {
        let us = HomeRegion::default();
        assert_eq!(phone("+44 7911 123456", us).unwrap(), "+447911123456");
        assert_eq!(phone("+1 (415) 555-2671", us).unwrap(), "+14155552671");
        assert_eq!(phone("  ", us).unwrap(), "");
        assert!(matches!(phone("+44 77OO", us), Err(ProfileError::Phone(_))));
        assert!(phone("+1234567890123456", us).is_err());
        assert_eq!(
            phone("+44 20 79", us).unwrap_err().to_string(),
            "Phone: the number is too short for United Kingdom."
        );
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
    fn emails_refuse_invisible_characters_and_take_international_domains() {
        for bad in
            ["an\u{200b}a@example.com", "ana@exa\u{200f}mple.com", "ana\u{202e}@example.com", "a\u{1b}@x.example"]
        {
            assert_eq!(email(bad), Err(ProfileError::Email), "{bad:?}");
        }
        assert_eq!(email(&format!("{}@example.com", "a".repeat(65))), Err(ProfileError::Email));
        assert_eq!(email(&format!("a@{}.example", "b".repeat(250))), Err(ProfileError::Email));
        assert_eq!(email("José@Bücher.Example").unwrap(), "josé@bücher.example");
        assert_eq!(email("jose@xn--bcher-kva.example").unwrap(), "jose@bücher.example", "one form for one domain");
        assert_eq!(email("user@ＥＸＡＭＰＬＥ.com").unwrap(), "user@example.com");
        assert_eq!(email("ivan@пример.рф").unwrap(), "ivan@пример.рф");
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
