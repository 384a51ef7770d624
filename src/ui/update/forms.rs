//! The forms over a pane: a customer's profile, and one's own password.

use crate::desk::DeskError;
use crate::domain::user::UserId;
use crate::texts::{fill, texts};
use crate::ui::app::{App, Modal};
use crate::ui::fields::Secret;
use crate::ui::msg::{Effect, ProfileFields, Status};
use crate::ui::panes::password::PasswordForm;
use crate::ui::panes::profile::ProfileForm;

/// Opens the profile form for the user in the detail, or says why it is not offered.
pub(super) fn edit_profile(app: &mut App) {
    let Some(detail) = &app.detail else { return };
    match detail.data.may_edit_profile {
        Ok(()) => {
            app.modal = Some(Modal::Profile(Box::new(ProfileForm::new(&detail.data.user, detail.data.home_region))))
        }
        Err(refusal) => {
            let text = fill(&texts().detail.not_available, &[("reason", &refusal.to_string())]);
            app.status = Some(Status::error(text));
        }
    }
}

pub(super) fn save_profile(app: &mut App, user: UserId, fields: ProfileFields) -> Vec<Effect> {
    app.with_session(Some(&texts().profile.saving), |session| Effect::SaveProfile { session, user, fields })
}

pub(super) fn profile_saved(app: &mut App, result: Result<(), DeskError>) -> Vec<Effect> {
    app.done(&texts().profile.saving);
    match result {
        Ok(()) => {
            app.modal = None;
            app.info(&texts().profile.updated);
            app.reload_detail()
        }
        Err(e) => {
            app.failed(e);
            vec![]
        }
    }
}

pub(super) fn open_password(app: &mut App) {
    if let Some(session) = &app.session {
        app.modal = Some(Modal::Password(Box::new(PasswordForm::new(&session.staff.username))));
    }
}

pub(super) fn change_password(app: &mut App, current: Secret, new: Secret) -> Vec<Effect> {
    app.with_session(Some(&texts().password.changing), |session| Effect::ChangePassword { session, current, new })
}

/// A changed password ends the session: the person signs in again with the new one.
pub(super) fn password_changed(app: &mut App, result: Result<(), DeskError>) -> Vec<Effect> {
    app.done(&texts().password.changing);
    match result {
        Ok(()) => app.signed_out(Some(texts().password.changed.clone())),
        Err(e) => match &mut app.modal {
            Some(Modal::Password(form)) if !matches!(e, DeskError::SessionEnded) => form.error = Some(e.to_string()),
            _ => app.failed(e),
        },
    }
    vec![]
}
