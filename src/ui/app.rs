//! The UI's state, what can be read from it (the context in front, what is enabled),
//! and the small changes every context shares (a status line, the busy line, wiping the
//! codes, signing out). `update` (in `update/`) hands a key to the pane in front, which
//! changes its own state and answers with an `Outcome`, and turns outcomes and the
//! database's answers into state changes and `Effect`s, by context.

use std::time::{Duration, Instant};

use crate::desk::{DeskError, Session};
use crate::domain::audit::AuditEvent;
use crate::domain::phone::HomeRegion;
use crate::ui::keymap::{Command, Context};
use crate::ui::msg::{Confirmable, Effect, Status};
use crate::ui::panes::approvals::ApprovalsPane;
use crate::ui::panes::audit::AuditPane;
use crate::ui::panes::codes::CodeView;
use crate::ui::panes::confirm::Confirm;
use crate::ui::panes::login::{LockForm, LoginForm};
use crate::ui::panes::manage_users::UserList;
use crate::ui::panes::password::PasswordForm;
use crate::ui::panes::profile::ProfileForm;
use crate::ui::panes::settings::SettingsPane;
use crate::ui::panes::staff::StaffPane;
use crate::ui::panes::user_detail::Detail;
use crate::ui::panes::warning::Warning;
use crate::ui::theme::Theme;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// How often a key press may also check that the session still stands.
pub(super) const SESSION_CHECK_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
pub struct UiSettings {
    pub reveal_for: Duration,
    pub idle_lock_after: Duration,
    pub page_size: i64,
    /// How often an open user detail reads its Two-Factor Authentication section again.
    pub refresh_every: Duration,
    /// The region phone numbers are international from (`institution.home_region`).
    pub home_region: HomeRegion,
    /// Draw in ASCII only (`ui.ascii`, or a locale that is not UTF-8).
    pub ascii: bool,
}

/// What can sit over the pane in front (the confirm popup sits over these).
pub enum Modal {
    Warning(Box<Warning>),
    Profile(Box<ProfileForm>),
    Password(Box<PasswordForm>),
    AuditEvent(Box<AuditEvent>),
}

/// The admin-level screens, shown instead of Manage Users.
pub enum AdminPane {
    Staff(Box<StaffPane>),
    Settings(SettingsPane),
    Audit(Box<AuditPane>),
    Approvals(Box<ApprovalsPane>),
}

pub struct App {
    pub theme: Theme,
    /// A line under the sign-in form: demo credentials, or how to create the first admin.
    pub sign_in_hint: Option<String>,
    /// The demo staff's published authenticator secrets, whose current codes the demo's
    /// sign-in screen shows (empty elsewhere).
    pub demo_factors: Vec<(String, crate::domain::second_factor::FactorSecret)>,
    pub settings: UiSettings,
    pub session: Option<Session>,
    pub institution: String,
    pub login: LoginForm,
    pub lock: Option<LockForm>,
    pub users: UserList,
    pub detail: Option<Detail>,
    pub codes: Option<CodeView>,
    pub admin: Option<AdminPane>,
    pub modal: Option<Modal>,
    /// The one "are you sure?", over everything else.
    pub confirm: Option<Confirm>,
    pub help: bool,
    pub status: Option<Status>,
    pub busy: Option<&'static str>,
    pub size: (u16, u16),
    pub last_activity: Instant,
    /// When the last key arrived, and since when the keys have gone to the context in
    /// front: what tells a person's deliberate Enter from a burst (`update::input::deliberate`).
    pub last_key: Option<Instant>,
    pub context_seen: Context,
    pub context_since: Instant,
    /// When the open user detail was last read.
    pub last_refresh: Instant,
    /// When a key press last checked the session.
    pub last_session_check: Instant,
    /// The instant of the message being handled; the view's clock.
    pub now: Instant,
    pub quit: bool,
    /// Pending requests for a second admin, for an admin's header.
    pub pending_approvals: i64,
    /// When the pending count was last read.
    pub last_count: Instant,
}

