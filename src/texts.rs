//! The sentences in `assets/texts.toml`, read once and checked by a test.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Texts {
    pub warning: Warning,
    pub codes: Codes,
    pub revoke: Revoke,
    pub twofactor: TwoFactor,
    pub login: Login,
    pub users: Users,
    pub detail: Detail,
    pub screen: Screen,
    pub profile: Profile,
    pub status: Status,
    pub notifications: Notifications,
}

#[derive(Debug, Deserialize)]
pub struct Warning {
    pub title: String,
    pub body: String,
    pub choose: String,
    pub note: String,
    pub confirm_hint: String,
    pub staff_target: String,
    pub email_notice: String,
    pub note_hint: String,
    pub cancel: String,
    pub generate: String,
}

#[derive(Debug, Deserialize)]
pub struct Codes {
    pub guidance: String,
    pub leave: String,
    pub masked: String,
    pub heading: String,
    pub read_out: String,
    pub hides_in: String,
    pub expire: String,
    pub no_expiry: String,
    pub wiped_by_lock: String,
    pub leave_title: String,
    pub stay: String,
    pub leave_and_wipe: String,
}

#[derive(Debug, Deserialize)]
pub struct Revoke {
    pub title: String,
    pub body: String,
    pub cancel: String,
    pub revoke: String,
}

#[derive(Debug, Deserialize)]
pub struct TwoFactor {
    pub email_permitted: String,
}

#[derive(Debug, Deserialize)]
pub struct Login {
    pub title: String,
    pub intro: String,
    pub locked: String,
    pub locked_title: String,
    pub signed_in_as: String,
    pub username: String,
    pub password: String,
    pub username_hint: String,
    pub password_hint: String,
    pub no_staff: String,
    pub demo_hint: String,
}

#[derive(Debug, Deserialize)]
pub struct Users {
    pub title: String,
    pub search_title: String,
    pub search_hint: String,
    /// Name, username, type, enrolment, phone, email.
    pub columns: [String; 6],
    pub customer: String,
    pub staff: String,
    pub international: String,
    pub searching: String,
    pub none: String,
    pub page: String,
    pub more: String,
}

#[derive(Debug, Deserialize)]
pub struct Detail {
    pub profile: String,
    pub two_factor: String,
    pub name: String,
    pub username: String,
    pub kind: String,
    pub email: String,
    pub phone: String,
    pub enrolment: String,
    pub created: String,
    pub devices: String,
    pub no_devices: String,
    pub permitted: String,
    pub backup: String,
    pub no_codes: String,
    pub unused: String,
    pub issued: String,
    pub by: String,
    pub expires: String,
    pub never: String,
    pub identity: String,
    pub staff_kind: String,
    pub generate: String,
    pub revoke: String,
    pub not_available: String,
}

#[derive(Debug, Deserialize)]
pub struct Screen {
    pub app: String,
    pub app_at: String,
    pub not_signed_in: String,
    pub needs: String,
    pub enlarge: String,
    pub help_title: String,
}

#[derive(Debug, Deserialize)]
pub struct Profile {
    pub updated: String,
    pub password_logout: String,
}

#[derive(Debug, Deserialize)]
pub struct Status {
    pub signed_in: String,
    pub unlocked: String,
    pub unlocked_wiped: String,
    pub generated: String,
    pub revoked: String,
    pub nothing_to_revoke: String,
    pub codes_wiped: String,
    pub cancelled: String,
    pub choose_check: String,
    pub paste_ignored: String,
    pub unknown_key: String,
    pub last_page: String,
    pub first_page: String,
    pub enter_username: String,
    pub enter_password: String,
    pub signed_out: String,
    pub signing_in: String,
    pub checking: String,
    pub opening: String,
    pub generating: String,
    pub revoking: String,
    pub too_small: String,
    pub help_footer: String,
    pub reveal_hint: String,
}

#[derive(Debug, Deserialize)]
pub struct Notifications {
    pub generated: String,
    pub revoked: String,
    pub redeemed: String,
    pub exhausted: String,
}

static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    toml::from_str(include_str!("../assets/texts.toml")).expect("assets/texts.toml is checked by a unit test")
});

pub fn texts() -> &'static Texts {
    &TEXTS
}

/// A text with its `{name}` placeholders filled in.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_texts_parse() {
        assert!(super::texts().warning.body.contains("very high-risk action"));
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(super::fill("{n} of {count}", &[("n", "1"), ("count", "10")]), "1 of 10");
    }
}
