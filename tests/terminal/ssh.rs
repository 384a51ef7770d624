//! Over SSH, for real: a throw-away `sshd` on a loopback port whose only program is
//! helpdesk (`ForceCommand`), as `docs/deploy-ssh.md` deploys it. An agent connects with
//! `ssh -tt`, signs in, finds a customer and reads her 2FA section; `q` ends the session.
//! Another command runs helpdesk instead (and prints nothing of the host), a dropped
//! connection ends the helpdesk process, and `-L` / `-R` forwarding is refused.
//!
//! A connection dropped while a code is revealed ends the server session, audited as
//! `connection_lost`.
//!
//! Skipped (said on stderr) when `/usr/sbin/sshd` is missing, unless `CI` is set: then it
//! fails, since `.ci/run` installs OpenSSH's server. Every screen in a failure message has
//! its codes masked.

#![cfg(unix)]

use crate::pty;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};

const SSHD: &str = "/usr/sbin/sshd";
const ROWS: u16 = 30;
const COLS: u16 = 100;

#[test]
fn an_agent_works_over_ssh_and_the_account_runs_nothing_else() {
    if !Path::new(SSHD).exists() {
        if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
            panic!("CI must run the SSH test, but {SSHD} is missing (.ci/run installs openssh-server)");
        }
        // The harness captures eprintln!; this goes to the real stderr.
        let _ = writeln!(
            std::io::stderr(),
            "\nSKIPPED: the SSH test ({SSHD} is not installed; apt-get install openssh-server to run it)"
        );
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let server = Sshd::start(dir.path());
    eprintln!("sshd listening on port {} after {} ms", server.port, started.elapsed().as_millis());

    // The agent's session: sign in, find Amara, read her 2FA section, quit.
    let session = Instant::now();
    let mut agent = PtySsh::connect(&server);
    agent.wait_for("Sign in with your staff username");
    agent.send("alex.agent");
    agent.send("\t");
    agent.send("agent-demo-pass-2026");
    agent.send("\r");
    // The key bound to alex stands for the authenticator code: no code is asked.
    agent.wait_for("Alex Rivera (agent)");
    agent.wait_for("Page 1");
    agent.send("/");
    agent.send("amara.okafor");
    agent.wait_for("1 shown");
    agent.send("\r");
    agent.send("\r");
    agent.wait_for("Two-Factor Authentication");
    let detail = agent.wait_for("+234 803 123 4567");
    assert!(detail.contains("amara.okafor"), "the detail is not Amara's:\n{detail}");
    // This sshd passes no locale (no PAM, no SetEnv): the POSIX locale, so ASCII only.
    assert!(detail.is_ascii(), "a bare ssh session without a UTF-8 locale was drawn outside ASCII:\n{detail}");
    // Back to the list first, so that Esc and q cannot reach the UI as one Alt+q.
    agent.send("\x1b");
    agent.wait_until("the list again", |text| !text.contains("Two-Factor Authentication"));
    agent.send("q");
    let status = agent.wait_exit(Duration::from_secs(15));
    assert!(
        status.success(),
        "ssh ended with {status:?} after q; the screen shows:\n{}",
        pty::mask_codes(&agent.text())
    );
    assert!(!agent.alternate_screen(), "the terminal was not restored at the end of the session");
    eprintln!("signed in, read the detail and quit over SSH in {} ms", session.elapsed().as_millis());
    // The log is where the configuration under ForceCommand puts it, and holds no password.
    let log = std::fs::read_to_string(dir.path().join("helpdesk.log")).expect("helpdesk.log was not written");
    assert!(log.contains("staff=alex.agent"), "the sign-in over SSH is not in the log:\n{log}");
    assert!(!log.contains("agent-demo-pass-2026"), "the log holds the password typed over SSH");

    // The same key is alex's, not ben's: ben is asked for his authenticator code.
    let mut ben = PtySsh::connect(&server);
    ben.wait_for("Sign in with your staff username");
    ben.send("ben.admin");
    ben.send("\t");
    ben.send("ben-demo-pass-2026");
    ben.send("\r");
    ben.wait_for("Authenticator code");
    ben.kill();
    wait_until_gone(&server.helpdesk_config, "helpdesk after ben's connection dropped");

    // Any other command runs helpdesk instead, which needs a terminal and stops.
    let other = server.ssh(&[], &["cat", "/etc/passwd"], Duration::from_secs(20));
    let stdout = String::from_utf8_lossy(&other.stdout);
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(!stdout.contains("root:"), "the account ran another command: /etc/passwd was printed");
    assert!(!other.status.success(), "a command without a terminal succeeded: {stdout}{stderr}");
    assert!(
        stderr.contains("needs an interactive terminal"),
        "helpdesk did not run in place of the command; stderr: {stderr}"
    );

    // A dropped connection (a closed laptop lid, a killed client) ends helpdesk too.
    // With a code revealed, the server side ends the session and audits why.
    let mut dropped = PtySsh::connect(&server);
    dropped.wait_for("Sign in with your staff username");
    assert!(!processes_mentioning(&server.helpdesk_config).is_empty(), "no helpdesk process while connected");
    dropped.send("alex.agent");
    dropped.send("\t");
    dropped.send("agent-demo-pass-2026");
    dropped.send("\r");
    dropped.wait_for("Page 1");
    dropped.send("/");
    dropped.send("amara.okafor");
    dropped.wait_for("1 shown");
    dropped.send("\r");
    dropped.send("\r");
    dropped.wait_for("no active backup codes");
    dropped.send("g");
    dropped.wait_for("very high-risk action");
    dropped.send("\t");
    dropped.send("\r");
    dropped.send("\t");
    dropped.send("\t");
    std::thread::sleep(Duration::from_millis(700));
    dropped.send("\r");
    dropped.wait_for("shown once");
    dropped.send("v");
    dropped.wait_for("read-out");
    dropped.kill();
    wait_until_gone(&server.helpdesk_config, "helpdesk after its connection dropped");
    let url = format!("sqlite://{}", server.dir.join("demo.db").display());
    let (open, reason) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_sessions WHERE ended_at IS NULL")
            .fetch_one(&mut db)
            .await
            .unwrap();
        let reason: Option<String> = sqlx::query_scalar(
            "SELECT detail FROM audit_events WHERE action = 'staff_logout' AND actor = 'alex.agent' ORDER BY id DESC",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        (open, reason)
    });
    assert_eq!(open, 0, "a session is still open on the server after the connection dropped");
    assert_eq!(reason.as_deref(), Some("reason: connection_lost"));

    // Local forwarding: the forwarded port would answer with sshd's own banner if it worked.
    // (ExitOnForwardFailure only stops ssh if it cannot listen locally, e.g. a taken port.)
    let local = free_port();
    let forward = format!("127.0.0.1:{local}:127.0.0.1:{}", server.port);
    let mut ask = server.ssh_command(&["-N", "-o", "ExitOnForwardFailure=yes", "-L", &forward], &[]);
    let mut tunnel = Guard::spawn(ask.stdout(Stdio::null()).stderr(Stdio::null()));
    let mut stream = connect_within(local, Duration::from_secs(15), &mut tunnel);
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if got.windows(4).any(|w| w == b"SSH-") {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the forwarded port neither answered nor closed within 10 s: {e}"),
        }
    }
    assert!(!String::from_utf8_lossy(&got).contains("SSH-"), "-L forwarded a connection to sshd");
    drop(tunnel);

    // Remote forwarding: refused, and ExitOnForwardFailure makes ssh say so and stop.
    let remote = format!("127.0.0.1:{}:127.0.0.1:{}", free_port(), server.port);
    let mut ask = server.ssh_command(&["-N", "-o", "ExitOnForwardFailure=yes", "-R", &remote], &[]);
    let refused = Guard::spawn(ask.stdout(Stdio::null()).stderr(Stdio::piped()));
    let refused =
        finish_within(refused, Duration::from_secs(20)).expect("-R was accepted: ssh -N still runs after 20 s");
    let (status, said) = (refused.status, String::from_utf8_lossy(&refused.stderr));
    assert!(!status.success(), "-R was accepted");
    assert!(said.contains("forwarding failed"), "-R failed for another reason: {said}");

    drop(server);
    wait_until_gone(&dir.path().display().to_string(), "processes of this test after sshd stopped");
    eprintln!("the SSH test took {} ms", started.elapsed().as_millis());
}

