//! The second factor on screen: the code after the password, the enrolment's QR code (and
//! its ASCII form), the lock's code and the step-up. Tickets come from a real service on a
//! throw-away database: only the service makes one.

use crate::fixtures::*;
use helpdesk::desk::{HelpDesk, Limits, SignIn};
use helpdesk::domain::codes::HashCost;
use helpdesk::domain::second_factor::FactorKey;
use zeroize::Zeroizing;

const CHEAP: HashCost = HashCost { memory_kib: 256, iterations: 1, parallelism: 1 };

/// A service on a new SQLite database in `dir`, with the demo's staff (enrolled with their
/// published secrets) and a bootstrap admin who has not enrolled.
async fn service(dir: &std::path::Path) -> HelpDesk {
    let url = format!("sqlite://{}", dir.join("factor-demo.db").display());
    let key = helpdesk::domain::audit_chain::AuditKey::random().unwrap();
    let store = helpdesk::store::open(&url, 2, &key).await.unwrap();
    let policy = helpdesk::domain::codes::CodePolicy::new(
        10,
        12,
        4,
        None,
        HashCost { memory_kib: 7_168, iterations: 5, parallelism: 1 },
    )
    .unwrap();
    let desk = HelpDesk::new(store, policy, CHEAP, Limits::default()).with_factor_key(FactorKey::from_bytes([9; 32]));
    helpdesk::cli::demo::seed(&desk, 5, CHEAP, |_| {}).await.unwrap();
    desk
}

async fn ticket(desk: &HelpDesk, username: &str, password: &str) -> SignIn {
    desk.sign_in(username, Zeroizing::new(password.to_owned())).await.unwrap()
}

#[tokio::test]
async fn the_code_prompt_follows_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let desk = service(dir.path()).await;
    let SignIn::Code(ticket) = ticket(&desk, "alex.agent", "agent-demo-pass-2026").await else {
        panic!("no code asked")
    };
    let clock = Clock(Instant::now());
    let mut app = new_app(&clock);
    update(&mut app, Msg::FactorAsked(Box::new(ticket)), clock.at(T0));
    snapshot("factor_code", &mut app);
    app.settings.ascii = true;
    assert_screen("factor_code_ascii_80x24", &app, 80, 24);
    app.settings.ascii = false;
    // A wrong code is said, and the prompt stays.
    type_text(&mut app, &clock, "12345x");
    let effects = press(&mut app, &clock, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::FinishSignIn { .. }]), "{effects:?}");
    update(
        &mut app,
        Msg::LoggedIn(Err(DeskError::FactorCode(helpdesk::domain::second_factor::CodeRefusal::Wrong))),
        clock.at(T0),
    );
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("That code is wrong") && text.contains("Authenticator code"), "{text}");
}

#[tokio::test]
async fn the_enrolment_draws_its_qr_code_and_in_ascii_its_uri() {
    let dir = tempfile::tempdir().unwrap();
    let desk = service(dir.path()).await;
    // A member of staff who never enrolled (the demo's are): their secret is reset.
    let ada = desk.sign_in("ada.admin", Zeroizing::new("admin-demo-pass-2026".into())).await.unwrap();
    let SignIn::Code(_) = ada else { panic!("ada is enrolled") };
    let url = format!("sqlite://{}", dir.path().join("factor-demo.db").display());
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE users SET factor_secret = NULL WHERE username = 'nora.noperm'")
            .execute(&mut c)
            .await
            .unwrap();
    }
    let SignIn::Enrol(ticket) = ticket(&desk, "nora.noperm", "nora-demo-pass-2026").await else {
        panic!("no enrolment")
    };
    let secret = ticket.enrolment_secret().unwrap();
    let uri = ticket.enrolment_uri().unwrap();
    let clock = Clock(Instant::now());
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = new_app(&clock);
        update(&mut app, Msg::FactorAsked(Box::new(ticket.clone())), clock.at(T0));
        let text = screen_text(&app, w, h);
        let blocks = text.chars().filter(|c| matches!(c, '▀' | '▄' | '█')).count();
        assert!(blocks > 200, "no QR code at {w}x{h}:\n{text}");
        assert!(text.contains(&secret[..4]) && text.contains("Scan the QR code"), "{text}");
        assert!(!text.contains(uri.as_str()), "the URI is drawn beside its QR code");
    }
    let mut ascii = new_app(&clock);
    ascii.settings.ascii = true;
    update(&mut ascii, Msg::FactorAsked(Box::new(ticket)), clock.at(T0));
    let text = screen_text(&ascii, 80, 24);
    assert!(!text.chars().any(|c| matches!(c, '▀' | '▄')), "a QR code in ASCII mode:\n{text}");
    assert!(text.contains("with this secret") && text.contains(&secret[..4]), "{text}");
}

#[test]
fn a_stale_factor_asks_for_a_code_and_esc_leaves_the_action_undone() {
    let clock = Clock(Instant::now());
    let mut app = signed_in_admin(&clock);
    update(&mut app, Msg::Decided { done: "Approved".into(), result: Err(DeskError::StepUpNeeded) }, clock.at(T0));
    snapshot("factor_step_up", &mut app);
    type_text(&mut app, &clock, "123456");
    let effects = press(&mut app, &clock, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::StepUp { .. }]), "{effects:?}");
    update(&mut app, Msg::SteppedUp(Ok(())), clock.at(T0));
    assert!(app.lock.is_none());
    assert!(screen_text(&app, 80, 24).contains("Press the key again"));
    update(&mut app, Msg::Decided { done: "Approved".into(), result: Err(DeskError::StepUpNeeded) }, clock.at(T0));
    press(&mut app, &clock, KeyCode::Esc);
    assert!(app.lock.is_none(), "Esc did not leave the step-up");
}
