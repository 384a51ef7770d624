//! Redeeming a backup code, as the Digital Banking login does. The rules are in
//! `domain::codes` (normalizing and hashing a code) and `domain::redemption` (the typed
//! username, pseudonyms, NIST's cap); this file puts them in order around the store.
//!
//! Every path costs exactly one argon2 evaluation at the configured cost (an unknown
//! username, input that cannot be a code, a user without codes, a lock, a wrong code, a
//! right one), so that the time of the answer says nothing the answer does not.

use zeroize::Zeroizing;

use crate::desk::{DeskResult, HelpDesk, Redemption, blocking};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::codes::{self, HashCost};
use crate::domain::notice::notices_for;
use crate::domain::redemption::{self, USERNAME_MAX_CHARS};
use crate::domain::user::User;
use crate::store::{BatchKey, Reservation, Throttle};
use crate::texts::texts;

impl HelpDesk {
    /// What the Digital Banking login does with a typed code: the username is bounded,
    /// the attempt is counted (the throttle) while the one argon2 evaluation runs with the
    /// batch's salt, and the hash is compared only if the count allowed the attempt: one
    /// conditional update that makes the code single-use. Every outcome is audited; a
    /// username nobody has is recorded only as a keyed pseudonym.
    ///
    /// Every path has the same shape, so that its time says nothing its answer does not:
    /// the reads and the count run while argon2 does, then exactly one write transaction
    /// (the consumed code, or the failure's audit event). About one evaluation plus one
    /// commit, whoever asks and whatever they typed.
    pub async fn redeem(&self, username: &str, typed: Zeroizing<String>) -> DeskResult<Redemption> {
        self.redeem_via(None, username, typed).await
    }

    /// `redeem`, for a call made by a `helpdesk serve` client: every audit event of the
    /// attempt names `client`.
    pub async fn redeem_via(
        &self,
        client: Option<&str>,
        username: &str,
        typed: Zeroizing<String>,
    ) -> DeskResult<Redemption> {
        let now = self.now();
        let username = redemption::typed_username(username);
        let canonical = codes::normalize(&typed);
        drop(typed);
        let subject = match &username {
            Some(name) => self.store.redemption_subject(name, now).await?,
            None => None,
        };
        let Some((user, key)) = subject else {
            let (evaluated, event) =
                tokio::join!(self.evaluate(canonical, None), self.unknown_username_event(username.as_deref(), now));
            evaluated?;
            if let Some(event) = event? {
                self.store.append_audit(&[event.via(client)]).await?;
            }
            return Ok(Redemption::Rejected);
        };
        // A cost outside the product's bounds was not written by helpdesk (the database
        // refuses one since migration 0018; an older row may hold one): nothing is hashed
        // with it. The one evaluation is the configured one, and the answer a rejection.
        if let Some((key, refused)) = key.as_ref().and_then(|k| k.cost.within_bounds().err().map(|e| (k, e))) {
            let event = NewAuditEvent::new(now, AuditAction::BackupCodeRejected)
                .target(user.id, &user.username)
                .detail(format!("refused: batch #{} holds a cost the product does not use: {refused}", key.id))
                .via(client);
            let events = [event];
            let (evaluated, stored) = tokio::join!(self.evaluate(canonical, None), self.store.append_audit(&events));
            evaluated?;
            stored?;
            tracing::error!(user = %user.username.escape_debug(), batch = key.id, "a batch's stored cost is outside the bounds");
            return Ok(Redemption::Rejected);
        }
        let (limits, parsed) = (self.limits, canonical.is_some());
        let counted = self.store.reserve_attempt(
            user.id,
            Throttle::Codes,
            now,
            limits.redeem_max_failures,
            limits.redeem_lockout_secs,
        );
        let (hash, reservation) = tokio::join!(self.evaluate(canonical, key.as_ref()), counted);
        let (hash, reservation) = (hash?, reservation?);
        let (attempt, locks, total) = match reservation {
            Reservation::Locked { until } => {
                let event = NewAuditEvent::new(now, AuditAction::BackupCodeRejected)
                    .target(user.id, &user.username)
                    .detail("refused: backup codes are locked")
                    .via(client);
                self.store.append_audit(&[event]).await?;
                return Ok(Redemption::Locked { until });
            }
            Reservation::Granted { attempt, locks, total } => (attempt, locks, total),
        };
        let rejection: Vec<NewAuditEvent> =
            self.rejection(&user, now, attempt, locks, total).into_iter().map(|e| e.via(client)).collect();
        let checked = parsed && redemption::may_check(total, limits.redeem_max_total_failures);
        // The batch these attempts were made against: the cap revokes it, never a newer one.
        let attacked = key.as_ref().map(|k| k.id);
        match key.filter(|_| checked) {
            Some(key) => {
                let audit = NewAuditEvent::new(now, AuditAction::BackupCodeRedeemed)
                    .target(user.id, &user.username)
                    .via(client);
                let notices = notices_for(&user, "backup_code_redeemed", &texts().notifications.redeemed);
                if let Some(codes_left) =
                    self.store.consume_code(key.id, &hash, now, &audit, &notices, &rejection).await?
                {
                    tracing::info!(user = %user.username.escape_debug(), "backup code redeemed");
                    return Ok(Redemption::Accepted { codes_left });
                }
            }
            None => self.store.append_audit(&rejection).await?,
        }
        tracing::warn!(user = %user.username.escape_debug(), attempt, total, "backup code rejected");
        if let Some(batch) = attacked.filter(|_| redemption::exhausts(total, limits.redeem_max_total_failures)) {
            self.exhaust(&user, batch, total, now).await?;
        }
        Ok(Redemption::Rejected)
    }

