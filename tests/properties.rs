//! Properties of the rules that take what people type: the code normalizer and every form
//! validator. Whatever the input, they answer without panicking, and what they accept
//! obeys the rule it was checked against.

use helpdesk::domain::audit::{IdentityCheck, NOTE_MAX};
use helpdesk::domain::codes::{ALPHABET, normalize};
use helpdesk::domain::profile;
use proptest::prelude::*;
use zeroize::Zeroizing;

/// A canonical 12-character code from the alphabet.
fn code() -> impl Strategy<Value = String> {
    proptest::collection::vec(0..ALPHABET.len(), 12)
        .prop_map(|idx| idx.into_iter().map(|i| ALPHABET[i] as char).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// However a code is typed (case, spaces, hyphens, O for 0, I or L for 1), it reads
    /// back as the code.
    #[test]
    fn a_code_survives_the_ways_people_type_it(code in code(), lower in any::<u64>(), seps in any::<u64>(), alike in any::<u64>()) {
        let mut typed = String::new();
        for (i, c) in code.chars().enumerate() {
            let bit = |n: u64| n >> (i % 64) & 1 == 1;
            let c = match c {
                '0' if bit(alike) => 'O',
                '1' if bit(alike) => if bit(lower) { 'L' } else { 'I' },
                c => c,
            };
            typed.push(if bit(lower) { c.to_ascii_lowercase() } else { c });
            if bit(seps) {
                typed.push(if i % 2 == 0 { ' ' } else { '-' });
            }
        }
        let read = normalize(&typed);
        prop_assert_eq!(read.as_deref().map(String::as_str), Some(code.as_str()));
    }

    /// Any input: no panic; an accepted one is 8 to 32 characters of the alphabet.
    #[test]
    fn the_normalizer_accepts_only_the_alphabet(input in ".{0,80}") {
        if let Some(canonical) = normalize(&input) {
            prop_assert!((8..=32).contains(&canonical.len()));
            prop_assert!(canonical.bytes().all(|b| ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn an_accepted_name_is_letters_joined_once(input in "\\PC{0,60}") {
        for (name, min) in [(profile::first_name(&input), 2), (profile::last_name(&input), 1)] {
            if let Ok(name) = name {
                prop_assert_eq!(name.trim(), name.as_str());
                prop_assert!(name.chars().filter(|c| c.is_alphabetic()).count() >= min);
                prop_assert!(name.chars().all(|c| c.is_alphabetic() || " -'’".contains(c)));
                for pair in name.chars().collect::<Vec<_>>().windows(2) {
                    prop_assert!(pair[0].is_alphabetic() || pair[1].is_alphabetic(), "two joiners in a row");
                }
            }
        }
    }

    #[test]
    fn an_accepted_email_is_lower_case_with_one_at_and_a_dotted_domain(input in "\\PC{0,80}") {
        if let Ok(email) = profile::email(&input) {
            prop_assert_eq!(email.to_lowercase(), email.clone());
            prop_assert_eq!(email.matches('@').count(), 1);
            let domain = email.split('@').nth(1).unwrap();
            prop_assert!(domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
            prop_assert!(!email.chars().any(char::is_whitespace));
        }
    }

    #[test]
    fn an_accepted_phone_is_e164(input in "[+0-9 ()\\-.a-z]{0,30}") {
        if let Ok(phone) = profile::phone(&input) {
            if !phone.is_empty() {
                prop_assert!(phone.starts_with('+'));
                let digits = &phone[1..];
                prop_assert!((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(!digits.starts_with('0'));
            }
        }
    }

    #[test]
    fn usernames_and_passwords_answer_anything(input in "\\PC{0,200}") {
        if let Ok(username) = profile::username(&input) {
            prop_assert!((3..=64).contains(&username.len()));
        }
        let _ = profile::password(&Zeroizing::new(input.clone()), "alex.agent");
    }

    #[test]
    fn an_accepted_note_is_bounded_printable_text(input in "(\\PC|\\n|\\u{1b}){0,600}") {
        if let Ok(identity) = IdentityCheck::Other.with_note(&input) {
            let note = identity.note.expect("Other keeps its note");
            prop_assert!(note.chars().count() <= NOTE_MAX);
            prop_assert!(!note.chars().any(|c| c.is_control() && c != '\n'));
        }
    }
}
