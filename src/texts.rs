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
    pub password: Password,
    pub settings: Settings,
    pub staff: StaffTexts,
    pub audit: Audit,
    pub discard: Discard,
    pub profile: Profile,
    pub status: Status,
    pub notifications: Notifications,
    pub approvals: Approvals,
}

#[derive(Debug, Deserialize)]
pub struct Approvals {
    pub second_title: String,
    pub revoke_all_hint: String,
    pub revoke_all_title: String,
    pub revoke_all_body: String,
    pub revoke_all: String,
    pub revoked_all: String,
    pub link_title: String,
    pub link_body: String,
    pub link: String,
    pub link_label: String,
    pub link_hint: String,
    pub linked: String,
    pub second_on: String,
    pub second_off: String,
    pub second_saved: String,
    pub title: String,
    pub header_count: String,
    pub empty: String,
    pub loading: String,
    pub row: String,
    pub requester: String,
    pub target: String,
    pub check: String,
    pub note: String,
    pub reasons: String,
    pub signals: String,
    pub created: String,
    pub state_pending: String,
    pub state_approved: String,
    pub reason_label: String,
    pub reason_hint: String,
    pub approve_title: String,
    pub approve_body: String,
    pub approve: String,
    pub decline_title: String,
    pub decline_body: String,
    pub decline: String,
    pub withdraw_title: String,
    pub withdraw_body: String,
    pub withdraw: String,
    pub cancel: String,
    pub approved: String,
    pub declined: String,
    pub withdrawn: String,
    pub sent: String,
    pub waiting: String,
    pub waiting_other: String,
    pub approved_mine: String,
    pub declined_mine: String,
    pub generating: String,
    pub deciding: String,
}

#[derive(Debug, Deserialize)]
pub struct Warning {
    pub title: String,
    pub body: String,
    pub choose: String,
    pub note: String,
    pub note_short: String,
    pub confirm_hint: String,
    pub note_hint: String,
    pub cancel: String,
    pub generate: String,
    pub signals: String,
    pub signal_contact: String,
    pub signal_codes: String,
    pub signal_failures: String,
    pub signal_locked: String,
    pub signal_staff: String,
    pub signal_email: String,
    pub signal_override: String,
    pub signal_link: String,
    pub signal_velocity: String,
    pub signal_user_velocity: String,
    pub request: String,
    pub needs_second: String,
    pub request_hint: String,
    pub not_offered: String,
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
    pub phone_unreadable: String,
    pub searching: String,
    pub none: String,
    pub page: String,
    pub more: String,
}

#[derive(Debug, Deserialize)]
pub struct Detail {
    pub profile: String,
    pub used_live: String,
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
    pub no_terminal: String,
    pub dumb_terminal: String,
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
    pub title: String,
    pub intro: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub save: String,
    pub esc_hint: String,
    pub unchanged: String,
    pub saving: String,
}

#[derive(Debug, Deserialize)]
pub struct Password {
    pub title: String,
    pub rule: String,
    pub current: String,
    pub new: String,
    pub repeat: String,
    pub change: String,
    pub esc_hint: String,
    pub differ: String,
    pub changing: String,
    pub changed: String,
}

#[derive(Debug, Deserialize)]
pub struct Settings {
    pub title: String,
    pub intro: String,
    pub loading: String,
    pub changed: String,
    pub keys: String,
    pub none: String,
    pub unchanged: String,
    pub saving: String,
    pub saved: String,
    pub confirm_title: String,
    pub confirm_body: String,
    pub save: String,
    pub cancel: String,
    pub second_person_on: String,
    pub second_person_off: String,
}

#[derive(Debug, Deserialize)]
pub struct StaffTexts {
    pub title: String,
    pub loading: String,
    /// Name, username, role, codes permission, status, sessions, last sign-in.
    pub columns: [String; 7],
    pub admin: String,
    pub agent: String,
    pub yes: String,
    pub no: String,
    pub enabled: String,
    pub disabled: String,
    pub locked: String,
    pub locked_until: String,
    pub never: String,
    pub selected: String,
    pub changing: String,
    pub changed: String,
    pub confirm_title: String,
    pub confirm_body: String,
    pub apply: String,
    pub cancel: String,
    pub grant: String,
    pub withdraw: String,
    pub promote: String,
    pub demote: String,
    pub disable: String,
    pub enable: String,
    pub unlock: String,
    pub end_sessions: String,
}

#[derive(Debug, Deserialize)]
pub struct Audit {
    pub title: String,
    pub loading: String,
    pub none: String,
    /// When, actor, action, target, detail.
    pub columns: [String; 5],
    pub filter_labels: [String; 5],
    pub filter_hints: [String; 5],
    pub bad_action: String,
    pub bad_date: String,
    pub event_title: String,
    pub fields: [String; 9],
    pub close_hint: String,
}

#[derive(Debug, Deserialize)]
pub struct Discard {
    pub title: String,
    pub body: String,
    pub keep: String,
    pub discard: String,
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
    pub too_fast: String,
    pub enter_only: String,
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
    /// To the old addresses after a contact change: never names the new ones.
    pub contact_changed_old: String,
    pub contact_changed_new: String,
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
    fn placeholders_are_filled() {
        assert_eq!(super::fill("{n} of {count}", &[("n", "1"), ("count", "10")]), "1 of 10");
        assert_eq!(super::fill("{name} ({role})", &[("name", "Ann {role}"), ("role", "admin")]), "Ann {role} (admin)");
        assert_eq!(super::fill("{unknown} {n}", &[("n", "1")]), "{unknown} 1");
    }
}
