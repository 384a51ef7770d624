//! The systems that call `helpdesk serve` (the Digital Banking login): each has a name and
//! its own bearer token (RFC 6750).
//!
//! A token is 256 bits from the OS CSPRNG, shown once, and stored as its SHA-256 only.
//! A slow hash such as argon2 exists to make guessing a low-entropy secret (a password)
//! expensive; nobody guesses 2^256 values, so one SHA-256 is as safe here, and it lets
//! every call be checked with one indexed lookup instead of an argon2 evaluation that
//! would compete with the redemptions themselves. A stolen table of hashes gives no token.

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::domain::codes::{CodeError, random_bytes};

/// What every token starts with, so that a secret scanner (and a person) can tell one.
pub const TOKEN_PREFIX: &str = "hds_";
/// Random bytes in a token: 256 bits.
pub const TOKEN_BYTES: usize = 32;
/// A client's name: 1 to 64 of a–z, 0–9, `.`, `-`, `_`.
pub const NAME_MAX: usize = 64;

/// A calling system as the service lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeClient {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    /// The admin who created it.
    pub created_by: String,
    pub revoked_at: Option<i64>,
}

/// A new bearer token: the text shown once, and the hash that is kept.
pub struct NewToken {
    pub token: Zeroizing<String>,
    pub hash: [u8; 32],
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewToken(hidden)")
    }
}

/// Draws a token: `hds_` and 64 lowercase hex digits (256 bits).
pub fn new_token() -> Result<NewToken, CodeError> {
    let bytes = Zeroizing::new(random_bytes::<TOKEN_BYTES>()?);
    let mut token = Zeroizing::new(String::with_capacity(TOKEN_PREFIX.len() + 2 * TOKEN_BYTES));
    token.push_str(TOKEN_PREFIX);
    for b in bytes.iter() {
        token.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        token.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    let hash = token_hash(&token);
    Ok(NewToken { token, hash })
}

/// The SHA-256 of a token as presented (bytes as sent, nothing folded).
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The token of an `Authorization` header's value: `Bearer` (any case, RFC 7235's
/// auth-scheme), one or more spaces, then the token. `None` for any other shape.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, rest) = header.split_once(' ')?;
    let token = rest.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' ')).then_some(token)
}

/// Checks a client's name; the error says what a name may be.
pub fn client_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let ok = (1..=NAME_MAX).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "a client's name is 1 to {NAME_MAX} of a-z, 0-9, '.', '-' and '_' (for example digital-banking-login)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_256_bits_in_hex_and_hashes_to_what_is_kept() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.token.len(), TOKEN_PREFIX.len() + 64);
        assert!(a.token.starts_with(TOKEN_PREFIX));
        assert!(a.token[TOKEN_PREFIX.len()..].bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a.hash, b.hash, "two tokens hashed alike");
        assert_eq!(token_hash(&a.token), a.hash);
        assert_eq!(format!("{a:?}"), "NewToken(hidden)");
    }

    #[test]
    fn only_a_bearer_header_gives_a_token() {
        assert_eq!(bearer("Bearer hds_abc"), Some("hds_abc"));
        assert_eq!(bearer("bearer   hds_abc"), Some("hds_abc"));
        assert_eq!(bearer("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearer a b"), None);
    }

    #[test]
    fn a_client_name_is_a_short_lowercase_word() {
        assert_eq!(client_name(" digital-banking.login_1 "), Ok("digital-banking.login_1".into()));
        for bad in ["", "Digital", "a b", "ünïcode", &"x".repeat(65), "login;drop"] {
            assert!(client_name(bad).is_err(), "{bad:?} was taken");
        }
    }
}
