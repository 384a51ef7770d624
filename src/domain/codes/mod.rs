//! Backup codes: the alphabet, the policy, generation from the OS CSPRNG. Normalization of
//! what a person types is `typed`'s, the phone read-out `read_out`'s, their argon2id
//! hashing `code_hash`'s.

mod read_out;
mod typed;

use std::fmt;

use rand::TryRng;
use rand::rngs::SysRng;
use zeroize::Zeroizing;

use crate::domain::code_hash::hash_all;
pub use crate::domain::code_hash::{Evaluations, HashCost, NO_BATCH_SALT, hash_code, hash_code_counted};
pub use read_out::phonetic_word;
pub use typed::normalize;

/// Crockford base32: digits and capitals without I, L, O and U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Each character carries log2(32) bits.
pub const BITS_PER_CHAR: u32 = 5;
/// A code weaker than this is refused by configuration.
pub const MIN_BITS: u32 = 40;
pub const SALT_LEN: usize = 16;
pub const HASH_LEN: usize = 32;

/// A guess at any of a batch's codes must still face this many bits: a code's bits less
/// log2 of the codes in a batch.
pub const MIN_BATCH_BITS: f64 = 50.0;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CodeError {
    #[error(
        "a code of {length} characters carries {bits} bits; at least {MIN_BITS} bits ({} characters) are required",
        MIN_BITS.div_ceil(BITS_PER_CHAR)
    )]
    TooWeak { length: usize, bits: u32 },
    #[error("codes may be at most 32 characters long (asked for {0})")]
    TooLong(usize),
    #[error("a batch holds between 1 and 100 codes (asked for {0})")]
    BadCount(usize),
    #[error(
        "{count} codes of {bits} bits leave {left:.1} bits against a guess at any of them; at least {MIN_BATCH_BITS} are required (use longer codes or fewer of them)"
    )]
    BatchTooGuessable { count: usize, bits: u32, left: f64 },
    #[error(
        "argon2 with {memory_kib} KiB and {iterations} passes is below OWASP's minimum (19456 KiB with 2 passes, or an equivalent pair such as 47104 KiB with 1, 12288 with 3, 9216 with 4, 7168 with 5)"
    )]
    BelowOwaspMinimum { memory_kib: u32, iterations: u32 },
    #[error(
        "argon2 with {} KiB, {} passes and {} lanes is above the ceiling (at most {} KiB, {} passes, {} lanes, {} KiB × passes)",
        cost.memory_kib, cost.iterations, cost.parallelism, HashCost::MAX_MEMORY_KIB, HashCost::MAX_ITERATIONS,
        HashCost::MAX_PARALLELISM, HashCost::MAX_WORK
    )]
    CostOutOfBounds { cost: HashCost },
    #[error("argon2 parameters rejected: {0}")]
    HashParams(#[source] argon2::Error),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("argon2 failed: {0}")]
    Hashing(#[source] argon2::Error),
}

/// How many codes a batch holds, how long they are, when they expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodePolicy {
    count: usize,
    length: usize,
    group: usize,
    expiry_secs: Option<i64>,
    cost: HashCost,
}

impl CodePolicy {
    pub fn new(
        count: usize,
        length: usize,
        group: usize,
        expiry_secs: Option<i64>,
        cost: HashCost,
    ) -> Result<Self, CodeError> {
        let bits = length as u32 * BITS_PER_CHAR;
        if bits < MIN_BITS {
            return Err(CodeError::TooWeak { length, bits });
        }
        if length > MAX_LENGTH {
            return Err(CodeError::TooLong(length));
        }
        if !(1..=100).contains(&count) {
            return Err(CodeError::BadCount(count));
        }
        // Any of the batch's codes opens the account: each extra code is an extra target.
        let left = f64::from(bits) - (count as f64).log2();
        if left < MIN_BATCH_BITS {
            return Err(CodeError::BatchTooGuessable { count, bits, left });
        }
        cost.argon2()?;
        Ok(Self { count, length, group: group.max(1), expiry_secs, cost })
    }

