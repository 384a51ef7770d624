//! The rules of a redemption that are not about the code itself: how much of a typed
//! username is looked at, how an unknown one is recorded, and NIST's cap on failures.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A typed username longer than this is not looked up: nobody's is (see
/// `profile::username`), and the work and the audit log stay bounded whatever is typed.
pub const USERNAME_MAX_CHARS: usize = 64;

/// Unknown usernames are counted for the whole database in windows of this length ...
pub const UNKNOWN_USERNAME_WINDOW_SECS: i64 = 60;
/// ... and each of the first this many in a window gets its own audit event; the rest are
/// counted only, so that a flood of made-up names cannot flood the audit log.
pub const UNKNOWN_USERNAMES_AUDITED_PER_WINDOW: i64 = 30;

/// NIST SP 800-63B: at most 100 failed attempts on one authenticator, whatever the
/// lock-outs in between.
pub const NIST_MAX_TOTAL_FAILURES: i64 = 100;

/// The name of the database's key for username pseudonyms (`instance_keys`).
pub const PSEUDONYM_KEY: &str = "username_pseudonym";

/// The username as it is looked up, by every door (the UI's sign-in, `verify-code`,
/// `helpdesk serve`): trimmed, and its ASCII letters lower-cased; `None` when it is longer
/// than any username can be or holds a control character. Only ASCII letters fold: a
/// username is ASCII (`profile::username`), and Unicode's case mapping would fold look-alikes
/// into real names (U+212A KELVIN SIGN lower-cases to `k`, U+0130 to `i̇`), so that the
/// login and helpdesk could disagree about whom a code authenticated. A look-alike stays as
/// typed and is nobody: it is answered like any unknown username.
pub fn typed_username(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    // No username holds a control character; NUL would not even reach PostgreSQL.
    if trimmed.chars().nth(USERNAME_MAX_CHARS).is_some() || trimmed.chars().any(char::is_control) {
        return None;
    }
    Some(trimmed.to_ascii_lowercase())
}

/// What the audit log keeps of a username nobody has: a keyed hash, so that repeated
/// attempts at one name can be told apart from many names without storing what was typed
/// (people type passwords and codes into username fields). 16 bytes of HMAC-SHA256, hex.
pub fn pseudonym(key: &[u8], username: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(username.as_bytes());
    mac.finalize().into_bytes()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the `total`-th failure since the last success or new batch uses up the batch.
pub fn exhausts(total: i64, max_total: i64) -> bool {
    total >= max_total
}

/// Whether an attempt counted as the `total`-th may still be checked: once the cap is
/// reached nothing more is compared, even while a revocation is on its way.
pub fn may_check(total: i64, max_total: i64) -> bool {
    total <= max_total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_bounded_before_they_are_looked_up() {
        assert_eq!(typed_username("  Amara.Okafor "), Some("amara.okafor".into()));
        assert_eq!(typed_username(&"a".repeat(64)).map(|u| u.len()), Some(64));
        assert_eq!(typed_username(&"a".repeat(65)), None);
        assert_eq!(typed_username(&"é".repeat(10_000)), None);
        // Look-alikes never fold into an ASCII username.
        for look_alike in ["amara.o\u{212A}afor", "AMARA.O\u{212A}AFOR", "\u{0130}da.admin", "ada.adm\u{0131}n"] {
            let typed = typed_username(look_alike).unwrap();
            assert!(!typed.is_ascii(), "{look_alike:?} folded into {typed:?}");
        }
    }

    #[test]
    fn pseudonyms_are_keyed_stable_and_hide_the_name() {
        let a = pseudonym(b"key one", "hunter2-typed-as-a-name");
        assert_eq!(a, pseudonym(b"key one", "hunter2-typed-as-a-name"));
        assert_ne!(a, pseudonym(b"key two", "hunter2-typed-as-a-name"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("hunter2"));
    }

    #[test]
    fn the_cap_is_reached_at_the_hundredth_failure() {
        assert!(!exhausts(99, 100) && exhausts(100, 100));
        assert!(may_check(100, 100) && !may_check(101, 100));
    }
}
