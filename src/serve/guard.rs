//! What stands in front of the redemptions: the bounded queue that answers "busy" at
//! once, the per-address throttle on refused credentials, and the per-address cap on open
//! connections.

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
    total: usize,
}

impl Admission {
    /// `cores` redemptions hash at once (`desk::blocking` runs one argon2 job a core); up
    /// to `queue` more wait for a core.
    pub fn new(cores: usize, queue: usize) -> Self {
        Self { places: Arc::new(Semaphore::new(cores + queue)), total: cores + queue }
    }

    /// Places in all, `cores + queue`.
    pub fn places(&self) -> usize {
        self.total
    }

    /// Places held now by redemptions being hashed or waiting for a core.
    pub fn in_use(&self) -> usize {
        self.total.saturating_sub(self.places.available_permits())
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
    /// Every address together passed `ITEMISED_PER_MINUTE` just now: audit one event saying
    /// so, then answer 401 without an event of its own until the minute ends.
    BudgetSpent,
    /// Answer 401; the event that said the budget was spent stands for this one.
    Uncounted,
}

/// Refused credentials per client address (an IPv6 address by its /64, what one host
/// is usually given), in one-minute windows, under a budget for all addresses together.
pub struct RefusalThrottle {
    per_minute: u64,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    /// Refusals counted in the database this minute, and when the minute began.
    shared: Option<(Instant, u64)>,
    by_address: HashMap<IpAddr, (Instant, u64)>,
    /// Itemised refusals of every address in the current minute, and when it began.
    all: Option<(Instant, u64)>,
}

const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; older windows are forgotten first, and while the table is
/// still full a new address is throttled at once.
const REMEMBERED: usize = 100_000;
/// Itemised refusals a minute for all addresses together: past it, refusals are counted
/// in one event, so that many addresses cannot fill the audit log (or hold its writer).
pub const ITEMISED_PER_MINUTE: u64 = 200;

/// Open connections by client address (IPv6 by its /64): one address holds at most `max`,
/// so that one host cannot take every place of `serve.max_connections`.
#[derive(Clone)]
pub struct PerAddress {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max: usize,
}

/// A place held by one connection from an address; given back when dropped.
pub struct AddressPlace {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    key: IpAddr,
}

impl PerAddress {
    pub fn new(max: usize) -> Self {
        Self { open: Arc::default(), max }
    }

    /// A place for one more connection from `address`; `None` when it holds `max` already.
    pub fn enter(&self, address: IpAddr) -> Option<AddressPlace> {
        let key = key(address);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let held = open.entry(key).or_insert(0);
        if *held >= self.max {
            return None;
        }
        *held += 1;
        Some(AddressPlace { open: self.open.clone(), key })
    }
}

impl Drop for AddressPlace {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = open.get_mut(&self.key) {
            *held -= 1;
            if *held == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// One more in a one-minute window that starts at its first count; the count so far.
fn count_in_window(window: &mut Option<(Instant, u64)>, now: Instant) -> u64 {
    let counted = match *window {
        Some((began, n)) if now < began + WINDOW => (began, n + 1),
        _ => (now, 1),
    };
    *window = Some(counted);
    counted.1
}

/// The key an address is counted under: itself, or its /64 for IPv6 (an IPv4-mapped IPv6
/// address as IPv4).
pub fn key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

impl RefusalThrottle {
    pub fn new(per_minute: u64) -> Self {
        Self { per_minute, seen: Mutex::new(Seen::default()) }
    }

    /// Seconds this address must wait before it is heard again; `None` when it may call.
    pub fn waiting(&self, address: IpAddr, now: Instant) -> Option<u64> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match seen.by_address.get(&key(address)) {
            Some(&(start, n)) if n > self.per_minute && now < start + WINDOW => {
                Some((start + WINDOW - now).as_secs().max(1))
            }
            _ => None,
        }
    }

    /// Whether one more refusal may be counted in the database this minute: at most
    /// `ITEMISED_PER_MINUTE` a minute from this process, so that a flood from many
    /// addresses cannot hold the database's writer; past it each process counts alone.
    pub fn may_share(&self, now: Instant) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        count_in_window(&mut seen.shared, now) <= ITEMISED_PER_MINUTE
    }

