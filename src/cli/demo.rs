//! `helpdesk demo`: a database with an institution, demo staff and realistic customers,
//! many of them with international phone numbers. Deterministic, so the README's names
//! are always there.

use std::io::IsTerminal;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use zeroize::Zeroizing;

use super::exit::{Failure, SUCCESS};
use crate::config::Config;
use crate::desk::NewUser;
use crate::desk::{DeskResult, HelpDesk, redact_url};
use crate::domain::access::Permission;
use crate::domain::codes::HashCost;
use crate::domain::institution::TwoFactorMethod;
use crate::domain::password;
use crate::domain::time;
use crate::domain::user::{Enrolment, StaffRole, UserKind};

pub const DEFAULT_URL: &str = "sqlite://helpdesk-demo.db";
pub const DEFAULT_CUSTOMERS: u64 = 200;

/// The demo's staff: username, name, role, may generate codes, password.
pub const DEMO_STAFF: [(&str, &str, &str, StaffRole, bool, &str); 5] = [
    ("ada.admin", "Ada", "Lovelace", StaffRole::Admin, true, "admin-demo-pass-2026"),
    // The second admin the two-person rule needs.
    ("ben.admin", "Ben", "Mensah", StaffRole::Admin, true, "ben-demo-pass-2026"),
    ("alex.agent", "Alex", "Rivera", StaffRole::Agent, true, "agent-demo-pass-2026"),
    ("nora.noperm", "Nora", "Quinn", StaffRole::Agent, false, "nora-demo-pass-2026"),
    ("sam.teller", "Sam", "Okoro", StaffRole::Agent, true, "sam-demo-pass-2026"),
];

/// The demo staff's authenticator secrets, published like their passwords (base32): the
/// demo's sign-in screen shows their current codes, and any authenticator app takes them.
pub const DEMO_FACTOR_SECRETS: [(&str, &str); 5] = [
    ("ada.admin", "HELPDESKDEMOADAXXXXXXXXXXXXXXXXX"),
    ("ben.admin", "HELPDESKDEMOBENXXXXXXXXXXXXXXXXX"),
    ("alex.agent", "HELPDESKDEMOALEXXXXXXXXXXXXXXXXX"),
    ("nora.noperm", "HELPDESKDEMONORAXXXXXXXXXXXXXXXX"),
    ("sam.teller", "HELPDESKDEMOSAMXXXXXXXXXXXXXXXXX"),
];

/// A demo member of staff's published secret.
pub fn demo_factor(username: &str) -> Option<crate::domain::second_factor::FactorSecret> {
    DEMO_FACTOR_SECRETS
        .iter()
        .find(|(u, _)| *u == username)
        .and_then(|(_, s)| crate::domain::second_factor::FactorSecret::from_base32(s))
}

/// Signs a demo member of staff in with their published password and, where the database
/// asks for it, the code of their published secret (the next step's when this step's was
/// used already): what `serve --demo` does to make its token, and the tests' sign-in.
pub async fn sign_in_demo(
    desk: &crate::desk::HelpDesk,
    username: &str,
) -> crate::desk::DeskResult<crate::desk::Session> {
    use crate::desk::{DeskError, SignIn};
    let password = DEMO_STAFF.iter().find(|s| s.0 == username).ok_or(DeskError::NoSuchUser)?.5;
    match desk.sign_in(username, Zeroizing::new(password.to_owned())).await? {
        SignIn::Done(session) => Ok(session),
        SignIn::Enrol(_) => Err(DeskError::SecondFactorNeeded),
        SignIn::Code(ticket) => {
            let secret = demo_factor(username).ok_or(DeskError::SecondFactorNeeded)?;
            let now = desk.now();
            match desk.finish_sign_in(&ticket, &secret.code_at(now)).await {
                Err(DeskError::FactorCode(_)) => desk.finish_sign_in(&ticket, &secret.code_at(now + 30)).await,
                done => done,
            }
        }
    }
}

