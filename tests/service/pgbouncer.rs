//! The documented production path: every agent's process through PgBouncer in
//! transaction mode (docs/deploy-ssh.md), where consecutive transactions of one client
//! may run on different server connections. `.ci/run` builds PgBouncer 1.24
//! (scripts/pgbouncer.sh), starts it in transaction mode with `max_prepared_statements`,
//! and sets `HELPDESK_TEST_PGBOUNCER` to a URL through it and `HELPDESK_TEST_PGBOUNCER_DIRECT`
//! to the same database directly (migrations take a session lock, which needs a direct
//! connection). Without them the test says so and skips, except in CI, where it fails.

use crate::common;

use helpdesk::desk::{Generation, HelpDesk, Limits, Redemption, WarningChoice};
use helpdesk::domain::audit::IdentityCheck;
use helpdesk::domain::search::UserQuery;
use helpdesk::store::{self, Opening};
use zeroize::Zeroizing;

fn urls() -> Option<(String, String)> {
    match (std::env::var("HELPDESK_TEST_PGBOUNCER"), std::env::var("HELPDESK_TEST_PGBOUNCER_DIRECT")) {
        (Ok(through), Ok(direct)) if !through.is_empty() && !direct.is_empty() => Some((through, direct)),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty()) => {
            panic!("CI must run the PgBouncer test: HELPDESK_TEST_PGBOUNCER is not set (.ci/run sets it)")
        }
        _ => {
            eprintln!("SKIPPED: the PgBouncer test (HELPDESK_TEST_PGBOUNCER is not set; .ci/run sets it)");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_service_works_through_pgbouncer_in_transaction_mode() {
    let Some((through, direct)) = urls() else { return };
    // The owner migrates directly; the demo data goes in through PgBouncer like all else.
    let key = helpdesk::domain::audit_chain::AuditKey::random().unwrap();
    store::open_with(&direct, 1, Opening::Migrate, &key).await.expect("migrating directly");
    let store = store::open_with(&through, 8, Opening::Run, &key).await.expect("opening through PgBouncer");
    let desk = HelpDesk::new(store.clone(), common::policy(), common::CHEAP, Limits::default())
        .with_factor_key(helpdesk::domain::second_factor::FactorKey::from_bytes(common::FACTOR_KEY));
    helpdesk::cli::demo::seed(&desk, 300, common::CHEAP, |_| {}).await.expect("seeding through PgBouncer");
    let agent = common::login(&desk, "alex.agent").await;
    let admin = common::login(&desk, "ada.admin").await;
    let ben = common::login(&desk, "ben.admin").await;

    // Every kind of search term, each page several times (a kept statement would switch to
    // a generic plan after five runs), from several tasks at once.
    let queries = ["", "garcia", "maria garcia", "o'brien", "amara ok", "@mail.example", "+234", "4567", "कृष्ण", "m"];
    let mut tasks = Vec::new();
    for task in 0..4 {
        let (desk, agent) = (desk.clone(), agent.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..8 {
                for text in queries {
                    let query = UserQuery { text: text.to_owned(), after: None, limit: 20 };
                    let page = desk.search(&agent, &query).await.unwrap_or_else(|e| panic!("{text:?}: {e}"));
                    if text == "amara ok" {
                        assert_eq!(page.len(), 1, "task {task} round {round}");
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    // Generate, redeem once, and the two-person rule end to end.
    let amara = store.user_by_username("amara.okafor").await.unwrap().unwrap();
    let issued = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    assert!(matches!(
        desk.redeem("amara.okafor", issued.codes[0].grouped()).await.unwrap(),
        Redemption::Accepted { .. }
    ));
    assert_eq!(desk.redeem("amara.okafor", issued.codes[0].grouped()).await.unwrap(), Redemption::Rejected);
    let jean = store.user_by_username("jeanluc.moreau").await.unwrap().unwrap();
    let seen = desk.user_detail(&agent, jean.id).await.unwrap().contact_seen;
    let weak = IdentityCheck::KnowledgeBasedVerification;
    let Generation::Requested(request) =
        desk.request_codes(&agent, WarningChoice { target: jean.id, check: weak, note: None, seen }).await.unwrap()
    else {
        panic!("a weak check generated alone")
    };
    desk.approve_request(&ben, request.id).await.unwrap();
    let approved = desk.generate_approved(&agent, request.id).await.unwrap();
    assert!(matches!(
        desk.redeem("jeanluc.moreau", approved.codes[0].grouped()).await.unwrap(),
        Redemption::Accepted { .. }
    ));
    desk.revoke_codes(&admin, amara.id).await.unwrap();
    let wrong = Zeroizing::new("0000-0000-0000".to_owned());
    assert_eq!(desk.redeem("nobody.here", wrong).await.unwrap(), Redemption::Rejected);

    // Many redemptions at once, each counted and audited exactly once.
    let fresh = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let mut racers = Vec::new();
    for _ in 0..16 {
        let (desk, code) = (desk.clone(), fresh.codes[1].grouped());
        racers.push(tokio::spawn(async move { desk.redeem("amara.okafor", code).await.unwrap() }));
    }
    let mut accepted = 0;
    for r in racers {
        accepted += usize::from(matches!(r.await.unwrap(), Redemption::Accepted { .. }));
    }
    assert_eq!(accepted, 1, "one code, {accepted} logins through PgBouncer");

    let report = desk.verify_audit_chain().await.unwrap();
    assert!(report.broken.is_none() && report.checked > 20, "{report:?}");
    for session in [&agent, &admin, &ben] {
        desk.logout(session).await.unwrap();
    }
}
