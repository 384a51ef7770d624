//! The user search and the refolding of stale search keys: the statements of
//! `sql/search.rs`, run.

use async_trait::async_trait;
use sqlx::Transaction;

use crate::domain::phone::HomeRegion;
use crate::domain::search::{Term, word_keys};
use crate::domain::user::{User, UserId, sort_key};
use crate::store::rows::UserRow;
use crate::store::sql::{self, search, users};
use crate::store::{StoreResult, UserQuery};

/// Finding users by name, username, email or phone, and keeping the keys it reads folded.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// One page in name order, after `query.after`: everybody for an empty text, else the
    /// users whose name, first name, username, email or phone digits start with it.
    async fn search_users(&self, query: &UserQuery) -> StoreResult<Vec<User>>;
    /// Folds again the search keys of up to `limit` rows marked stale (written by another
    /// system, or before the folding rule), and stores their phone in E.164 when it reads
    /// as a valid number (`home`: the region of a number written without a country
    /// code). Returns how many rows were folded; 0 when none is stale.
    async fn refold_stale(&self, limit: i64, home: HomeRegion) -> StoreResult<u64>;
}

// The search's statements, run. They are kept prepared like every other statement: an
// unprepared one is parsed in one round trip and bound in the next, and PgBouncer in
// transaction mode may hand the second to another server connection ("unnamed prepared
// statement does not exist"). PostgreSQL would switch a kept statement to a generic plan
// after five runs, planned without the typed prefix or the cursor (the fifth page of
// `amara ok` took 40 ms instead of 5), so each runs in a read transaction that asks for
// custom plans (`Dialect::CUSTOM_PLANS`; one transaction stays on one server connection).
sql_impl! {
    async fn count(conn: &mut D::Connection, statement: &search::Statement) -> StoreResult<i64> {
        let mut q = sqlx::query_scalar(&statement.sql);
        for p in &statement.params {
            q = q.bind(p.as_str());
        }
        Ok(q.fetch_one(conn).await?)
    }

    async fn rows(conn: &mut D::Connection, statement: &search::Statement) -> StoreResult<Vec<UserRow>> {
        let mut q = sqlx::query_as(&statement.sql);
        for p in &statement.params {
            q = q.bind(p.as_str());
        }
        Ok(q.fetch_all(conn).await?)
    }

    async fn search_transaction(&self) -> StoreResult<Transaction<'static, D>> {
        let mut tx = self.pool().begin().await?;
        if let Some(custom) = D::CUSTOM_PLANS {
            sqlx::query(custom).execute(&mut *tx).await?;
        }
        Ok(tx)
    }
}

/// Name words a statement: 3 parameters each, well under both databases' limits.
const WORD_ROWS: usize = 600;