/// Customers the README and the tests name, first in the table.
const NAMED_CUSTOMERS: [(&str, &str, &str, &str, Enrolment); 6] = [
    ("amara.okafor", "Amara", "Okafor", "+2348031234567", Enrolment::Registered),
    ("jeanluc.moreau", "Jean-Luc", "Moreau", "+33612345678", Enrolment::Registered),
    ("siobhan.obrien", "Siobhán", "O'Brien", "+353871234567", Enrolment::Registered),
    ("hiroshi.tanaka", "Hiroshi", "Tanaka", "+819012345678", Enrolment::Registered),
    ("maria.garcia", "María", "García", "+525512345678", Enrolment::Enrolled),
    ("john.smith", "John", "Smith", "+14155550123", Enrolment::Enrolled),
];

const PEOPLE: &str = include_str!("../../assets/demo/people.tsv");

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Customers to create in a new demo database
    #[arg(long, default_value_t = DEFAULT_CUSTOMERS, value_parser = clap::value_parser!(u64).range(6..=10_000_000))]
    users: u64,
    /// Only create the database; do not open the UI
    #[arg(long)]
    no_ui: bool,
    /// Seed the demo's published passwords into a database whose name does not say
    /// "demo" (it must still be empty and never have held data)
    #[arg(long)]
    i_know_this_is_a_demo: bool,
}

