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
}

#[derive(Debug, Deserialize)]
pub struct Codes {
    pub title: String,
    pub guidance: String,
    pub leave: String,
    pub masked: String,
}

#[derive(Debug, Deserialize)]
pub struct Revoke {
    pub title: String,
    pub body: String,
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
}

static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    toml::from_str(include_str!("../assets/texts.toml")).expect("assets/texts.toml is checked by a unit test")
});

pub fn texts() -> &'static Texts {
    &TEXTS
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_texts_parse() {
        assert!(super::texts().warning.body.contains("very high-risk action"));
    }
}
