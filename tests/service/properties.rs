//! Properties of the rules that take what people type: the code normalizer and every form
//! validator. Whatever the input, they answer without panicking, and what they accept
//! obeys the rule it was checked against.

use helpdesk::domain::audit::{IdentityCheck, NOTE_MAX};
use helpdesk::domain::codes::{ALPHABET, normalize};
use helpdesk::domain::phone::{HomeRegion, Shown, shown};
use helpdesk::domain::profile;
use helpdesk::domain::search::{Term, first_key, sort_key, terms, word_keys};
use helpdesk::domain::text::{fold, is_direction_control, is_hidden, is_joiner_control};
use proptest::prelude::*;
use unicode_segmentation::UnicodeSegmentation;
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
                prop_assert!(unicode_normalization::is_nfc(&name));
                prop_assert!(name.graphemes(true).count() >= min);
                prop_assert!(!name.chars().any(|c| is_hidden(c) && !is_joiner_control(c)));
                prop_assert!(name.chars().all(|c| c.is_alphabetic() || is_mark(c) || is_joiner_control(c) || " -'’·".contains(c)));
                for pair in name.chars().collect::<Vec<_>>().windows(2) {
                    let joiner = |c: char| " -'’·".contains(c);
                    prop_assert!(!(joiner(pair[0]) && joiner(pair[1])), "two joiners in a row");
                }
            }
        }
    }

    /// Names drawn from many scripts, with their marks, decomposed or not, joined by the
    /// allowed joiners: every one is accepted, stored in NFC, and folds for search.
    #[test]
    fn names_in_every_script_are_accepted(words in proptest::collection::vec(script_word(), 1..4), joiners in proptest::collection::vec(prop::sample::select(vec![" ", "-", "'", "’", "·"]), 3)) {
        let mut name = String::new();
        for (i, word) in words.iter().enumerate() {
            if i > 0 {
                name.push_str(joiners[i - 1]);
            }
            name.push_str(word);
        }
        let nfd: String = unicode_normalization::UnicodeNormalization::nfd(name.as_str()).collect();
        for typed in [&name, &nfd] {
            let stored = profile::last_name(typed);
            prop_assert!(stored.is_ok(), "{:?} refused", typed);
            let stored = stored.unwrap();
            prop_assert!(unicode_normalization::is_nfc(&stored));
            prop_assert_eq!(fold(&stored), fold(typed));
        }
    }

    /// A first and a last name of several words, each of any script, joined by any of the
    /// dividers: every word, typed alone as it is, in capitals or decomposed, starts one of
    /// the keys the user is matched with, so the search finds the user by any word of either
    /// name, in any order. Katakana typed as hiragana meets it too.
    #[test]
    fn every_word_of_a_name_in_any_script_finds_it(first_words in proptest::collection::vec(script_word(), 1..4), last_words in proptest::collection::vec(script_word(), 1..4), joiners in proptest::collection::vec(prop::sample::select(vec![" ", "-", "'", "’", "·"]), 6)) {
        let join = |words: &[String], joiners: &[&str]| {
            let mut name = words[0].clone();
            for (word, joiner) in words[1..].iter().zip(joiners) {
                name.push_str(joiner);
                name.push_str(word);
            }
            name
        };
        let (first, last) = (join(&first_words, &joiners[..3]), join(&last_words, &joiners[3..]));
        let mut keys = word_keys(&first, &last);
        keys.extend([sort_key(&first, &last), first_key(&first)]);
        for word in first_words.iter().chain(&last_words).rev() {
            let hiragana: String = word.chars().map(|c| match c {
                '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap(),
                c => c,
            }).collect();
            let nfd: String = unicode_normalization::UnicodeNormalization::nfd(word.as_str()).collect();
            for typed in [word.clone(), word.to_uppercase(), nfd, hiragana] {
                for term in terms(&typed) {
                    let Term::Word(w) = term else { panic!("{typed:?} is not read as a word") };
                    prop_assert!(keys.iter().any(|k| k.starts_with(&w.key)), "{:?} in {:?} {:?}", typed, first, last);
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
    fn an_accepted_phone_is_e164(input in "[+0-9 ()\\-.a-z０-９]{0,30}") {
        if let Ok(phone) = profile::phone(&input, HomeRegion::default()) {
            if !phone.is_empty() {
                prop_assert!(phone.starts_with('+'));
                let digits = &phone[1..];
                prop_assert!((6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(!digits.starts_with('0'));
                // E.164 reads back as itself, and as a valid number with a region.
                let again = profile::phone(&phone, HomeRegion::default());
                prop_assert_eq!(again.as_deref(), Ok(phone.as_str()));
                let shown_valid = matches!(shown(&phone), Shown::Valid { .. });
                prop_assert!(shown_valid);
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
    fn an_accepted_note_is_bounded_printable_text(input in "(\\PC|\\n|\\u{1b}|\\u{202e}|\\u{2028}|\\u{2066}){0,600}") {
        if let Ok(identity) = IdentityCheck::Other.with_note(&input) {
            let note = identity.note.expect("Other keeps its note");
            prop_assert!(note.chars().count() <= NOTE_MAX);
            prop_assert!(!note.chars().any(|c| c.is_control() && c != '\n'));
            let layout = |c: char| is_direction_control(c) || matches!(c, '\u{2028}' | '\u{2029}');
            prop_assert!(!note.chars().any(layout));
        }
    }

    /// Any mixture of Unicode dashes, spaces, zero-width characters, soft hyphens and
    /// byte-order marks around and inside a valid code, in full-width or not: accepted.
    #[test]
    fn a_code_survives_what_pastes_and_phones_add(code in code(), seps in proptest::collection::vec(prop::sample::select(SEPARATORS.to_vec()), 13), wide in any::<u16>()) {
        let mut typed = String::new();
        for (i, c) in code.chars().enumerate() {
            typed.push_str(seps[i]);
            let full_width = wide >> (i % 16) & 1 == 1;
            typed.push(if full_width { char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap() } else { c });
        }
        typed.push_str(seps[12]);
        let read = normalize(&typed);
        prop_assert!(read.as_deref().map(String::as_str) == Some(code.as_str()), "a typed code was not read back");
    }
}

/// What pastes and phones put between a code's characters.
const SEPARATORS: [&str; 14] = [
    "", "-", " ", "\u{a0}", "\u{2010}", "\u{2011}", "\u{2013}", "\u{2014}", "\u{200b}", "\u{feff}", "\u{ad}",
    "\u{3000}", "\r\n", "\u{2212}",
];

/// A word of one script: a letter, then letters each maybe followed by a mark of that script.
fn script_word() -> impl Strategy<Value = String> {
    let scripts: Vec<(Vec<char>, Vec<char>)> = vec![
        (('a'..='z').chain('à'..='ö').collect(), vec!['\u{301}', '\u{300}', '\u{323}', '\u{308}']),
        (('а'..='я').collect(), vec![]),
        (('α'..='ω').collect(), vec!['\u{301}']),
        (('\u{0915}'..='\u{0939}').collect(), vec!['\u{093F}', '\u{0941}', '\u{094D}', '\u{0902}']),
        (('\u{0B95}'..='\u{0BB9}').filter(|c| c.is_alphabetic()).collect(), vec!['\u{0BBF}', '\u{0BCD}']),
        (('\u{0E01}'..='\u{0E2E}').collect(), vec!['\u{0E34}', '\u{0E48}']),
        (('\u{0628}'..='\u{063A}').collect(), vec!['\u{064E}']),
        (('\u{4E00}'..='\u{4E50}').collect(), vec![]),
        (('\u{30A2}'..='\u{30F3}').filter(|c| c.is_alphabetic()).collect(), vec!['\u{3099}']),
        (('Α'..='Ω').filter(|c| c.is_alphabetic()).chain(['ς']).collect(), vec![]),
    ];
    (0..scripts.len()).prop_flat_map(move |s| {
        let (letters, marks) = scripts[s].clone();
        let marks = if marks.is_empty() { vec![None] } else { marks.into_iter().map(Some).chain([None]).collect() };
        proptest::collection::vec((prop::sample::select(letters), prop::sample::select(marks)), 2..8).prop_map(
            |pairs| {
                let mut w = String::new();
                for (letter, mark) in pairs {
                    w.push(letter);
                    w.extend(mark);
                }
                w
            },
        )
    })
}

fn is_mark(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    c.general_category_group() == GeneralCategoryGroup::Mark
}
