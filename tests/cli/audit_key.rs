//! `helpdesk audit rotate-key` as an operator runs it: the key file replaced whole, private,
//! the new key first and the old one after it; `audit verify` intact after it, and naming
//! an event linked under the retired key; a broken chain refused with exit code 1.

use crate::commands::helpdesk;
use crate::common;

use std::os::unix::fs::PermissionsExt;

use helpdesk::domain::audit::{AuditAction, NewAuditEvent};
use helpdesk::domain::audit_chain::AuditKey;

const ROTATE: [&str; 6] =
    ["--database", "sqlite://helpdesk-demo.db", "audit", "rotate-key", "--admin-username", "ada.admin"];
const VERIFY: [&str; 4] = ["--database", "sqlite://helpdesk-demo.db", "audit", "verify"];
const PASSWORD: &str = "admin-demo-pass-2026\n";

#[tokio::test]
async fn rotate_key_moves_the_chain_to_a_new_key_and_refuses_a_broken_chain() {
    let dir = tempfile::tempdir().unwrap();
    let out = helpdesk(dir.path(), &["demo", "--no-ui", "--users", "20"], "");
    assert!(out.status.success(), "demo failed: {}", String::from_utf8_lossy(&out.stderr));
    crate::second_factor_off(&format!("sqlite://{}", dir.path().join("helpdesk-demo.db").display()));
    let (file, beside) = (dir.path().join(common::KEY_FILE), dir.path().join(format!("{}.new", common::KEY_FILE)));
    let old = std::fs::read_to_string(&file).unwrap();
    let said =
        |out: &std::process::Output| String::from_utf8_lossy(&[&out.stdout[..], &out.stderr[..]].concat()).into_owned();

    // An agent may not rotate it.
    let agent = helpdesk(dir.path(), &[&ROTATE[..5], &["alex.agent"]].concat(), "agent-demo-pass-2026\n");
    assert_eq!(agent.status.code(), Some(2), "{}", said(&agent));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), old, "an agent's attempt replaced the key");
    assert!(!beside.exists(), "a refused rotation left its file");

    let rotated = helpdesk(dir.path(), &ROTATE, PASSWORD);
    assert_eq!(rotated.status.code(), Some(0), "{}", said(&rotated));
    assert!(said(&rotated).contains("rotated"), "{}", said(&rotated));
    let now = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = now.lines().collect();
    assert_eq!(lines.len(), 2, "the new key first, the old one after it");
    assert_eq!((lines[1], lines[0] != old.trim()), (old.trim(), true));
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!beside.exists(), "the staged file was left");
    assert!(!said(&rotated).contains(lines[0]) && !said(&rotated).contains(lines[1]), "a key was printed");
    let verified = helpdesk(dir.path(), &VERIFY, "");
    assert_eq!(verified.status.code(), Some(0), "{}", said(&verified));

    // A file left by an unfinished rotation stops the next one, which names it.
    std::fs::write(&beside, "left").unwrap();
    let stopped = helpdesk(dir.path(), &ROTATE, PASSWORD);
    assert_eq!(stopped.status.code(), Some(2), "{}", said(&stopped));
    assert!(said(&stopped).contains(".new"), "{}", said(&stopped));
    std::fs::remove_file(&beside).unwrap();

    // An event written under the retired key after the rotation (a process that still reads
    // the old file): reported as such, and then no rotation.
    let url = format!("sqlite://{}", dir.path().join("helpdesk-demo.db").display());
    let retired = AuditKey::parse_file(&old).unwrap();
    let store = helpdesk::store::open(&url, 1, &retired).await.unwrap();
    store.append_audit(&[NewAuditEvent::new(0, AuditAction::StaffLogout).detail("under the old key")]).await.unwrap();
    let id = store.audit_chain_head().await.unwrap().last_id;
    let broken = helpdesk(dir.path(), &VERIFY, "");
    assert_eq!(broken.status.code(), Some(1), "{}", said(&broken));
    assert!(said(&broken).contains(&format!("broken at event {id}: event {id} is linked under a retired audit key")));
    let refused = helpdesk(dir.path(), &ROTATE, PASSWORD);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    let told = said(&refused);
    assert!(told.contains(&format!("broken at event {id}")) && told.contains("not rotated"), "{told}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), now, "a broken chain's rotation replaced the key");
    assert!(!beside.exists(), "a refused rotation left its file");
}
