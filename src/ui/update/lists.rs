//! Manage Users: a page of results, for the search typed or the page turned to.

use crate::desk::DeskError;
use crate::domain::search::UserQuery;
use crate::domain::user::User;
use crate::ui::app::App;
use crate::ui::msg::Effect;

pub(super) fn search(app: &mut App, query: UserQuery, seq: u64) -> Vec<Effect> {
    app.with_session(None, |session| Effect::Search { session, query, seq })
}

/// A page of users; `seq` tells the answer to the newest search from an older one.
pub(super) fn users(app: &mut App, seq: u64, result: Result<Vec<User>, DeskError>) -> Vec<Effect> {
    match result {
        Ok(rows) => {
            // The database answers again: an old "connection failed" is stale.
            if app.users.list.receive(seq, rows) && app.status.as_ref().is_some_and(|s| s.error) {
                app.status = None;
            }
        }
        Err(e) if seq == app.users.list.seq => {
            app.users.list.loading = false;
            app.failed(e);
        }
        // An answer to a search the user has typed past.
        Err(_) => {}
    }
    vec![]
}
