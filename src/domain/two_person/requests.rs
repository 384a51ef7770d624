//! Requests for codes and their approvals: why a request waits for a second admin, its
//! states, and who that second admin may be.

use crate::domain::access::{Permission, Refusal, Staff};
use crate::domain::audit::IdentityCheck;
use crate::domain::time::format_utc;
use crate::domain::two_person::{
    CoolOff, Reached, RecordedChange, StaffLink, Velocity, VelocityLimit, VelocityLimits, is_weak, not_own_link,
};
use crate::domain::user::{UserId, UserKind};

/// The words a cool-off override's reason starts with, when shown.
const COOL_OFF_OVERRIDE: &str = "overrides the contact-change cool-off";

/// Why a request needs a second admin. A request stores its reasons as these kinds and the
/// values they name (`code_request_reasons`, a closed set the schema checks); the sentence
/// is made only when a reason is shown, and no rule reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    StaffTarget,
    CoolOffOverride {
        until: i64,
    },
    WeakCheck(IdentityCheck),
    AgentHour {
        count: i64,
        max: i64,
    },
    AgentDay {
        count: i64,
        max: i64,
    },
    UserDay {
        count: i64,
        max: i64,
    },
    LinkedToStaff(StaffLink),
    InstitutionRule,
    /// A reason a request stored as a sentence before reasons were stored as kinds, shown
    /// as it was written. A cool-off override among them was carried over as
    /// `CoolOffOverride`; nothing else in such a sentence is a rule's input.
    Recorded(String),
}

impl Reason {
    pub fn sentence(&self) -> String {
        match self {
            Reason::StaffTarget => "the user is a member of staff".into(),
            Reason::CoolOffOverride { until } => {
                format!("{COOL_OFF_OVERRIDE} (until {})", format_utc(*until))
            }
            Reason::WeakCheck(check) => format!("a weak identity check ({})", check.short_label()),
            Reason::AgentHour { count, max } => format!("you issued {count} batches in the last hour (limit {max})"),
            Reason::AgentDay { count, max } => format!("you issued {count} batches today (limit {max})"),
            Reason::UserDay { count, max } => format!("this user received {count} batches today (limit {max})"),
            Reason::LinkedToStaff(link) => format!("{} member of staff {}", link.via.words(), link.staff_username),
            Reason::InstitutionRule => "the institution requires a second person for every batch".into(),
            Reason::Recorded(sentence) => sentence.clone(),
        }
    }

    /// The kind a request stores this reason as (`code_request_reasons.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::StaffTarget => "staff_target",
            Reason::CoolOffOverride { .. } => "cool_off_override",
            Reason::WeakCheck(_) => "weak_check",
            Reason::AgentHour { .. } => "agent_hour",
            Reason::AgentDay { .. } => "agent_day",
            Reason::UserDay { .. } => "user_day",
            Reason::LinkedToStaff(_) => "linked_to_staff",
            Reason::InstitutionRule => "institution_rule",
            Reason::Recorded(_) => "recorded",
        }
    }

    /// The velocity limit `r` names, as a reason.
    fn velocity(r: Reached) -> Self {
        let Reached { count, max, .. } = r;
        match r.limit {
            VelocityLimit::AgentHour => Reason::AgentHour { count, max },
            VelocityLimit::AgentDay => Reason::AgentDay { count, max },
            VelocityLimit::UserDay => Reason::UserDay { count, max },
        }
    }
}

/// Everything the two-person rule weighs, as the service read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Circumstances {
    pub target_is_staff: bool,
    pub cool_off: CoolOff,
    pub velocity: Velocity,
    pub limits: VelocityLimits,
    pub links: Vec<StaffLink>,
    /// Institution Settings: "Backup codes always need a second person".
    pub always: bool,
}

