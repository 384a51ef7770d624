//! The binary as a person runs it: demo, verify-code, audit export, bad configuration.

use crate::common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use helpdesk::desk::Limits;
use helpdesk::domain::audit::IdentityCheck;

pub(crate) fn helpdesk(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
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
    // A refusal may come before the child reads its input: a closed pipe is not a failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
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
    let store = helpdesk::store::open(&url, 2, &common::key_in(dir.path())).await.unwrap();
    let desk = helpdesk::desk::HelpDesk::new(store.clone(), common::policy(), common::CHEAP, Limits::default())
        .with_factor_key(common::factor_key_in(dir.path()));
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
        // A refusal may come before the child reads its input: a closed pipe is not a failure.
        if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
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

    // The audit export is JSON lines that hold the story and no code; it needs an admin.
    // The demo asks staff for their authenticator code: the line after the password.
    let with_code = format!("admin-demo-pass-2026\n{}\n", common::demo_code("ada.admin", 0));
    let export = env_db(&["audit", "export", "--admin-username", "ada.admin"], &with_code);
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
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
    let log = std::fs::read_to_string(dir.path().join("helpdesk.log")).expect("the log file is missing");
    assert!(log.contains("backup code redeemed"), "the log did not record the redemption");
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

const ROOT: [&str; 12] = [
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

const ROOT_PASS: &str = "a long and unusual passphrase";

/// A fresh directory with a migrated database and its first admin, `root.admin`.
fn bootstrapped() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrated = helpdesk(dir.path(), &["migrate"], "");
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let ok = helpdesk(dir.path(), &ROOT, &format!("{ROOT_PASS}\n"));
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    // The bootstrapped admin has not enrolled an authenticator (the UI's first sign-in).
    crate::second_factor_off(&format!("sqlite://{}", dir.path().join("helpdesk.db").display()));
    dir
}

fn agent_args(username: &str) -> Vec<&str> {
    vec![
        "staff",
        "create",
        "--username",
        username,
        "--first-name",
        "Pat",
        "--last-name",
        "Lee",
        "--email",
        "pat@bank.example",
    ]
}

#[test]
fn staff_create_reads_the_password_from_stdin_and_checks_it() {
    let dir = tempfile::tempdir().unwrap();
    assert!(helpdesk(dir.path(), &["migrate"], "").status.success());
    let weak = helpdesk(dir.path(), &ROOT, "password\n");
    assert_eq!(weak.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("Enter a valid password"));
    let ok = helpdesk(dir.path(), &ROOT, &format!("{ROOT_PASS}\n"));
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("root.admin"));
    // Now an admin exists: the same command without credentials is refused.
    let again = helpdesk(dir.path(), &ROOT, &format!("{ROOT_PASS}\n"));
    assert_eq!(again.status.code(), Some(2), "a second bootstrap");
}

#[tokio::test]
async fn once_an_admin_exists_staff_create_needs_an_admins_credentials() {
    let dir = bootstrapped();
    let new_pass = "pat's own long passphrase\n";

    let without = helpdesk(dir.path(), &agent_args("pat.lee"), new_pass);
    assert_eq!(without.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&without.stderr).contains("--admin-username"),
        "{}",
        String::from_utf8_lossy(&without.stderr)
    );

    let mut wrong = agent_args("pat.lee");
    wrong.extend(["--admin-username", "root.admin"]);
    let refused = helpdesk(dir.path(), &wrong, &format!("not the password at all\n{new_pass}"));
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Wrong username or password"));

    let allowed = helpdesk(dir.path(), &wrong, &format!("{ROOT_PASS}\n{new_pass}"));
    assert!(allowed.status.success(), "{}", String::from_utf8_lossy(&allowed.stderr));

    // An agent's right password is not enough: the service's admin rule applies.
    let mut by_agent = agent_args("kim.lee");
    by_agent.extend(["--admin-username", "pat.lee"]);
    let agent = helpdesk(dir.path(), &by_agent, &format!("{new_pass}{new_pass}"));
    assert_eq!(agent.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&agent.stderr).contains("Only admin-level staff"),
        "{}",
        String::from_utf8_lossy(&agent.stderr)
    );

    let url = format!("sqlite://{}", dir.path().join("helpdesk.db").display());
    let store = helpdesk::store::open(&url, 1, &common::key_in(dir.path())).await.unwrap();
    assert!(store.user_by_username("kim.lee").await.unwrap().is_none(), "the agent created staff");
    let events = store.recent_audit(None, 50).await.unwrap();
    let created: Vec<_> = events.iter().filter(|e| e.action == "staff_created").collect();
    assert_eq!(created.len(), 2, "the bootstrap and pat.lee");
    assert_eq!((created[0].actor.as_str(), created[0].target.as_str()), ("root.admin", "pat.lee"));
    assert!(created[1].actor.contains("bootstrap"), "{}", created[1].actor);
}

