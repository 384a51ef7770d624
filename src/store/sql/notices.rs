//! The notification outbox the bank's messaging system drains. A notice is written in the
//! transaction of the change it tells about; it never holds a code.

pub const INSERT_NOTICE: &str = "INSERT INTO notification_outbox \
    (created_at, user_id, channel, address, kind, body) VALUES ($1, $2, $3, $4, $5, $6)";

pub const NOTIFICATIONS: &str = "SELECT id, created_at, user_id, channel, address, kind, body \
     FROM notification_outbox WHERE user_id = $1 ORDER BY id";
