//! SQLite on a full disk and on a read-only file system: each write is refused with a
//! clear error, and nothing already stored is lost. Run by `scripts/sqlite-faults.sh`,
//! which gives it a small tmpfs of its own (mounting needs root):
//!
//!   sudo scripts/sqlite-faults.sh
//!
//! The first directory must be a file system this program may fill; the second, the same
//! directory mounted read-only.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use helpdesk::cli::demo;
use helpdesk::desk::{HelpDesk, Limits, Redemption};
use helpdesk::domain::audit::IdentityCheck;
use helpdesk::domain::codes::{CodePolicy, HashCost};
use helpdesk::store;
use zeroize::Zeroizing;

const CHEAP: HashCost = HashCost { memory_kib: 256, iterations: 1, parallelism: 1 };
/// OWASP's cheapest pair: the least cost the database accepts for a batch.
const CODE_COST: HashCost = HashCost { memory_kib: 7_168, iterations: 5, parallelism: 1 };

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, ro] = args.as_slice() else {
        panic!("usage: faults DIR RO_DIR (DIR a tmpfs of a few MiB, RO_DIR a read-only bind mount of it)")
    };
    let dir = Path::new(dir);
    let url = format!("sqlite://{}", dir.join("faults.db").display());
    // A throwaway database: its audit key need outlive no run.
    let audit_key = helpdesk::domain::audit_chain::AuditKey::random().unwrap();
    let store = store::open_with(&url, 2, store::Opening::Migrate, &audit_key).await.unwrap();
    let desk = HelpDesk::new(Arc::clone(&store), desk_policy(), CHEAP, Limits::default())
        .with_factor_key(helpdesk::domain::second_factor::FactorKey::from_bytes([7; 32]));
    demo::seed(&desk, 200, CHEAP, |_| {}).await.unwrap();
    // Signs the same staff in many times a step: by password, as the database's owner allows.
    store.set_staff_second_factor(false).await.unwrap();
    let agent = desk.login("alex.agent", Zeroizing::new("agent-demo-pass-2026".into())).await.unwrap();
    let amara = store.user_by_username("amara.okafor").await.unwrap().unwrap();
    let held = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let batch = desk.user_detail(&agent, amara.id).await.unwrap().codes.unwrap().id;
    let mut next_code = held.codes.iter();

    // A full disk.
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).and_then(|_| file.sync_all()).is_ok() {}
    drop(file);
    println!("disk full:");
    attempts(&desk, &agent, amara.id).await;
    std::fs::remove_file(&filler).unwrap();
    check(&desk, &agent, amara.id, batch, next_code.next().unwrap().grouped()).await;

    // The same database seen through a read-only mount of its directory, as a second
    // process would meet a read-only file system.
    println!("read-only:");
    let ro_url = format!("sqlite://{}", Path::new(&ro).join("faults.db").display());
    match store::open(&ro_url, 2, &audit_key).await {
        Err(e) => println!("  open: {e}"),
        Ok(ro_store) => {
            let ro_desk = HelpDesk::new(ro_store, desk_policy(), CHEAP, Limits::default());
            match ro_desk.login("alex.agent", Zeroizing::new("agent-demo-pass-2026".into())).await {
                Err(e) => println!("  sign in: {e}"),
                Ok(ro_agent) => attempts(&ro_desk, &ro_agent, amara.id).await,
            }
        }
    }
    check(&desk, &agent, amara.id, batch, next_code.next().unwrap().grouped()).await;
    println!("nothing was lost");
}

fn desk_policy() -> CodePolicy {
    CodePolicy::new(10, 12, 4, Some(72 * 3600), CODE_COST).unwrap()
}

/// A generation and a redemption, each refused; prints what the agent would read.
async fn attempts(desk: &HelpDesk, agent: &helpdesk::desk::Session, user: helpdesk::domain::user::UserId) {
    match desk.generate_codes(agent, user, IdentityCheck::InPersonPhotoId, None).await {
        Ok(_) => panic!("  generate: stored on a disk that cannot be written"),
        Err(e) => println!("  generate: {e}"),
    }
    match desk.redeem("amara.okafor", Zeroizing::new("0000-0000-0000".into())).await {
        Ok(answer) => println!("  redeem a wrong code: {answer:?} (its failure could not be recorded)"),
        Err(e) => println!("  redeem a wrong code: {e}"),
    }
}

/// After the fault: the batch stored before it is the one in force, and its codes work.
async fn check(
    desk: &HelpDesk,
    agent: &helpdesk::desk::Session,
    user: helpdesk::domain::user::UserId,
    batch: i64,
    code: Zeroizing<String>,
) {
    let detail = desk.user_detail(agent, user).await.expect("the database works again");
    assert_eq!(detail.codes.expect("a batch in force").id, batch, "the batch in force changed");
    assert!(
        matches!(desk.redeem("amara.okafor", code).await.unwrap(), Redemption::Accepted { .. }),
        "a held code was lost"
    );
    println!("  after: the batch held before is in force and one of its codes was accepted");
}
