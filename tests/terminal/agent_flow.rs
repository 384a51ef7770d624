//! The real binary in a pseudo-terminal, driven as an agent would drive it: sign in, find
//! a customer, generate, reveal, read a code off the screen; `verify-code` accepts it
//! once and rejects it the second time; the same agent is refused for a staff user.

use crate::pty;

use pty::{find_codes, mask_codes};

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote.
    bytes: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
}

impl pty::Keys for Screen {
    fn send_keys(&mut self, keys: &str) {
        self.send(keys);
    }
    fn shown(&self) -> String {
        self.text()
    }
}

impl Screen {
    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, |text| text.contains(needle))
    }

    /// Waits until the screen satisfies `done`; `what` names the wait in a failure.
    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text();
            if done(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what:?}; the screen shows:\n{}",
                mask_codes(&text)
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Enter as a person presses a button they have looked at: after a pause longer than
    /// the burst guard's (`update::DELIBERATE`).
    fn press_enter_deliberately(&mut self) {
        std::thread::sleep(Duration::from_millis(700));
        self.send("\r");
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        // Lets the UI take each batch of keys as separate presses.
        std::thread::sleep(Duration::from_millis(120));
    }
}

fn verify(dir: &Path, url: &str, code: &str) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null", "verify-code", "--username", "amara.okafor"])
        .current_dir(dir)
        .env("HELPDESK_DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{code}\n").as_bytes()).unwrap();
    child.wait().unwrap().code()
}