/// A throw-away sshd on a free loopback port, killed (with anything left of its sessions)
/// when dropped, a panic included.
struct Sshd {
    child: Child,
    dir: PathBuf,
    port: u16,
    user: String,
    log: PathBuf,
    client_key: PathBuf,
    helpdesk_config: String,
}

impl Sshd {
    fn start(dir: &Path) -> Sshd {
        // Privilege separation needs it when sshd runs as root; as anyone else it is unused.
        let _ = std::fs::create_dir_all("/run/sshd");
        let user = text_of(Command::new("id").arg("-un"));
        let root = text_of(Command::new("id").arg("-u")) == "0";
        let host_key = dir.join("host_key");
        let client_key = dir.join("client_key");
        for key in [&host_key, &client_key] {
            let made = run_within(
                Command::new("ssh-keygen")
                    .args(["-q", "-t", "ed25519", "-N", "", "-C", "helpdesk-ssh-test", "-f"])
                    .arg(key),
                Duration::from_secs(20),
            );
            assert!(made.status.success(), "ssh-keygen failed: {}", String::from_utf8_lossy(&made.stderr));
        }
        let authorized_keys = dir.join("authorized_keys");
        std::fs::copy(client_key.with_extension("pub"), &authorized_keys).unwrap();

        // The database and the configuration helpdesk reads under ForceCommand.
        let url = format!("sqlite://{}", dir.join("demo.db").display());
        let helpdesk_config = dir.join("helpdesk.toml");
        std::fs::write(
            &helpdesk_config,
            format!(
                "[database]\nurl = {:?}\nmax_connections = 2\n\n[log]\nfile = {:?}\n",
                url,
                dir.join("helpdesk.log").display().to_string()
            ),
        )
        .unwrap();
        let seeded = run_within(
            Command::new(env!("CARGO_BIN_EXE_helpdesk"))
                .arg("--config")
                .arg(&helpdesk_config)
                .args(["demo", "--no-ui", "--users", "50", "--database", &url])
                .current_dir(dir)
                .env_remove("HELPDESK_DATABASE_URL")
                .env_remove("DATABASE_URL"),
            Duration::from_secs(60),
        );
        assert!(seeded.status.success(), "demo failed: {}", String::from_utf8_lossy(&seeded.stderr));

        // The client's key is bound to alex by two admins (ada asks, ben approves), as
        // docs/deploy-ssh.md does it: `staff bind-key`, then `grants approve`.
        let admin = |args: &[&str], who: &str, pass: &str| {
            let secret = helpdesk::cli::demo::demo_factor(who).expect("a demo secret");
            let code = secret.code_at(helpdesk::domain::time::now());
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_helpdesk"));
            cmd.arg("--config").arg(&helpdesk_config).args(args).args(["--admin-username", who]).current_dir(dir);
            cmd.env_remove("HELPDESK_DATABASE_URL").env_remove("DATABASE_URL").stdin(Stdio::piped());
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            let input = format!("{pass}\n{}\n", code.as_str());
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let public = std::fs::read_to_string(client_key.with_extension("pub")).unwrap();
        admin(&["staff", "bind-key", "alex.agent", "--key", public.trim()], "ada.admin", "admin-demo-pass-2026");
        admin(&["grants", "approve", "1"], "ben.admin", "ben-demo-pass-2026");

        // The ForceCommand wrapper: the key this session authenticated with, from sshd's
        // ExposeAuthInfo file, carried to helpdesk (docs/deploy-ssh.md's helpdesk-ssh).
        let wrapper = dir.join("helpdesk-ssh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nkey=$(sed -n 's/^publickey //p' \"$SSH_USER_AUTH\" 2>/dev/null | head -n 1)\nexec {} --config {} --ssh-key \"$key\"\n",
                sh_quote(env!("CARGO_BIN_EXE_helpdesk")),
                sh_quote(&helpdesk_config)
            ),
        )
        .unwrap();
        std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let force_command = sh_quote(wrapper.display().to_string());
        let log = dir.join("sshd.log");
        let config = dir.join("sshd_config");
        // A port picked here may be taken before sshd binds it: then another one.
        for _attempt in 0..5 {
            let port = free_port();
            std::fs::write(&config, sshd_config(dir, port, &host_key, &authorized_keys, &user, root, &force_command))
                .unwrap();
            let checked = run_within(Command::new(SSHD).arg("-t").arg("-f").arg(&config), Duration::from_secs(20));
            assert!(
                checked.status.success(),
                "sshd -t refused the config: {}",
                String::from_utf8_lossy(&checked.stderr)
            );
            let log_file = std::fs::File::create(&log).unwrap();
            let child = Command::new(SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .expect("starting sshd");
            let mut server = Sshd {
                child,
                dir: dir.to_owned(),
                port,
                user: user.clone(),
                log: log.clone(),
                client_key: client_key.clone(),
                helpdesk_config: helpdesk_config.display().to_string(),
            };
            let listening = format!("Server listening on 127.0.0.1 port {port}");
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                if said.contains(&listening) {
                    return server;
                }
                if server.child.try_wait().unwrap().is_some() {
                    if said.contains("Address already in use") {
                        break;
                    }
                    panic!("sshd stopped before listening:\n{said}");
                }
                assert!(Instant::now() < deadline, "sshd did not listen within 15 s:\n{said}");
                std::thread::sleep(Duration::from_millis(25));
            }
            drop(server);
        }
        panic!("sshd found no free port in 5 attempts");
    }

