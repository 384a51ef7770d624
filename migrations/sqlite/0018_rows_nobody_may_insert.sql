-- Rows nobody may insert, refused by the database whoever writes them.
--
-- A batch's argon2 cost lies within the product's bounds (`HashCost::within_bounds`:
-- OWASP's minimum, at least one lane, at most 262144 KiB, 16 passes, 16 lanes and 524288
-- KiB × passes), so that a batch written by another writer cannot hold a redemption for
-- seconds. A revoked batch is never hashed with, so it may hold any cost: the rule is on
-- batches that can be used, and an older one outside the bounds can still be revoked.
-- SQLite cannot add a CHECK to an existing table: a trigger refuses the INSERT, and
-- 0015's triggers already refuse a change of a batch's cost and un-revoking one. Rows
-- written before this are not checked here; the redemption refuses their cost before
-- hashing.
CREATE TRIGGER backup_code_batches_cost_bounds BEFORE INSERT ON backup_code_batches
WHEN NEW.revoked_at IS NULL AND NOT (
    typeof(NEW.argon2_m) = 'integer' AND typeof(NEW.argon2_t) = 'integer' AND typeof(NEW.argon2_p) = 'integer'
    AND ((NEW.argon2_m >= 47104 AND NEW.argon2_t >= 1) OR (NEW.argon2_m >= 19456 AND NEW.argon2_t >= 2)
         OR (NEW.argon2_m >= 12288 AND NEW.argon2_t >= 3) OR (NEW.argon2_m >= 9216 AND NEW.argon2_t >= 4)
         OR (NEW.argon2_m >= 7168 AND NEW.argon2_t >= 5))
    AND NEW.argon2_m <= 262144 AND NEW.argon2_t <= 16 AND NEW.argon2_p BETWEEN 1 AND 16
    AND NEW.argon2_m * NEW.argon2_t <= 524288
)
BEGIN
    SELECT RAISE(ABORT, 'backup_code_batches: the argon2 cost is outside the product''s bounds');
END;

-- A user is changed with UPDATE, which 0014's triggers record as contact changes. REPLACE
-- (INSERT OR REPLACE, what several ORMs' upsert does here) deletes the row it meets and
-- inserts another, and that delete fires no trigger: a changed phone would leave no
-- record. An insert that meets an existing user's id or username is refused, upserts
-- included (their UPDATE would be recorded, but this trigger runs before SQLite knows the
-- insert becomes one). The product's own insert of a taken username fails here too, and
-- reads the refusal as the username being taken.
CREATE TRIGGER users_not_replaced BEFORE INSERT ON users
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.id OR username = NEW.username)
BEGIN
    SELECT RAISE(ABORT, 'users: an existing user is changed with UPDATE, never replaced or inserted over');
END;
