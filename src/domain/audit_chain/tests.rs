//! The chain's walk, on events built in memory.

use super::*;
use crate::domain::audit::AuditAction;

fn event(id: i64, detail: &str) -> AuditEvent {
    AuditEvent {
        id,
        at: 1_000 + id,
        at_utc: String::new(),
        actor_id: Some(1),
        actor: "ada.admin".into(),
        target_id: None,
        target: String::new(),
        action: AuditAction::StaffLogin.as_str().into(),
        identity_check: None,
        note: None,
        code_count: None,
        expires_at: None,
        detail: Some(detail.into()),
        batch_id: None,
        chain_hash: None,
    }
}

fn key() -> AuditKey {
    AuditKey::from_bytes([7; KEY_LEN])
}

/// Every event keyed.
fn chain(events: &[AuditEvent]) -> (Vec<ChainHash>, ChainHead) {
    chain_keyed_after(events, 0, &key())
}

/// Events up to `keyed_after` linked unkeyed, the rest under `key`.
fn chain_keyed_after(events: &[AuditEvent], keyed_after: i64, key: &AuditKey) -> (Vec<ChainHash>, ChainHead) {
    let mut prev = GENESIS;
    let hashes: Vec<ChainHash> = events
        .iter()
        .map(|e| {
            let fields = ChainedFields::from(e);
            prev = if e.id > keyed_after { keyed_link(key, &prev, &fields) } else { link(&prev, &fields) };
            prev
        })
        .collect();
    let last_id = events.last().map_or(0, |e| e.id);
    (hashes, ChainHead { last_id, last_hash: prev, starts_after: 0, keyed_after })
}

fn walk(events: &[AuditEvent], hashes: &[ChainHash], head: &ChainHead) -> ChainReport {
    let mut w = ChainWalk::new(head.clone(), key());
    for (e, h) in events.iter().zip(hashes) {
        w.step(e, Some(h));
    }
    w.finish()
}

#[test]
fn an_intact_chain_verifies_and_each_kind_of_change_names_its_event() {
    let events: Vec<_> = (1..=5).map(|i| event(i, &format!("e{i}"))).collect();
    let (hashes, head) = chain(&events);
    let intact = ChainReport { checked: 5, before_chain: 0, broken: None, breaks: vec![] };
    assert_eq!(walk(&events, &hashes, &head), intact);

    let mut edited = events.clone();
    edited[2].detail = Some("edited".into());
    assert_eq!(walk(&edited, &hashes, &head).broken, Some(ChainBreak::Mismatch { id: 3 }));

    let (mut removed, mut removed_hashes) = (events.clone(), hashes.clone());
    removed.remove(1);
    removed_hashes.remove(1);
    assert_eq!(walk(&removed, &removed_hashes, &head).broken, Some(ChainBreak::Mismatch { id: 3 }));

    let broken = walk(&events[..4], &hashes[..4], &head).broken.unwrap();
    assert_eq!(broken, ChainBreak::Tail { head_last_id: 5, found_last_id: 4 });

    // Every break is named: two edits far apart, each on its own.
    let mut twice = events.clone();
    twice[1].detail = Some("edited".into());
    twice[3].detail = Some("edited too".into());
    let report = walk(&twice, &hashes, &head);
    assert_eq!(report.breaks, vec![ChainBreak::Mismatch { id: 2 }, ChainBreak::Mismatch { id: 4 }]);
    assert_eq!(report.checked, 3);
}

