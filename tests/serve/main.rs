//! `helpdesk serve`, the redemption service: over HTTPS with the real binary, and its
//! router held to docs/openapi.yaml.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod behind_proxy;
mod hang_ups;
mod metrics;
mod openapi;
mod over_https;
