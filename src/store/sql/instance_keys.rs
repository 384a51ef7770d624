//! Keys the database generated for itself, such as the key of the username pseudonyms in
//! the audit log. The first process to need one writes it; a second writer's insert does
//! nothing, and both then read the one that won.

pub const INSERT_KEY: &str = "INSERT INTO instance_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";

pub const KEY: &str = "SELECT key FROM instance_keys WHERE name = $1";
