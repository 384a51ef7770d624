//! The real binary in a terminal: in a pseudo-terminal as an agent drives it, with hostile
//! text planted in the database, and over SSH with a throw-away sshd.

#[path = "../common/pty.rs"]
mod pty;

mod agent_flow;
mod hostile_text;
mod ssh;
