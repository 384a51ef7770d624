//! `helpdesk staff list|disable|enable|unlock` and `audit export`'s filters, as a script
//! runs them: an admin's password on standard input, exit codes, what is printed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run(dir: &Path, url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null"])
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("HELPDESK_DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running helpdesk");
    // A refusal may come before the child reads its input: a closed pipe is not a failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

const ADMIN: &str = "admin-demo-pass-2026\n";

#[test]
fn staff_commands_need_an_admin_and_follow_the_panes_rules() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("staff-demo.db").display());
    let demo = run(dir.path(), &url, &["demo", "--no-ui", "--users", "20", "--database", &url], "");
    assert!(demo.status.success(), "{}", text(&demo));
    crate::second_factor_off(&url);

    let list = run(dir.path(), &url, &["staff", "list", "--admin-username", "ada.admin"], ADMIN);
    assert!(list.status.success(), "{}", text(&list));
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(listed.lines().any(|l| l.starts_with("sam.teller\tSam Okoro\tagent\tyes\tenabled")), "{listed}");
    assert!(!listed.contains("admin-demo-pass"), "the password was echoed");

    let wrong = run(dir.path(), &url, &["staff", "disable", "sam.teller", "--admin-username", "ada.admin"], "nope\n");
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong));
    assert!(text(&wrong).contains("Wrong username or password"));
    let agent = run(
        dir.path(),
        &url,
        &["staff", "disable", "sam.teller", "--admin-username", "alex.agent"],
        "agent-demo-pass-2026\n",
    );
    assert_eq!(agent.status.code(), Some(2));
    assert!(text(&agent).contains("Only admin-level staff"), "{}", text(&agent));
    let own = run(dir.path(), &url, &["staff", "disable", "ada.admin", "--admin-username", "ada.admin"], ADMIN);
    assert_eq!(own.status.code(), Some(2));
    assert!(text(&own).contains("their own"), "{}", text(&own));

    let disabled = run(dir.path(), &url, &["staff", "disable", "sam.teller", "--admin-username", "ada.admin"], ADMIN);
    assert!(disabled.status.success(), "{}", text(&disabled));
    let list = run(dir.path(), &url, &["staff", "list", "--admin-username", "ada.admin"], ADMIN);
    assert!(String::from_utf8_lossy(&list.stdout).contains("sam.teller\tSam Okoro\tagent\tyes\tdisabled"));
    let enabled = run(dir.path(), &url, &["staff", "enable", "SAM.TELLER", "--admin-username", "ada.admin"], ADMIN);
    assert!(enabled.status.success(), "{}", text(&enabled));
    let unlocked = run(dir.path(), &url, &["staff", "unlock", "nora.noperm", "--admin-username", "ada.admin"], ADMIN);
    assert!(unlocked.status.success(), "{}", text(&unlocked));
    let nobody = run(dir.path(), &url, &["staff", "unlock", "nobody", "--admin-username", "ada.admin"], ADMIN);
    assert_eq!(nobody.status.code(), Some(2));

    // Each change is in the audit log with the admin as its actor; the filters narrow it.
    let export = run(
        dir.path(),
        &url,
        &["audit", "export", "--action", "staff_disabled", "--admin-username", "ada.admin"],
        ADMIN,
    );
    assert!(export.status.success(), "{}", text(&export));
    let events: Vec<serde_json::Value> =
        String::from_utf8_lossy(&export.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"], "ada.admin");
    assert_eq!(events[0]["target"], "sam.teller");
    let future =
        run(dir.path(), &url, &["audit", "export", "--since", "2999-01-01", "--admin-username", "ada.admin"], ADMIN);
    assert!(future.status.success() && future.stdout.is_empty(), "{}", text(&future));
    let bad =
        run(dir.path(), &url, &["audit", "export", "--since", "yesterday", "--admin-username", "ada.admin"], ADMIN);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("--since"), "{}", text(&bad));
}

/// Runs `sql` on the database as another writer would (Digital Banking's registration).
fn write_through_sql(url: &str, sql: &str) {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    });
}

/// A name is attacker-controlled: escape sequences planted in it through SQL (a window
/// title, a cleared screen) are printed by the command line as their pictures, as the UI
/// draws them, and never reach the terminal.
#[test]
fn what_the_database_holds_is_shown_by_the_command_line_never_obeyed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("staff-demo.db").display());
    let demo = run(dir.path(), &url, &["demo", "--no-ui", "--users", "20", "--database", &url], "");
    assert!(demo.status.success(), "{}", text(&demo));
    crate::second_factor_off(&url);
    let planted = "Rivera\u{1b}]0;owned\u{7}\u{1b}[2J";
    write_through_sql(
        &url,
        &format!(
            "UPDATE users SET last_name = '{planted}' WHERE username = 'sam.teller';
             INSERT INTO serve_clients (name, token_hash, created_at, created_by)
             SELECT 'login\u{1b}[2J\u{9b}31m', zeroblob(32), 0, id FROM users WHERE username = 'ada.admin';"
        ),
    );
    let obeyed = |bytes: &[u8]| {
        bytes.iter().any(|&b| b == 0x1b || b == 0x07) || String::from_utf8_lossy(bytes).contains('\u{9b}')
    };

    let list = run(dir.path(), &url, &["staff", "list", "--admin-username", "ada.admin"], ADMIN);
    assert!(list.status.success(), "{}", text(&list));
    assert!(!obeyed(&list.stdout) && !obeyed(&list.stderr), "a control character reached the terminal");
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(listed.contains("sam.teller\tSam Rivera\u{241b}]0;owned\u{2407}\u{241b}[2J\tagent"), "{listed}");

    let clients = run(dir.path(), &url, &["serve-clients", "list", "--admin-username", "ada.admin"], ADMIN);
    assert!(clients.status.success(), "{}", text(&clients));
    assert!(!obeyed(&clients.stdout) && !obeyed(&clients.stderr), "a control character reached the terminal");
    assert!(String::from_utf8_lossy(&clients.stdout).contains("login\u{241b}[2J\u{fffd}31m"), "{}", text(&clients));
}

