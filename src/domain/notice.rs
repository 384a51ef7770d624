//! The notification policy: who is told, on which channel, when something happens to
//! their backup codes. A notice goes to the outbox the bank's messaging system drains;
//! it never holds a code.

use crate::domain::profile::ContactChange;
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

/// Who is told about a contact change: the old addresses (the owner, if this is a
/// takeover), with a message that does not name the new ones; and the new addresses, with
/// their own message. An address that did not change gets the old-address message once.
pub fn contact_change_notices(user: &User, change: &ContactChange, to_old: &str, to_new: &str) -> Vec<Notice> {
    let kind = "contact_details_changed";
    let mut out = Vec::new();
    let mut push = |channel: &'static str, address: &str, body: &str| {
        if !address.is_empty() {
            out.push(Notice { user_id: user.id, channel, address: address.to_owned(), kind, body: body.to_owned() });
        }
    };
    push("email", &change.old_email, to_old);
    push("sms", &change.old_phone, to_old);
    if change.email_changed() {
        push("email", &change.new_email, to_new);
    }
    if change.phone_changed() {
        push("sms", &change.new_phone, to_new);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::{Enrolment, UserKind};

    #[test]
    fn a_contact_change_tells_the_old_addresses_without_naming_the_new() {
        let user = User {
            id: 7,
            kind: UserKind::Customer,
            username: "amara".into(),
            first_name: "Amara".into(),
            last_name: "Okafor".into(),
            email: "old@mail.example".into(),
            phone: "+2348031234567".into(),
            phone_form: Default::default(),
            enrolment: Enrolment::Registered,
            role: None,
            created_at: 0,
        };
        let change = ContactChange::between(&user.email, &user.phone, "new@mail.example", &user.phone).unwrap();
        let notices = contact_change_notices(&user, &change, "OLD", "NEW");
        let to = |address: &str| {
            notices.iter().filter(|n| n.address == address).map(|n| n.body.as_str()).collect::<Vec<_>>()
        };
        assert_eq!(to("old@mail.example"), ["OLD"]);
        assert_eq!(to("+2348031234567"), ["OLD"]);
        assert_eq!(to("new@mail.example"), ["NEW"]);
    }
}
