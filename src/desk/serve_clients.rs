//! The systems that call `helpdesk serve`: an admin creates, lists and revokes their
//! credentials (every step audited); the server asks who a bearer token belongs to, and
//! records the calls it refuses.

use zeroize::Zeroizing;

use crate::desk::{DeskError, DeskResult, HelpDesk, Session};
use crate::domain::access;
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::serve_client::{self, ServeClient};

/// A new caller and its bearer token, which is shown once and kept nowhere.
pub struct NewServeClient {
    pub id: i64,
    pub name: String,
    pub token: Zeroizing<String>,
}

impl std::fmt::Debug for NewServeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewServeClient {{ id: {}, name: {:?}, token: hidden }}", self.id, self.name)
    }
}

impl HelpDesk {
    /// Gives a calling system (`name`, see `serve_client::client_name`) its own bearer
    /// token. Admin-level staff only; audited, the token never.
    pub async fn create_serve_client(&self, session: &Session, name: &str) -> DeskResult<NewServeClient> {
        let actor = self.actor(session).await?;
        let attempted = AuditAction::ServeClientCreated;
        self.audited(&actor, None, attempted, access::may_administer(&actor)).await?;
        let name = serve_client::client_name(name).map_err(DeskError::ServeClientName)?;
        let token = serve_client::new_token()?;
        let audit = NewAuditEvent::new(self.now(), attempted).actor(actor.id, &actor.username).detail(name.clone());
        let id = self
            .store
            .insert_serve_client(&name, &token.hash, actor.id, &audit)
            .await?
            .ok_or(DeskError::ServeClientTaken)?;
        tracing::info!(actor = %actor.username.escape_debug(), client = %name, "serve client created");
        Ok(NewServeClient { id, name, token: token.token })
    }

    /// Every calling system, revoked ones too. Admin-level staff only.
    pub async fn serve_clients(&self, session: &Session) -> DeskResult<Vec<ServeClient>> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::AdminRead, access::may_administer(&actor)).await?;
        Ok(self.store.serve_clients().await?)
    }

    /// Revokes a calling system's token at once: its next call is refused. Admin-level
    /// staff only; audited.
    pub async fn revoke_serve_client(&self, session: &Session, name: &str) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let attempted = AuditAction::ServeClientRevoked;
        self.audited(&actor, None, attempted, access::may_administer(&actor)).await?;
        let name = name.trim();
        let audit = NewAuditEvent::new(self.now(), attempted).actor(actor.id, &actor.username).detail(name);
        if !self.store.revoke_serve_client(name, actor.id, &audit).await? {
            return Err(DeskError::NoSuchServeClient);
        }
        tracing::info!(actor = %actor.username.escape_debug(), client = %name.escape_debug(), "serve client revoked");
        Ok(())
    }

    /// The active calling system whose bearer token hashes to `token_hash`
    /// (`serve_client::token_hash`): one indexed read (see `domain::serve_client` for why
    /// no slow hash).
    pub async fn serve_caller(&self, token_hash: &[u8; 32]) -> DeskResult<Option<ServeClient>> {
        Ok(self.store.serve_client(token_hash).await?)
    }

    /// The token hashes of every calling system not revoked; a stored value that is not a
    /// SHA-256 (32 bytes) matches no token and is left out.
    pub async fn active_serve_tokens(&self) -> DeskResult<std::collections::HashSet<[u8; 32]>> {
        let hashes = self.store.active_token_hashes().await?;
        Ok(hashes.into_iter().filter_map(|h| <[u8; 32]>::try_from(h.as_slice()).ok()).collect())
    }

    /// Counts a refused call from `address` (an address key: `serve::guard` writes an IPv6
    /// address by its /64) across every instance on this database: the seconds left of
    /// the address's current minute, and its refusals in that minute, this one included.
    /// The stored window is hostile input: it is held within one minute of now.
    pub async fn count_serve_refusal(&self, address: &str) -> DeskResult<(u64, u64)> {
        let now = self.now();
        let (start, refused) = self.store.count_serve_refusal(address, now).await?;
        let left = (start.clamp(now - 59, now) + 60 - now) as u64;
        Ok((left, refused.max(1) as u64))
    }

    /// Records a call `helpdesk serve` refused for its credentials: from where, and why
    /// (never the token). `count` above one says the event stands for that many.
    pub async fn record_refused_call(&self, address: &str, why: &str, count: u64) -> DeskResult<()> {
        let mut detail = format!("from {}: {why}", address.escape_debug());
        if count > 1 {
            detail.push_str(&format!(" ({count} refusals from this address this minute)"));
        }
        let event = NewAuditEvent::new(self.now(), AuditAction::ServeCallRefused).detail(detail);
        Ok(self.store.append_audit(&[event]).await?)
    }

    /// Whether this service can do its work: the database answers and its schema is the
    /// one this program was built for. The error says which is wrong.
    pub async fn ready(&self) -> DeskResult<Result<(), String>> {
        let (found, wanted) = self.store.schema_version().await?;
        Ok(if found == wanted {
            Ok(())
        } else {
            Err(format!("the database schema is at version {found}; this program needs {wanted}"))
        })
    }
}