/// `helpdesk watch` audits and tells, within seconds, a contact change another system
/// wrote through SQL while nobody uses the help desk, and stops cleanly on SIGTERM.
#[test]
fn watch_tells_outside_changes_within_seconds_and_stops_on_sigterm() {
    use sqlx::Connection;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("watch-demo.db").display());
    let demo = run(dir.path(), &url, &["demo", "--no-ui", "--users", "20", "--database", &url], "");
    assert!(demo.status.success(), "{}", text(&demo));
    crate::second_factor_off(&url);
    let watching = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null", "watch"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("HELPDESK_DATABASE_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running helpdesk watch");
    write_through_sql(&url, "UPDATE users SET phone = '+447911123456' WHERE username = 'amara.okafor'");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let audited: i64 = runtime.block_on(async {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'contact_details_changed'")
                .fetch_one(&mut conn)
                .await
                .unwrap()
        });
        if audited == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "helpdesk watch did not handle the change within seconds");
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: kill only sends a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(watching.id() as i32, libc::SIGTERM) }, 0);
    let out = watching.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("helpdesk watch: stopped"), "{}", text(&out));
}

/// What was seen from outside: ada.admin alone made a second admin and used it as her
/// second person. Now the new account is an agent without the permission, its grants are
/// refused to ada and to itself, the owner may not stand in beside two admins, and only
/// ben.admin's approval gives the power.
#[test]
fn one_admin_alone_cannot_make_a_working_second_admin() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("grants-demo.db").display());
    let demo = run(dir.path(), &url, &["demo", "--no-ui", "--users", "20", "--database", &url], "");
    assert!(demo.status.success(), "{}", text(&demo));
    crate::second_factor_off(&url);
    let mal_pass = "quartz-meadow-lantern-2026\n";
    let create = [
        "staff",
        "create",
        "--username",
        "mal.new",
        "--first-name",
        "Mal",
        "--last-name",
        "Newcomb",
        "--email",
        "mal.new@bank.example",
        "--admin",
        "--can-generate-codes",
        "--admin-username",
        "ada.admin",
    ];
    let created = run(dir.path(), &url, &create, &format!("{ADMIN}{mal_pass}"));
    assert!(created.status.success(), "{}", text(&created));
    let said = text(&created);
    assert!(said.contains("agent, no permission") && said.contains("grants #1, #2"), "{said}");

    let as_mal = run(dir.path(), &url, &["grants", "approve", "1", "--admin-username", "mal.new"], mal_pass);
    assert_eq!(as_mal.status.code(), Some(2), "{}", text(&as_mal));
    assert!(text(&as_mal).contains("Only admin-level staff"), "{}", text(&as_mal));
    let as_ada = run(dir.path(), &url, &["grants", "approve", "1", "--admin-username", "ada.admin"], ADMIN);
    assert_eq!(as_ada.status.code(), Some(2), "{}", text(&as_ada));
    assert!(text(&as_ada).contains("grant they asked for"), "{}", text(&as_ada));
    let as_owner = run(dir.path(), &url, &["grants", "approve", "1", "--as-owner"], "");
    assert_eq!(as_owner.status.code(), Some(2), "{}", text(&as_owner));
    assert!(text(&as_owner).contains("single admin"), "{}", text(&as_owner));
    let list = run(dir.path(), &url, &["staff", "list", "--admin-username", "ada.admin"], ADMIN);
    assert!(String::from_utf8_lossy(&list.stdout).contains("mal.new\tMal Newcomb\tagent\tno\tenabled"));

    let pending = run(dir.path(), &url, &["grants", "list", "--admin-username", "ben.admin"], "ben-demo-pass-2026\n");
    let listed = String::from_utf8_lossy(&pending.stdout).into_owned();
    assert!(listed.lines().any(|l| l.starts_with("1\tadmin-level role\tmal.new (Mal Newcomb)\tada.admin")), "{listed}");
    for id in ["1", "2"] {
        let ben =
            run(dir.path(), &url, &["grants", "approve", id, "--admin-username", "ben.admin"], "ben-demo-pass-2026\n");
        assert!(ben.status.success(), "{}", text(&ben));
    }
    let list = run(dir.path(), &url, &["staff", "list", "--admin-username", "ada.admin"], ADMIN);
    assert!(String::from_utf8_lossy(&list.stdout).contains("mal.new\tMal Newcomb\tadmin\tyes\tenabled"));
    let export = run(
        dir.path(),
        &url,
        &["audit", "export", "--action", "grant_approved", "--admin-username", "ada.admin"],
        ADMIN,
    );
    let events: Vec<serde_json::Value> =
        String::from_utf8_lossy(&export.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e["actor"] == "ben.admin"), "{events:?}");
}
