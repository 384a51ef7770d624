//! The argon2id hashing of backup codes (RFC 9106): the cost and its floor, and the
//! evaluations a redemption spends, counted and in working memory that is wiped.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use zeroize::Zeroize;

use crate::domain::codes::{CodeError, HASH_LEN, SALT_LEN};

/// The argon2id cost parameters (memory in KiB, passes, lanes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        Self { memory_kib: 19_456, iterations: 2, parallelism: 1 }
    }
}

impl HashCost {
    /// OWASP's argon2id minimums, as (memory in KiB, passes) pairs of equal strength.
    pub const OWASP_MINIMUMS: [(u32, u32); 5] = [(47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5)];

    /// The cost configuration may set: at least one of OWASP's pairs.
    pub fn meets_owasp_minimum(&self) -> Result<(), CodeError> {
        if Self::OWASP_MINIMUMS.iter().any(|&(m, t)| self.memory_kib >= m && self.iterations >= t) {
            Ok(())
        } else {
            Err(CodeError::BelowOwaspMinimum { memory_kib: self.memory_kib, iterations: self.iterations })
        }
    }

    /// The most memory one evaluation may take, in KiB (256 MiB): the service runs one
    /// evaluation a core and keeps two working memories a core, so that a small server
    /// (two cores, 2 GiB) still fits them.
    pub const MAX_MEMORY_KIB: u32 = 262_144;
    /// The most passes, and the most lanes, a cost may ask for.
    pub const MAX_ITERATIONS: u32 = 16;
    pub const MAX_PARALLELISM: u32 = 16;
    /// The most work one evaluation may take, in KiB × passes: 512 MiB of passes, about
    /// 0.4 s of one core on a small server (the default, 19456 KiB × 2, is 28 ms on this
    /// project's benchmark machine: `BENCHMARKS.md`). A batch written with more would let
    /// its writer hold a core per redemption for as long as they like.
    pub const MAX_WORK: u64 = 524_288;

    /// The costs the product writes and uses, and the database accepts for a batch
    /// (migration 0018 holds the same numbers; `tests/service/database_rules.rs` checks
    /// them equal): OWASP's minimum (`meets_owasp_minimum`), at least one lane, and at
    /// most the ceilings above. A stored cost outside them is refused before any hashing.
    pub fn within_bounds(&self) -> Result<(), CodeError> {
        self.meets_owasp_minimum()?;
        let work = u64::from(self.memory_kib) * u64::from(self.iterations);
        if self.memory_kib > Self::MAX_MEMORY_KIB
            || self.iterations > Self::MAX_ITERATIONS
            || !(1..=Self::MAX_PARALLELISM).contains(&self.parallelism)
            || work > Self::MAX_WORK
        {
            return Err(CodeError::CostOutOfBounds { cost: *self });
        }
        Ok(())
    }

    pub fn argon2(&self) -> Result<Argon2<'static>, CodeError> {
        self.argon2_with_params().map_err(CodeError::HashParams)
    }

    /// argon2id at this cost, or argon2's own refusal of the parameters.
    pub fn argon2_with_params(&self) -> Result<Argon2<'static>, argon2::Error> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(HASH_LEN))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// The cores this process may use, asked once (the answer reads cgroup files).