/// The real binary in a pty of 30×100, with `args`, in `dir`.
fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Screen, Box<dyn portable_pty::Child + Send + Sync>) {
    let pty = native_pty_system().openpty(PtySize { rows: 30, cols: 100, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_helpdesk"));
    cmd.args(args);
    cmd.cwd(dir);
    cmd.env("TERM", "xterm-256color");
    // A UTF-8 locale, whatever the machine running the tests has; a test may override it.
    cmd.env("LANG", "C.UTF-8");
    cmd.env_remove("LC_ALL");
    cmd.env_remove("LC_CTYPE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let (parser, bytes) = pty::screen_and_bytes(&*pty.master, 30, 100);
    let writer = pty.master.take_writer().unwrap();
    // The master must outlive the child's use of the terminal.
    std::mem::forget(pty.master);
    (Screen { parser, bytes, writer }, child)
}

/// A demo database of 40 customers in a folder of its own, for two processes at once.
fn two_desks_database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("two-demo.db").display());
    let seeded = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null", "demo", "--no-ui", "--users", "40", "--database", &url])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(seeded.status.success(), "demo failed: {}", String::from_utf8_lossy(&seeded.stderr));
    (dir, url)
}

fn sign_in(screen: &mut Screen, username: &str, password: &str) {
    screen.wait_for("Sign in with your staff username");
    screen.send(username);
    screen.send("\t");
    screen.send(password);
    screen.send("\r");
    pty::answer_code(screen, username);
    screen.wait_for("Page 1");
}

/// From the list, searches for `username` and opens that user's detail.
fn open_user(screen: &mut Screen, username: &str) {
    screen.send("/");
    screen.send(username);
    screen.wait_for("1 shown");
    screen.send("\r");
    screen.send("\r");
}

/// Two processes on one database, as two members of staff at two desks: an admin permits
/// email 2FA, and the agent's open user detail shows it within seconds, without a restart.
#[test]
fn an_admins_settings_change_reaches_an_agents_open_detail() {
    let (dir, url) = two_desks_database();
    let env = [("HELPDESK_DATABASE_URL", url.as_str())];
    let (mut agent, mut agent_child) = spawn(dir.path(), &["--config", "/dev/null"], &env);
    let (mut admin, mut admin_child) = spawn(dir.path(), &["--config", "/dev/null"], &env);

    sign_in(&mut agent, "alex.agent", "agent-demo-pass-2026");
    open_user(&mut agent, "amara.okafor");
    agent.wait_for("Two-Factor Authentication");
    assert!(!agent.text().contains("Permitted Email"), "email was permitted before the admin's change");

    sign_in(&mut admin, "ada.admin", "admin-demo-pass-2026");
    admin.send("i");
    admin.wait_for("[ ] Email");
    admin.send(" ");
    admin.send("\r");
    admin.wait_for("Change the permitted 2FA methods?");
    admin.send("\t");
    admin.press_enter_deliberately();
    admin.wait_for("Saved.");

    // The agent presses nothing: the detail reads itself again every few seconds.
    agent.wait_for("Permitted Email");
    agent.wait_for("enrol with an");

    for (screen, child) in [(&mut agent, &mut agent_child), (&mut admin, &mut admin_child)] {
        screen.send("\x1b");
        screen.send("q");
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "q did not quit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn an_agent_issues_a_code_that_works_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e2e-demo.db");
    let url = format!("sqlite://{}", db.display());

    let started = Instant::now();
    let (mut screen, mut child) =
        spawn(dir.path(), &["--config", "/dev/null", "demo", "--users", "60", "--database", &url], &[]);
    let parser = screen.parser.clone();

    screen.wait_for("Sign in with your staff username");
    eprintln!("first frame after {} ms (including seeding the demo database)", started.elapsed().as_millis());
    assert!(parser.lock().unwrap().screen().alternate_screen(), "the UI is not on the alternate screen");

    // As a newcomer does: the code the demo's sign-in screen shows under the credentials.
    let shown = screen.wait_for("Demo authenticator codes now");
    let codes = shown.split("codes now").nth(1).expect("the codes' line").replace(['│', '┃'], " ");
    let code = codes
        .split_whitespace()
        .skip_while(|w| *w != "alex.agent")
        .nth(1)
        .expect("alex.agent's code on the sign-in screen")
        .to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code:?}");
    screen.send("alex.agent");
    screen.send("\t");
    screen.send("agent-demo-pass-2026");
    screen.send("\r");
    screen.wait_for("Authenticator code");
    screen.send(&code);
    screen.send("\r");
    if screen
        .wait_until("the code taken", |t| t.contains("Alex Rivera (agent)") || t.contains("wrong"))
        .contains("wrong")
    {
        // The step turned between reading and typing: the next code, as a person would.
        pty::answer_code(&mut screen, "alex.agent");
    }
    screen.wait_for("Alex Rivera (agent)");
    screen.wait_for("Page 1");

    screen.send("/");
    screen.send("amara.ok");
    screen.wait_for("1 shown");
    screen.send("\r");
    screen.send("\r");
    screen.wait_for("Two-Factor Authentication");
    screen.wait_for("no active backup codes");

    screen.send("g");
    screen.wait_for("very high-risk action");
    screen.send("\t");
    screen.send("\r"); // first identity check: in person, with photo ID
    screen.send("\t");
    screen.send("seen passport at the branch");
    screen.send("\t");
    screen.press_enter_deliberately();
    let masked = screen.wait_for("shown once");
    assert!(find_codes(&masked).is_empty(), "a code showed before it was revealed");

    screen.send("v");
    let revealed = screen.wait_for("read-out");
    let codes = find_codes(&revealed);
    assert_eq!(codes.len(), 1, "exactly the selected code shows when revealed");
    let code = codes[0].clone();

    screen.send("\x1b");
    screen.wait_for("Leave the codes?");
    screen.send("\t");
    screen.press_enter_deliberately();
    screen.wait_for("wiped from this screen");
    screen.wait_for("10 of 10 unused");
    assert!(find_codes(&screen.text()).is_empty(), "a code is still on screen after leaving");

    // The same agent and a staff user: shown why, and nothing opens.
    screen.send("\x1b");
    screen.send("/");
    screen.send("\x1b");
    screen.send("/");
    screen.send("sam.teller");
    screen.wait_for("1 shown");
    screen.send("\r");
    screen.send("\r");
    screen.wait_for("Not available to you: Only admin-level staff");
    screen.send("g");
    // The same sentence again, in the status line.
    let refusal = "Not available to you: Only admin-level staff";
    screen.wait_until("the refusal in the status line", |text| text.matches(refusal).count() == 2);
    assert!(!screen.text().contains("very high-risk action"), "the warning opened for a refused action");

    screen.send("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "the UI exited with {status:?}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!parser.lock().unwrap().screen().alternate_screen(), "the terminal was not restored");

    assert_eq!(verify(dir.path(), &url, &code), Some(0), "the code read off the screen was not accepted");
    assert_eq!(verify(dir.path(), &url, &code), Some(1), "a code worked twice");
}

