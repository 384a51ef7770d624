//! Linked identities: a customer account that is, in fact, a member of staff's own (a
//! shared email or phone, now or in the past, or an explicit link). Generating for it is
//! generating for oneself.

use crate::domain::access::{Refusal, Staff, StaffMember};
use crate::domain::phone::{self, HomeRegion};
use crate::domain::two_person::ContactField;
use crate::domain::user::{User, UserId};

/// How a customer account is tied to a member of staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkVia {
    Email,
    Phone,
    /// An admin linked them in the Staff pane.
    Explicit,
}

impl LinkVia {
    /// As stored (`code_request_reasons.link_via`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkVia::Email => "email",
            LinkVia::Phone => "phone",
            LinkVia::Explicit => "explicit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [LinkVia::Email, LinkVia::Phone, LinkVia::Explicit].into_iter().find(|v| v.as_str() == s)
    }

    pub fn words(self) -> &'static str {
        match self {
            LinkVia::Email => "shares an email with",
            LinkVia::Phone => "shares a phone with",
            LinkVia::Explicit => "is linked to",
        }
    }
}

/// A member of staff the target is, in fact, the same person as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffLink {
    pub staff_id: UserId,
    pub staff_username: String,
    pub via: LinkVia,
}

/// An email in the form two writers agree on: trimmed, lower-cased.
fn email_key(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    (!e.is_empty()).then_some(e)
}

/// A phone number in the form two writers agree on: E.164 when it reads as a number,
/// else its digits (so `+44 (0)20 7946 0000` and `020 7946 0000` typed at a UK bank
/// match).
fn phone_key(stored: &str, home: HomeRegion) -> Option<String> {
    let canonical = phone::canonical(stored.trim(), home);
    let digits = phone::digits(&canonical);
    (digits.len() >= 5).then_some(digits)
}

/// Every email and phone a person holds or has held, in the forms two writers agree on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownContacts {
    emails: Vec<String>,
    phones: Vec<String>,
}

impl KnownContacts {
    /// `user`'s current email and phone, and every value in `history` (from
    /// `contact_changes`: before and after each change) that is `user`'s.
    pub fn of(user: &User, history: &[(UserId, ContactField, String)], home: HomeRegion) -> Self {
        let mut known = Self::default();
        known.emails.extend(email_key(&user.email));
        // A number the product wrote with its form is already E.164: its digits, without
        // libphonenumber (whose rules take about 10 MB of an agent's process to check).
        match phone::is_stored_form_of(&user.phone, &user.phone_form) {
            true => known.phones.extend(Some(phone::digits(&user.phone)).filter(|d| d.len() >= 5)),
            false => known.phones.extend(phone_key(&user.phone, home)),
        }
        let past = history.iter().filter(|(id, ..)| *id == user.id).map(|(_, f, v)| (*f, v.as_str()));
        for (field, value) in past {
            match field {
                ContactField::Email => known.emails.extend(email_key(value)),
                ContactField::Phone => known.phones.extend(phone_key(value, home)),
            }
        }
        known.emails.sort();
        known.emails.dedup();
        known.phones.sort();
        known.phones.dedup();
        known
    }

    fn shares_email(&self, other: &Self) -> bool {
        self.emails.iter().any(|e| other.emails.contains(e))
    }

    fn shares_phone(&self, other: &Self) -> bool {
        self.phones.iter().any(|p| other.phones.contains(p))
    }
}

/// The members of staff `target` is linked to: by an email or phone either holds or has
/// held (compared in their normalised forms: changing one's own staff email does not undo
/// the link), or by an explicit link (`explicit`: (staff id, user id) pairs). A member of
/// staff is not linked to their own row. `staff` pairs each member with what they hold.
pub fn links(
    target: &User,
    target_known: &KnownContacts,
    staff: &[(&StaffMember, KnownContacts)],
    explicit: &[(UserId, UserId)],
) -> Vec<StaffLink> {
    let mut out = Vec::new();
    for (member, known) in staff.iter().filter(|(m, _)| m.user.id != target.id) {
        let via = if explicit.contains(&(member.user.id, target.id)) {
            Some(LinkVia::Explicit)
        } else if target_known.shares_email(known) {
            Some(LinkVia::Email)
        } else if target_known.shares_phone(known) {
            Some(LinkVia::Phone)
        } else {
            None
        };
        if let Some(via) = via {
            out.push(StaffLink { staff_id: member.user.id, staff_username: member.user.username.clone(), via });
        }
    }
    out
}

/// Generating for one's own linked identity is generating for oneself.
pub fn not_own_link(actor: &Staff, links: &[StaffLink]) -> Result<(), Refusal> {
    if links.iter().any(|l| l.staff_id == actor.id) { Err(Refusal::OwnLinkedIdentity) } else { Ok(()) }
}
