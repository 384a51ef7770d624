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

/// An event to be written and an event read back name the chained fields alike; only how
/// the action and the identity check read as text differs. The projection is written once,
/// so that the hash written and the hash verified cannot come to cover different fields.
macro_rules! chained_fields {
    ($e:expr, action: $action:expr, identity_check: $identity_check:expr) => {
        ChainedFields {
            at: $e.at,
            actor_id: $e.actor_id,
            actor: &$e.actor,
            target_id: $e.target_id,
            target: &$e.target,
            action: $action,
            identity_check: $identity_check,
            note: $e.note.as_deref(),
            code_count: $e.code_count,
            expires_at: $e.expires_at,
            detail: $e.detail.as_deref(),
        }
    };
}

impl<'a> From<&'a NewAuditEvent> for ChainedFields<'a> {
    fn from(e: &'a NewAuditEvent) -> Self {
        chained_fields!(e, action: e.action.as_str(), identity_check: e.identity_check.map(|c| c.as_str()))
    }
}

impl<'a> From<&'a AuditEvent> for ChainedFields<'a> {
    fn from(e: &'a AuditEvent) -> Self {
        chained_fields!(e, action: &e.action, identity_check: e.identity_check.as_deref())
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
    #[error("event {id} does not carry the hash the anchor kept: the chain up to it was rewritten")]
    Anchor { id: i64 },
    #[error("event {id}, which the anchor names, is not in the chain: it was removed")]
    AnchorMissing { id: i64 },
}

impl ChainBreak {
    /// The event at which the chain first fails.
    pub fn event_id(&self) -> i64 {
        match self {
            ChainBreak::Mismatch { id }
            | ChainBreak::Unchained { id }
            | ChainBreak::Anchor { id }
            | ChainBreak::AnchorMissing { id } => *id,
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
    /// The first break, if any.
    pub broken: Option<ChainBreak>,
    /// Every break, in id order: after one, the walk goes on from the stored hash, so that
    /// each edited or removed event is named, not only the first.
    pub breaks: Vec<ChainBreak>,
}

/// A hash kept outside the database (by the SIEM, from the export): event `id` must carry
/// `hash` (`helpdesk audit verify --anchor ID:HASH`). A chain rewritten whole, head
/// included, verifies on its own but fails its anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub id: i64,
    pub hash: ChainHash,
}

impl Anchor {
    /// `ID:HASH`, the hash as 64 hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        let (id, hex) = text.trim().split_once(':')?;
        let id = id.parse().ok()?;
        if hex.len() != 64 {
            return None;
        }
        let mut hash = [0u8; 32];
        for (i, byte) in hash.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self { id, hash })
    }
}