fn cores() -> usize {
    static CORES: std::sync::LazyLock<usize> =
        std::sync::LazyLock::new(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    *CORES
}

/// The hashes of a batch's canonical codes under its salt, in order, computed on every
/// core at once: a batch of ten costs about five evaluations' time on two cores instead
/// of ten. Each worker reuses one working memory for its codes (every evaluation
/// overwrites all of it) and wipes it when done.
///
/// The workers' memories (19 MiB each) come on top of the whole process, so what the
/// allocator holds freed is given back first (`give_back_freed`).
pub(crate) fn hash_all(argon2: &Argon2<'_>, canonical: &[&str], salt: &[u8]) -> Result<Vec<[u8; HASH_LEN]>, CodeError> {
    give_back_freed();
    let per_worker = canonical.len().div_ceil(cores().clamp(1, canonical.len().max(1))).max(1);
    let blocks = argon2.params().block_count();
    std::thread::scope(|scope| {
        let workers: Vec<_> = canonical
            .chunks(per_worker)
            .map(|part| {
                scope.spawn(move || {
                    let mut memory = Memory::new(blocks);
                    part.iter().map(|c| memory.hash(argon2, c, salt)).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a hashing thread panicked")).collect()
    })
}

/// Returns to the system the pages glibc's allocator holds freed, in every thread's arena
/// (`malloc_trim`). An agent's searches leave several megabytes of SQLite's sorts freed
/// but kept in the arenas of its connections' threads; a batch's two working memories
/// on top of them made the process's peak 72 MB at a million users, 60 MB without them
/// (target 64). A millisecond or less, against a batch's 150.
fn give_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes a plain size and only releases free memory of the
    // allocator's own heaps; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The argon2id hash of a canonical code under a batch's salt.
pub fn hash_code(cost: &HashCost, canonical: &str, salt: &[u8]) -> Result<[u8; HASH_LEN], CodeError> {
    let argon2 = cost.argon2()?;
    Memory::new(argon2.params().block_count()).hash(&argon2, canonical, salt)
}

/// What a redemption's evaluations share: a count of them, so that a test can see that
/// every path of a redemption pays for exactly one (what a timing measurement would show,
/// without its noise), and their working memories, kept for the next evaluation instead
/// of mapped afresh (a fresh 19 MiB costs its page faults, about a quarter of an
/// evaluation). A memory is wiped after each use and taken again by an evaluation of the
/// same size; at most two a core are kept (`desk::blocking` runs one evaluation a core).
#[derive(Default)]
pub struct Evaluations {
    count: AtomicU64,
    memories: Mutex<Vec<Memory>>,
}

impl Evaluations {
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for Evaluations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Evaluations({})", self.count())
    }
}

/// `hash_code`, counted, in a kept working memory. A redemption calls it on every path:
/// with the batch's salt and cost when there is a batch and the input can be a code, and
/// otherwise with the configured cost and a fixed salt, so that an unknown user, a
/// malformed code or a user without codes answers no faster than a wrong code.
pub fn hash_code_counted(
    cost: &HashCost,
    input: &str,
    salt: &[u8],
    evaluations: &Evaluations,
) -> Result<[u8; HASH_LEN], CodeError> {
    let argon2 = cost.argon2()?;
    let blocks = argon2.params().block_count();
    let kept = {
        let mut memories = evaluations.memories.lock().unwrap_or_else(|e| e.into_inner());
        memories.iter().position(|m| m.0.len() == blocks).map(|i| memories.swap_remove(i))
    };
    let mut memory = kept.unwrap_or_else(|| Memory::new(blocks));
    let hash = memory.hash(&argon2, input, salt);
    memory.wipe();
    evaluations.count.fetch_add(1, Ordering::SeqCst);
    let mut memories = evaluations.memories.lock().unwrap_or_else(|e| e.into_inner());
    memories.push(memory);
    // Batches hashed at an older cost need memories of another size: the oldest kept
    // beyond two a core are let go.
    while memories.len() > 2 * cores() {
        memories.remove(0);
    }
    hash
}

/// The salt of the evaluation a redemption spends when there is nothing to compare.
pub const NO_BATCH_SALT: &[u8; SALT_LEN] = b"helpdesk-nobatch";

/// Argon2's working memory, owned here so that it is wiped: argon2's own allocation
/// would be freed with the code's derived state still in it.
struct Memory(Vec<Block>);

impl Memory {
    fn new(blocks: usize) -> Self {
        Self(vec![Block::default(); blocks])
    }

    /// Every evaluation overwrites the whole memory before reading it, so whatever an
    /// earlier one left there plays no part.
    fn hash(&mut self, argon2: &Argon2<'_>, canonical: &str, salt: &[u8]) -> Result<[u8; HASH_LEN], CodeError> {
        let mut out = [0u8; HASH_LEN];
        argon2
            .hash_password_into_with_memory(canonical.as_bytes(), salt, &mut out, &mut self.0[..])
            .map_err(CodeError::Hashing)?;
        Ok(out)
    }

    fn wipe(&mut self) {
        self.0.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        self.wipe();
    }
}
