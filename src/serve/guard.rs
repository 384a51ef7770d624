//! What stands in front of the redemptions: the bounded queue that answers "busy" at
//! once, and the per-address throttle on refused credentials.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Admission to the redemptions: as many as there are cores being hashed plus `queue`
/// waiting. A call that finds no place is not kept waiting: it is told to come back.
#[derive(Clone)]
pub struct Admission {
    places: Arc<Semaphore>,
}

impl Admission {
    /// `cores` redemptions hash at once (`desk::blocking` runs one argon2 job a core); up
    /// to `queue` more wait for a core.
    pub fn new(cores: usize, queue: usize) -> Self {
        Self { places: Arc::new(Semaphore::new(cores + queue)) }
    }

    /// A place, held until the redemption is answered; `None` when all are taken.
    pub fn enter(&self) -> Option<OwnedSemaphorePermit> {
        self.places.clone().try_acquire_owned().ok()
    }
}

/// What the throttle says about one more refused call from an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Audit it, itemised: it is the `n`-th this minute.
    Itemise(u64),
    /// The address passed its allowance just now: audit one event for the rest of the
    /// minute, then answer 429.
    LastItem(u64),
    /// Past the allowance: answer 429 for `retry_after` more seconds, audit nothing more.
    Throttled { retry_after: u64 },
}

/// Refused credentials per client address, in one-minute windows.
pub struct RefusalThrottle {
    per_minute: u64,
    seen: Mutex<HashMap<IpAddr, (Instant, u64)>>,
}

const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; older windows are forgotten first.
const REMEMBERED: usize = 100_000;

impl RefusalThrottle {
    pub fn new(per_minute: u64) -> Self {
        Self { per_minute, seen: Mutex::new(HashMap::new()) }
    }

    /// Seconds this address must wait before it is heard again; `None` when it may call.
    pub fn waiting(&self, address: IpAddr, now: Instant) -> Option<u64> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get(&address) {
            Some(&(start, n)) if n > self.per_minute && now < start + WINDOW => {
                Some((start + WINDOW - now).as_secs().max(1))
            }
            _ => None,
        }
    }

    /// Counts one more refusal from `address`.
    pub fn refuse(&self, address: IpAddr, now: Instant) -> Refused {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= REMEMBERED {
            seen.retain(|_, (start, _)| now < *start + WINDOW);
        }
        let entry = seen.entry(address).or_insert((now, 0));
        if now >= entry.0 + WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        let n = entry.1;
        if n <= self.per_minute {
            Refused::Itemise(n)
        } else if n == self.per_minute + 1 {
            Refused::LastItem(n)
        } else {
            Refused::Throttled { retry_after: (entry.0 + WINDOW - now).as_secs().max(1) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_has_cores_and_queue_places_and_frees_them() {
        let admission = Admission::new(2, 1);
        let held: Vec<_> = (0..3).map(|_| admission.enter().expect("a place")).collect();
        assert!(admission.enter().is_none(), "a fourth call was let in");
        drop(held);
        assert!(admission.enter().is_some(), "places were not given back");
    }

    #[test]
    fn refusals_are_itemised_then_throttled_for_the_rest_of_the_minute() {
        let throttle = RefusalThrottle::new(2);
        let (a, b) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t0 = Instant::now();
        assert_eq!(throttle.refuse(a, t0), Refused::Itemise(1));
        assert_eq!(throttle.waiting(a, t0), None);
        assert_eq!(throttle.refuse(a, t0), Refused::Itemise(2));
        assert_eq!(throttle.refuse(a, t0), Refused::LastItem(3));
        assert_eq!(throttle.waiting(a, t0 + Duration::from_secs(10)), Some(50));
        assert!(matches!(throttle.refuse(a, t0 + Duration::from_secs(1)), Refused::Throttled { retry_after: 59 }));
        // Another address is not held back, and the next minute starts afresh.
        assert_eq!(throttle.refuse(b, t0), Refused::Itemise(1));
        assert_eq!(throttle.waiting(a, t0 + WINDOW), None);
        assert_eq!(throttle.refuse(a, t0 + WINDOW), Refused::Itemise(1));
    }
}