/// A chain hash as the export writes it: 64 lower-case hex digits.
pub fn hex(hash: &[u8]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Walks the events in id order, one at a time, and stops at the first break.
#[derive(Debug)]
pub struct ChainWalk {
    head: ChainHead,
    prev: ChainHash,
    last_id: i64,
    anchor: Option<Anchor>,
    anchor_seen: bool,
    report: ChainReport,
}

impl ChainWalk {
    pub fn new(head: ChainHead) -> Self {
        let last_id = head.starts_after;
        let report = ChainReport { checked: 0, before_chain: 0, broken: None, breaks: Vec::new() };
        Self { head, prev: GENESIS, last_id, anchor: None, anchor_seen: false, report }
    }

    /// Checks the chain against a hash kept outside the database as well.
    pub fn with_anchor(mut self, anchor: Anchor) -> Self {
        self.anchor = Some(anchor);
        self
    }

    fn broke(&mut self, at: ChainBreak) {
        self.report.broken.get_or_insert_with(|| at.clone());
        self.report.breaks.push(at);
    }

    /// Checks the next event (ids ascending). A break is recorded and the walk goes on
    /// from the event's stored hash, so that the next events are checked on their own.
    pub fn step(&mut self, event: &AuditEvent, stored: Option<&[u8]>) {
        if event.id <= self.head.starts_after {
            self.report.before_chain += 1;
            return;
        }
        let Some(stored) = stored else {
            self.broke(ChainBreak::Unchained { id: event.id });
            return;
        };
        if let Some(anchor) = &self.anchor
            && anchor.id == event.id
        {
            self.anchor_seen = true;
            if stored != anchor.hash {
                let id = anchor.id;
                self.broke(ChainBreak::Anchor { id });
            }
        }
        let expected = link(&self.prev, &ChainedFields::from(event));
        if stored == expected {
            self.report.checked += 1;
            self.prev = expected;
        } else {
            self.broke(ChainBreak::Mismatch { id: event.id });
            match stored.try_into() {
                Ok(hash) => self.prev = hash,
                Err(_) => return,
            }
        }
        self.last_id = event.id;
    }

    /// Compares the end of the walk with the chain head (removing the newest events leaves
    /// every remaining link intact, but not the head), and the anchor with what was seen.
    pub fn finish(mut self) -> ChainReport {
        if let Some(anchor) = self.anchor.clone()
            && !self.anchor_seen
        {
            self.broke(ChainBreak::AnchorMissing { id: anchor.id });
        }
        if self.last_id != self.head.last_id || self.prev != self.head.last_hash {
            let (head_last_id, found_last_id) = (self.head.last_id, self.last_id);
            self.broke(ChainBreak::Tail { head_last_id, found_last_id });
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
            chain_hash: None,
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
            w.step(e, Some(h));
        }
        w.finish()
    }

    #[test]
    fn an_intact_chain_verifies_and_each_kind_of_change_names_its_event() {
        let events: Vec<_> = (1..=5).map(|i| event(i, &format!("e{i}"))).collect();
        let (hashes, head) = chain(&events);
        let intact = ChainReport { checked: 5, before_chain: 0, broken: None, breaks: vec![] };
        assert_eq!(walk(&events, &hashes, &head), intact);

        let mut edited = events.clone();
        edited[2].detail = Some("edited".into());
        assert_eq!(walk(&edited, &hashes, &head).broken, Some(ChainBreak::Mismatch { id: 3 }));

        let (mut removed, mut removed_hashes) = (events.clone(), hashes.clone());
        removed.remove(1);
        removed_hashes.remove(1);
        assert_eq!(walk(&removed, &removed_hashes, &head).broken, Some(ChainBreak::Mismatch { id: 3 }));

        let broken = walk(&events[..4], &hashes[..4], &head).broken.unwrap();
        assert_eq!(broken, ChainBreak::Tail { head_last_id: 5, found_last_id: 4 });

        // Every break is named: two edits far apart, each on its own.
        let mut twice = events.clone();
        twice[1].detail = Some("edited".into());
        twice[3].detail = Some("edited too".into());
        let report = walk(&twice, &hashes, &head);
        assert_eq!(report.breaks, vec![ChainBreak::Mismatch { id: 2 }, ChainBreak::Mismatch { id: 4 }]);
        assert_eq!(report.checked, 3);
    }

    #[test]
    fn an_anchor_catches_a_chain_rewritten_whole() {
        let events: Vec<_> = (1..=4).map(|i| event(i, &format!("e{i}"))).collect();
        let (hashes, head) = chain(&events);
        let kept = Anchor::parse(&format!("2:{}", hex(&hashes[1]))).expect("ID:HASH");
        let anchored = |events: &[AuditEvent], hashes: &[ChainHash], head: &ChainHead, anchor: Anchor| {
            let mut w = ChainWalk::new(head.clone()).with_anchor(anchor);
            for (e, h) in events.iter().zip(hashes) {
                w.step(e, Some(h));
            }
            w.finish()
        };
        assert!(anchored(&events, &hashes, &head, kept.clone()).breaks.is_empty());
        // Rewritten from event 2 on, head and all: every link holds, the anchor does not.
        let mut forged = events.clone();
        forged[1].detail = Some("forged".into());
        let (forged_hashes, forged_head) = chain(&forged);
        let report = anchored(&forged, &forged_hashes, &forged_head, kept.clone());
        assert_eq!(report.breaks, vec![ChainBreak::Anchor { id: 2 }]);
        // The anchored event removed and the chain rebuilt without it.
        let without: Vec<_> = events.iter().filter(|e| e.id != 2).cloned().collect();
        let (rebuilt, rebuilt_head) = chain(&without);
        let report = anchored(&without, &rebuilt, &rebuilt_head, kept);
        assert_eq!(report.breaks, vec![ChainBreak::AnchorMissing { id: 2 }]);
        for bad in ["2", "x:00", "2:zz", &format!("2:{}", "0".repeat(63))] {
            assert!(Anchor::parse(bad).is_none(), "{bad}");
        }
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
