//! The sentences of the other screens: sign-in, the lists, a user's detail, the forms
//! and the admin panes, and the status line.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
    pub demo_codes: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
    pub asked: String,
    pub confirm_title: String,
    pub confirm_body: String,
    pub confirm_ask_body: String,
    pub ask: String,
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
    pub reset_factor: String,
    pub bind_key: String,
    pub key_label: String,
    pub key_hint: String,
    pub not_a_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct Discard {
    pub title: String,
    pub body: String,
    pub keep: String,
    pub discard: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
