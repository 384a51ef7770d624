//! The sentences in `assets/texts.toml`, read once and checked by a test.

use std::sync::LazyLock;

use serde::Deserialize;

mod codes;
mod screens;

pub use codes::{Approvals, Codes, Notifications, Revoke, TwoFactor, Warning};
pub use screens::{Audit, Detail, Discard, Login, Password, Profile, Screen, Settings, StaffTexts, Status, Users};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub warning: Warning,
    pub codes: Codes,
    pub revoke: Revoke,
    pub twofactor: TwoFactor,
    pub login: Login,
    pub users: Users,
    pub detail: Detail,
    pub screen: Screen,
    pub password: Password,
    pub settings: Settings,
    pub staff: StaffTexts,
    pub audit: Audit,
    pub discard: Discard,
    pub profile: Profile,
    pub status: Status,
    pub notifications: Notifications,
    pub approvals: Approvals,
    pub factor: Factor,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    pub title: String,
    pub ask: String,
    pub code: String,
    pub code_hint: String,
    pub enter_code: String,
    pub enrol_title: String,
    pub enrol_scan: String,
    pub enrol_type: String,
    pub secret: String,
    pub keys: String,
    pub sign_in_keys: String,
    pub unlock_why: String,
    pub step_up_why: String,
    pub stepped_up: String,
}

static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    toml::from_str(include_str!("../../assets/texts.toml")).expect("assets/texts.toml is checked by a unit test")
});

pub fn texts() -> &'static Texts {
    &TEXTS
}

/// A text with its `{name}` placeholders filled in.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    // One pass over the template: a value (a customer's name) that holds `{role}` stays
    // text instead of being filled in turn.
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if values.iter().any(|(n, _)| *n == name) => {
                out.push_str(values.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_texts_parse() {
        assert!(super::texts().warning.body.contains("very high-risk action"));
    }

    #[test]
    fn a_key_the_program_does_not_read_is_refused() {
        // A misspelt key would otherwise leave its sentence unread and the old one shown.
        let text = include_str!("../../assets/texts.toml").replacen("[warning]\n", "[warning]\ntitel = \"x\"\n", 1);
        let err = toml::from_str::<super::Texts>(&text).unwrap_err();
        assert!(err.to_string().contains("titel"), "{err}");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(super::fill("{n} of {count}", &[("n", "1"), ("count", "10")]), "1 of 10");
        assert_eq!(super::fill("{name} ({role})", &[("name", "Ann {role}"), ("role", "admin")]), "Ann {role} (admin)");
        assert_eq!(super::fill("{unknown} {n}", &[("n", "1")]), "{unknown} 1");
    }
}
