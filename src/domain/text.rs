//! Text as people and other systems write it: which characters are invisible or steer a
//! terminal, and the one folding rule that search keys and search terms share.
//!
//! Another system (Digital Banking's registration) writes the same user rows, so nothing
//! here assumes a string came through our forms.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Characters a reader cannot see, or that a terminal obeys instead of drawing: controls
/// (Unicode category Cc: C0, DEL, C1, so ESC too), format characters (Cf: direction marks,
/// embeddings, overrides and isolates, zero-width space and joiners, the byte-order mark,
/// the soft hyphen, tag characters), line and paragraph separators (Zl, Zp), and the
/// default-ignorable letters that draw as nothing (Hangul fillers, U+034F, U+17B4/5).
pub fn is_hidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::Unassigned
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
    ) || matches!(c, '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{3164}' | '\u{FFA0}')
}

/// The direction controls of Unicode's bidirectional algorithm (UAX #9): marks,
/// embeddings, overrides and isolates. A note with one would be drawn reversed.
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Zero-width joiner and non-joiner: invisible, but part of how Devanagari, Persian and
/// other scripts are written, so a name may hold one between two letters.
pub fn is_joiner_control(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// What stands in for a hidden character that has no picture of its own.
pub const HIDDEN: char = '\u{FFFD}';

/// `text` with every hidden character (`is_hidden`) made visible, for a terminal: what the
/// UI draws and the command line prints passes here. Visible: C0
/// controls and DEL as their Control Pictures (ESC as `␛`), everything else (C1, direction
/// controls, zero-width and format characters, separators) as `�`. A joiner between two
/// letters stays, as the script that uses it needs it. Borrowed when nothing changes.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if !is_hidden(c) {
            out.push(c);
            continue;
        }
        let letter =
            |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphabetic() && !c.is_ascii());
        if is_joiner_control(c) && letter(i.checked_sub(1)) && letter(Some(i + 1)) {
            out.push(c);
            continue;
        }
        out.push(picture(c));
    }
    Cow::Owned(out)
}

fn picture(c: char) -> char {
    match c as u32 {
        n @ 0..=0x1F => char::from_u32(0x2400 + n).unwrap_or(HIDDEN),
        0x7F => '\u{2421}',
        _ => HIDDEN,
    }
}

/// The search key of a piece of text: what `garcia`, `GARCÍA` and `García` share.
///
/// Compatibility decomposition (NFKD, so full-width and ligature forms become plain
/// letters), nonspacing marks dropped (accents, Vietnamese tones, Yoruba dots below, Arabic
/// harakat), lower case, Latin letters that do not decompose written in ASCII (ø, ł, ß, đ,
/// æ, through `deunicode`), punctuation and hidden characters dropped (so `O'Brien`,
/// `O’Brien` and `OBrien` meet), runs of spaces made one. Letters of other scripts stay
/// themselves: `कृष्ण` folds to a key in Devanagari that a Devanagari term meets. Where
/// Unicode's collation (ICU's root collation at primary strength) treats two letters as one,
/// so does the fold: final sigma `ς` is `σ` (`ΟΔΥΣΣΕΥΣ` as ID documents print it meets
/// `Οδυσσεύς`), katakana is hiragana and small kana is full-size (`ヤマダ` meets `やまだ`;
/// voicing marks drop like accents). It meets more than that collation in four places, on
/// purpose (a search that meets more shows a few more rows; one that meets less hides the
/// customer): dotless `ı` is `i` and `þ` is `th`, as ICAO 9303 writes them in passports'
/// machine-readable lines and as agents type them on a Latin keyboard; and the vowel signs
/// and virama of Indic scripts that are nonspacing marks drop like accents (`कृष्ण` meets
/// `कषण`), so a name typed without them, as transliteration keyboards often do, is found;
/// Cyrillic `й` likewise meets `и` (its breve drops like an accent).
///
/// Shape: any string to a string of the same or fewer words; idempotent.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true; // no leading space
    for c in text.nfkd() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
                space = true;
            }
            continue;
        }
        let group = c.general_category_group();
        if c.general_category() == GeneralCategory::NonspacingMark
            || group == GeneralCategoryGroup::Punctuation
            || is_hidden(c)
        {
            continue;
        }
        for lower in c.to_lowercase().map(as_collation_meets) {
            if is_latin_letter(lower) && !lower.is_ascii() {
                // ł, ø, ß, đ, æ, þ: letters with no decomposition to drop a mark from.
                out.extend(deunicode::deunicode_char(lower).unwrap_or("").chars().map(|a| a.to_ascii_lowercase()));
            } else {
                out.push(lower);
            }
        }
        space = false;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// One letter for letters ICU's root collation tells apart only past primary strength and