    pub fn count(&self) -> usize {
        self.count
    }
    pub fn length(&self) -> usize {
        self.length
    }
    pub fn bits_per_code(&self) -> u32 {
        self.length as u32 * BITS_PER_CHAR
    }
    pub fn expiry_secs(&self) -> Option<i64> {
        self.expiry_secs
    }
    pub fn cost(&self) -> HashCost {
        self.cost
    }
    pub fn group(&self) -> usize {
        self.group
    }
}

impl Default for CodePolicy {
    fn default() -> Self {
        Self::new(10, 12, 4, Some(72 * 3600), HashCost::default()).expect("default policy is valid")
    }
}

/// One backup code in canonical form. It never prints itself: `Debug` and the masked
/// form hide it, and its memory is wiped when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct BackupCode {
    canonical: Zeroizing<String>,
    group: usize,
}

impl fmt::Debug for BackupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackupCode({} characters, hidden)", self.canonical.len())
    }
}

impl BackupCode {
    /// The code as it is shown when revealed: `XXXX-XXXX-XXXX`.
    pub fn grouped(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(self.canonical.len() * 2));
        for (i, c) in self.canonical.chars().enumerate() {
            if i > 0 && i % self.group == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// The same shape with every character hidden.
    pub fn masked(&self) -> String {
        let mut out = String::new();
        for i in 0..self.canonical.len() {
            if i > 0 && i % self.group == 0 {
                out.push('-');
            }
            out.push('•');
        }
        out
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// A code from typed text, for fixtures and tools; `None` if it cannot be a code.
    pub fn parse(typed: &str, group: usize) -> Option<Self> {
        normalize(typed).map(|canonical| Self { canonical, group: group.max(1) })
    }
}

/// The longest code any configuration can issue.
pub const MAX_LENGTH: usize = 32;

/// The codes of a new batch, and what the store keeps of them: one salt, one hash each.
pub struct GeneratedBatch {
    pub codes: Vec<BackupCode>,
    pub salt: [u8; SALT_LEN],
    pub hashes: Vec<[u8; HASH_LEN]>,
}

impl fmt::Debug for GeneratedBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GeneratedBatch({} codes, hidden)", self.codes.len())
    }
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], CodeError> {
    let mut buf = [0u8; N];
    SysRng.try_fill_bytes(&mut buf).map_err(|e| CodeError::Random(e.to_string()))?;
    Ok(buf)
}

