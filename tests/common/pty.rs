//! What a program in a pseudo-terminal shows: everything it writes, read on a thread of
//! its own into a vt100 screen that the test reads whenever it likes.

use std::io::Read;
use std::sync::{Arc, Mutex};

use portable_pty::MasterPty;

#[allow(dead_code)]
pub fn screen(master: &dyn MasterPty, rows: u16, cols: u16) -> Arc<Mutex<vt100::Parser>> {
    screen_and_bytes(master, rows, cols).0
}

/// The screen, and every byte the program wrote, raw (to find what it must never write).
#[allow(dead_code)]
pub fn screen_and_bytes(
    master: &dyn MasterPty,
    rows: u16,
    cols: u16,
) -> (Arc<Mutex<vt100::Parser>>, Arc<Mutex<Vec<u8>>>) {
    let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let mut reader = master.try_clone_reader().unwrap();
    let (sink, raw) = (parser.clone(), bytes.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            raw.lock().unwrap().extend_from_slice(&buf[..n]);
            sink.lock().unwrap().process(&buf[..n]);
        }
    });
    (parser, bytes)
}

/// Anything shaped like a code (`XXXX-XXXX-XXXX`), anywhere on the screen.
#[allow(dead_code)]
pub fn find_codes(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for start in 0..chars.len().saturating_sub(13) {
        let window = &chars[start..start + 14];
        let shaped = window
            .iter()
            .enumerate()
            .all(|(i, c)| if i == 4 || i == 9 { *c == '-' } else { c.is_ascii_digit() || c.is_ascii_uppercase() });
        if shaped {
            found.push(window.iter().collect());
        }
    }
    found
}

/// A failure message shows the screen, but never a code on it.
#[allow(dead_code)]
pub fn mask_codes(text: &str) -> String {
    let mut out = text.to_owned();
    for code in find_codes(text) {
        out = out.replace(&code, "[code hidden]");
    }
    out
}

/// A terminal a test types into and reads.
pub trait Keys {
    fn send_keys(&mut self, keys: &str);
    fn shown(&self) -> String;
}

/// Answers the authenticator prompt that follows a demo member's password with the code
/// their published secret gives now, as their app would show it; when this step's code was
/// used already (a second sign-in within 30 s), with the next step's, which the window
/// accepts. Returns once the code was taken.
pub fn answer_code(term: &mut impl Keys, username: &str) {
    let secret = helpdesk::cli::demo::demo_factor(username).expect("a demo member of staff");
    let wait = |term: &mut dyn Keys, what: &[&str]| {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let text = term.shown();
            if let Some(found) = what.iter().find(|w| text.contains(*w)) {
                return found.to_string();
            }
            assert!(std::time::Instant::now() < until, "timed out waiting for {what:?}; the screen shows:\n{text}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    wait(term, &["Authenticator code"]);
    term.send_keys(&secret.code_at(helpdesk::domain::time::now()));
    term.send_keys("\r");
    if wait(term, &["Page 1", "already used"]) == "already used" {
        term.send_keys(&secret.code_at(helpdesk::domain::time::now() + 30));
        term.send_keys("\r");
    }
}
