//! The words the UI's parts speak to each other: `Msg` (what happened: a key, a tick, a
//! database answer), `Outcome` (what a pane asks for after a key), `Confirmable` (what
//! the one "are you sure" popup is asked about) and `Effect` (work for the runtime).
//! Panes return outcomes; only `update` applies them.

use crossterm::event::KeyEvent;

use crate::desk::{DeskError, FactorTicket, Generation, Session, UserDetail};
use crate::domain::access::{StaffChange, StaffMember};
use crate::domain::audit::{AuditEvent, AuditFilter, VerifiedIdentity};
use crate::domain::grants::GrantRequest;
use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::domain::search::UserQuery;
use crate::domain::session::Departure;
use crate::domain::two_person::CodeRequest;
use crate::domain::user::{User, UserId};
use crate::ui::fields::Secret;

/// What waits for a second admin, as the Approvals pane lists it: requests for codes,
/// then grants, read at `read_at` (Unix seconds).
#[derive(Debug, Default)]
pub struct Waiting {
    pub requests: Vec<CodeRequest>,
    pub grants: Vec<GrantRequest>,
    pub read_at: i64,
}

/// Which kind of thing an approval or decline is about, with its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingId {
    Code(i64),
    Grant(i64),
}

/// Everything that can happen to the UI.
#[derive(Debug)]
pub enum Msg {
    /// The session must end now: a signal, or the terminal gone. Taken by the event loop
    /// before `update`.
    End(Departure),
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    Tick,
    LoggedIn(Result<(Session, String), DeskError>),
    /// The password was right; the authenticator code (or an enrolment) is asked next.
    FactorAsked(Box<FactorTicket>),
    /// The idle lock's password: `true` when a code is asked next.
    Unlocked(Result<bool, DeskError>),
    /// A code proved the session's factor again (unlock, or before a risky action).
    SteppedUp(Result<(), DeskError>),
    Users {
        seq: u64,
        result: Result<Vec<User>, DeskError>,
    },
    Detail(Result<Box<UserDetail>, DeskError>),
    /// Codes, or a request sent to a second admin.
    Generated(Result<Generation, DeskError>),
    /// The open requests for codes and the pending grants, for the Approvals pane.
    Approvals(Result<Waiting, DeskError>),
    /// A request approved, declined or withdrawn: `done` says which.
    Decided {
        done: String,
        result: Result<(), DeskError>,
    },
    /// Pending requests, for an admin's header.
    PendingCount(i64),
    Revoked(Result<(), DeskError>),
    /// The open user detail, read again on its own (the live code status).
    Refreshed(Result<Box<UserDetail>, DeskError>),
    ProfileSaved(Result<(), DeskError>),
    PasswordChanged(Result<(), DeskError>),
    Institution(Result<Institution, DeskError>),
    MethodsSaved(Result<Institution, DeskError>),
    /// The staff list, and the instant it was read.
    Staff(Result<(Vec<StaffMember>, i64), DeskError>),
    StaffChanged {
        change: StaffChange,
        name: String,
        result: Result<crate::desk::StaffChangeDone, DeskError>,
    },
    Audit {
        seq: u64,
        result: Result<Vec<AuditEvent>, DeskError>,
    },
    SessionChecked(Result<(), DeskError>),
}

impl Msg {
    /// Whether this is an answer for the signed-in session. One that arrives after
    /// sign-out is dropped: the next person at this terminal must not see the last one's
    /// customer. No arm catches the rest, so a new message must be answered here.
    pub fn belongs_to_session(&self) -> bool {
        match self {
            Msg::End(_)
            | Msg::Key(_)
            | Msg::Paste(_)
            | Msg::Resize(..)
            | Msg::Tick
            | Msg::LoggedIn(_)
            | Msg::FactorAsked(_) => false,
            Msg::Unlocked(_)
            | Msg::SteppedUp(_)
            | Msg::Users { .. }
            | Msg::Detail(_)
            | Msg::Refreshed(_)
            | Msg::Generated(_)
            | Msg::Approvals(_)
            | Msg::Decided { .. }
            | Msg::PendingCount(_)
            | Msg::Revoked(_)
            | Msg::ProfileSaved(_)
            | Msg::PasswordChanged(_)
            | Msg::Institution(_)
            | Msg::MethodsSaved(_)
            | Msg::Staff(_)
            | Msg::StaffChanged { .. }
            | Msg::Audit { .. }
            | Msg::SessionChecked(_) => true,
        }
    }
}

