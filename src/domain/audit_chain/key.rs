//! The key of the audit chain's links. An unkeyed link (SHA-256 over public fields) can be
//! computed by anyone who may insert an event; a link that is an HMAC-SHA-256 under a key
//! kept outside the database (a file only helpdesk's account reads, `audit.key_file`)
//! cannot, so a forged event appended through SQL breaks the chain however it is linked.
//!
//! The key never appears in a message, a log line or the database: `Debug` hides it, and
//! only `to_file_text` (for writing the key file) shows it.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{ChainHash, ChainedFields, encode};
use crate::domain::codes::{CodeError, random_bytes};

/// 256 bits, as HMAC-SHA-256 uses a key of one block or less without hashing it first.
pub const KEY_LEN: usize = 32;

/// Separates the keyed encoding from the unkeyed one (`super::TAG`).
const KEYED_TAG: &[u8] = b"helpdesk audit chain v2 hmac-sha256";

/// The secret the chain's links are keyed with, and the keys it retired: the key file's
/// keys, newest first. New links are made under the newest; the retired ones are kept so
/// that the links made under them can still be checked (`ChainWalk`, which moves from one
/// key to the next at each `audit_key_rotated` event). Cheap to clone, wiped when the last
/// clone goes.
#[derive(Clone)]
pub struct AuditKey(Arc<Vec<Zeroizing<[u8; KEY_LEN]>>>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey(hidden, {} retired)", self.0.len() - 1)
    }
}

impl AuditKey {
    /// 256 bits from the OS CSPRNG, with nothing retired.
    pub fn random() -> Result<Self, CodeError> {
        Ok(Self::from_bytes(random_bytes::<KEY_LEN>()?))
    }

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Arc::new(vec![Zeroizing::new(bytes)]))
    }

    /// A new key from the OS CSPRNG, which retires every key of this one (`helpdesk audit
    /// rotate-key`).
    pub fn rotated(&self) -> Result<Self, CodeError> {
        let mut keys = vec![Zeroizing::new(random_bytes::<KEY_LEN>()?)];
        keys.extend(self.0.iter().cloned());
        Ok(Self(Arc::new(keys)))
    }

    /// How many keys this one retired.
    pub fn retired(&self) -> usize {
        self.0.len() - 1
    }

    /// The key file's text: one key a line, 64 hex digits, the newest first (one line before
    /// any rotation). Blank lines and the whitespace around a key are ignored. `None` for
    /// anything else, or for no key at all.
    pub fn parse_file(text: &str) -> Option<Self> {
        let keys = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(parse_one).collect::<Option<Vec<_>>>()?;
        (!keys.is_empty()).then(|| Self(Arc::new(keys)))
    }

    /// The key file's text (`parse_file`), for writing that file and nothing else.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::new());
        for key in self.0.iter() {
            text.push_str(&super::hex(&key[..]));
            text.push('\n');
        }
        text
    }

    /// Each key alone, the oldest first: the order the chain used them in.
    pub(super) fn oldest_first(&self) -> Vec<AuditKey> {
        self.0.iter().rev().map(|k| Self(Arc::new(vec![k.clone()]))).collect()
    }
}

fn parse_one(hex: &str) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    if hex.len() != 2 * KEY_LEN || !hex.is_ascii() {
        return None;
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// The link an event written under a key stores: HMAC-SHA-256 under `key`'s newest key over
/// the keyed tag, the predecessor's link and the fields, encoded as the unkeyed link
/// encodes them.
pub fn keyed_link(key: &AuditKey, prev: &ChainHash, e: &ChainedFields<'_>) -> ChainHash {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0[0][..]).expect("HMAC takes a key of any length");
    encode(&mut mac, KEYED_TAG, prev, e);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_round_trip_through_their_file_text_and_are_never_shown() {
        let key = AuditKey::random().unwrap();
        let text = key.to_file_text();
        assert_eq!(text.len(), 65, "one line of 64 hex digits");
        let again = AuditKey::parse_file(&text).unwrap();
        assert_eq!(&key.0[..], &again.0[..]);
        assert!(!format!("{key:?}").contains(&text[..8]));
        for bad in ["", "\n", "00", &"g".repeat(64), &"0".repeat(63), &"é".repeat(32), &format!("{}\nxx", &text[..64])]
        {
            assert!(AuditKey::parse_file(bad).is_none(), "{bad}");
        }
        // Rotated: the new key first, every older one after it, and back from the file.
        let rotated = key.rotated().unwrap().rotated().unwrap();
        assert_eq!(rotated.retired(), 2);
        assert_eq!(&rotated.0[2..], &key.0[..]);
        assert_ne!(rotated.0[0], rotated.0[1]);
        let text = rotated.to_file_text();
        assert!(text.ends_with(&key.to_file_text()[..]), "the oldest key comes last");
        assert_eq!(&AuditKey::parse_file(&format!("\n{}\n", &text[..])).unwrap().0[..], &rotated.0[..]);
        assert_eq!(rotated.oldest_first()[0].0[0], key.0[0]);
    }
}
