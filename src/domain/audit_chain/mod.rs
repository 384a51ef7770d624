//! The audit log's hash chain. Each event stores a link: a MAC (HMAC-SHA-256 under the
//! audit key, `key.rs`) of the previous event's link and its own canonical content, so
//! that an event edited or removed after it was written breaks the link of the event after
//! it (or, for the newest, the chain head), and an event appended by anyone without the
//! key does not link at all. Events written before the chain was keyed keep their
//! SHA-256 links, checked as before up to `ChainHead::keyed_after`. After `helpdesk audit
//! rotate-key` the key file holds the new key and the retired ones, and each part of the
//! chain is checked under the key it was linked under (`ChainWalk`).
//! Appends take turns on the chain head, in the transaction that writes the event, so
//! that two writers cannot both link to the same predecessor.
//!
//! The chain detects changes made around the program (by the database's owner, by another
//! writer of the database, or by anyone holding the SQLite file) as long as they do not
//! hold the key. An export to a SIEM keeps a copy of the links such a person cannot reach.

use sha2::digest::Update;
use sha2::{Digest, Sha256};

use crate::domain::audit::{AuditAction, AuditEvent, NewAuditEvent};

mod key;
pub use key::{AuditKey, KEY_LEN, keyed_link};

pub const HASH_LEN: usize = 32;
pub type ChainHash = [u8; HASH_LEN];

/// The predecessor of the first chained event.
pub const GENESIS: ChainHash = [0; HASH_LEN];

/// Separates this encoding from any other use of SHA-256; a new layout gets a new tag.
const TAG: &[u8] = b"helpdesk audit chain v1";

/// The stored fields an event's hash covers, in a fixed order. The id is left out: it is
/// assigned by the database as the row is written, after the hash is computed; the order
/// is covered by the link to the predecessor instead. `batch_id` is covered too: the
/// batch a generation event names is what the database checks a batch against (migration
/// 0022), so re-pointing an event at another batch must break its link like any edit.
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
    pub batch_id: Option<i64>,
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
            batch_id: $e.batch_id,
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

/// The link an event written before the chain was keyed stores: SHA-256 over the tag, the
/// predecessor's link and the fields (`encode`). Anyone can compute it; it is checked for
/// the events up to `ChainHead::keyed_after` only.
pub fn link(prev: &ChainHash, e: &ChainedFields<'_>) -> ChainHash {
    let mut h = Sha256::new();
    encode(&mut h, TAG, prev, e);
    h.finalize().into()
}

/// Feeds a link's input to `h`: the tag, the predecessor's link and the fields, each field
/// marked present or absent and each text prefixed by its length, so that no two different
/// events encode alike. `batch_id`, the newest field, comes last and only when present:
/// an event without one encodes exactly as before the field existed (so older links still
/// verify), and as every field before it is self-delimiting, its presence stays
/// unambiguous.
fn encode(h: &mut impl Update, tag: &[u8], prev: &ChainHash, e: &ChainedFields<'_>) {
    fn int(h: &mut impl Update, v: Option<i64>) {
        match v {
            None => h.update(&[0]),
            Some(v) => {
                h.update(&[1]);
                h.update(&v.to_be_bytes());
            }
        }
    }
    fn text(h: &mut impl Update, v: Option<&str>) {
        match v {
            None => h.update(&[0]),
            Some(v) => {
                h.update(&[1]);
                h.update(&(v.len() as u64).to_be_bytes());
                h.update(v.as_bytes());
            }
        }
    }
    h.update(tag);
    h.update(prev);
    int(h, Some(e.at));
    int(h, e.actor_id);
    text(h, Some(e.actor));
    int(h, e.target_id);
    text(h, Some(e.target));
    text(h, Some(e.action));
    text(h, e.identity_check);
    text(h, e.note);
    int(h, e.code_count);
    int(h, e.expires_at);
    text(h, e.detail);
    if e.batch_id.is_some() {
        int(h, e.batch_id);
    }
}