    /// `ssh [OPTIONS] user@127.0.0.1 [COMMAND]` with the throw-away key, ignoring every
    /// user and system setting and any agent.
    fn ssh_command(&self, options: &[&str], command: &[&str]) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.args(self.ssh_args(options)).args(command).stdin(Stdio::null()).env_remove("SSH_AUTH_SOCK");
        cmd
    }

    /// The arguments up to and including the destination.
    fn ssh_args(&self, options: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec!["-F".into(), "/dev/null".into(), "-e".into(), "none".into()];
        args.extend(["-p".into(), self.port.to_string(), "-i".into(), self.client_key.display().to_string()]);
        for option in [
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "GlobalKnownHostsFile=/dev/null",
            "IdentitiesOnly=yes",
            "IdentityAgent=none",
            "BatchMode=yes",
            "ConnectTimeout=10",
            "LogLevel=ERROR",
        ] {
            args.extend(["-o".into(), option.into()]);
        }
        args.extend(options.iter().map(|o| o.to_string()));
        args.push(format!("{}@127.0.0.1", self.user));
        args
    }

    /// `ssh` without a terminal, to its end within `limit`.
    fn ssh(&self, options: &[&str], command: &[&str], limit: Duration) -> Output {
        run_within(&mut self.ssh_command(options, command), limit)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Whatever is left of a session (its helpdesk, a client) names the temporary folder.
        for pid in processes_mentioning(&self.dir.display().to_string()) {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
        }
        if std::thread::panicking() {
            let said = std::fs::read_to_string(&self.log).unwrap_or_default();
            let _ = writeln!(std::io::stderr(), "sshd's log:\n{said}");
        }
    }
}

