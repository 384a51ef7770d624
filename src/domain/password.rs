//! Staff passwords, stored as argon2id PHC strings.

use argon2::{PasswordHash, PasswordHasher, PasswordVerifier};
use zeroize::Zeroizing;

use crate::domain::codes::HashCost;

/// Hashing a password failed: the parameters were refused, or argon2 itself failed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    #[error("argon2 parameters rejected")]
    Params(#[source] argon2::Error),
    #[error("hashing the password failed")]
    Hashing(#[source] argon2::password_hash::Error),
}

pub fn hash(cost: &HashCost, password: &Zeroizing<String>) -> Result<String, PasswordHashError> {
    let argon2 = cost.argon2_with_params().map_err(PasswordHashError::Params)?;
    let hash: PasswordHash = argon2.hash_password(password.as_bytes()).map_err(PasswordHashError::Hashing)?;
    Ok(hash.to_string())
}

/// True when the password matches. A malformed stored hash never matches.
pub fn verify(stored: &str, password: &Zeroizing<String>) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the same effort as a real check, so that an unknown username answers no faster
/// than a wrong password.
pub fn verify_nothing(cost: &HashCost, password: &Zeroizing<String>) {
    if let Ok(argon2) = cost.argon2() {
        let mut out = [0u8; 32];
        let _ = argon2.hash_password_into(password.as_bytes(), b"helpdesk-no-such-user", &mut out);
    }
}
