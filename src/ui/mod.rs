//! The terminal UI. `app` holds the state; `update` changes it, by context; `msg` the
//! messages, outcomes and effects; `panes` the panes; `view` and `widgets` draw; `keymap`
//! is the one list of keys; this file owns the terminal and runs the effects.

pub mod app;
pub mod fields;
pub mod keymap;
pub mod msg;
pub mod paging;
pub mod panes;
pub mod text;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;

use std::io::Stdout;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event, EventStream, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::config::Config;
use crate::desk::{DeskError, Generation, HelpDesk, ProfileEdit, Session, SignIn, WarningChoice};
use crate::domain::session::Departure;
use crate::texts::{fill, texts};
use app::{App, UiSettings};
use msg::{Effect, Msg, PendingId, Waiting};
use panes::codes::Reveal;
use update::update;

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Puts the terminal back as it was: main screen, cooked mode, no bracketed paste.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(std::io::stdout(), DisableBracketedPaste, LeaveAlternateScreen, crossterm::cursor::Show);
}

fn setup_terminal() -> Result<Term> {
    enable_raw_mode().wrap_err("this program needs an interactive terminal")?;
    // No mouse capture: over SSH people select and copy text with the mouse.
    execute!(std::io::stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        hook(info);
    }));
    Ok(Terminal::new(CrosstermBackend::new(std::io::stdout()))?)
}

/// Key presses (not repeats or releases), pastes, resizes, and a tick each second for the
/// reveal countdown and the idle lock.
async fn read_events(tx: UnboundedSender<Msg>) {
    let mut stream = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let msg = tokio::select! {
            _ = tick.tick() => Msg::Tick,
            event = stream.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Msg::Key(key),
                Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::error!("terminal input failed: {e}");
                    Msg::End(Departure::ConnectionLost)
                }
                // The terminal's input ended: the connection went without a signal.
                None => Msg::End(Departure::ConnectionLost),
            },
        };
        let ending = matches!(msg, Msg::End(_));
        if tx.send(msg).is_err() || ending {
            break;
        }
    }
}

/// SIGHUP (the SSH connection dropped), SIGTERM, SIGQUIT and SIGINT end the session by the
/// same path as quitting, instead of killing the process with codes on the screen.
async fn watch_signals(tx: UnboundedSender<Msg>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut hup), Ok(mut term), Ok(mut quit), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::quit()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot watch for signals: a dropped connection would not end the session cleanly");
        return;
    };
    let departure = tokio::select! {
        _ = hup.recv() => Departure::ConnectionLost,
        _ = term.recv() => Departure::Terminated,
        _ = quit.recv() => Departure::Terminated,
        _ = int.recv() => Departure::Interrupted,
    };
    tracing::info!(reason = departure.as_str(), "signal received");
    let _ = tx.send(Msg::End(departure));
}

/// Why the UI cannot run here, if it cannot: no terminal on standard input or output, or
/// one that cannot draw (`TERM=dumb`).
pub fn unusable_terminal() -> Option<&'static str> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Some(&texts().screen.no_terminal);
    }
    if std::env::var("TERM").is_ok_and(|t| t == "dumb") {
        return Some(&texts().screen.dumb_terminal);
    }
    None
}

/// The longest the end of a session waits for the database to record it; past that the
/// server ends it by the heartbeat, as for a process that vanished.
const END_WAIT: Duration = Duration::from_millis(800);

