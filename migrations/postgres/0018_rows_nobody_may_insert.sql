-- Rows nobody may insert, refused by the database whoever writes them.
--
-- A batch's argon2 cost lies within the product's bounds (`HashCost::within_bounds`:
-- OWASP's minimum, at least one lane, at most 262144 KiB, 16 passes, 16 lanes and 524288
-- KiB × passes), so that a batch written by another writer cannot hold a redemption for
-- seconds. A revoked batch is never hashed with, so it may hold any cost: the rule is on
-- batches that can be used, and an older one outside the bounds can still be revoked (a
-- CHECK holds on every UPDATE of a row, even NOT VALID). Added NOT VALID, then validated
-- unless an older usable batch lies outside: such a row must not stop the upgrade, and
-- the redemption refuses its cost before hashing.
ALTER TABLE backup_code_batches ADD CONSTRAINT backup_code_batches_cost_bounds CHECK (revoked_at IS NOT NULL OR (
    ((argon2_m >= 47104 AND argon2_t >= 1) OR (argon2_m >= 19456 AND argon2_t >= 2)
     OR (argon2_m >= 12288 AND argon2_t >= 3) OR (argon2_m >= 9216 AND argon2_t >= 4)
     OR (argon2_m >= 7168 AND argon2_t >= 5))
    AND argon2_m <= 262144 AND argon2_t <= 16 AND argon2_p BETWEEN 1 AND 16
    AND argon2_m::numeric * argon2_t <= 524288
)) NOT VALID;
DO $$
BEGIN
    ALTER TABLE backup_code_batches VALIDATE CONSTRAINT backup_code_batches_cost_bounds;
EXCEPTION WHEN check_violation THEN
    RAISE NOTICE 'backup_code_batches_cost_bounds left NOT VALID: an older usable batch lies outside the bounds';
END $$;