fn sshd_config(
    dir: &Path,
    port: u16,
    host_key: &Path,
    authorized_keys: &Path,
    user: &str,
    root: bool,
    force_command: &str,
) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "ListenAddress 127.0.0.1:{port}");
    let _ = writeln!(c, "HostKey {}", host_key.display());
    let _ = writeln!(c, "PidFile {}", dir.join("sshd.pid").display());
    let _ = writeln!(c, "AuthorizedKeysFile {}", authorized_keys.display());
    let _ = writeln!(c, "AllowUsers {user}");
    let _ = writeln!(c, "PermitRootLogin {}", if root { "prohibit-password" } else { "no" });
    for line in [
        "AuthenticationMethods publickey",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "HostbasedAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PermitTTY yes",
        "PermitUserRC no",
        "PermitUserEnvironment no",
        "DisableForwarding yes",
        "AllowTcpForwarding no",
        "AllowStreamLocalForwarding no",
        "AllowAgentForwarding no",
        "X11Forwarding no",
        "PermitTunnel no",
        "GatewayPorts no",
        "PrintMotd no",
        "PrintLastLog no",
        "ClientAliveInterval 15",
        "ClientAliveCountMax 4",
        "LoginGraceTime 30",
    ] {
        let _ = writeln!(c, "{line}");
    }
    // The session's key reaches the ForceCommand (SSH_USER_AUTH names a file listing it).
    let _ = writeln!(c, "ExposeAuthInfo yes");
    let _ = writeln!(c, "ForceCommand {force_command}");
    c
}