#[test]
fn audit_export_needs_an_admins_credentials() {
    let dir = bootstrapped();
    let without = helpdesk(dir.path(), &["audit", "export"], "");
    assert_eq!(without.status.code(), Some(2));
    assert!(without.stdout.is_empty());
    let args = ["audit", "export", "--admin-username", "root.admin"];
    let wrong = helpdesk(dir.path(), &args, "not the password at all\n");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(wrong.stdout.is_empty(), "events were exported with a wrong password");
    let right = helpdesk(dir.path(), &args, &format!("{ROOT_PASS}\n"));
    assert!(right.status.success(), "{}", String::from_utf8_lossy(&right.stderr));
    let text = String::from_utf8(right.stdout).unwrap();
    assert!(text.lines().any(|l| l.contains("\"staff_created\"")), "{text}");
}

#[test]
fn files_the_program_creates_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = helpdesk(dir.path(), &["demo", "--no-ui", "--users", "10"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut seen = 0;
    for name in ["helpdesk-demo.db", "helpdesk-demo.db-wal", "helpdesk-demo.db-shm", "helpdesk.log", common::KEY_FILE] {
        let Ok(meta) = std::fs::metadata(dir.path().join(name)) else {
            assert!(name.ends_with("-wal") || name.ends_with("-shm"), "{name} is missing");
            continue;
        };
        seen += 1;
        let mode = meta.permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{name} is readable by others: {mode:o}");
    }
    assert!(seen >= 2);
}

#[test]
fn migrate_makes_a_private_audit_key_once_and_every_other_command_needs_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join(common::KEY_FILE);
    let migrated = helpdesk(dir.path(), &["migrate"], "");
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600, "the key file's mode");
    let made = std::fs::read_to_string(&key).unwrap();
    assert_eq!(made.trim().len(), 64, "256 bits as hex");
    let again = helpdesk(dir.path(), &["migrate"], "");
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), made, "migrate replaced the key");
    for out in [&migrated, &again] {
        let said = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        assert!(!String::from_utf8_lossy(&said).contains(made.trim()), "the key was printed");
    }
    assert_eq!(helpdesk(dir.path(), &["audit", "verify"], "").status.code(), Some(0));

    // Readable by others, then missing: each command refuses to start, naming the key.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refusals = |case: &str| {
        for args in [&["audit", "verify"][..], &["verify-code", "--username", "amara.okafor"], &["staff", "list"]] {
            let out = helpdesk(dir.path(), args, "ABCD-EFGH-JKMN\n");
            let said = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{case}: {args:?} started: {said}");
            assert!(said.contains("`audit.key_file`"), "{case}: {args:?}: {said}");
            assert!(!said.contains(made.trim()), "the key was printed");
        }
    };
    refusals("mode 0644");
    assert!(String::from_utf8_lossy(&helpdesk(dir.path(), &["audit", "verify"], "").stderr).contains("0644"));
    std::fs::remove_file(&key).unwrap();
    refusals("missing");
}

#[test]
fn verify_code_reads_a_bounded_line_and_never_creates_a_database() {
    let dir = tempfile::tempdir().unwrap();
    // A missing database is an error, and stays missing.
    let out = helpdesk(dir.path(), &["verify-code", "--username", "amara.okafor"], "ABCD-EFGH-JKMN\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not exist"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().starts_with("helpdesk.db")), "a database was created: {left:?}");

    // An endless line is refused after 256 bytes, not read to its end.
    assert!(helpdesk(dir.path(), &["demo", "--no-ui", "--users", "10"], "").status.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["verify-code", "--username", "amara.okafor", "--config", "/dev/null"])
        .current_dir(dir.path())
        .env("HELPDESK_DATABASE_URL", "sqlite://helpdesk-demo.db")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'A'; 64 * 1024];
        for _ in 0..1024 {
            if stdin.write_all(&chunk).is_err() {
                return true; // the reader stopped reading: as it should
            }
        }
        false
    });
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("256 bytes"));
    assert!(writer.join().unwrap(), "64 MiB were read");
}