#[test]
fn an_anchor_catches_a_chain_rewritten_whole() {
    let events: Vec<_> = (1..=4).map(|i| event(i, &format!("e{i}"))).collect();
    let (hashes, head) = chain(&events);
    let kept = Anchor::parse(&format!("2:{}", hex(&hashes[1]))).expect("ID:HASH");
    let anchored = |events: &[AuditEvent], hashes: &[ChainHash], head: &ChainHead, anchor: Anchor| {
        let mut w = ChainWalk::new(head.clone(), key()).with_anchor(anchor);
        for (e, h) in events.iter().zip(hashes) {
            w.step(e, Some(h));
        }
        w.finish()
    };
    assert!(anchored(&events, &hashes, &head, kept.clone()).breaks.is_empty());
    // Rewritten from event 2 on, head and all: every link holds, the anchor does not.
    let mut forged = events.clone();
    forged[1].detail = Some("forged".into());
    let (forged_hashes, forged_head) = chain(&forged);
    let report = anchored(&forged, &forged_hashes, &forged_head, kept.clone());
    assert_eq!(report.breaks, vec![ChainBreak::Anchor { id: 2 }]);
    // The anchored event removed and the chain rebuilt without it.
    let without: Vec<_> = events.iter().filter(|e| e.id != 2).cloned().collect();
    let (rebuilt, rebuilt_head) = chain(&without);
    let report = anchored(&without, &rebuilt, &rebuilt_head, kept);
    assert_eq!(report.breaks, vec![ChainBreak::AnchorMissing { id: 2 }]);
    for bad in ["2", "x:00", "2:zz", &format!("2:{}", "0".repeat(63))] {
        assert!(Anchor::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn a_present_empty_text_differs_from_an_absent_one() {
    let mut a = event(1, "");
    let b = {
        let mut b = a.clone();
        b.detail = None;
        b
    };
    assert_ne!(link(&GENESIS, &ChainedFields::from(&a)), link(&GENESIS, &ChainedFields::from(&b)));
    // Moving text between neighbouring fields changes the hash too.
    a.actor = "ada.admi".into();
    a.target = "n".into();
    let c = event(1, "");
    assert_ne!(link(&GENESIS, &ChainedFields::from(&a)), link(&GENESIS, &ChainedFields::from(&c)));
}

#[test]
fn only_the_keys_holder_can_extend_the_chain() {
    let events: Vec<_> = (1..=4).map(|i| event(i, &format!("e{i}"))).collect();
    let (hashes, head) = chain(&events[..3]);
    // A fourth event appended by a writer without the key: linked with plain SHA-256, or
    // under another key, each with the head moved to it.
    let forged_links = [
        link(&hashes[2], &ChainedFields::from(&events[3])),
        keyed_link(&AuditKey::from_bytes([8; KEY_LEN]), &hashes[2], &ChainedFields::from(&events[3])),
    ];
    for (forged, said) in forged_links.into_iter().zip([ChainBreak::Unkeyed { id: 4 }, ChainBreak::Mismatch { id: 4 }])
    {
        let mut all = hashes.clone();
        all.push(forged);
        let moved = ChainHead { last_id: 4, last_hash: forged, ..head.clone() };
        assert_eq!(walk(&events, &all, &moved).breaks, vec![said]);
    }
}

#[test]
fn the_unkeyed_part_is_checked_as_before_and_anchored_by_the_first_keyed_link() {
    let events: Vec<_> = (1..=5).map(|i| event(i, &format!("e{i}"))).collect();
    let (hashes, head) = chain_keyed_after(&events, 3, &key());
    assert_eq!(walk(&events, &hashes, &head).breaks, vec![]);
    assert_eq!(walk(&events, &hashes, &head).checked, 5);
    // The unkeyed part rewritten whole with fresh SHA-256 links: each of its links holds,
    // the first keyed one, which covers the old head, does not.
    let mut rewritten = events.clone();
    rewritten[1].detail = Some("rewritten".into());
    let (mut forged, _) = chain_keyed_after(&rewritten[..3], 3, &key());
    forged.extend_from_slice(&hashes[3..]);
    assert_eq!(walk(&rewritten, &forged, &head).breaks, vec![ChainBreak::Mismatch { id: 4 }]);
    // Cut short: the unkeyed part's newest event removed.
    let cut: Vec<_> = events.iter().filter(|e| e.id != 3).cloned().collect();
    let cut_hashes: Vec<_> = hashes.iter().enumerate().filter(|(i, _)| *i != 2).map(|(_, h)| *h).collect();
    assert_eq!(walk(&cut, &cut_hashes, &head).breaks, vec![ChainBreak::Mismatch { id: 4 }]);
}

/// The batch a generation event names is covered by its link (a re-pointed event breaks
/// it), and an event without one links exactly as before the field existed: these hashes
/// were computed with the encoding of migration 0020's time, so older chains still verify.
#[test]
fn the_batch_an_event_names_is_covered_and_older_links_are_unchanged() {
    let before = event(1, "e1");
    let fields = ChainedFields::from(&before);
    assert_eq!(hex(&link(&GENESIS, &fields)), "d96f0cf89e820152e1a01b93a94c307da34fbc4afa727d428877a5ac2a5fb0fa");
    assert_eq!(
        hex(&keyed_link(&key(), &GENESIS, &fields)),
        "98c317921447147f849e4280d95f3774541cc195cd8d0bc5222a683e499694e0"
    );
    let named = |batch| AuditEvent { batch_id: batch, ..event(1, "e1") };
    let links: Vec<_> =
        [None, Some(5), Some(6)].map(|b| keyed_link(&key(), &GENESIS, &ChainedFields::from(&named(b)))).into();
    assert!(links[0] != links[1] && links[1] != links[2] && links[0] != links[2], "the batch is not covered");

    let events = vec![event(1, "e1"), named(Some(5)), event(3, "e3")];
    let events: Vec<_> = events.into_iter().enumerate().map(|(i, e)| AuditEvent { id: i as i64 + 1, ..e }).collect();
    let (hashes, head) = chain(&events);
    assert_eq!(walk(&events, &hashes, &head).broken, None);
    let mut repointed = events.clone();
    repointed[1].batch_id = Some(6);
    assert_eq!(walk(&repointed, &hashes, &head).broken, Some(ChainBreak::Mismatch { id: 2 }));
}

/// The keyed part under the key file's keys: `rotated_at` and the events after it under
/// `new`'s newest key, those before under `old`.
fn chain_rotated(
    events: &[AuditEvent],
    rotated_at: i64,
    old: &AuditKey,
    new: &AuditKey,
) -> (Vec<ChainHash>, ChainHead) {
    let mut prev = GENESIS;
    let hashes: Vec<ChainHash> = events
        .iter()
        .map(|e| {
            prev = keyed_link(if e.id < rotated_at { old } else { new }, &prev, &ChainedFields::from(e));
            prev
        })
        .collect();
    (hashes, ChainHead { last_id: events.len() as i64, last_hash: prev, starts_after: 0, keyed_after: 0 })
}

fn walk_under(key: &AuditKey, events: &[AuditEvent], hashes: &[ChainHash], head: &ChainHead) -> ChainReport {
    let mut w = ChainWalk::new(head.clone(), key.clone());
    for (e, h) in events.iter().zip(hashes) {
        w.step(e, Some(h));
    }
    w.finish()
}

#[test]
fn after_a_rotation_each_part_is_checked_under_its_own_key() {
    let old = key();
    let new = old.rotated().unwrap();
    let mut events: Vec<_> = (1..=5).map(|i| event(i, &format!("e{i}"))).collect();
    events[2].action = AuditAction::AuditKeyRotated.as_str().into();
    let (hashes, head) = chain_rotated(&events, 3, &old, &new);
    let intact = walk_under(&new, &events, &hashes, &head);
    assert_eq!((intact.breaks, intact.checked), (vec![], 5));
    // The old file alone cannot go past the rotation: said once, not for every later event.
    assert_eq!(walk_under(&old, &events, &hashes, &head).breaks, vec![ChainBreak::KeyMissing { id: 3 }]);
    // The newest event linked under the retired key (by whoever still holds it).
    let mut forged = hashes.clone();
    forged[4] = keyed_link(&old, &hashes[3], &ChainedFields::from(&events[4]));
    let moved = ChainHead { last_hash: forged[4], ..head.clone() };
    assert_eq!(walk_under(&new, &events, &forged, &moved).breaks, vec![ChainBreak::RetiredKey { id: 5 }]);
    // A rotation forged with the old key only: the rotation itself is reported.
    let (forged, forged_head) = chain_rotated(&events, 6, &old, &new);
    assert_eq!(walk_under(&new, &events, &forged, &forged_head).broken, Some(ChainBreak::RetiredKey { id: 3 }));
    // Without a rotation event the old key goes on: a second key in the file changes nothing.
    let plain: Vec<_> = (1..=3).map(|i| event(i, &format!("e{i}"))).collect();
    let (plain_hashes, plain_head) = chain_rotated(&plain, 4, &old, &new);
    assert_eq!(walk_under(&new, &plain, &plain_hashes, &plain_head).breaks, vec![]);
}