impl DemoArgs {
    /// Seeds the database if it is new, prints the demo staff, and opens the UI.
    pub async fn run(self, config: Config) -> Result<u8, Failure> {
        let shown = redact_url(&config.database_url);
        if !named_for_demo(&config.database_url) && !self.i_know_this_is_a_demo {
            return Err(Failure::new(format!(
                "the demo writes published passwords, so it only uses a database whose name says \"demo\" ({shown} \
                 does not); add --i-know-this-is-a-demo if this one is meant for it"
            )));
        }
        let desk = super::open_desk_to_migrate(&config).await?;
        // A demo database from an earlier version gets this version's search keys.
        desk.refold_all().await?;
        let started = std::time::Instant::now();
        let show = std::io::stderr().is_terminal() || self.no_ui;
        let outcome = seed(&desk, self.users, config.password_cost, |n| {
            if show && n % 100_000 < 10_000 {
                crate::cli::terminal::tell(&format!("  {n} customers written"));
            }
        })
        .await?;
        match outcome {
            Seeded::Created { customers } => {
                let secs = started.elapsed().as_secs_f64();
                crate::cli::terminal::tell(&format!(
                    "Demo database {shown} created with {customers} customers in {secs:.1} s."
                ));
            }
            Seeded::AlreadyThere { users } => {
                crate::cli::terminal::tell(&format!(
                    "Demo database {shown} already has {users} users; delete it to start over."
                ));
            }
            Seeded::HeldData => {
                return Err(Failure::new(format!(
                    "{shown} has no users but an audit log: it has held real data, and the demo's published \
                     passwords never go into it. Use a new database."
                )));
            }
        }
        crate::cli::terminal::tell(
            "Demo staff (username / password / authenticator secret; the sign-in screen shows their current codes):",
        );
        for (username, first, last, role, may, pass) in DEMO_STAFF {
            let secret = DEMO_FACTOR_SECRETS.iter().find(|(u, _)| *u == username).map_or("", |(_, s)| s);
            let what = match (role, may) {
                (StaffRole::Admin, _) => "admin-level, may generate codes",
                (StaffRole::Agent, true) => "agent, may generate codes for customers",
                (StaffRole::Agent, false) => "agent without the permission",
            };
            crate::cli::terminal::tell(&format!("  {username:<12} / {pass:<22} / {secret}  {first} {last}: {what}"));
        }
        if !self.no_ui {
            if let Some(problem) = crate::ui::unusable_terminal() {
                return Err(Failure::new(format!("{problem} (the demo database is ready; --no-ui skips the UI)")));
            }
            let hint = crate::texts::texts().login.demo_hint.clone();
            crate::ui::run(desk, config, Some(hint), true).await?;
        }
        Ok(SUCCESS)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeded {
    Created {
        customers: u64,
    },
    AlreadyThere {
        users: i64,
    },
    /// No users, but an audit log: the database has held real data, and the published
    /// demo passwords never go into it.
    HeldData,
}

/// Whether a database URL names a demo database: its file or database name says "demo".
/// The demo seeds published passwords, so it writes only into a database named for it
/// (or when told `--i-know-this-is-a-demo`).
pub fn named_for_demo(url: &str) -> bool {
    let path = url.split_once('?').map_or(url, |(path, _)| path);
    let name = path.rsplit(['/', '\\']).next().unwrap_or_default();
    name.to_ascii_lowercase().contains("demo")
}

/// Seeds an empty database that has never held data; leaves any other alone.
pub async fn seed(
    desk: &HelpDesk,
    customers: u64,
    cost: HashCost,
    progress: impl Fn(u64) + Send + Sync,
) -> DeskResult<Seeded> {
    let existing = desk.user_count().await?;
    if existing > 0 {
        return Ok(Seeded::AlreadyThere { users: existing });
    }
    if desk.has_audit_history().await? {
        return Ok(Seeded::HeldData);
    }
    let now = time::now();
    let mut staff = Vec::new();
    for (username, first, last, role, may_generate, pass) in DEMO_STAFF {
        let hash = password::hash(&cost, &Zeroizing::new(pass.to_owned()))?;
        staff.push(NewUser {
            kind: UserKind::Staff,
            username: username.into(),
            first_name: first.into(),
            last_name: last.into(),
            email: format!("{username}@bank.example"),
            phone: String::new(),
            enrolment: Enrolment::Enrolled,
            role: Some(role),
            password_hash: Some(hash),
            permissions: if may_generate { vec![Permission::GenerateLockoutCodes] } else { vec![] },
            devices: vec![(TwoFactorMethod::AuthenticatorApp, "Authenticator app (work phone)".into())],
            created_at: now - 400 * 86_400,
        });
    }
    desk.load_demo_users(&staff).await?;
    for (username, _) in DEMO_FACTOR_SECRETS {
        let secret = demo_factor(username).ok_or(crate::desk::DeskError::NoSuchUser)?;
        desk.enrol_published_factor(username, &secret).await?;
    }

    let named: Vec<NewUser> = NAMED_CUSTOMERS
        .iter()
        .map(|(username, first, last, phone, enrolment)| {
            customer(username, first, last, phone, *enrolment, now - 3 * 86_400)
        })
        .collect();
    desk.load_demo_users(&named).await?;

    let regions = regions();
    let mut rng = SmallRng::seed_from_u64(0x4845_4c50);
    let remaining = customers.saturating_sub(named.len() as u64);
    let mut made = 0u64;
    let mut next = || {
        if made >= remaining {
            return None;
        }
        let batch = (remaining - made).min(10_000);
        let users: Vec<NewUser> = (0..batch)
            .map(|k| {
                let n = made + k;
                let region = pick(&mut rng, &regions);
                let (first, first_ascii) = &region.first[rng.random_range(0..region.first.len())];
                let (last, last_ascii) = &region.last[rng.random_range(0..region.last.len())];
                let username = format!("{first_ascii}.{last_ascii}{n}");
                let phone = &region.phones[rng.random_range(0..region.phones.len())];
                let enrolment = if rng.random_range(0..100) < 30 { Enrolment::Registered } else { Enrolment::Enrolled };
                let created = now - rng.random_range(0..(3 * 365 * 86_400));
                customer(&username, first, last, phone, enrolment, created)
            })
            .collect();
        made += batch;
        progress(made + named.len() as u64);
        Some(users)
    };
    desk.load_demo_users_in_bulk(&mut next).await?;
    // Without fresh statistics PostgreSQL plans searches of a bulk-loaded table as if it
    // were empty (a second for one letter at a million users, instead of 60 ms).
    desk.refresh_statistics().await?;
    Ok(Seeded::Created { customers: customers.max(named.len() as u64) })
}

fn customer(username: &str, first: &str, last: &str, phone: &str, enrolment: Enrolment, created_at: i64) -> NewUser {
    // Enrolled customers have a second factor; North American numbers get SMS.
    let mut devices = Vec::new();
    if enrolment == Enrolment::Enrolled {
        if phone.starts_with("+1") {
            devices.push((TwoFactorMethod::Sms, format!("SMS to ···{}", &phone[phone.len() - 4..])));
        } else {
            devices.push((TwoFactorMethod::AuthenticatorApp, "Authenticator app".to_owned()));
        }
    }
    NewUser {
        kind: UserKind::Customer,
        username: username.to_owned(),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: format!("{username}@mail.example"),
        phone: phone.to_owned(),
        enrolment,
        role: None,
        password_hash: None,
        permissions: Vec::new(),
        devices,
        created_at,
    }
}

/// A name written in ASCII for a username: transliterated (`Björn` as `bjorn`, `कृष्ण` in
/// Latin letters), lower case, letters and digits only.
fn ascii(name: &str) -> String {
    let latin: String =
        deunicode::deunicode(name).chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
    if latin.is_empty() { "user".to_owned() } else { latin }
}

/// One region's customers: names (with their usernames' ASCII) and valid phone numbers.
struct Region {
    weight: u32,
    first: Vec<(String, String)>,
    last: Vec<(String, String)>,
    phones: Vec<String>,
}

fn regions() -> Vec<Region> {
    PEOPLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let (code, weight, first, last) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            let names = |list: &str| list.split(',').map(|n| (n.to_owned(), ascii(n))).collect();
            Some(Region { weight: weight.parse().ok()?, first: names(first), last: names(last), phones: phones(code) })
        })
        .filter(|r| !r.phones.is_empty())
        .collect()
}