#[test]
fn paths_resolve_from_the_config_file_and_only_migrate_creates_a_database() {
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("data")).unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "[database]\nurl = \"sqlite://data/desk.db\"\n[log]\nfile = \"desk.log\"\n").unwrap();
    let config = config.to_str().unwrap();

    let refused = helpdesk(elsewhere.path(), &["--config", config, "staff", "create"], "");
    assert_eq!(refused.status.code(), Some(2), "clap needs the other flags");
    let mut args = vec!["--config", config];
    args.extend_from_slice(&ROOT);
    let refused = helpdesk(elsewhere.path(), &args, &format!("{ROOT_PASS}\n"));
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("does not exist") && said.contains("helpdesk migrate"), "{said}");
    assert!(!home.path().join("data/desk.db").exists(), "a database was created outside migrate");

    // HELPDESK_CONFIG names the file when --config does not.
    let migrated = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .arg("migrate")
        .current_dir(elsewhere.path())
        .env_remove("DATABASE_URL")
        .env_remove("HELPDESK_DATABASE_URL")
        .env("HELPDESK_CONFIG", config)
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    assert!(home.path().join("data/desk.db").exists(), "migrate did not create the database beside the config");
    assert!(home.path().join("desk.log").exists(), "the log is not beside the config");
    let stray: Vec<_> = std::fs::read_dir(elsewhere.path()).unwrap().collect();
    assert!(stray.is_empty(), "files were created in the current directory");
    let ok = helpdesk(elsewhere.path(), &args, &format!("{ROOT_PASS}\n"));
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
}

