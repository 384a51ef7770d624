//! The binary as a person runs it: demo, verify-code, audit export, bad configuration.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use helpdesk::desk::Limits;
use helpdesk::domain::audit::IdentityCheck;

fn helpdesk(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("HELPDESK_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running helpdesk");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn demo_then_verify_code_accepts_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = helpdesk(dir.path(), &["demo", "--no-ui", "--users", "50"], "");
    assert!(out.status.success(), "demo failed: {}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("alex.agent") && said.contains("agent-demo-pass-2026"), "credentials not printed");

    // Codes generated through the library on the database the demo made.
    let url = format!("sqlite://{}", dir.path().join("helpdesk-demo.db").display());
    let store = helpdesk::store::open(&url, 2).await.unwrap();
    let desk = helpdesk::desk::HelpDesk::new(store.clone(), common::policy(), common::CHEAP, Limits::default());
    let agent = common::login(&desk, "alex.agent").await;
    let amara = store.user_by_username("amara.okafor").await.unwrap().unwrap();
    let issued = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let code = format!("{}\n", issued.codes[0].grouped().as_str());

    let env_db = |args: &[&str], stdin: &str| {
        let mut all = vec!["--config", "/dev/null"];
        all.extend_from_slice(args);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_helpdesk"));
        cmd.args(&all).current_dir(dir.path()).env("HELPDESK_DATABASE_URL", &url);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let first = env_db(&["verify-code", "--username", "amara.okafor"], &code);
    assert_eq!(first.status.code(), Some(0), "first use: {}", String::from_utf8_lossy(&first.stdout));
    let again = env_db(&["verify-code", "--username", "amara.okafor"], &code);
    assert_eq!(again.status.code(), Some(1), "second use must be rejected");
    let garbage = env_db(&["verify-code", "--username", "amara.okafor"], "\u{1b}[31m;DROP TABLE users;--\n");
    assert_eq!(garbage.status.code(), Some(1));
    let empty = env_db(&["verify-code", "--username", "amara.okafor"], "");
    assert_eq!(empty.status.code(), Some(2), "no code is an error, not a rejection");
    for o in [&first, &again, &garbage, &empty] {
        let all = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
        assert!(!String::from_utf8_lossy(&all).contains(code.trim()), "verify-code echoed the code");
    }

    // The audit export is JSON lines that hold the story and no code.
    let export = env_db(&["audit", "export"], "");
    assert!(export.status.success());
    let text = String::from_utf8(export.stdout).unwrap();
    let actions: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("a JSON line")["action"].as_str().unwrap().to_owned()
        })
        .collect();
    for wanted in ["staff_login", "backup_codes_generated", "backup_code_redeemed", "backup_code_rejected"] {
        assert!(actions.iter().any(|a| a == wanted), "{wanted} missing from the export");
    }
    assert!(!text.contains(code.trim()));
    let log = std::fs::read_to_string(dir.path().join("helpdesk.log")).unwrap_or_default();
    assert!(!log.contains(code.trim()), "a code reached the log file");
}

#[test]
fn bad_configuration_names_the_key_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[codes]\nlength = 7\n").unwrap();
    let out = helpdesk(dir.path(), &["migrate"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`codes.length`"));

    std::fs::write(dir.path().join("config.toml"), "[throttle]\nredeem_max_failures = 500\n").unwrap();
    let out = helpdesk(dir.path(), &["migrate"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`throttle.redeem_max_failures`"));
}

#[test]
fn an_unreachable_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null", "verify-code", "--username", "x"])
        .current_dir(dir.path())
        .env("HELPDESK_DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot be reached"), "{err}");
    assert!(!err.contains("secret"), "the password was printed: {err}");
}

#[test]
fn staff_create_reads_the_password_from_stdin_and_checks_it() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "staff",
        "create",
        "--username",
        "Root.Admin",
        "--first-name",
        "Root",
        "--last-name",
        "Admin",
        "--email",
        "root@bank.example",
        "--admin",
        "--can-generate-codes",
    ];
    let weak = helpdesk(dir.path(), &args, "password\n");
    assert_eq!(weak.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("Enter a valid password"));
    let ok = helpdesk(dir.path(), &args, "a long and unusual passphrase\n");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("root.admin"));
    let again = helpdesk(dir.path(), &args, "a long and unusual passphrase\n");
    assert_eq!(again.status.code(), Some(2), "a username is taken once");
}
