//! The key of the audit chain's links. An unkeyed link (SHA-256 over public fields) can be
//! computed by anyone who may insert an event; a link that is an HMAC-SHA-256 under a key
//! kept outside the database (a file only helpdesk's account reads, `audit.key_file`)
//! cannot, so a forged event appended through SQL breaks the chain however it is linked.
//!
//! The key never appears in a message, a log line or the database: `Debug` hides it, and
//! only `to_hex` (for writing the key file) shows it.

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

/// The secret the chain's links are keyed with; cheap to clone, wiped when the last clone
/// goes.
#[derive(Clone)]
pub struct AuditKey(Arc<Zeroizing<[u8; KEY_LEN]>>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(hidden)")
    }
}

impl AuditKey {
    /// 256 bits from the OS CSPRNG.
    pub fn random() -> Result<Self, CodeError> {
        Ok(Self::from_bytes(random_bytes::<KEY_LEN>()?))
    }

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Arc::new(Zeroizing::new(bytes)))
    }

    /// The key file's text: 64 lower-case hex digits. `None` for anything else (the
    /// surrounding whitespace aside).
    pub fn parse_hex(text: &str) -> Option<Self> {
        let hex = text.trim();
        if hex.len() != 2 * KEY_LEN || !hex.is_ascii() {
            return None;
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(Arc::new(key)))
    }

    /// The key as the key file holds it, for writing that file and nothing else.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(super::hex(&self.0[..]))
    }
}

/// The link an event written under a key stores: HMAC-SHA-256 under `key` over the keyed
/// tag, the predecessor's link and the fields, encoded as the unkeyed link encodes them.
pub fn keyed_link(key: &AuditKey, prev: &ChainHash, e: &ChainedFields<'_>) -> ChainHash {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0[..]).expect("HMAC takes a key of any length");
    encode(&mut mac, KEYED_TAG, prev, e);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_round_trips_through_its_file_text_and_is_never_shown() {
        let key = AuditKey::random().unwrap();
        let again = AuditKey::parse_hex(&format!("{}\n", key.to_hex().as_str())).unwrap();
        assert_eq!(&key.0[..], &again.0[..]);
        assert!(!format!("{key:?}").contains(&key.to_hex()[..8]));
        for bad in ["", "00", &"g".repeat(64), &"0".repeat(63), &"é".repeat(32)] {
            assert!(AuditKey::parse_hex(bad).is_none(), "{bad}");
        }
    }
}