impl App {
    pub fn new(theme: Theme, settings: UiSettings, now: Instant) -> Self {
        Self {
            theme,
            sign_in_hint: None,
            demo_factors: Vec::new(),
            settings,
            session: None,
            institution: String::new(),
            login: LoginForm::default(),
            lock: None,
            users: UserList::new(settings.page_size, settings.home_region),
            detail: None,
            codes: None,
            admin: None,
            modal: None,
            confirm: None,
            help: false,
            status: None,
            busy: None,
            size: (MIN_WIDTH, MIN_HEIGHT),
            last_activity: now,
            last_key: None,
            context_seen: Context::Login,
            context_since: now,
            last_refresh: now,
            last_session_check: now,
            now,
            quit: false,
            pending_approvals: 0,
            last_count: now,
        }
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Where the keyboard is now.
    pub fn context(&self) -> Context {
        if self.help { Context::Help } else { self.context_below_help() }
    }

    /// Where the keyboard would be without the help overlay: what the overlay explains.
    pub fn context_below_help(&self) -> Context {
        if self.session.is_none() {
            return Context::Login;
        }
        if self.lock.is_some() {
            return Context::Locked;
        }
        if self.confirm.is_some() {
            return Context::Confirm;
        }
        match &self.modal {
            Some(Modal::Warning(w)) if w.typing() => return Context::WarningText,
            Some(Modal::Warning(_)) => return Context::Warning,
            Some(Modal::Profile(_)) => return Context::ProfileForm,
            Some(Modal::Password(_)) => return Context::PasswordForm,
            Some(Modal::AuditEvent(_)) => return Context::AuditEvent,
            None => {}
        }
        match &self.admin {
            Some(AdminPane::Staff(s)) if s.typing() => return Context::StaffLink,
            Some(AdminPane::Staff(_)) => return Context::Staff,
            Some(AdminPane::Settings(_)) => return Context::Settings,
            Some(AdminPane::Audit(a)) if a.typing() => return Context::AuditFilter,
            Some(AdminPane::Audit(_)) => return Context::Audit,
            Some(AdminPane::Approvals(a)) if a.typing() => return Context::ApprovalsReason,
            Some(AdminPane::Approvals(_)) => return Context::Approvals,
            None => {}
        }
        if self.codes.is_some() {
            Context::Codes
        } else if self.detail.is_some() {
            Context::UserDetail
        } else if self.users.search_focused {
            Context::SearchBox
        } else {
            Context::UserList
        }
    }

    /// Whether a command of the context in front can be taken now; the footer dims the
    /// ones that cannot, and pressing one says why.
    pub fn enabled(&self, command: Command) -> bool {
        match (self.context(), &self.detail) {
            (Context::UserDetail, Some(detail)) => detail.enabled(command),
            _ => true,
        }
    }

    /// Whether a command exists at all for the signed-in staff: the admin screens are not
    /// offered to agents (the service refuses them as well).
    pub fn available(&self, command: Command) -> bool {
        match command {
            Command::OpenStaff | Command::OpenSettings | Command::OpenAudit | Command::OpenApprovals => {
                self.session.as_ref().is_some_and(|s| s.staff.is_admin())
            }
            _ => true,
        }
    }

    pub(super) fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status::info(text));
    }

    /// The answer to the work that set `busy` to `text` has come: the keys work again. An
    /// answer to other work (a refresh, a search) leaves another operation's busy line.
    pub(super) fn done(&mut self, text: &str) {
        if self.busy == Some(text) {
            self.busy = None;
        }
    }

    /// Wipes the one-time codes now, and the question about leaving them.
    pub(super) fn wipe_codes(&mut self) {
        self.codes = None;
        if self.confirm.as_ref().is_some_and(|c| c.asks == Confirmable::LeaveCodes) {
            self.confirm = None;
        }
    }

    /// Back to the sign-in screen; nothing of the session survives.
    pub(super) fn signed_out(&mut self, message: Option<String>) {
        self.wipe_codes();
        self.session = None;
        self.lock = None;
        self.detail = None;
        self.admin = None;
        self.modal = None;
        self.confirm = None;
        self.busy = None;
        self.users = UserList::new(self.settings.page_size, self.settings.home_region);
        self.login = LoginForm::default();
        self.login.error = message;
    }

    /// A desk error that ends the session goes back to sign-in; others are shown.
    pub(super) fn failed(&mut self, e: DeskError) {
        if matches!(e, DeskError::SessionEnded) {
            self.signed_out(Some(e.to_string()));
        } else if matches!(e, DeskError::StepUpNeeded) && self.session.is_some() {
            // The action waits: the code is asked, and the key pressed again afterwards.
            self.lock = Some(LockForm::step_up(e.to_string()));
        } else {
            self.status = Some(Status::error(e.to_string()));
        }
    }

    pub(super) fn reload_detail(&self) -> Vec<Effect> {
        match (&self.session, &self.detail) {
            (Some(session), Some(d)) => vec![Effect::LoadDetail { session: session.clone(), user: d.data.user.id }],
            _ => vec![],
        }
    }

    /// Starts work that needs the session, with a busy line while it runs.
    pub(super) fn with_session(
        &mut self,
        busy: Option<&'static str>,
        effect: impl FnOnce(Session) -> Effect,
    ) -> Vec<Effect> {
        let Some(session) = self.session.clone() else { return vec![] };
        if busy.is_some() {
            self.busy = busy;
        }
        vec![effect(session)]
    }

    /// Closes what is in front: the confirm popup, a modal, an admin screen, the detail.
    pub(super) fn close_front(&mut self) {
        // A step-up left with Esc: the action is simply not done.
        if self.lock.as_ref().is_some_and(|l| l.step_up.is_some()) {
            self.lock = None;
            return;
        }
        if self.confirm.take().is_some() || self.modal.take().is_some() || self.admin.take().is_some() {
            return;
        }
        self.detail = None;
    }

    /// Whether the open user detail should be read again now: only while nothing sits
    /// over it (a modal, the code view) and nothing else is under way.
    pub(super) fn detail_due(&self, now: Instant) -> bool {
        self.detail.is_some()
            && self.codes.is_none()
            && self.modal.is_none()
            && self.confirm.is_none()
            && self.admin.is_none()
            && self.lock.is_none()
            && self.busy.is_none()
            && now.duration_since(self.last_refresh) >= self.settings.refresh_every
    }
}