/// Runs one effect against the service; every effect but sign-out answers with a message.
async fn perform(desk: HelpDesk, effect: Effect) -> Option<Msg> {
    let msg = match effect {
        Effect::Login { username, password } => match desk.sign_in(&username, password.into_inner()).await {
            Ok(SignIn::Done(session)) => Msg::LoggedIn(desk.institution().await.map(|i| (session, i.name))),
            Ok(SignIn::Code(ticket) | SignIn::Enrol(ticket)) => Msg::FactorAsked(Box::new(ticket)),
            Err(e) => Msg::LoggedIn(Err(e)),
        },
        Effect::FinishSignIn { ticket, code } => {
            Msg::LoggedIn(match desk.finish_sign_in(&ticket, code.expose()).await {
                Ok(session) => desk.institution().await.map(|i| (session, i.name)),
                Err(e) => Err(e),
            })
        }
        Effect::StepUp { session, code } => Msg::SteppedUp(desk.step_up(&session, code.expose()).await),
        Effect::Unlock { session, password } => Msg::Unlocked(desk.unlock(&session, password.into_inner()).await),
        Effect::Search { session, query, seq } => Msg::Users { seq, result: desk.search(&session, &query).await },
        Effect::LoadDetail { session, user } => Msg::Detail(desk.user_detail(&session, user).await.map(Box::new)),
        Effect::Generate { session, user, identity, seen } => Msg::Generated(
            desk.request_codes(
                &session,
                WarningChoice { target: user, check: identity.check, note: identity.note, seen },
            )
            .await,
        ),
        Effect::Revoke { session, user } => Msg::Revoked(desk.revoke_codes(&session, user).await),
        Effect::GenerateApproved { session, request } => {
            Msg::Generated(desk.generate_approved(&session, request).await.map(Generation::Issued))
        }
        Effect::Withdraw { session, request } => Msg::Decided {
            done: texts().approvals.withdrawn.clone(),
            result: desk.withdraw_request(&session, request).await,
        },
        Effect::LoadApprovals { session } => Msg::Approvals(match desk.open_requests(&session).await {
            Ok(requests) => {
                desk.pending_grants(&session).await.map(|grants| Waiting { requests, grants, read_at: desk.now() })
            }
            Err(e) => Err(e),
        }),
        Effect::Approve { session, request: PendingId::Code(id) } => {
            Msg::Decided { done: texts().approvals.approved.clone(), result: desk.approve_request(&session, id).await }
        }
        Effect::Approve { session, request: PendingId::Grant(id) } => Msg::Decided {
            done: texts().approvals.grant_approved.clone(),
            result: desk.approve_grant(&session, id).await,
        },
        Effect::Decline { session, request: PendingId::Code(id), reason } => Msg::Decided {
            done: texts().approvals.declined.clone(),
            result: desk.decline_request(&session, id, &reason).await,
        },
        Effect::Decline { session, request: PendingId::Grant(id), reason } => Msg::Decided {
            done: texts().approvals.grant_declined.clone(),
            result: desk.decline_grant(&session, id, &reason).await,
        },
        Effect::RevokeAll { session } => {
            let result = desk.revoke_all_codes(&session).await;
            let revoked = result.as_ref().map_or(0, |n| *n);
            Msg::Decided {
                done: fill(&texts().approvals.revoked_all, &[("count", &revoked.to_string())]),
                result: result.map(drop),
            }
        }
        Effect::SetSecondPerson { session, on } => Msg::Decided {
            done: texts().approvals.second_saved.clone(),
            result: desk.set_second_person_always(&session, on).await,
        },
        Effect::Link { session, staff, customer } => Msg::Decided {
            done: texts().approvals.linked.clone(),
            result: desk.link_identity(&session, staff, &customer).await,
        },
        Effect::CountPending { session } => Msg::PendingCount(desk.pending_requests(&session).await.unwrap_or(0)),
        Effect::CheckSession { session } => Msg::SessionChecked(desk.check_session(&session).await),
        Effect::RefreshDetail { session, user } => Msg::Refreshed(desk.user_detail(&session, user).await.map(Box::new)),
        Effect::SaveProfile { session, user, fields } => Msg::ProfileSaved(
            desk.update_profile(
                &session,
                user,
                ProfileEdit {
                    first_name: &fields.first_name,
                    last_name: &fields.last_name,
                    email: &fields.email,
                    phone: &fields.phone,
                },
            )
            .await,
        ),
        Effect::ChangePassword { session, current, new } => {
            Msg::PasswordChanged(desk.change_password(&session, current.into_inner(), new.into_inner()).await)
        }
        Effect::LoadInstitution { session } => Msg::Institution(desk.institution_settings(&session).await),
        Effect::SaveMethods { session, methods } => {
            Msg::MethodsSaved(desk.set_permitted_methods(&session, &methods).await)
        }
        Effect::LoadStaff { session } => {
            Msg::Staff(desk.staff_members(&session).await.map(|members| (members, desk.now())))
        }
        Effect::ChangeStaff { session, user, change, name } => {
            Msg::StaffChanged { change, name, result: desk.change_staff(&session, user, change).await }
        }
        Effect::LoadAudit { session, filter, before, limit, seq } => {
            Msg::Audit { seq, result: desk.audit_page(&session, &filter, before, limit).await }
        }
        Effect::SignOut { session } => {
            if let Err(e) = desk.logout(&session).await {
                tracing::warn!("sign-out was not recorded: {e}");
            }
            return None;
        }
    };
    Some(msg)
}

/// Tells the server this process still holds the session, locked or not: a session whose
/// process is gone is refused once the idle lock's time has passed.
fn heartbeat(desk: &HelpDesk, session: Option<&Session>, tx: &UnboundedSender<Msg>) {
    let Some(session) = session.cloned() else { return };
    let (desk, tx) = (desk.clone(), tx.clone());
    tokio::spawn(async move {
        match desk.heartbeat(&session).await {
            // Disabled, or its sessions ended by an admin: back to sign-in without a key press.
            Err(DeskError::SessionEnded) => {
                let _ = tx.send(Msg::SessionChecked(Err(DeskError::SessionEnded)));
            }
            Err(e) => tracing::warn!("session heartbeat failed: {e}"),
            Ok(()) => {}
        }
    });
}