/// An agent in the warning for Amara, the first identity check chosen and the focus in the
/// note, in a demo database of its own.
fn agent_in_the_warning(dir: &Path, url: &str) -> (Screen, Box<dyn portable_pty::Child + Send + Sync>) {
    let (mut screen, child) = spawn(dir, &["--config", "/dev/null", "demo", "--users", "40", "--database", url], &[]);
    sign_in(&mut screen, "alex.agent", "agent-demo-pass-2026");
    open_user(&mut screen, "amara.okafor");
    screen.wait_for("no active backup codes");
    screen.send("g");
    screen.wait_for("very high-risk action");
    screen.send("\t");
    screen.send("\r"); // in person, with photo ID
    screen.send("\t"); // the note
    (screen, child)
}

/// An agent with a code revealed on screen, in a demo database of its own.
fn agent_with_a_code_revealed(dir: &Path, url: &str) -> (Screen, Box<dyn portable_pty::Child + Send + Sync>) {
    let (mut screen, child) = agent_in_the_warning(dir, url);
    screen.send("\t");
    screen.press_enter_deliberately();
    screen.wait_for("shown once");
    screen.send("v");
    let revealed = screen.wait_for("read-out");
    assert_eq!(find_codes(&revealed).len(), 1, "no code revealed");
    (screen, child)
}

/// A signal while a code is on screen: the process leaves within a second, writes no code
/// after the signal, ends its server session and audits why; returns what it wrote after.
fn signalled(signal: i32) -> (Vec<u8>, Duration, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("signal-demo.db").display());
    let (screen, mut child) = agent_with_a_code_revealed(dir.path(), &url);
    let before = screen.bytes.lock().unwrap().len();
    let pid = child.process_id().expect("the child has a pid") as i32;
    let sent = Instant::now();
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    while child.try_wait().unwrap().is_none() {
        assert!(sent.elapsed() < Duration::from_secs(5), "signal {signal} did not end the program");
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = sent.elapsed();
    eprintln!("signal {signal}: the program ended {} ms after it", took.as_millis());
    std::thread::sleep(Duration::from_millis(100));
    let after = screen.bytes.lock().unwrap()[before..].to_vec();
    let text = String::from_utf8_lossy(&after);
    assert!(find_codes(&text).is_empty(), "a code was written after signal {signal}");
    let logout = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_sessions WHERE ended_at IS NULL")
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(open, 0, "the server session is still open after signal {signal}");
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT detail FROM audit_events WHERE action = 'staff_logout' AND actor = 'alex.agent' ORDER BY id DESC",
        )
        .fetch_one(&mut db)
        .await
        .unwrap()
        .unwrap_or_default()
    });
    (after, took, logout)
}

#[test]
fn sigterm_with_a_code_revealed_ends_clean() {
    let (after, took, logout) = signalled(libc::SIGTERM);
    assert!(took < Duration::from_secs(1), "SIGTERM took {took:?} to end the program");
    assert_eq!(logout, "reason: terminated");
    let find = |seq: &[u8]| after.windows(seq.len()).any(|w| w == seq);
    assert!(find(b"\x1b[?1049l"), "the alternate screen was not left");
    assert!(find(b"\x1b[?25h"), "the cursor was not shown again");
    assert!(find(b"\x1b[?2004l"), "bracketed paste was not turned off");
}

#[test]
fn sighup_with_a_code_revealed_ends_the_session() {
    let (_, took, logout) = signalled(libc::SIGHUP);
    assert!(took < Duration::from_secs(1), "SIGHUP took {took:?} to end the program");
    assert_eq!(logout, "reason: connection_lost");
}

