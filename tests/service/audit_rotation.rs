//! The audit key rotated (`HelpDesk::rotate_audit_key`, what `helpdesk audit rotate-key`
//! runs): each part of the chain is checked under its own key, a link made under the
//! retired key after the rotation is reported, and a broken chain is not rotated.

use crate::common;
use common::{CHEAP, TestDb, login};
use helpdesk::desk::{DeskError, HelpDesk, Limits};
use helpdesk::domain::access::Refusal;
use helpdesk::domain::audit::AuditAction;
use helpdesk::domain::audit_chain::{AuditKey, ChainBreak};
use helpdesk::store;

/// A service on its own connections whose links are made under `key`, as a process that
/// reads that key file.
async fn desk_under(db: &TestDb, key: &AuditKey) -> HelpDesk {
    let store = store::open(&db.url, 2, key).await.expect("a second store");
    HelpDesk::new(store, common::policy(), CHEAP, Limits::default())
}

async fn a_rotated_key_checks_each_part_under_its_own_key(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (admin, agent) = (login(&desk, "ada.admin").await, login(&desk, "alex.agent").await);
    let rotated = desk.audit_key().rotated().unwrap();
    // An agent may not rotate the key; the refusal is audited.
    let refused = desk.rotate_audit_key(&agent, &rotated).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::AdminOnly))), "{}: {refused:?}", db.name);
    desk.rotate_audit_key(&admin, &rotated).await.unwrap();
    let newest = db.store.recent_audit(None, 1).await.unwrap().remove(0);
    assert_eq!((newest.action.as_str(), newest.actor.as_str()), (AuditAction::AuditKeyRotated.as_str(), "ada.admin"));
    // Until the new file is in place the old key cannot check past the rotation: said once.
    let before = desk.verify_audit_chain().await.unwrap();
    assert_eq!(before.breaks, vec![ChainBreak::KeyMissing { id: newest.id }], "{}", db.name);

    // Under the new file: intact, and the events written from now on are linked under it.
    let after = desk_under(&db, &rotated).await;
    login(&after, "sam.teller").await;
    let report = after.verify_audit_chain().await.unwrap();
    assert!(report.breaks.is_empty(), "{}: {report:?}", db.name);
    assert!(report.checked > 3, "{}: {report:?}", db.name);

    // A process still reading the old file writes an event: reported as under a retired key.
    login(&desk, "nora.noperm").await;
    let forged = db.store.recent_audit(None, 1).await.unwrap().remove(0).id;
    let report = after.verify_audit_chain().await.unwrap();
    assert_eq!(report.breaks, vec![ChainBreak::RetiredKey { id: forged }], "{}", db.name);

    // A broken chain is not rotated: refused, naming the break; only the refusal is written.
    let last = db.store.audit_chain_head().await.unwrap().last_id;
    let again = after.audit_key().rotated().unwrap();
    let refused = after.rotate_audit_key(&admin, &again).await;
    let Err(DeskError::ChainBroken(at)) = &refused else { panic!("{}: {refused:?}", db.name) };
    assert_eq!(at, &ChainBreak::RetiredKey { id: forged }, "{}", db.name);
    assert!(refused.unwrap_err().to_string().contains("not rotated"));
    let written = db.store.chained_audit_events(last, 10).await.unwrap();
    let actions: Vec<_> = written.iter().map(|e| e.event.action.as_str()).collect();
    assert_eq!(actions, ["action_refused"], "{}", db.name);
    assert!(written[0].event.detail.as_deref().unwrap_or_default().starts_with("audit_key_rotated: "));
}

on_each_backend!(a_rotated_key_checks_each_part_under_its_own_key);