/// Where the chain stands: the newest chained event and its hash. Events up to
/// `starts_after` were written before the chain existed and are not covered; events up to
/// `keyed_after` carry unkeyed links (`link`), every later one a keyed link (`keyed_link`).
/// The first keyed link covers the last unkeyed one as its predecessor, so the unkeyed part
/// cannot be rewritten or cut short without breaking it. Both bounds are fixed by the
/// migrations and refused any change by a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub last_id: i64,
    pub last_hash: ChainHash,
    pub starts_after: i64,
    pub keyed_after: i64,
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {id} does not match its hash: it was edited, or an event before it was removed")]
    Mismatch { id: i64 },
    #[error("event {id} carries an unkeyed SHA-256 link where every link is keyed: it was not written by helpdesk")]
    Unkeyed { id: i64 },
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
    #[error(
        "event {id} is linked under a retired audit key: it was written after the key was rotated, by a process still reading the old key file or by someone who holds the old key"
    )]
    RetiredKey { id: i64 },
    #[error(
        "event {id} rotates the audit key, but the key file holds no newer key, so it and every later event cannot be checked: install the key file that rotation wrote (if it was interrupted, the `.new` file beside the key file)"
    )]
    KeyMissing { id: i64 },
}

impl ChainBreak {
    /// The event at which the chain first fails.
    pub fn event_id(&self) -> i64 {
        match self {
            ChainBreak::Mismatch { id }
            | ChainBreak::Unkeyed { id }
            | ChainBreak::Unchained { id }
            | ChainBreak::Anchor { id }
            | ChainBreak::AnchorMissing { id }
            | ChainBreak::RetiredKey { id }
            | ChainBreak::KeyMissing { id } => *id,
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

/// Walks the events in id order, one at a time, and records each break. The keyed part is
/// checked under the key file's oldest key first, and under the next newer one from each
/// `audit_key_rotated` event on (that event's own link included, which covers the last
/// link under the retiring key), so that each part is checked under its own key and a
/// link made under a retired key after its rotation is reported.
#[derive(Debug)]
pub struct ChainWalk {
    head: ChainHead,
    /// The key file's keys, each alone, the oldest first.
    keys: Vec<AuditKey>,
    /// The one the walk has reached (an index of `keys`).
    in_use: usize,
    /// A rotation had no newer key to move to: nothing after it can be checked.
    key_missing: bool,
    prev: ChainHash,
    last_id: i64,
    anchor: Option<Anchor>,
    anchor_seen: bool,
    report: ChainReport,
}

impl ChainWalk {
    /// A walk checking the links after `head.keyed_after` under `key` and the keys it retired.
    pub fn new(head: ChainHead, key: AuditKey) -> Self {
        let last_id = head.starts_after;
        let report = ChainReport { checked: 0, before_chain: 0, broken: None, breaks: Vec::new() };
        let keys = key.oldest_first();
        Self {
            head,
            keys,
            in_use: 0,
            key_missing: false,
            prev: GENESIS,
            last_id,
            anchor: None,
            anchor_seen: false,
            report,
        }
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
        let fields = ChainedFields::from(event);
        let keyed = event.id > self.head.keyed_after;
        if keyed && !self.key_missing && event.action == AuditAction::AuditKeyRotated.as_str() {
            self.rotate(event.id);
        }
        let expected = match (keyed, self.key_missing) {
            (false, _) => Some(link(&self.prev, &fields)),
            (true, false) => Some(keyed_link(&self.keys[self.in_use], &self.prev, &fields)),
            // Past a rotation to a key the file lacks: nothing can be checked.
            (true, true) => None,
        };
        match expected {
            Some(expected) if stored == expected => {
                self.report.checked += 1;
                self.prev = expected;
            }
            _ => {
                if expected.is_some() {
                    let id = event.id;
                    self.broke(self.why_not(id, stored, &fields, keyed));
                }
                match stored.try_into() {
                    Ok(hash) => self.prev = hash,
                    Err(_) => return,
                }
            }
        }
        self.last_id = event.id;
    }

    /// An `audit_key_rotated` event: its link and the later ones are under the next newer
    /// key, which the key file must hold.
    fn rotate(&mut self, id: i64) {
        if self.in_use + 1 < self.keys.len() {
            self.in_use += 1;
        } else {
            self.key_missing = true;
            self.broke(ChainBreak::KeyMissing { id });
        }
    }

    /// Why event `id`'s stored link is not the one expected: a link anyone could have
    /// computed (where only the key's holder can link), one under a key retired before it,
    /// or anything else.
    fn why_not(&self, id: i64, stored: &[u8], fields: &ChainedFields<'_>, keyed: bool) -> ChainBreak {
        if !keyed {
            ChainBreak::Mismatch { id }
        } else if stored == link(&self.prev, fields) {
            ChainBreak::Unkeyed { id }
        } else if self.keys[..self.in_use].iter().any(|old| stored == keyed_link(old, &self.prev, fields)) {
            ChainBreak::RetiredKey { id }
        } else {
            ChainBreak::Mismatch { id }
        }
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
mod tests;
