//! The audit log's hash chain. Each event stores SHA-256 of the previous event's hash and
//! its own canonical content, so that an event edited or removed after it was written
//! breaks the link of the event after it (or, for the newest, the chain head).
//! Appends take turns on the chain head, in the transaction that writes the event, so
//! that two writers cannot both link to the same predecessor.
//!
//! The chain detects changes made around the program (by the database's owner, or by
//! anyone holding the SQLite file); it cannot stop someone who may rewrite the whole
//! chain and its head. An export to a SIEM keeps a copy such a person cannot reach.

use sha2::{Digest, Sha256};

use crate::domain::audit::{AuditEvent, NewAuditEvent};

pub const HASH_LEN: usize = 32;
pub type ChainHash = [u8; HASH_LEN];

/// The predecessor of the first chained event.
pub const GENESIS: ChainHash = [0; HASH_LEN];

/// Separates this encoding from any other use of SHA-256; a new layout gets a new tag.
const TAG: &[u8] = b"helpdesk audit chain v1";

/// The stored fields an event's hash covers, in a fixed order. The id is left out: it is
/// assigned by the database as the row is written, after the hash is computed; the order
/// is covered by the link to the predecessor instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainedFields<'a> {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub target_id: Option<i64>,
    pub target: &'a str,
    pub action: &'a str,
    pub identity_check: Option<&'a str>,
    pub note: Option<&'a str>,
    pub code_count: Option<i64>,
    pub expires_at: Option<i64>,
    pub detail: Option<&'a str>,
}

impl<'a> From<&'a NewAuditEvent> for ChainedFields<'a> {
    fn from(e: &'a NewAuditEvent) -> Self {
        Self {
            at: e.at,
            actor_id: e.actor_id,
            actor: &e.actor,
            target_id: e.target_id,
            target: &e.target,
            action: e.action.as_str(),
            identity_check: e.identity_check.map(|c| c.as_str()),
            note: e.note.as_deref(),
            code_count: e.code_count,
            expires_at: e.expires_at,
            detail: e.detail.as_deref(),
        }
    }
}

impl<'a> From<&'a AuditEvent> for ChainedFields<'a> {
    fn from(e: &'a AuditEvent) -> Self {
        Self {
            at: e.at,
            actor_id: e.actor_id,
            actor: &e.actor,
            target_id: e.target_id,
            target: &e.target,
            action: &e.action,
            identity_check: e.identity_check.as_deref(),
            note: e.note.as_deref(),
            code_count: e.code_count,
            expires_at: e.expires_at,
            detail: e.detail.as_deref(),
        }
    }
}

/// The hash an event stores: SHA-256 over the tag, the predecessor's hash and the fields,
/// each field marked present or absent and each text prefixed by its length, so that no
/// two different events encode alike.
pub fn link(prev: &ChainHash, e: &ChainedFields<'_>) -> ChainHash {
    fn int(h: &mut Sha256, v: Option<i64>) {
        match v {
            None => h.update([0]),
            Some(v) => {
                h.update([1]);
                h.update(v.to_be_bytes());
            }
        }
    }
    fn text(h: &mut Sha256, v: Option<&str>) {
        match v {
            None => h.update([0]),
            Some(v) => {
                h.update([1]);
                h.update((v.len() as u64).to_be_bytes());
                h.update(v.as_bytes());
            }
        }
    }
    let mut h = Sha256::new();
    h.update(TAG);
    h.update(prev);
    int(&mut h, Some(e.at));
    int(&mut h, e.actor_id);
    text(&mut h, Some(e.actor));
    int(&mut h, e.target_id);
    text(&mut h, Some(e.target));
    text(&mut h, Some(e.action));
    text(&mut h, e.identity_check);
    text(&mut h, e.note);
    int(&mut h, e.code_count);
    int(&mut h, e.expires_at);
    text(&mut h, e.detail);
    h.finalize().into()
}

/// Where the chain stands: the newest chained event and its hash. Events up to
/// `starts_after` were written before the chain existed and are not covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub last_id: i64,
    pub last_hash: ChainHash,
    pub starts_after: i64,
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {id} does not match its hash: it was edited, or an event before it was removed")]
    Mismatch { id: i64 },
    #[error("event {id} has no chain hash although the chain had begun: it was not written by helpdesk")]
    Unchained { id: i64 },
    #[error(
        "the chain head names event {head_last_id}, but the newest chained event is {found_last_id}: newer events were removed, or the head was altered"
    )]
    Tail { head_last_id: i64, found_last_id: i64 },
}

impl ChainBreak {
    /// The event at which the chain first fails.
    pub fn event_id(&self) -> i64 {
        match self {
            ChainBreak::Mismatch { id } | ChainBreak::Unchained { id } => *id,
            ChainBreak::Tail { found_last_id, .. } => *found_last_id,
        }
    }
}

