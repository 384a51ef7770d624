//! What the UI process costs, measured from outside as an SSH client would see it: the
//! real release binary in an 80×24 pseudo-terminal.
//!
//!   cargo build --release
//!   cargo run --release --example terminal -- sqlite:///tmp/bench1m.db
//!
//! Prints launch to first frame, the bytes written to the terminal per arrow key in
//! Manage Users (a scroll past the visible rows included) and per search keystroke, and
//! resident memory when idle and at its peak after browsing 20 pages and generating one
//! batch of codes (Linux: /proc). Needs the demo staff (`helpdesk demo`).
//!
//! Runs again on the same database: the batch goes to an Okafor of the demo with no
//! batch in the last day (the demo's limit is two a customer a day), alex's code is typed
//! in a 30-second step after the one of the last code accepted (a code works once), and
//! the agent's hourly and daily limits are raised for the run (a config file of its own).

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::Raw;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Terminal {
    screen: Arc<Mutex<vt100::Parser>>,
    bytes: Arc<AtomicUsize>,
    last_output: Arc<Mutex<Instant>>,
    writer: Box<dyn Write + Send>,
}

impl Terminal {
    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits for a line of the screen that `holds`.
    fn wait_for_line(&self, what: &str, holds: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.text().lines().any(&holds) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}:\n{}", self.text());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.text().contains(needle) {
            assert!(Instant::now() < deadline, "timed out waiting for {needle:?}:\n{}", self.text());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until the program has written nothing for `quiet`.
    fn settle(&self, quiet: Duration) {
        loop {
            std::thread::sleep(Duration::from_millis(10));
            if self.last_output.lock().unwrap().elapsed() >= quiet {
                return;
            }
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends one key and returns the bytes the program wrote in answer.
    fn key(&mut self, keys: &str) -> usize {
        self.settle(Duration::from_millis(60));
        let before = self.bytes.load(Ordering::SeqCst);
        self.send(keys);
        std::thread::sleep(Duration::from_millis(20));
        self.settle(Duration::from_millis(150));
        self.bytes.load(Ordering::SeqCst) - before
    }
}

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Resident memory at each step and the peak within it: the peak is reset after each
/// reading (`/proc/<pid>/clear_refs`), so that the step that makes it is named. The
/// overall peak is the highest of the steps'.
struct Steps {
    pid: u32,
    peak_kib: u64,
}

impl Steps {
    fn mark(&mut self, step: &str) {
        let (resident, peak) = (status_kib(self.pid, "VmRSS:"), status_kib(self.pid, "VmHWM:"));
        self.peak_kib = self.peak_kib.max(peak);
        let (anon, file) = (status_kib(self.pid, "RssAnon:"), status_kib(self.pid, "RssFile:"));
        println!(
            "  {step}: resident {:.1} MB ({:.1} allocated, {:.1} of files), peak within {:.1} MB",
            resident as f64 / 1024.0,
            anon as f64 / 1024.0,
            file as f64 / 1024.0,
            peak as f64 / 1024.0
        );
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5");
    }
}

fn median_and_worst(mut xs: Vec<usize>) -> (usize, usize) {
    xs.sort_unstable();
    (xs[xs.len() / 2], *xs.last().unwrap())
}

/// A customer with no batch in the last day (`$1`, seconds): the demo's own `amara.okafor`
/// on a fresh database, else the first Okafor of the demo's Nigerian customers with an
/// ASCII first name (the same region's number, drawn the same way).
const FRESH_CUSTOMER: &str = "SELECT u.username FROM users u \
     WHERE u.sort_key >= 'okafor ' AND u.sort_key < 'okafor!' AND u.kind = 'customer' \
     AND u.first_name IN ('Amara', 'Adaeze', 'Chinedu', 'Ngozi') \
     AND NOT EXISTS (SELECT 1 FROM backup_code_batches b WHERE b.user_id = u.id AND b.created_at > $1) \
     ORDER BY CASE WHEN u.username = 'amara.okafor' THEN 0 ELSE 1 END, u.sort_key, u.id LIMIT 1";

/// The 30-second step of alex's last accepted authenticator code, if any.
const LAST_STEP: &str = "SELECT factor_last_step FROM users WHERE username = 'alex.agent'";

/// The database, read before the run: whom to give the batch, and the step of alex's last
/// accepted code.
impl Raw {
    /// (customer's username, alex's last step).
    async fn before_the_run(&self, now: i64) -> (Option<String>, Option<i64>) {
        macro_rules! read {
            ($pool:expr) => {{
                let who = sqlx::query_scalar(FRESH_CUSTOMER).bind(now - 86_400).fetch_optional($pool).await.unwrap();
                let step = sqlx::query_scalar(LAST_STEP).fetch_optional($pool).await.unwrap().flatten();
                $pool.close().await;
                (who, step)
            }};
        }
        match self {
            Raw::Sqlite(pool) => read!(pool),
            Raw::Postgres(pool) => read!(pool),
        }
    }
}

fn main() {
    let url = std::env::args().nth(1).expect("a database URL: sqlite:///tmp/bench1m.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let now = helpdesk::domain::time::now();
    let (customer, last_step) = runtime.block_on(async { Raw::open(&url).await.before_the_run(now).await });
    let customer = customer.expect("an Okafor of the demo with no batch in the last day (helpdesk demo)");
    // A code works once: wait for the step after the last accepted one.
    while last_step
        .is_some_and(|last| helpdesk::domain::time::now() / helpdesk::domain::second_factor::STEP_SECS <= last)
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[codes]\nmax_batches_per_agent_hour = 1000\nmax_batches_per_agent_day = 10000\n")
        .unwrap();
    let binary = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("helpdesk");
    let pty = native_pty_system().openpty(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(&binary);
    cmd.arg("--config");
    cmd.arg(config.path());
    cmd.env("HELPDESK_DATABASE_URL", &url);
    cmd.env("TERM", "xterm-256color");
    cmd.cwd(std::env::temp_dir());
    let started = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    let pid = child.process_id().unwrap();
    let screen = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
    let bytes = Arc::new(AtomicUsize::new(0));
    let last_output = Arc::new(Mutex::new(Instant::now()));
    let mut reader = pty.master.try_clone_reader().unwrap();
    let (sink, count, stamp) = (screen.clone(), bytes.clone(), last_output.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            count.fetch_add(n, Ordering::SeqCst);
            *stamp.lock().unwrap() = Instant::now();
            sink.lock().unwrap().process(&buf[..n]);
        }
    });
    let mut t = Terminal { screen, bytes, last_output, writer: pty.master.take_writer().unwrap() };

    t.wait_for("Sign in with your staff username");
    println!("launch to first frame: {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
    t.send("alex.agent\t");
    t.send("agent-demo-pass-2026\r");
    // The demo's published authenticator secret gives alex's code, as their app would.
    t.wait_for("Authenticator code");
    let secret = helpdesk::cli::demo::demo_factor("alex.agent").expect("a demo secret");
    t.send(&format!("{}\r", secret.code_at(helpdesk::domain::time::now()).as_str()));
    t.wait_for("Page 1");
    t.settle(Duration::from_millis(500));
    println!("resident memory, signed in and idle: {:.1} MB", status_kib(pid, "VmRSS:") as f64 / 1024.0);
    let mut steps = Steps { pid, peak_kib: 0 };
    steps.mark("launch and sign-in");

    let arrows: Vec<usize> = (0..40).map(|_| t.key("j")).collect();
    let (median, worst) = median_and_worst(arrows);
    println!("bytes per arrow key in Manage Users (40 presses, past the visible rows): median {median}, worst {worst}");
    steps.mark("40 arrow keys");

    t.key("/");
    let typed: Vec<usize> = "amara".chars().map(|c| t.key(&c.to_string())).collect();
    let (median, worst) = median_and_worst(typed);
    println!("bytes per search keystroke (\"amara\"): median {median}, worst {worst}");
    t.key("\x1b");
    t.key("/");
    t.key("\x1b");
    steps.mark("search \"amara\"");

    for page in 2..=21 {
        t.send("n");
        t.wait_for(&format!("Page {page} "));
    }
    t.settle(Duration::from_millis(300));
    steps.mark("20 pages");
    t.send("/");
    t.send(&customer);
    // The customer is selected first: adaeze.okafor27 sorts before the adaeze.okafor270…
    // that its username starts (same name, made later). The column shows the username's
    // start only.
    let shown: String = customer.chars().take(12).collect();
    t.wait_for_line(&format!("{customer} selected"), |l| {
        l.find("› ").is_some_and(|at| l[at..].contains(" Okafor ") && l[at..].contains(&shown))
    });
    t.settle(Duration::from_millis(300));
    t.send("\r");
    t.send("\r");
    t.wait_for("Two-Factor Authentication");
    t.settle(Duration::from_millis(300));
    steps.mark(&format!("search {customer:?} and open the customer"));
    t.send("g");
    t.wait_for("How did you verify");
    t.key("\t");
    t.key("\r");
    t.key("\t");
    t.key("\t");
    // Generate and Leave act only on a deliberate Enter (half a second without a key).
    t.settle(Duration::from_millis(700));
    t.send("\r");
    t.wait_for("shown once");
    steps.mark("generate a batch");
    t.key("\x1b");
    t.key("\t");
    t.settle(Duration::from_millis(700));
    t.key("\r");
    t.settle(Duration::from_millis(500));
    steps.mark("leave");
    println!(
        "after 20 pages and one batch: resident {:.1} MB, peak {:.1} MB",
        status_kib(pid, "VmRSS:") as f64 / 1024.0,
        steps.peak_kib as f64 / 1024.0
    );
    // The figures are printed: quit as an agent would, and end the child if it has not
    // gone within two seconds (a dialog left open would keep it waiting for a key), so
    // that the benchmark ends by itself and leaves no process behind.
    for key in ["\x1b", "\x1b", "q"] {
        t.send(key);
        t.settle(Duration::from_millis(200));
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if matches!(child.try_wait(), Ok(None)) {
        println!("helpdesk did not quit on q; ended");
        let _ = child.kill();
    }
    let _ = child.wait();
}
