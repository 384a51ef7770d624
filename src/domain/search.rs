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
    /// The start of the last name, first name, username or email.
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
}
