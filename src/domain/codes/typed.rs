//! What a person types for a code, turned into its canonical form: the tolerance for
//! case, separators and look-alikes lives here, in one place.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use zeroize::Zeroizing;

use super::{ALPHABET, BITS_PER_CHAR, MAX_LENGTH, MIN_BITS};

/// Turns what a person typed into the canonical form, or `None` when it cannot be a code
/// at all. Compatibility forms first (NFKC: full-width letters and digits become ASCII),
/// then every separator a keyboard, a phone or a paste may add is dropped: any Unicode
/// dash (Pd) or space (Zs), tabs and line ends, the soft hyphen, zero-width characters and
/// the byte-order mark. Case does not matter; O reads as 0 and I or L as 1, the
/// look-alikes Crockford's alphabet leaves out. Whether it is the right length for a
/// batch is for the hash to say, since batches keep the length they were issued with.
pub fn normalize(input: &str) -> Option<Zeroizing<String>> {
    let min = MIN_BITS.div_ceil(BITS_PER_CHAR) as usize;
    let mut out = Zeroizing::new(String::with_capacity(MAX_LENGTH));
    let compatible: Zeroizing<String> = Zeroizing::new(input.nfkc().collect());
    for c in compatible.chars() {
        if is_separator(c) {
            continue;
        }
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        if out.len() == MAX_LENGTH {
            return None;
        }
        out.push(c);
    }
    (out.len() >= min).then_some(out)
}

/// What people and their devices put between a code's characters: dashes (Unicode Pd),
/// spaces (Zs), tabs and line ends, and the invisible soft hyphen, zero-width space and
/// joiners, word joiner and byte-order mark; and the minus sign, which some phones type
/// for a hyphen.
fn is_separator(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{2212}')
        || matches!(c.general_category(), GeneralCategory::DashPunctuation | GeneralCategory::SpaceSeparator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_tolerates_case_spacing_and_lookalikes() {
        let canon = |s: &str| normalize(s).map(|z| z.to_string());
        assert_eq!(canon("abcd-efgh-jkmn").as_deref(), Some("ABCDEFGHJKMN"));
        assert_eq!(canon(" o1il 2345 6789 ").as_deref(), Some("011123456789"));
        assert_eq!(canon("ABCD-EFG"), None, "shorter than any code");
        assert_eq!(canon(&"A".repeat(33)), None, "longer than any code");
        assert_eq!(canon("ABCD-EFGH-JKMU"), None, "U is not in the alphabet");
        assert_eq!(canon("ABCD-EFGH-JK!N"), None);
        assert_eq!(canon("ÀBCD-EFGH-JKMN"), None);
    }
}