/// `ssh -tt` in a pseudo-terminal of 100×30, read through a vt100 parser.
struct PtySsh {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
}

impl pty::Keys for PtySsh {
    fn send_keys(&mut self, keys: &str) {
        self.send(keys);
    }
    fn shown(&self) -> String {
        self.text()
    }
}

impl PtySsh {
    fn connect(server: &Sshd) -> PtySsh {
        let pty =
            native_pty_system().openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new("ssh");
        cmd.args(server.ssh_args(&["-tt"]));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("SSH_AUTH_SOCK");
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let parser = pty::screen(&*pty.master, ROWS, COLS);
        let writer = pty.master.take_writer().unwrap();
        PtySsh { parser, writer, child, _master: pty.master }
    }

    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn alternate_screen(&self) -> bool {
        self.parser.lock().unwrap().screen().alternate_screen()
    }

    fn wait_for(&mut self, needle: &str) -> String {
        self.wait_until(needle, |text| text.contains(needle))
    }

    /// Waits (20 s at most) until the screen satisfies `done`; `what` names the wait.
    fn wait_until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text();
            if done(&text) {
                return text;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // The last output may still be on its way to the parser.
                std::thread::sleep(Duration::from_millis(200));
                let text = self.text();
                if done(&text) {
                    return text;
                }
                panic!(
                    "ssh ended ({status:?}) while waiting for {what:?}; the screen shows:\n{}",
                    pty::mask_codes(&text)
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what:?}; the screen shows:\n{}",
                pty::mask_codes(&text)
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        // Lets the UI take each batch of keys as separate presses.
        std::thread::sleep(Duration::from_millis(120));
    }

    fn wait_exit(&mut self, limit: Duration) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Lets the reader take the last bytes (the terminal's restoration).
                std::thread::sleep(Duration::from_millis(200));
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "ssh did not end within {limit:?}; the screen shows:\n{}",
                pty::mask_codes(&self.text())
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for PtySsh {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A child process killed and reaped when dropped.
struct Guard(Child);

impl Guard {
    fn spawn(cmd: &mut Command) -> Guard {
        Guard(cmd.spawn().expect("starting a process"))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Runs `cmd` to its end, killed (and the test failed) after `limit`.
fn run_within(cmd: &mut Command, limit: Duration) -> Output {
    let child = Guard::spawn(cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()));
    match finish_within(child, limit) {
        Some(output) => output,
        None => panic!("{cmd:?} did not end within {limit:?}"),
    }
}

/// `child`'s status and output once it ends within `limit`; `None` (and the child killed)
/// if it does not.
fn finish_within(mut child: Guard, limit: Duration) -> Option<Output> {
    fn read(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            let _ = tx.send(bytes);
        });
        rx
    }
    let stdout = read(child.0.stdout.take());
    let stderr = read(child.0.stderr.take());
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    // The pipes close with the process unless something it started holds them: bounded.
    let stdout = stdout.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    let stderr = stderr.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    Some(Output { status, stdout, stderr })
}

fn text_of(cmd: &mut Command) -> String {
    let out = run_within(cmd, Duration::from_secs(10));
    assert!(out.status.success(), "{cmd:?} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A port nothing listens on now (on 127.0.0.1).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Connects to 127.0.0.1:`port` once `tunnel` listens there, within `limit`.
fn connect_within(port: u16, limit: Duration, tunnel: &mut Guard) -> TcpStream {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
            return stream;
        }
        if let Ok(Some(status)) = tunnel.0.try_wait() {
            panic!("ssh -L ended ({status:?}) before listening on {port}");
        }
        assert!(Instant::now() < deadline, "ssh -L did not listen on {port} within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Processes whose command line contains `needle` (Linux's /proc; elsewhere none).
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|line| String::from_utf8_lossy(&line).replace('\0', " ").contains(needle))
        })
        .collect()
}

/// Waits (10 s at most) until no process names `needle`.
fn wait_until_gone(needle: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = processes_mentioning(needle);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: still running after 10 s: {left:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `text` as one word for the shell ForceCommand runs through.
fn sh_quote(text: impl AsRef<std::ffi::OsStr>) -> String {
    format!("'{}'", text.as_ref().to_string_lossy().replace('\'', r"'\''"))
}
