//! What an agent types into Manage Users' search, and the keys it is matched against.
//!
//! One folding rule (`text::fold`) makes the keys stored beside each user and the words
//! typed, so `garcia` finds García, `obrien` and `o’brien` find O'Brien, and `कृष्ण` finds
//! itself. The store keeps the keys on every write it makes; rows another system writes
//! are marked stale by triggers and folded again before the next search.

use unicode_normalization::UnicodeNormalization;

use crate::domain::text::fold;
use crate::domain::user::UserId;

/// One page of Manage Users: what was typed (empty for everybody), the key of the last
/// row already shown (`sort_key`, id), and a page size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    pub text: String,
    pub after: Option<(String, UserId)>,
    pub limit: i64,
}

/// Words past this many are not searched for: a paste of a paragraph stays one cheap
/// query instead of hundreds of conditions.
pub const MAX_TERMS: usize = 8;

/// A typed word: folded for the name keys, lower-cased (NFKC) for usernames and emails,
/// which keep their dots and hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub key: String,
    pub raw: String,
}

/// One term of a search; a user matches when every term does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// The start of the last name, first name, any word of either (`word_keys`), username
    /// or email.
    Word(Word),
    /// `@…`: the start of the email's domain.
    Domain(String),
    /// Digits: the start of the phone number, or its end from three digits on.
    Phone(String),
}

/// What was typed, as terms (none for an empty search). Full-width digits and letters are
/// read as ASCII (NFKC); a word that folds to nothing (a lone apostrophe) is no term.
pub fn terms(text: &str) -> Vec<Term> {
    let text: String = text.nfkc().collect::<String>().trim().to_lowercase();
    let digits = phone_digits(&text);
    let looks_like_phone = !digits.is_empty() && text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if looks_like_phone {
        return vec![Term::Phone(digits)];
    }
    text.split_whitespace()
        .filter_map(|word| match word.strip_prefix('@') {
            Some(domain) => Some(Term::Domain(domain.to_owned())),
            None => {
                let key = fold(word).replace(' ', "");
                (!key.is_empty()).then(|| Term::Word(Word { key, raw: word.to_owned() }))
            }
        })
        .take(MAX_TERMS)
        .collect()
}

/// The key Manage Users sorts by and matches last names with: folded last name, a space,
/// folded first name.
pub fn sort_key(first_name: &str, last_name: &str) -> String {
    format!("{} {}", fold(last_name), fold(first_name))
}

/// The key first names are matched with.
pub fn first_key(first_name: &str) -> String {
    fold(first_name)
}

/// Words of a name past this many are not keyed: a name is a few words, and a pasted
/// paragraph another system stored stays a few rows.
pub const MAX_NAME_WORDS: usize = 8;

/// Where a name divides into words: spaces, hyphens and other dashes, apostrophes, and the
/// middle dots of Catalan (`Col·lell`) and of Japanese names written in katakana (`・`).
fn divides(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.is_whitespace()
        || c.general_category() == GeneralCategory::DashPunctuation
        || matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`' | '´' | '·' | '・' | '‧' | '･')
}

/// The keys a typed word is matched with besides `sort_key` and `first_key` (which the
/// first word of each name starts): for every later word of the first or last name, from
/// that word on to the name's end, folded, its dividers dropped (`García Márquez`:
/// `marquez`; `van den Berg`: `denberg`, `berg`; `O'Brien`: `brien`). A typed word matches
/// a name's word when it starts one of these keys, so `berg` and `den` find van den Berg,
/// and `obrien` finds García O'Brien. Sorted, without repeats; words past `MAX_NAME_WORDS`
/// are ignored. The store keeps them in `user_name_words`.
///
/// The whole name run together (`vandenberg`) is not a key: it would repeat the first
/// word's users, whom `sort_key` already finds in name order, and make every common first
/// word look common outside its name range (`maria garcia` went from 24 to 64 ms at a
/// million users).
pub fn word_keys(first_name: &str, last_name: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for name in [first_name, last_name] {
        let name: String = name.nfkc().collect();
        let words: Vec<String> = name
            .split(divides)
            .map(|w| fold(w).replace(' ', ""))
            .filter(|w| !w.is_empty())
            .take(MAX_NAME_WORDS)
            .collect();
        for i in 1..words.len() {
            keys.push(words[i..].concat());
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The digits of a phone number, as search matches them.
pub fn phone_digits(phone: &str) -> String {
    phone.nfkc().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(key: &str, raw: &str) -> Term {
        Term::Word(Word { key: key.into(), raw: raw.into() })
    }

    #[test]
    fn typing_becomes_terms() {
        assert_eq!(terms("  "), []);
        assert_eq!(terms("Amara Ok"), [word("amara", "amara"), word("ok", "ok")]);
        assert_eq!(terms("+234 803-123"), [Term::Phone("234803123".into())]);
        assert_eq!(terms("＋２３４ ８０３"), [Term::Phone("234803".into())]);
        assert_eq!(terms("@Mail.Example"), [Term::Domain("mail.example".into())]);
        assert_eq!(terms("o'brien 4567"), [word("obrien", "o'brien"), word("4567", "4567")]);
        assert_eq!(terms("O’Brien"), [word("obrien", "o’brien")]);
        assert_eq!(terms("GARCÍA ' -"), [word("garcia", "garcía")]);
        assert_eq!(terms("कृष्ण"), [word(&fold("कृष्ण"), "कृष्ण")]);
    }

    #[test]
    fn keys_fold_like_the_terms() {
        assert_eq!(sort_key("José", "García"), "garcia jose");
        assert_eq!(sort_key("Siobhán", "O'Brien"), "obrien siobhan");
        assert!(sort_key("Jürgen", "Müller").starts_with("muller"));
        assert_eq!(first_key("Anaïs"), "anais");
    }

    #[test]
    fn every_word_of_a_name_is_keyed() {
        assert_eq!(word_keys("José", "García Márquez"), ["marquez"]);
        assert_eq!(word_keys("Jan", "van den Berg"), ["berg", "denberg"]);
        assert_eq!(word_keys("Omar", "Al-Rashid"), ["rashid"]);
        assert_eq!(word_keys("Jean-Luc", "Müller-Lüdenscheidt"), ["luc", "ludenscheidt"]);
        assert_eq!(word_keys("Siobhán", "O’Brien"), ["brien"]);
        assert_eq!(word_keys("Núria", "Col·lell"), ["lell"]);
        assert_eq!(word_keys("ジョン・スミス", "ヤマダ タロウ"), ["すみす", "たろう"]);
        assert_eq!(word_keys("Mary Ann", "Smith"), ["ann"]);
        assert!(word_keys("Amara", "Okafor").is_empty(), "one word each: the sort and first keys suffice");
        assert!(word_keys("a b c d e f g h i j k l", "").len() < MAX_NAME_WORDS * 2);
        assert!(word_keys("' - ·", "").is_empty());
    }
}