/// Draws a new batch from the OS CSPRNG and hashes every code with one per-batch salt,
/// on every core at once (`code_hash::hash_all`).
pub fn generate(policy: &CodePolicy) -> Result<GeneratedBatch, CodeError> {
    let salt = random_bytes::<SALT_LEN>()?;
    let argon2 = policy.cost.argon2()?;
    let mut codes: Vec<BackupCode> = Vec::with_capacity(policy.count);
    while codes.len() < policy.count {
        let mut raw = Zeroizing::new(vec![0u8; policy.length]);
        SysRng.try_fill_bytes(&mut raw).map_err(|e| CodeError::Random(e.to_string()))?;
        // 32 divides 256, so the low five bits of a uniform byte are uniform.
        let canonical: Zeroizing<String> =
            Zeroizing::new(raw.iter().map(|b| ALPHABET[(b & 0x1f) as usize] as char).collect());
        let code = BackupCode { canonical, group: policy.group };
        if !codes.contains(&code) {
            codes.push(code); // a repeat within one batch would make two codes one
        }
    }
    let canonical: Vec<&str> = codes.iter().map(BackupCode::canonical).collect();
    let hashes = hash_all(&argon2, &canonical, &salt)?;
    Ok(GeneratedBatch { codes, salt, hashes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> CodePolicy {
        CodePolicy::new(10, 12, 4, None, HashCost { memory_kib: 64, iterations: 1, parallelism: 1 }).unwrap()
    }

    #[test]
    fn refuses_codes_under_forty_bits() {
        assert_eq!(
            CodePolicy::new(10, 7, 4, None, HashCost::default()),
            Err(CodeError::TooWeak { length: 7, bits: 35 })
        );
        // 8 characters are 40 bits, but ten of them leave 36.7 bits against a guess at any.
        assert!(matches!(
            CodePolicy::new(10, 8, 4, None, HashCost::default()),
            Err(CodeError::BatchTooGuessable { count: 10, bits: 40, .. })
        ));
        assert!(matches!(
            CodePolicy::new(100, 11, 4, None, HashCost::default()),
            Err(CodeError::BatchTooGuessable { count: 100, bits: 55, .. })
        ));
        assert!(CodePolicy::new(1, 10, 4, None, HashCost::default()).is_ok());
        assert!(CodePolicy::new(10, 12, 4, None, HashCost::default()).is_ok());
    }

    #[test]
    fn argon2_costs_below_owasp_are_refused() {
        let cost = |memory_kib, iterations| HashCost { memory_kib, iterations, parallelism: 1 };
        assert!(cost(19_456, 2).meets_owasp_minimum().is_ok());
        assert!(cost(47_104, 1).meets_owasp_minimum().is_ok());
        assert!(cost(7_168, 5).meets_owasp_minimum().is_ok());
        assert!(cost(19_456, 1).meets_owasp_minimum().is_err());
        assert!(cost(8, 1).meets_owasp_minimum().is_err());
        assert!(cost(9_000, 4).meets_owasp_minimum().is_err());
    }

    #[test]
    fn argon2_costs_above_the_ceiling_are_refused() {
        let cost = |memory_kib, iterations, parallelism| HashCost { memory_kib, iterations, parallelism };
        assert!(HashCost::default().within_bounds().is_ok());
        assert!(cost(262_144, 2, 16).within_bounds().is_ok());
        assert!(cost(7_168, 16, 1).within_bounds().is_ok());
        assert!(cost(262_145, 2, 1).within_bounds().is_err());
        assert!(cost(19_456, 17, 1).within_bounds().is_err());
        assert!(cost(19_456, 2, 17).within_bounds().is_err());
        assert!(cost(19_456, 2, 0).within_bounds().is_err());
        assert!(cost(65_536, 9, 1).within_bounds().is_err(), "more work than the ceiling");
        assert!(cost(19_456, 4_000_000_000, 1).within_bounds().is_err());
        assert!(matches!(cost(8, 1, 1).within_bounds(), Err(CodeError::BelowOwaspMinimum { .. })));
    }

    #[test]
    fn generated_codes_use_the_alphabet_and_differ() {
        let batch = generate(&cheap()).unwrap();
        assert_eq!(batch.codes.len(), 10);
        assert_eq!(batch.hashes.len(), 10);
        for code in &batch.codes {
            assert_eq!(code.canonical().len(), 12);
            assert!(code.canonical().bytes().all(|b| ALPHABET.contains(&b)), "a code left the alphabet");
            assert_eq!(code.grouped().len(), 14);
            assert_eq!(code.masked(), "••••-••••-••••");
        }
        let mut seen: Vec<_> = batch.codes.iter().map(|c| c.canonical().to_owned()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 10, "codes in a batch repeat");
    }

    #[test]
    fn a_code_hashes_the_same_however_it_was_typed() {
        let policy = cheap();
        let batch = generate(&policy).unwrap();
        let typed = batch.codes[3].grouped().to_lowercase().replace('-', " ");
        let canon = normalize(&typed).unwrap();
        let hash = hash_code(&policy.cost(), &canon, &batch.salt).unwrap();
        assert!(hash == batch.hashes[3], "normalized input did not hash to the stored hash");
    }

    #[test]
    fn hashing_in_our_own_memory_matches_argon2s_reference() {
        let cost = HashCost { memory_kib: 64, iterations: 1, parallelism: 1 };
        let mut reference = [0u8; HASH_LEN];
        cost.argon2().unwrap().hash_password_into(b"ABCDEFGHJKMN", b"0123456789abcdef", &mut reference).unwrap();
        assert!(hash_code(&cost, "ABCDEFGHJKMN", b"0123456789abcdef").unwrap() == reference);
        let counted = Evaluations::default();
        hash_code_counted(&cost, "x", NO_BATCH_SALT, &counted).unwrap();
        assert_eq!(counted.count(), 1);
    }

    #[test]
    fn debug_never_shows_a_code() {
        let batch = generate(&cheap()).unwrap();
        let shown = format!("{:?} {:?}", batch, batch.codes[0]);
        assert!(!shown.contains(batch.codes[0].canonical()));
    }
}