/// `helpdesk` without a terminal says so and exits 2, as does TERM=dumb.
#[test]
fn no_terminal_or_a_dumb_one_is_told_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("interactive terminal"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (screen, mut child) = spawn(dir.path(), &["--config", "/dev/null"], &[("TERM", "dumb")]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "TERM=dumb did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.exit_code(), 2);
    std::thread::sleep(Duration::from_millis(100));
    assert!(screen.text().contains("TERM=dumb"), "{}", screen.text());
}

/// A paste the terminal does not bracket arrives as keys in one write: in the warning's
/// note, with an identity check chosen, none of these generates a batch.
#[test]
fn an_unbracketed_paste_into_the_note_never_generates() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("paste-demo.db").display());
    let (mut screen, mut child) = agent_in_the_warning(dir.path(), &url);
    for paste in ["x\r \r", "ok\r ", "a\r\r", "called back\rID seen\r\r"] {
        // One write: what a terminal sends for a paste it does not bracket.
        screen.writer.write_all(paste.as_bytes()).unwrap();
        screen.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(700));
        let text = screen.text();
        assert!(
            text.contains("very high-risk action") && !text.contains("shown once"),
            "{paste:?} generated:\n{}",
            mask_codes(&text)
        );
    }
    let batches: i64 = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM backup_code_batches").fetch_one(&mut db).await.unwrap()
    });
    assert_eq!(batches, 0, "an unbracketed paste generated a batch");
    child.kill().unwrap();
}

/// A locale that is not UTF-8 (LANG=C, as a bare ssh often gives): every byte the program
/// writes is ASCII, borders are drawn with + - |, and the customers' names in other
/// scripts are transliterated rather than turned into mojibake.
#[test]
fn a_locale_that_is_not_utf8_gets_ascii() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ascii-demo.db").display());
    let (mut screen, mut child) =
        spawn(dir.path(), &["--config", "/dev/null", "demo", "--users", "200", "--database", &url], &[("LANG", "C")]);
    sign_in(&mut screen, "alex.agent", "agent-demo-pass-2026");
    screen.send("/");
    screen.send("garcia");
    let list = screen.wait_for("shown");
    assert!(list.contains("+-"), "no ASCII border:\n{list}");
    assert!(list.contains("Garcia"), "García is not transliterated:\n{list}");
    screen.send("\x1b");
    screen.send("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    let written = screen.bytes.lock().unwrap().clone();
    let stray = written.iter().filter(|b| !b.is_ascii()).count();
    assert_eq!(stray, 0, "{stray} bytes outside ASCII were written under LANG=C");
}