/// that NFKD leaves apart: final sigma, katakana (as hiragana) and small kana (full-size).
fn as_collation_meets(c: char) -> char {
    let c = match c {
        'ς' => 'σ',
        // ァ..ヶ sit 0x60 above their hiragana. The iteration marks ヽ and ゝ stay apart, as
        // the collation keeps them.
        '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    };
    match c {
        'ぁ' => 'あ',
        'ぃ' => 'い',
        'ぅ' => 'う',
        'ぇ' => 'え',
        'ぉ' => 'お',
        'っ' => 'つ',
        'ゃ' => 'や',
        'ゅ' => 'ゆ',
        'ょ' => 'よ',
        'ゎ' => 'わ',
        'ゕ' => 'か',
        'ゖ' => 'け',
        _ => c,
    }
}

/// Latin letters past ASCII: Latin-1 Supplement, Extended-A and -B, IPA, Extended
/// Additional. Other scripts are never transliterated.
fn is_latin_letter(c: char) -> bool {
    matches!(c, '\u{00C0}'..='\u{024F}' | '\u{0250}'..='\u{02AF}' | '\u{1E00}'..='\u{1EFF}' | '\u{A720}'..='\u{A7FF}')
        && c.is_alphabetic()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_punctuation_fold_away() {
        assert_eq!(fold("García"), "garcia");
        assert_eq!(fold("GARCI\u{301}A"), "garcia", "decomposed input folds like composed");
        assert_eq!(fold("O'Brien"), fold("o’brien"));
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("Łukasz Øster Straße Đặng Æsa"), "lukasz oster strasse dang aesa");
        assert_eq!(fold("Ｊｏｓé"), "jose", "full-width forms");
        assert_eq!(fold("  Jean-Luc   Moreau "), "jeanluc moreau");
        assert_eq!(fold("Nguyễn Thị Ánh"), "nguyen thi anh");
        assert_eq!(fold("Ọládùnní"), "oladunni");
        assert_eq!(fold("Col·lell"), "collell");
    }

    #[test]
    fn other_scripts_keep_their_letters() {
        assert_eq!(fold("कृष्ण"), fold("कृष्ण"));
        assert!(fold("कृष्ण").chars().all(|c| ('\u{0900}'..='\u{097F}').contains(&c)));
        // Й decomposes to И and a breve, which folds away like any accent: both spellings meet.
        assert_eq!(fold("Дмитрий"), fold("Дмитрии"));
        assert_eq!(fold("Алёна"), "алена");
        assert_eq!(fold("Σωκράτης"), "σωκρατησ", "final sigma is sigma");
        assert_eq!(fold("田中"), "田中");
        assert_eq!(fold("محمد"), "محمد");
    }

    /// Pairs as ICU's root collation compares them at primary strength (what a search
    /// that ignores case, accents and width should do), each checked with ICU 78.2's root
    /// collator (`new Intl.Collator('und', {sensitivity: 'base'})` in Node); and where the
    /// fold meets more than it, on purpose.
    #[test]
    fn folding_meets_where_unicode_collation_does() {
        let meet = [
            ("ΟΔΥΣΣΕΥΣ", "Οδυσσεύς"),
            ("ς", "σ"),
            ("ヤマダ", "やまだ"),
            ("ガルシア", "がるしあ"),
            ("ｷｮｳｺ", "きょうこ"),
            ("キョウコ", "きようこ"),
            ("ヴ", "ゔ"),
            ("パン", "はん"),
            ("García", "GARCIA"),
            ("Müller", "muller"),
            ("Straße", "strasse"),
            ("Æsa", "aesa"),
            ("Ｇａｒｃíａ", "garcia"),
            ("Алёна", "алена"),
            ("مُحَمَّد", "محمد"),
            ("שָׁלוֹם", "שלום"),
            ("Nguyễn", "nguyen"),
            ("ゎ", "ヮ"),
            ("ヶ", "け"),
            ("Łukasz", "lukasz"),
            ("Øster", "oster"),
        ];
        for (a, b) in meet {
            assert_eq!(fold(a), fold(b), "{a} / {b} should meet");
        }
        let apart = [
            ("σ", "ο"),
            ("ヤマダ", "ヤマド"),
            ("カ", "力"),
            ("ー", "一"),
            ("a", "а"),
            ("ο", "o"),
            ("ヲ", "オ"),
            ("あ", "お"),
            ("Σωκράτης", "Σωκρατις"),
            ("田中", "田仲"),
            ("김", "감"),
            ("ゝ", "ヽ"),
        ];
        for (a, b) in apart {
            assert_ne!(fold(a), fold(b), "{a} / {b} should stay apart");
        }
        // Beyond that collation, on purpose (see `fold`).
        for (a, b) in [("Yıldız", "yildiz"), ("Þór", "thor"), ("कृष्ण", "कषण"), ("Дмитрий", "Дмитрии")]
        {
            assert_eq!(fold(a), fold(b), "{a} / {b}");
        }
    }

    #[test]
    fn hidden_characters_are_named() {
        for c in ['\u{1b}', '\u{7f}', '\u{9b}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{feff}', '\u{2028}', '\u{ad}'] {
            assert!(is_hidden(c), "{:?}", c);
        }
        for c in ['a', 'é', 'क', '\u{94d}', '田', ' ', '·'] {
            assert!(!is_hidden(c), "{:?}", c);
        }
        assert_eq!(fold("a\u{200b}b\u{1b}c"), "abc");
    }

    #[test]
    fn folding_is_idempotent() {
        for s in ["García Márquez", "O'Brien", "कृष्ण", "Straße", "Ｊｏｓé", "Đặng"] {
            assert_eq!(fold(&fold(s)), fold(s), "{s}");
        }
    }
}