/// `--database` is a global option that outranks the environment; a PostgreSQL host that
/// is not this machine needs `sslmode=verify-full` (or `database.trusted_network`), said
/// before anything connects.
#[test]
fn the_database_option_outranks_the_environment_and_a_remote_server_needs_tls() {
    let dir = tempfile::tempdir().unwrap();
    let chosen = format!("sqlite://{}", dir.path().join("chosen.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null", "--database", &chosen, "migrate"])
        .current_dir(dir.path())
        .env("HELPDESK_DATABASE_URL", format!("sqlite://{}", dir.path().join("from-env.db").display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("chosen.db").exists() && !dir.path().join("from-env.db").exists());
    // After the subcommand too.
    let out = helpdesk(dir.path(), &["--config", "/dev/null", "migrate", "--database", &chosen], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let remote = "postgres://helpdesk_runtime@db.bank.example:5432/helpdesk?sslmode=require";
    let out = helpdesk(dir.path(), &["--config", "/dev/null", "--database", remote, "migrate"], "");
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("database.url") && said.contains("sslmode=verify-full"), "{said}");
    assert!(said.contains("database.trusted_network"), "{said}");
    let out = helpdesk(dir.path(), &["--config", "/dev/null", "--database", "", "migrate"], "");
    assert_eq!(out.status.code(), Some(2));
}

/// A username with a line break or an escape, written by another system, cannot forge a
/// line of the log.
#[tokio::test]
async fn a_username_cannot_forge_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = helpdesk(dir.path(), &["demo", "--no-ui", "--users", "20"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let url = format!("sqlite://{}", dir.path().join("helpdesk-demo.db").display());
    // Another system renames `was` through SQL; verify-code is asked for `name`; the log.
    let plant_and_verify = async |was: &str, planted: &str, name: &str| {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let rename = format!("UPDATE users SET username = {planted} WHERE username = '{was}'");
        sqlx::query(&rename).execute(&mut db).await.unwrap();
        let out = helpdesk(
            dir.path(),
            &["--config", "/dev/null", "--database", &url, "verify-code", "--username", name],
            "ABCD-EFGH-JKMN\n",
        );
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(dir.path().join("helpdesk.log")).unwrap()
    };
    let log = plant_and_verify(
        "john.smith",
        "'mallory' || char(10) || '2026-01-01t00:00:00z  info forged' || char(27) || '[2j'",
        "mallory\n2026-01-01T00:00:00Z  INFO forged\u{1b}[2J",
    )
    .await;
    assert!(!log.lines().any(|l| l.starts_with("2026-01-01t00:00:00z  info forged")), "a forged line:\n{log}");
    assert!(!log.contains('\u{1b}'), "an escape reached the log");
    // A username with a control character is not even looked up (a NUL would not reach
    // PostgreSQL): rejected, and nothing of it in the log. One that is looked up and
    // rejected is logged escaped: a line separator, a direction override.
    assert!(!log.contains("mallory"), "{log}");
    let planted = "'eve' || char(8232) || 'forged' || char(8238) || 'x'";
    let log = plant_and_verify("maria.garcia", planted, "eve\u{2028}forged\u{202e}x").await;
    assert!(!log.contains('\u{2028}') && !log.contains('\u{202e}'), "a separator or override reached the log");
    assert!(log.contains("eve\\u{2028}forged\\u{202e}x"), "the rejection is not logged escaped:\n{log}");
}

/// The demo seeds published passwords: only into a database named for it, new, and never
/// one that has held data.
#[test]
fn the_demo_writes_only_into_a_database_meant_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let prod = format!("sqlite://{}", dir.path().join("helpdesk.db").display());
    let out = helpdesk(dir.path(), &["--config", "/dev/null", "demo", "--no-ui", "--database", &prod], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--i-know-this-is-a-demo"));
    assert!(!dir.path().join("helpdesk.db").exists(), "the refusal created the database");
    // An empty database that has held data (here: its audit log has an event) is refused
    // even when told.
    let out = helpdesk(dir.path(), &["--config", "/dev/null", "--database", &prod, "migrate"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = helpdesk(
        dir.path(),
        &[
            "--config",
            "/dev/null",
            "--database",
            &prod,
            "staff",
            "create",
            "--username",
            "root.admin",
            "--first-name",
            "Root",
            "--last-name",
            "Admin",
            "--email",
            "root@bank.example",
            "--admin",
            "--can-generate-codes",
        ],
        "correct-horse-battery-2026\ncorrect-horse-battery-2026\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let wipe = format!("sqlite://{}", dir.path().join("helpdesk.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&wipe).await.unwrap();
        for sql in ["DELETE FROM staff_permissions", "DELETE FROM two_factor_devices", "DELETE FROM users"] {
            sqlx::query(sql).execute(&mut db).await.unwrap();
        }
    });
    let out = helpdesk(
        dir.path(),
        &["--config", "/dev/null", "demo", "--no-ui", "--i-know-this-is-a-demo", "--database", &prod],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has held real data"));
    // A new one named for it is seeded.
    let demo = format!("sqlite://{}", dir.path().join("training-demo.db").display());
    let out =
        helpdesk(dir.path(), &["--config", "/dev/null", "demo", "--no-ui", "--users", "10", "--database", &demo], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `helpdesk codes revoke-all` with an admin's password on standard input.
#[tokio::test]
async fn codes_revoke_all_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = helpdesk(dir.path(), &["demo", "--no-ui", "--users", "20"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let url = format!("sqlite://{}", dir.path().join("helpdesk-demo.db").display());
    {
        let store = helpdesk::store::open(&url, 2, &common::key_in(dir.path())).await.unwrap();
        let desk = helpdesk::desk::HelpDesk::new(store.clone(), common::policy(), common::CHEAP, Limits::default())
            .with_factor_key(common::factor_key_in(dir.path()));
        let agent = common::login(&desk, "alex.agent").await;
        let amara = store.user_by_username("amara.okafor").await.unwrap().unwrap();
        desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    }
    let args = ["--config", "/dev/null", "--database", url.as_str(), "codes", "revoke-all", "--admin-username"];
    // alex's code of this step was used above: the next step's (within the window) signs in.
    let alex = format!("agent-demo-pass-2026\n{}\n", common::demo_code("alex.agent", 30));
    let agent = helpdesk(dir.path(), &[&args[..], &["alex.agent"]].concat(), &alex);
    assert_eq!(agent.status.code(), Some(2), "an agent stopped every code");
    assert!(String::from_utf8_lossy(&agent.stderr).contains("Only admin-level"), "{agent:?}");
    let ada = format!("admin-demo-pass-2026\n{}\n", common::demo_code("ada.admin", 0));
    let out = helpdesk(dir.path(), &[&args[..], &["ada.admin"]].concat(), &ada);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 active batches revoked"), "{:?}", out);
}

/// `serve --demo` on the demo database signs the demo admin in (password and published
/// authenticator code) to make its caller's token, and then listens.
#[test]
fn serve_demo_makes_its_token_and_listens() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let out = helpdesk(dir.path(), &["demo", "--no-ui", "--users", "10"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(dir.path().join("config.toml"), "[serve]\naddress = \"127.0.0.1:0\"\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["serve", "--demo"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("HELPDESK_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let said: Vec<String> = std::io::BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.contains("listening on"))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let token = std::fs::read_to_string(dir.path().join("helpdesk-demo-token")).unwrap_or_default();
    assert!(token.trim().starts_with("hds_"), "no token was made: {said:?}");
    assert!(said.iter().any(|l| l.contains("Content-Type: application/json")), "{said:?}");
}