/// Work for the runtime: each ends in exactly one message (sign-out in none).
#[derive(Debug)]
pub enum Effect {
    Login { username: String, password: Secret },
    Unlock { session: Session, password: Secret },
    FinishSignIn { ticket: Box<FactorTicket>, code: Secret },
    StepUp { session: Session, code: Secret },
    Search { session: Session, query: UserQuery, seq: u64 },
    LoadDetail { session: Session, user: UserId },
    Generate { session: Session, user: UserId, identity: VerifiedIdentity, seen: Option<i64> },
    Revoke { session: Session, user: UserId },
    GenerateApproved { session: Session, request: i64 },
    Withdraw { session: Session, request: i64 },
    LoadApprovals { session: Session },
    Approve { session: Session, request: PendingId },
    Decline { session: Session, request: PendingId, reason: String },
    CountPending { session: Session },
    SetSecondPerson { session: Session, on: bool },
    RevokeAll { session: Session },
    Link { session: Session, staff: UserId, customer: String },
    SignOut { session: Session },
    RefreshDetail { session: Session, user: UserId },
    CheckSession { session: Session },
    SaveProfile { session: Session, user: UserId, fields: ProfileFields },
    ChangePassword { session: Session, current: Secret, new: Secret },
    LoadInstitution { session: Session },
    SaveMethods { session: Session, methods: Vec<TwoFactorMethod> },
    LoadStaff { session: Session },
    ChangeStaff { session: Session, user: UserId, change: StaffChange, name: String },
    LoadAudit { session: Session, filter: AuditFilter, before: Option<i64>, limit: i64, seq: u64 },
}

/// The profile form's fields as typed; the service applies the rules again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFields {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
}

/// The screens besides Manage Users, for admin-level staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminScreen {
    Staff,
    Settings,
    Audit,
    Approvals,
}

/// A line in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

impl Status {
    pub fn info(text: impl Into<String>) -> Self {
        Self { text: text.into(), error: false }
    }
    pub fn error(text: impl Into<String>) -> Self {
        Self { text: text.into(), error: true }
    }
}

/// What the confirm popup asks about. It carries everything needed to act, so that a
/// "yes" acts on what the person saw, never on whatever is in front at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmable {
    /// Leave the one-time code view; the codes are wiped.
    LeaveCodes,
    /// Revoke this user's unused codes.
    Revoke { user: UserId, name: String },
    /// Save the institution's permitted methods.
    PermittedMethods { before: Vec<TwoFactorMethod>, after: Vec<TwoFactorMethod> },
    /// Change a member of staff.
    Staff { user: UserId, name: String, change: StaffChange },
    /// Throw away what was typed in the form or pane in front.
    Discard,
    /// Approve this request for codes (the approver never sees a code).
    Approve { request: PendingId, name: String, requester: String },
    /// Decline it with this reason.
    Decline { request: PendingId, name: String, reason: String },
    /// Take back one's own request.
    Withdraw { request: i64, name: String },
    /// Link a customer account to a member of staff as their own.
    Link { staff: UserId, name: String, customer: String },
    /// Turn "Backup codes always need a second person" on or off.
    SecondPerson { on: bool },
    /// The emergency stop: revoke every active batch.
    RevokeAll,
}

/// What a pane asks of the app once it has handled a key or a paste. A pane changes only
/// its own state; everything else goes through one of these.
#[derive(Debug)]
pub enum Outcome {
    /// Handled inside the pane, or ignored.
    Nothing,
    /// A line for the status bar.
    Status(Status),
    Quit,
    /// The `?` overlay over the pane in front.
    Help,
    /// Close the pane or modal in front, saying why if there is something to say.
    Close(Option<Status>),
    SignIn {
        username: String,
        password: Secret,
    },
    /// The idle lock's password.
    Unlock(Secret),
    /// The authenticator code after the password (or the enrolment's first code).
    FinishSignIn(Box<FactorTicket>, Secret),
    /// The authenticator code of the lock screen (an unlock, or a step-up).
    StepUp(Secret),
    SignOut,
    /// Manage Users wants this page of results.
    Search {
        query: UserQuery,
        seq: u64,
    },
    OpenUser(UserId),
    RefreshDetail,
    /// Open the warning before Generate Backup Codes for the user in the detail.
    OpenWarning,
    /// Ask "are you sure?" about this.
    Confirm(Confirmable),
    /// The popup's answer: yes to this.
    Confirmed(Confirmable),
    /// The warning's second, deliberate Generate Backup Codes.
    Generate {
        user: UserId,
        identity: VerifiedIdentity,
        /// When the contact details last changed, as the warning showed it.
        seen: Option<i64>,
    },
    /// Generate now with the approved request (the requester's Enter).
    GenerateApproved(i64),
    LoadApprovals,
    /// Open an admin screen (admin-level staff only).
    Open(AdminScreen),
    /// Open the profile form for the user in the detail.
    EditProfile,
    SaveProfile {
        user: UserId,
        fields: ProfileFields,
    },
    /// Open the form for one's own password.
    OpenPassword,
    ChangePassword {
        current: Secret,
        new: Secret,
    },
    LoadInstitution,
    LoadStaff,
    LoadAudit {
        filter: AuditFilter,
        before: Option<i64>,
        limit: i64,
        seq: u64,
    },
    ShowAuditEvent(Box<AuditEvent>),
}

impl Outcome {
    pub fn info(text: impl Into<String>) -> Self {
        Outcome::Status(Status::info(text))
    }
    pub fn error(text: impl Into<String>) -> Self {
        Outcome::Status(Status::error(text))
    }
}