    /// The audit events of a failed attempt: the failure, and the lock when it set one.
    fn rejection(&self, user: &User, now: i64, attempt: i64, locks: bool, total: i64) -> Vec<NewAuditEvent> {
        let mut events =
            vec![NewAuditEvent::new(now, AuditAction::BackupCodeRejected).target(user.id, &user.username).detail(
                format!(
                    "failed attempt {attempt} of {}; {total} since the last success or new batch",
                    self.limits.redeem_max_failures
                ),
            )];
        if locks {
            let lock = NewAuditEvent::new(now, AuditAction::BackupCodesLocked)
                .target(user.id, &user.username)
                .detail(format!("locked for {} minutes", self.limits.redeem_lockout_secs / 60));
            events.push(lock);
        }
        events
    }

    /// The one argon2 evaluation of a redemption: with the batch's salt and cost when
    /// there is a batch and the input can be a code; otherwise the same work at the
    /// configured cost, compared with nothing.
    async fn evaluate(&self, canonical: Option<Zeroizing<String>>, key: Option<&BatchKey>) -> DeskResult<[u8; 32]> {
        let (cost, salt): (HashCost, Vec<u8>) = match (&canonical, key) {
            (Some(_), Some(key)) => (key.cost, key.salt.clone()),
            _ => (self.policy.cost(), codes::NO_BATCH_SALT.to_vec()),
        };
        let input = canonical.unwrap_or_else(|| Zeroizing::new("0".repeat(self.policy.length())));
        let evaluations = self.evaluations.clone();
        let timer = self.evaluation_timer.read().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(blocking(move || {
            let started = std::time::Instant::now();
            let hash = codes::hash_code_counted(&cost, &input, &salt, &evaluations);
            if let Some(timer) = timer {
                timer(started.elapsed());
            }
            hash
        })
        .await??)
    }

    /// Tells `timer` how long each redemption's argon2 evaluation takes from now on (its
    /// own work on a core, not its wait for one); `None` stops telling.
    pub fn time_evaluations(&self, timer: Option<super::EvaluationTimer>) {
        *self.evaluation_timer.write().unwrap_or_else(|e| e.into_inner()) = timer;
    }

    /// How many argon2 evaluations this service has spent on redemptions.
    pub fn code_evaluations(&self) -> u64 {
        self.evaluations.count()
    }

    /// A username nobody has: counted in the database-wide window; the event to audit is
    /// its length and keyed pseudonym (never as typed), or none once the window is flooded.
    async fn unknown_username_event(&self, username: Option<&str>, now: i64) -> DeskResult<Option<NewAuditEvent>> {
        let attempts = self.store.count_unknown_username(now, redemption::UNKNOWN_USERNAME_WINDOW_SECS).await?;
        // Past the limit the event is still written, with the count only: skipping the
        // write would answer an unknown username faster than a known one, which tells a
        // caller which usernames exist.
        if attempts > redemption::UNKNOWN_USERNAMES_AUDITED_PER_WINDOW {
            let detail = format!("unknown username, not itemised ({attempts} this minute)");
            return Ok(Some(NewAuditEvent::new(now, AuditAction::BackupCodeRejected).detail(detail)));
        }
        let mut detail = match username {
            Some(name) => format!(
                "unknown username ({} characters, pseudonym {})",
                name.chars().count(),
                redemption::pseudonym(&self.pseudonym_key().await?, name)
            ),
            None => format!(
                "username longer than {USERNAME_MAX_CHARS} characters or with control characters, not looked up"
            ),
        };
        if attempts == redemption::UNKNOWN_USERNAMES_AUDITED_PER_WINDOW {
            detail.push_str(&format!(
                "; {attempts} unknown usernames this minute: further ones this minute are counted without a pseudonym"
            ));
        }
        Ok(Some(NewAuditEvent::new(now, AuditAction::BackupCodeRejected).detail(detail)))
    }

    async fn pseudonym_key(&self) -> DeskResult<Zeroizing<Vec<u8>>> {
        let key = self
            .pseudonym_key
            .get_or_try_init(|| async {
                let fresh = Zeroizing::new(codes::random_bytes::<32>()?);
                Ok::<_, crate::desk::DeskError>(self.store.instance_key(redemption::PSEUDONYM_KEY, &fresh[..]).await?)
            })
            .await?;
        Ok(key.clone())
    }

    /// The failures reached NIST's cap: the batch is revoked, audited, and the user told.
    async fn exhaust(&self, user: &User, batch: i64, total: i64, now: i64) -> DeskResult<()> {
        let audit = NewAuditEvent::new(now, AuditAction::BackupCodesExhausted)
            .target(user.id, &user.username)
            .detail(format!("{total} failed attempts since the last success or new batch; the batch is revoked"));
        let notices = notices_for(user, "backup_codes_exhausted", &texts().notifications.exhausted);
        if self.store.exhaust_batch(user.id, batch, now, &audit, &notices).await? {
            tracing::warn!(user = %user.username.escape_debug(), total, "backup codes used up by failed attempts");
        }
        Ok(())
    }
}