/// Why codes for this target, after `check`, must wait for a second admin; empty when
/// one person may generate them.
pub fn reasons(c: &Circumstances, check: IdentityCheck) -> Vec<Reason> {
    let mut out = Vec::new();
    if c.target_is_staff {
        out.push(Reason::StaffTarget);
    }
    if let CoolOff::Overridden { until } = c.cool_off {
        out.push(Reason::CoolOffOverride { until });
    }
    if is_weak(check) {
        out.push(Reason::WeakCheck(check));
    }
    out.extend(c.limits.reached(c.velocity).into_iter().map(Reason::velocity));
    out.extend(c.links.iter().cloned().map(Reason::LinkedToStaff));
    if c.always {
        out.push(Reason::InstitutionRule);
    }
    out
}

/// The state of a request for codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Waiting for a second admin.
    Pending,
    /// A second admin approved it; the requester may generate until the approval expires.
    Approved,
    Declined,
    /// The requester took it back.
    Withdrawn,
    Expired,
    /// The codes were generated.
    Used,
    /// A contact change or another batch for the target came after it.
    Void,
}

impl RequestState {
    pub const ALL: [RequestState; 7] = [
        RequestState::Pending,
        RequestState::Approved,
        RequestState::Declined,
        RequestState::Withdrawn,
        RequestState::Expired,
        RequestState::Used,
        RequestState::Void,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Declined => "declined",
            RequestState::Withdrawn => "withdrawn",
            RequestState::Expired => "expired",
            RequestState::Used => "used",
            RequestState::Void => "void",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn is_open(self) -> bool {
        matches!(self, RequestState::Pending | RequestState::Approved)
    }
}

/// A request for codes, as the Approvals pane and the requester's detail show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRequest {
    pub id: i64,
    pub requester_id: UserId,
    pub requester: String,
    pub target_id: UserId,
    pub target: String,
    pub target_name: String,
    pub target_kind: UserKind,
    pub identity_check: IdentityCheck,
    pub note: Option<String>,
    /// The risk signals as the requester's warning showed them.
    pub signals: Vec<String>,
    /// Why it needs a second admin.
    pub reasons: Vec<Reason>,
    /// The newest contact change and batch of the target when it was made.
    pub contact_seen: Option<i64>,
    pub batch_seen: Option<i64>,
    pub created_at: i64,
    /// A pending request expires then.
    pub expires_at: i64,
    pub state: RequestState,
    /// The admin who approved or declined it, as (id, username).
    pub decided_by: Option<(UserId, String)>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub approval_expires_at: Option<i64>,
}

/// The newest contact change and the newest batch of a target (their ids), as a request or
/// a warning saw them: a later one overtakes what was decided on them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetMarks {
    pub contact: Option<i64>,
    pub batch: Option<i64>,
}

impl CodeRequest {
    /// Whether one of the reasons is a cool-off override: the approver must not have made
    /// the change either.
    pub fn overrides_cool_off(&self) -> bool {
        self.reasons.iter().any(|r| matches!(r, Reason::CoolOffOverride { .. }))
    }

    /// Whether a contact change or a batch came after the request was made (`now`: the
    /// target's marks as read now). Such a request is void: what the requester and the
    /// approver weighed is no longer what is.
    pub fn overtaken_by(&self, now: &TargetMarks) -> bool {
        now.contact != self.contact_seen || now.batch != self.batch_seen
    }
}

/// Who may approve or decline a request: an enabled admin (a disabled one has no session)
/// with the permission, who is neither the requester nor the target, is not the target's
/// linked staff identity, and, for a cool-off override, made none of the changes inside it.
pub fn may_approve(
    approver: &Staff,
    request: &CodeRequest,
    links: &[StaffLink],
    recent_changes: &[&RecordedChange],
) -> Result<(), Refusal> {
    if !approver.is_admin() {
        return Err(Refusal::AdminOnly);
    }
    if !approver.has(Permission::GenerateLockoutCodes) {
        return Err(Refusal::MissingPermission);
    }
    if approver.id == request.requester_id {
        return Err(Refusal::OwnRequest);
    }
    if approver.id == request.target_id {
        return Err(Refusal::OwnAccount);
    }
    not_own_link(approver, links)?;
    if request.overrides_cool_off()
        && recent_changes.iter().any(|c| c.staff.as_ref().is_some_and(|(id, _)| *id == approver.id))
    {
        return Err(Refusal::OwnContactChange);
    }
    Ok(())
}