/// The two-person rule at two desks: Digital Banking changes Amara's phone (through SQL);
/// the agent sees it, is not offered a call-back, and sends a request; the admin approves
/// it in the Approvals pane; the agent generates and reads a code, which `verify-code`
/// accepts once. The admin's terminal never receives a code.
#[test]
fn a_second_admin_approves_and_only_the_requester_sees_the_codes() {
    let (dir, url) = two_desks_database();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE users SET phone = '+447911123456' WHERE username = 'amara.okafor'")
            .execute(&mut db)
            .await
            .unwrap();
    });
    let env = [("HELPDESK_DATABASE_URL", url.as_str())];
    let (mut agent, mut agent_child) = spawn(dir.path(), &["--config", "/dev/null"], &env);
    let (mut admin, mut admin_child) = spawn(dir.path(), &["--config", "/dev/null"], &env);

    sign_in(&mut agent, "alex.agent", "agent-demo-pass-2026");
    open_user(&mut agent, "amara.okafor");
    agent.wait_for("Two-Factor Authentication");
    agent.send("g");
    let warning = agent.wait_for("very high-risk action");
    assert!(warning.contains("The phone changed outside helpdesk"), "{warning}");
    assert!(warning.contains("phone number on file (not offered)"), "{warning}");
    assert!(warning.contains("Send to a second admin"), "{warning}");
    agent.send("\t");
    agent.send("\r"); // in person, with photo ID
    agent.send("\t");
    agent.send("passport seen, ticket 77");
    agent.send("\t");
    agent.press_enter_deliberately();
    agent.wait_for("Waiting for a second admin");

    sign_in(&mut admin, "ada.admin", "admin-demo-pass-2026");
    admin.wait_for("Approvals: 1 pending");
    admin.send("v");
    let pane = admin.wait_for("alex.agent → Amara Okafor");
    assert!(pane.contains("passport seen, ticket 77") && pane.contains("cool-off"), "{pane}");
    admin.send("a");
    admin.wait_for("Approve this request?");
    admin.send("\t");
    admin.press_enter_deliberately();
    admin.wait_for("Approved.");

    // The agent presses nothing until the detail shows the approval.
    agent.wait_for("Approved by ada.admin");
    agent.press_enter_deliberately();
    agent.wait_for("shown once");
    agent.send("v");
    let revealed = agent.wait_for("read-out");
    let codes = find_codes(&revealed);
    assert_eq!(codes.len(), 1, "no code revealed");
    assert_eq!(verify(dir.path(), &url, &codes[0]), Some(0), "the approved code was refused");
    assert_eq!(verify(dir.path(), &url, &codes[0]), Some(1), "a code worked twice");
    let admin_bytes = String::from_utf8_lossy(&admin.bytes.lock().unwrap()).into_owned();
    assert!(find_codes(&admin_bytes).is_empty(), "a code reached the approver's terminal");

    agent.send("\x1b");
    agent.wait_for("Leave");
    agent.send("\t");
    agent.press_enter_deliberately();
    for (screen, child) in [(&mut agent, &mut agent_child), (&mut admin, &mut admin_child)] {
        screen.send("\x1b");
        screen.send("\x1b");
        screen.send("q");
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "q did not quit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A new member of staff, created from the command line, enrols at the first sign-in from
/// the secret the screen shows (beside its QR code), signs out, cannot reuse that code in
/// its step, and signs in with the next.
#[test]
fn a_new_member_enrols_from_the_screen_and_each_code_works_once() {
    let (dir, url) = two_desks_database();
    let ada = helpdesk::cli::demo::demo_factor("ada.admin").unwrap().code_at(helpdesk::domain::time::now());
    let mut create = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null", "--database", &url, "staff", "create", "--username", "mal.new"])
        .args(["--first-name", "Mal", "--last-name", "Newcomb", "--email", "mal@bank.example"])
        .args(["--admin-username", "ada.admin"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = format!("admin-demo-pass-2026\n{}\nquartz-meadow-lantern-2026\n", ada.as_str());
    create.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let created = create.wait_with_output().unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));

    let (mut screen, mut child) = spawn(dir.path(), &["--config", "/dev/null", "--database", &url], &[]);
    screen.wait_for("Sign in with your staff username");
    screen.send("mal.new");
    screen.send("\t");
    screen.send("quartz-meadow-lantern-2026");
    screen.send("\r");
    let shown = screen.wait_for("Secret:");
    assert!(shown.contains('▀') || shown.contains('▄'), "no QR code on the enrolment screen:\n{shown}");
    let line = shown.lines().find(|l| l.contains("Secret:")).unwrap();
    let grouped: String = line.split("Secret:").nth(1).unwrap().replace(['┃', '│'], " ");
    let secret = helpdesk::domain::second_factor::FactorSecret::from_base32(grouped.trim()).expect("a base32 secret");
    let code = secret.code_at(helpdesk::domain::time::now());
    screen.send(&code);
    screen.send("\r");
    screen.wait_for("Mal Newcomb (agent)");
    screen.send("\x0f"); // Ctrl+O: sign out
    screen.wait_for("Sign in with your staff username");
    screen.send("mal.new");
    screen.send("\t");
    screen.send("quartz-meadow-lantern-2026");
    screen.send("\r");
    screen.wait_for("Authenticator code");
    screen.send(&code);
    screen.send("\r");
    screen.wait_for("already used");
    screen.send(&secret.code_at(helpdesk::domain::time::now() + 30));
    screen.send("\r");
    screen.wait_for("Mal Newcomb (agent)");
    screen.send("\x0f");
    screen.wait_for("Sign in with your staff username");
    screen.send("\x1b");
    assert!(child.wait().unwrap().success());
}