/// Valid mobile numbers of a region: libphonenumber's example with its last two digits
/// varied, keeping only those it says are valid.
fn phones(code: &str) -> Vec<String> {
    let db = &*phonenumber::metadata::DATABASE;
    let Some(example) = db.by_id(code).and_then(|m| m.descriptors().mobile()).and_then(|d| d.example()) else {
        return Vec::new();
    };
    let Some(calling) = db.by_id(code).map(|m| m.country_code()) else { return Vec::new() };
    let stem = &example[..example.len().saturating_sub(2)];
    (0..100)
        .map(|n| format!("+{calling}{stem}{n:02}"))
        .filter(|p| matches!(crate::domain::phone::shown(p), crate::domain::phone::Shown::Valid { region, .. } if region == code))
        .collect()
}

fn pick<'a>(rng: &mut SmallRng, regions: &'a [Region]) -> &'a Region {
    let total: u32 = regions.iter().map(|r| r.weight).sum();
    let mut at = rng.random_range(0..total);
    for region in regions {
        if at < region.weight {
            return region;
        }
        at -= region.weight;
    }
    &regions[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_passwords_meet_the_password_rule() {
        for (username, .., pass) in DEMO_STAFF {
            assert!(crate::domain::profile::password(&Zeroizing::new(pass.into()), username).is_ok(), "{username}");
        }
    }

    #[test]
    fn demo_phones_are_valid_e164_of_their_region() {
        let regions = regions();
        assert!(regions.len() >= 20, "only {} regions have example numbers", regions.len());
        for region in &regions {
            assert!(region.phones.len() >= 10, "{:?}: {} numbers", region.first[0], region.phones.len());
            for p in &region.phones {
                assert_eq!(crate::domain::profile::phone(p, Default::default()).as_deref(), Ok(p.as_str()));
            }
        }
        for (_, _, _, p, _) in NAMED_CUSTOMERS {
            assert_eq!(crate::domain::profile::phone(p, Default::default()).as_deref(), Ok(p), "{p}");
        }
    }

    #[test]
    fn demo_names_meet_the_name_rule_in_every_script() {
        for region in regions() {
            for (n, username) in &region.first {
                assert!(crate::domain::profile::first_name(n).is_ok(), "{n}");
                assert!(!username.is_empty() && username.is_ascii(), "{n}: {username}");
            }
            for (n, _) in &region.last {
                assert!(crate::domain::profile::last_name(n).is_ok(), "{n}");
            }
        }
        assert_eq!(ascii("Björn"), "bjorn");
        assert_eq!(ascii("Anaïs"), "anais");
        assert_eq!(ascii("José"), "jose");
        assert_eq!(ascii("Łukasz"), "lukasz");
    }
}
