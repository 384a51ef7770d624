-- The staff's second factor (src/domain/second_factor.rs). `factor_secret` is the
-- authenticator secret sealed with ChaCha20-Poly1305 under the key in
-- `staff.factor_key_file` (never in this database) and bound to the row's id;
-- `factor_last_step` is the 30-second step of the last code accepted, so that a code works
-- once; an admin's reset (a grant) clears the secret and the member enrols again.
ALTER TABLE users ADD COLUMN factor_secret BYTEA;
ALTER TABLE users ADD COLUMN factor_last_step BIGINT;
ALTER TABLE users ADD COLUMN factor_enrolled_at BIGINT;
-- When the session last proved its factor (sign-in, unlock, step-up): approving, declining,
-- generating for a member of staff and any grant ask again after `staff.step_up_minutes`.
ALTER TABLE staff_sessions ADD COLUMN factor_at BIGINT;
-- "Staff need a second factor": on for every institution.
ALTER TABLE institutions ADD COLUMN staff_second_factor INTEGER NOT NULL DEFAULT 1
    CHECK (staff_second_factor IN (0, 1));
