//! The notification policy: who is told, on which channel, when something happens to
//! their backup codes. A notice goes to the outbox the bank's messaging system drains;
//! it never holds a code.

use crate::domain::user::{User, UserId};

/// A message for the bank's messaging system to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub user_id: UserId,
    pub channel: &'static str,
    pub address: String,
    pub kind: &'static str,
    pub body: String,
}

/// One notice per address on file: the email, and the phone by text message. A user with
/// neither is told nothing (the audit log still records the action).
pub fn notices_for(user: &User, kind: &'static str, body: &str) -> Vec<Notice> {
    let mut out = Vec::new();
    if !user.email.is_empty() {
        out.push(Notice {
            user_id: user.id,
            channel: "email",
            address: user.email.clone(),
            kind,
            body: body.to_owned(),
        });
    }
    if !user.phone.is_empty() {
        out.push(Notice { user_id: user.id, channel: "sms", address: user.phone.clone(), kind, body: body.to_owned() });
    }
    out
}