    /// Counts one more refusal from `address`. `shared` is what every instance on the
    /// database counted (`HelpDesk::count_serve_refusal`): the seconds left of the address's
    /// minute and its refusals in it, this one included; `None` (the database could not
    /// count) counts in this process alone.
    pub fn refuse(&self, address: IpAddr, now: Instant, shared: Option<(u64, u64)>) -> Refused {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let address = key(address);
        if seen.by_address.len() >= REMEMBERED && !seen.by_address.contains_key(&address) {
            seen.by_address.retain(|_, (start, _)| now < *start + WINDOW);
            if seen.by_address.len() >= REMEMBERED {
                return Refused::Throttled { retry_after: WINDOW.as_secs() };
            }
        }
        let entry = seen.by_address.entry(address).or_insert((now, 0));
        match shared {
            Some((left, refused)) => {
                let left = Duration::from_secs(left).min(WINDOW);
                *entry = ((now + left).checked_sub(WINDOW).unwrap_or(now), refused);
            }
            None => {
                if now >= entry.0 + WINDOW {
                    *entry = (now, 0);
                }
                entry.1 += 1;
            }
        }
        let (n, start) = (entry.1, entry.0);
        let verdict = if n <= self.per_minute {
            Refused::Itemise(n)
        } else if n == self.per_minute + 1 {
            Refused::LastItem(n)
        } else {
            return Refused::Throttled { retry_after: (start + WINDOW - now).as_secs().max(1) };
        };
        // The budget for every address together.
        match count_in_window(&mut seen.all, now) {
            n if n <= ITEMISED_PER_MINUTE => verdict,
            n if n == ITEMISED_PER_MINUTE + 1 => Refused::BudgetSpent,
            _ => Refused::Uncounted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_holds_at_most_its_places_and_gives_them_back() {
        let cap = PerAddress::new(2);
        let one: IpAddr = "2001:db8::1".parse().unwrap();
        let same_host: IpAddr = "2001:db8::2".parse().unwrap();
        let other: IpAddr = "192.0.2.9".parse().unwrap();
        let (a, _b) = (cap.enter(one).unwrap(), cap.enter(same_host).unwrap());
        assert!(cap.enter(one).is_none(), "a third place for one /64");
        assert!(cap.enter(other).is_some(), "another address was refused");
        drop(a);
        assert!(cap.enter(one).is_some(), "a closed connection's place was not given back");
    }

    #[test]
    fn the_queue_has_cores_and_queue_places_and_frees_them() {
        let admission = Admission::new(2, 1);
        let held: Vec<_> = (0..3).map(|_| admission.enter().expect("a place")).collect();
        assert!(admission.enter().is_none(), "a fourth call was let in");
        assert_eq!((admission.in_use(), admission.places()), (3, 3));
        drop(held);
        assert_eq!(admission.in_use(), 0);
        assert!(admission.enter().is_some(), "places were not given back");
    }

    #[test]
    fn refusals_are_itemised_then_throttled_for_the_rest_of_the_minute() {
        let throttle = RefusalThrottle::new(2);
        let (a, b) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t0 = Instant::now();
        assert_eq!(throttle.refuse(a, t0, None), Refused::Itemise(1));
        assert_eq!(throttle.waiting(a, t0), None);
        assert_eq!(throttle.refuse(a, t0, None), Refused::Itemise(2));
        assert_eq!(throttle.refuse(a, t0, None), Refused::LastItem(3));
        assert_eq!(throttle.waiting(a, t0 + Duration::from_secs(10)), Some(50));
        assert!(matches!(
            throttle.refuse(a, t0 + Duration::from_secs(1), None),
            Refused::Throttled { retry_after: 59 }
        ));
        // Another address is not held back, and the next minute starts afresh.
        assert_eq!(throttle.refuse(b, t0, None), Refused::Itemise(1));
        assert_eq!(throttle.waiting(a, t0 + WINDOW), None);
        assert_eq!(throttle.refuse(a, t0 + WINDOW, None), Refused::Itemise(1));
    }

    #[test]
    fn the_database_counts_a_budget_of_refusals_a_minute() {
        let throttle = RefusalThrottle::new(2);
        let t0 = Instant::now();
        assert!((0..ITEMISED_PER_MINUTE).all(|_| throttle.may_share(t0)));
        assert!(!throttle.may_share(t0 + Duration::from_secs(59)));
        assert!(throttle.may_share(t0 + WINDOW));
    }

    #[test]
    fn the_count_of_every_instance_decides() {
        let throttle = RefusalThrottle::new(2);
        let (a, t0) = ("192.0.2.1".parse().unwrap(), Instant::now());
        // Other instances refused this address twice already, 30 s into its minute.
        assert_eq!(throttle.refuse(a, t0, Some((30, 3))), Refused::LastItem(3));
        assert_eq!(throttle.waiting(a, t0), Some(30));
        assert_eq!(throttle.waiting(a, t0 + Duration::from_secs(30)), None);
        // A stored window that claims more than a minute is held to one.
        assert!(matches!(throttle.refuse(a, t0, Some((1_000_000, 9))), Refused::Throttled { retry_after: 60 }));
    }

    #[test]
    fn an_ipv6_host_is_one_address_and_all_addresses_share_a_budget() {
        let throttle = RefusalThrottle::new(1);
        let t0 = Instant::now();
        let (one, other) = ("2001:db8::1".parse().unwrap(), "2001:db8::ffff:2".parse().unwrap());
        assert_eq!(throttle.refuse(one, t0, None), Refused::Itemise(1));
        assert_eq!(throttle.refuse(other, t0, None), Refused::LastItem(2), "the same /64 counted apart");
        let budget = RefusalThrottle::new(1_000);
        let verdicts: Vec<Refused> = (0..ITEMISED_PER_MINUTE as u32 + 2)
            .map(|i| budget.refuse(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)), t0, None))
            .collect();
        assert!(verdicts[..ITEMISED_PER_MINUTE as usize].iter().all(|v| matches!(v, Refused::Itemise(1))));
        assert_eq!(verdicts[ITEMISED_PER_MINUTE as usize], Refused::BudgetSpent);
        assert_eq!(verdicts[ITEMISED_PER_MINUTE as usize + 1], Refused::Uncounted);
    }
}
