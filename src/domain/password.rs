//! Staff passwords, stored as argon2id PHC strings.

use argon2::{PasswordHash, PasswordHasher, PasswordVerifier};
use zeroize::Zeroizing;

use crate::domain::codes::{CodeError, HashCost};

pub fn hash(cost: &HashCost, password: &Zeroizing<String>) -> Result<String, CodeError> {
    let argon2 = cost.argon2()?;
    let hash: PasswordHash =
        argon2.hash_password(password.as_bytes()).map_err(|e| CodeError::Hashing(e.to_string()))?;
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