sql_impl! {
    /// Writes the name words of each (user, first name, last name), after removing the
    /// ones it had when `replace` (an edit or a refold; a new user has none).
    pub(crate) async fn write_name_words(
        conn: &mut D::Connection,
        users: &[(UserId, &str, &str)],
        replace: bool,
    ) -> StoreResult<()> {
        if replace {
            for (id, _, _) in users {
                sqlx::query(users::DELETE_NAME_WORDS).bind(*id).execute(&mut *conn).await?;
            }
        }
        let rows: Vec<(UserId, String, String)> = users
            .iter()
            .flat_map(|(id, first, last)| {
                let key = sort_key(first, last);
                word_keys(first, last).into_iter().map(move |w| (*id, w, key.clone()))
            })
            .collect();
        for chunk in rows.chunks(WORD_ROWS) {
            let statement =
                users::insert_name_words(&sql::values(chunk.len(), users::NAME_WORD_COLUMNS, D::bulk_param));
            let mut q = sqlx::query(&statement);
            for (id, word, key) in chunk {
                q = q.bind(*id).bind(word.as_str()).bind(key.as_str());
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

sql_impl! {
    impl SearchStore;

    async fn refold_stale(&self, limit: i64, home: HomeRegion) -> StoreResult<u64> {
        let any: i64 = sqlx::query_scalar(users::ANY_STALE).fetch_one(self.pool()).await?;
        if any == 0 {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let stale: Vec<(i64, String, String, String)> =
            sqlx::query_as(D::STALE_KEYS_LOCKED).bind(limit).fetch_all(&mut *tx).await?;
        // The phone in E.164 is the same number: not a contact change.
        sqlx::query(D::MARK_REFOLD).execute(&mut *tx).await?;
        let mut folded: Vec<(UserId, &str, &str)> = Vec::with_capacity(stale.len());
        for (id, first, last, phone) in &stale {
            let canonical = crate::domain::phone::canonical(phone, home);
            let form = crate::domain::phone::stored_form(&canonical);
            let written = sqlx::query(users::REFOLD_KEYS)
                .bind(*id)
                .bind(sort_key(first, last))
                .bind(crate::domain::search::first_key(first))
                .bind(canonical.as_str())
                .bind(crate::domain::search::phone_digits(&canonical))
                .bind(first.as_str())
                .bind(last.as_str())
                .bind(phone.as_str())
                .bind(form.grouped)
                .bind(form.region)
                .execute(&mut *tx)
                .await?;
            // A row a writer changed since it was read stays stale, and keeps no words.
            if D::rows_affected(&written) > 0 {
                folded.push((*id, first, last));
            }
        }
        Self::write_name_words(&mut tx, &folded, true).await?;
        sqlx::query(D::UNMARK).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(stale.len() as u64)
    }

    async fn search_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        let terms = crate::domain::search::terms(&query.text);
        // One read transaction for the whole search: its counts and its page (see `count`).
        let mut tx = self.search_transaction().await?;
        let rows: Vec<UserRow> = if terms.is_empty() {
            let (after_key, after_id) = query.after.clone().unwrap_or((String::new(), i64::MIN));
            sqlx::query_as(search::USERS_PAGE)
                .bind(after_key)
                .bind(after_id)
                .bind(query.limit)
                .fetch_all(&mut *tx)
                .await?
        } else if let [Term::Word(word)] = terms.as_slice() {
            // One letter finds users everywhere; a longer word is counted first.
            let rare = word.key.chars().count() > 1
                && Self::count(&mut tx, &search::count_others_of_word(word)).await? <= search::OTHERS_SORTED;
            let many_words = !rare
                && Self::count(&mut tx, &search::count_name_words_of(word)).await? > search::NAME_WORDS_SORTED;
            let walks = (D::USERS_IN_NAME_ORDER, many_words.then_some(D::NAME_WORDS_IN_NAME_ORDER));
            let page = search::page_of_one_word(word, &[], None, rare, query.after.as_ref(), query.limit, walks);
            Self::rows(&mut tx, &page).await?
        } else {
            // The rarest term that is rare enough is read first; one letter never is.
            let mut rare: Option<(usize, i64)> = None;
            let several = terms.len() > 1;
            let cap = if several { search::FEW_OF_SEVERAL } else { search::CANDIDATES };
            let long_enough = |term: &Term| !matches!(term, Term::Word(w) if w.key.chars().count() < 2);
            for (i, term) in terms.iter().enumerate().filter(|(_, t)| long_enough(t)) {
                let n = Self::count(&mut tx, &search::count_users_of(term, cap)).await?;
                if n <= cap && rare.is_none_or(|(_, fewest)| n < fewest) {
                    rare = Some((i, n));
                }
            }
            // Every term is common: walk the last-name range of the word with the fewest
            // users outside it, checking the other terms on the way.
            let mut walk: Option<(usize, i64)> = None;
            let mut others_of: Vec<Option<i64>> = vec![None; terms.len()];
            if several && rare.is_none() {
                for (i, term) in terms.iter().enumerate().filter(|(_, t)| long_enough(t)) {
                    if let Term::Word(word) = term {
                        let n = Self::count(&mut tx, &search::count_others_of_word(word)).await?;
                        others_of[i] = Some(n);
                        if walk.is_none_or(|(_, fewest)| n < fewest) {
                            walk = Some((i, n));
                        }
                    }
                }
            }
            let page = match walk {
                Some((i, others)) => {
                    let Term::Word(word) = &terms[i] else { unreachable!("only words are walked") };
                    let rest: Vec<Term> =
                        terms.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, t)| t.clone()).collect();
                    let rare = others <= search::OTHERS_SORTED;
                    // Two words: the other, when it has few users outside its last-name
                    // range, is read within this one's.
                    let pair = match &rest[..] {
                        [Term::Word(other)]
                            if others_of[1 - i].is_some_and(|n| n <= search::PAIR_SORTED)
                                && search::pairs_with(word, other) =>
                        {
                            Some(other)
                        }
                        _ => None,
                    };
                    search::page_of_one_word(
                        word,
                        &rest,
                        pair,
                        rare,
                        query.after.as_ref(),
                        query.limit,
                        (D::USERS_IN_NAME_ORDER, None),
                    )
                }
                None => search::page(
                    &terms,
                    rare.map(|(i, _)| i),
                    query.after.as_ref(),
                    query.limit,
                    D::USERS_IN_NAME_ORDER,
                ),
            };
            Self::rows(&mut tx, &page).await?
        };
        tx.commit().await?;
        rows.into_iter().map(User::try_from).collect()
    }
}
