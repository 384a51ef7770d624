-- Refused credentials of `helpdesk serve` per caller address (an IPv6 address by its /64)
-- in one-minute windows, shared by every instance on this database: behind a load
-- balancer, the allowance of `serve.refusals_per_minute` is the caller's, not each
-- instance's. Throttle state only: rows of past windows are deleted.
CREATE TABLE serve_refusals (
    address       TEXT PRIMARY KEY CHECK (length(address) BETWEEN 1 AND 45),
    window_start  INTEGER NOT NULL,
    refused       INTEGER NOT NULL CHECK (refused >= 1)
);
CREATE INDEX serve_refusals_window ON serve_refusals (window_start);