/// What a walk of the whole log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Events whose link was checked.
    pub checked: u64,
    /// Events written before the chain began (ids up to `ChainHead::starts_after`).
    pub before_chain: u64,
    pub broken: Option<ChainBreak>,
}

/// Walks the events in id order, one at a time, and stops at the first break.
#[derive(Debug)]
pub struct ChainWalk {
    head: ChainHead,
    prev: ChainHash,
    last_id: i64,
    report: ChainReport,
}

impl ChainWalk {
    pub fn new(head: ChainHead) -> Self {
        let last_id = head.starts_after;
        Self { head, prev: GENESIS, last_id, report: ChainReport { checked: 0, before_chain: 0, broken: None } }
    }

    /// Checks the next event (ids ascending); false once the chain is broken, when
    /// reading further is pointless.
    pub fn step(&mut self, event: &AuditEvent, stored: Option<&[u8]>) -> bool {
        if self.report.broken.is_some() {
            return false;
        }
        if event.id <= self.head.starts_after {
            self.report.before_chain += 1;
            return true;
        }
        let Some(stored) = stored else {
            self.report.broken = Some(ChainBreak::Unchained { id: event.id });
            return false;
        };
        let expected = link(&self.prev, &ChainedFields::from(event));
        if stored != expected {
            self.report.broken = Some(ChainBreak::Mismatch { id: event.id });
            return false;
        }
        self.report.checked += 1;
        self.prev = expected;
        self.last_id = event.id;
        true
    }

    /// Compares the end of the walk with the chain head: removing the newest events
    /// leaves every remaining link intact, but not the head.
    pub fn finish(mut self) -> ChainReport {
        if self.report.broken.is_none() && (self.last_id != self.head.last_id || self.prev != self.head.last_hash) {
            self.report.broken =
                Some(ChainBreak::Tail { head_last_id: self.head.last_id, found_last_id: self.last_id });
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::AuditAction;

    fn event(id: i64, detail: &str) -> AuditEvent {
        AuditEvent {
            id,
            at: 1_000 + id,
            at_utc: String::new(),
            actor_id: Some(1),
            actor: "ada.admin".into(),
            target_id: None,
            target: String::new(),
            action: AuditAction::StaffLogin.as_str().into(),
            identity_check: None,
            note: None,
            code_count: None,
            expires_at: None,
            detail: Some(detail.into()),
        }
    }

    fn chain(events: &[AuditEvent]) -> (Vec<ChainHash>, ChainHead) {
        let mut prev = GENESIS;
        let hashes: Vec<ChainHash> = events
            .iter()
            .map(|e| {
                prev = link(&prev, &ChainedFields::from(e));
                prev
            })
            .collect();
        let head = ChainHead { last_id: events.last().map_or(0, |e| e.id), last_hash: prev, starts_after: 0 };
        (hashes, head)
    }

    fn walk(events: &[AuditEvent], hashes: &[ChainHash], head: &ChainHead) -> ChainReport {
        let mut w = ChainWalk::new(head.clone());
        for (e, h) in events.iter().zip(hashes) {
            if !w.step(e, Some(h)) {
                break;
            }
        }
        w.finish()
    }

    #[test]
    fn an_intact_chain_verifies_and_each_kind_of_change_names_its_event() {
        let events: Vec<_> = (1..=5).map(|i| event(i, &format!("e{i}"))).collect();
        let (hashes, head) = chain(&events);
        assert_eq!(walk(&events, &hashes, &head), ChainReport { checked: 5, before_chain: 0, broken: None });

        let mut edited = events.clone();
        edited[2].detail = Some("edited".into());
        assert_eq!(walk(&edited, &hashes, &head).broken, Some(ChainBreak::Mismatch { id: 3 }));

        let (mut removed, mut removed_hashes) = (events.clone(), hashes.clone());
        removed.remove(1);
        removed_hashes.remove(1);
        assert_eq!(walk(&removed, &removed_hashes, &head).broken, Some(ChainBreak::Mismatch { id: 3 }));

        let broken = walk(&events[..4], &hashes[..4], &head).broken.unwrap();
        assert_eq!(broken, ChainBreak::Tail { head_last_id: 5, found_last_id: 4 });
    }

    #[test]
    fn a_present_empty_text_differs_from_an_absent_one() {
        let mut a = event(1, "");
        let b = {
            let mut b = a.clone();
            b.detail = None;
            b
        };
        assert_ne!(link(&GENESIS, &ChainedFields::from(&a)), link(&GENESIS, &ChainedFields::from(&b)));
        // Moving text between neighbouring fields changes the hash too.
        a.actor = "ada.admi".into();
        a.target = "n".into();
        let c = event(1, "");
        assert_ne!(link(&GENESIS, &ChainedFields::from(&a)), link(&GENESIS, &ChainedFields::from(&c)));
    }
}