/// What a tick can change on screen.
fn tick_view(app: &App) -> (bool, Option<Reveal>, bool, Option<i64>) {
    let counting = app.codes.as_ref().is_some_and(|c| c.hide_at.is_some());
    // The demo's sign-in screen shows codes that change every step.
    let step = (app.session.is_none() && !app.demo_factors.is_empty())
        .then(|| crate::domain::time::now() / crate::domain::second_factor::STEP_SECS);
    (app.lock.is_some(), app.codes.as_ref().map(|c| c.reveal), counting, step)
}

/// Opens the UI; `sign_in_hint` is a line for the sign-in screen of a demo database, and
/// `demo_codes` shows the demo staff's current authenticator codes under it.
pub async fn run(desk: HelpDesk, config: Config, sign_in_hint: Option<String>, demo_codes: bool) -> Result<()> {
    let started = Instant::now();
    let mut terminal = setup_terminal()?;
    let result = event_loop(&mut terminal, desk, &config, started, (sign_in_hint, demo_codes)).await;
    restore_terminal();
    result
}

async fn event_loop(
    terminal: &mut Term,
    desk: HelpDesk,
    config: &Config,
    started: Instant,
    (sign_in_hint, demo_codes): (Option<String>, bool),
) -> Result<()> {
    let (tx, mut rx) = unbounded_channel();
    tokio::spawn(read_events(tx.clone()));
    tokio::spawn(watch_signals(tx.clone()));
    let settings = UiSettings {
        reveal_for: Duration::from_secs(config.reveal_seconds),
        idle_lock_after: Duration::from_secs(config.idle_lock_minutes * 60),
        page_size: 50,
        refresh_every: Duration::from_secs(config.refresh_seconds),
        home_region: config.limits.home_region,
        ascii: config.ascii,
    };
    let mut app = App::new(theme::Theme::new(config.no_color), settings, Instant::now());
    app.sign_in_hint = sign_in_hint;
    if demo_codes {
        app.demo_factors = crate::cli::demo::DEMO_FACTOR_SECRETS
            .iter()
            .filter_map(|(u, _)| crate::cli::demo::demo_factor(u).map(|s| ((*u).to_owned(), s)))
            .collect();
    }
    if !desk.has_staff().await.unwrap_or(true) {
        app.sign_in_hint = Some(texts().login.no_staff.clone());
    }
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    terminal.draw(|f| view::view(&app, f))?;
    tracing::info!(ms = started.elapsed().as_secs_f64() * 1000.0, "first frame drawn");

    let mut last_beat = Instant::now();
    let mut departure = Departure::Quit;
    while let Some(msg) = rx.recv().await {
        if let Msg::End(why) = msg {
            departure = why;
            break;
        }
        let is_tick = matches!(msg, Msg::Tick);
        if is_tick && last_beat.elapsed() >= desk.heartbeat_interval() {
            last_beat = Instant::now();
            heartbeat(&desk, app.session.as_ref(), &tx);
        }
        let before = tick_view(&app);
        for effect in update(&mut app, msg, Instant::now()) {
            let (desk, tx) = (desk.clone(), tx.clone());
            tokio::spawn(async move {
                if let Some(msg) = perform(desk, effect).await {
                    let _ = tx.send(msg);
                }
            });
        }
        if app.quit {
            break;
        }
        // Redraw on change only; a tick redraws only while a countdown shows or it locked.
        // A write that fails (EIO, EPIPE) means the terminal is gone.
        if (!is_tick || before != tick_view(&app) || before.2) && terminal.draw(|f| view::view(&app, f)).is_err() {
            departure = Departure::ConnectionLost;
            break;
        }
    }
    end(app, &desk, departure).await;
    Ok(())
}

/// The one way a session ends, whatever ended it: codes, forms and passwords wiped (their
/// buffers zeroize on drop), then the server session ended and audited with the reason,
/// waiting at most `END_WAIT` for the database.
async fn end(mut app: App, desk: &HelpDesk, departure: Departure) {
    app.codes = None;
    app.modal = None;
    app.confirm = None;
    app.lock = None;
    let session = app.session.take();
    drop(app);
    tracing::info!(reason = departure.as_str(), "session ending");
    if let Some(session) = session {
        match tokio::time::timeout(END_WAIT, desk.logout_because(&session, departure)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("sign-out was not recorded: {e}"),
            Err(_) => {
                tracing::warn!("sign-out was not recorded within {END_WAIT:?}; the heartbeat will end the session")
            }
        }
    }
}
