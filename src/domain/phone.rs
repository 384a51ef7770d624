//! Phone numbers as people type them and as other systems store them, read with
//! libphonenumber's rules and metadata (the `phonenumber` crate).
//!
//! Stored as E.164 (ITU-T E.164: `+`, country code, national number, at most 15 digits).
//! Shown in international grouping with the region's name: `+44 20 7946 0000 · United
//! Kingdom`. A stored value that does not parse (written by another system) is shown as it
//! is, flagged, and never dropped.

use std::collections::HashMap;
use std::sync::LazyLock;

use phonenumber::country::Id;
use phonenumber::{Mode, ParseError, PhoneNumber};
use unicode_normalization::UnicodeNormalization;

/// Why a typed number was refused; each reads after "Phone: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("that is not a phone number")]
    NotANumber,
    #[error("the country code is unknown")]
    UnknownCountryCode,
    #[error("the number is too short for {0}")]
    TooShort(&'static str),
    #[error("the number is too long for {0}")]
    TooLong(&'static str),
    #[error("this is not a valid number in {0}")]
    NotValid(&'static str),
    #[error("an extension cannot receive codes; enter the number without it")]
    Extension,
    #[error("a phone number has no letters; type its digits")]
    Letters,
}

/// libphonenumber's metadata compiles its patterns when first used, into one cache of 100
/// shared by every region. Numbers of a dozen regions in turn evicted and recompiled them
/// on every call: 5 ms a number, 250 ms to draw a page of Manage Users, twelve minutes to
/// fold 360,000 stored numbers. With room for every pattern each is compiled once.
fn patterns_kept() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(mut cache) = phonenumber::metadata::DATABASE.cache().lock() {
            cache.set_capacity(16_384);
        }
    });
}

/// A region of `assets/regions.tsv`: the name shown beside its numbers, and its calling
/// code's digits (libphonenumber's; `None` for a region it has no numbers for).
struct Region {
    name: &'static str,
    calling: Option<&'static str>,
}

/// ISO 3166-1 alpha-2 code to its region (`assets/regions.tsv`).
static REGIONS: LazyLock<HashMap<&'static str, Region>> = LazyLock::new(|| {
    include_str!("../../assets/regions.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut fields = l.split('\t');
            let (code, name) = (fields.next()?, fields.next()?);
            Some((code, Region { name, calling: fields.next().filter(|c| !c.is_empty()) }))
        })
        .collect()
});

/// The region numbers typed without a country code belong to (`institution.home_region`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HomeRegion(Id);

impl HomeRegion {
    /// From an ISO 3166-1 alpha-2 code (`US`, `GB`), any case; `None` for a code
    /// libphonenumber does not know.
    pub fn parse(code: &str) -> Option<Self> {
        code.trim().to_ascii_uppercase().parse::<Id>().ok().map(Self)
    }

    pub fn code(&self) -> &'static str {
        region_code(self.0)
    }
}

impl Default for HomeRegion {
    fn default() -> Self {
        Self(Id::US)
    }
}

fn region_code(id: Id) -> &'static str {
    // `Id` names itself through strum; the names table holds the same codes as 'static.
    let code: &str = id.as_ref();
    REGIONS.get_key_value(code).map(|(k, _)| *k).unwrap_or("??")
}

/// The English name of a region code, or the code itself when the table lacks it.
pub fn region_name(code: &str) -> &'static str {
    REGIONS.get(code).map(|r| r.name).unwrap_or("an unknown region")
}

/// A typed number in E.164 (`+447946000000`), or why not. Accepts what people type:
/// spaces, dots, dashes, brackets, a `(0)` trunk prefix after the country code, `+`, the
/// `00` and `011` exit codes, full-width digits (NFKC), and a national number of the home
/// region. An empty entry is an empty number (not every user has one).
pub fn parse(typed: &str, home: HomeRegion) -> Result<String, PhoneError> {
    let text: String = typed.nfkc().collect::<String>().replace("(0)", " ");
    let text = text.trim();
    if text.is_empty() {
        // No number: libphonenumber's metadata (about 4 MB) is not loaded for it.
        return Ok(String::new());
    }
    patterns_kept();
    if !text.chars().any(|c| c.is_ascii_digit()) {
        return Err(PhoneError::NotANumber);
    }
    if letters_outside_an_extension(text) {
        return Err(PhoneError::Letters);
    }
    let number = match read(text, home) {
        Ok(n) if n.is_valid() => n,
        first => {
            // `00` or `011` as the exit code, whichever the home region dials.
            let digits_from = text.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '+');
            let rest = digits_from.strip_prefix("011").or_else(|| digits_from.strip_prefix("00"));
            match rest.map(|r| read(&format!("+{r}"), home)) {
                Some(Ok(n)) if n.is_valid() => n,
                _ => {
                    return Err(match first {
                        Ok(n) => why_not(n, text),
                        Err(e) => by_country_code(text).unwrap_or(e),
                    });
                }
            }
        }
    };
    if number.extension().is_some() {
        return Err(PhoneError::Extension);
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// Whether a letter stands anywhere but in an extension's marker after the number (`x`,
/// `ext`, `ext.`, then the extension's digits). The `phonenumber` crate reads any other
/// letter as the keypad digit printed beside it, so `+234 803 123 456E` from another
/// system became `+2348031234563`, a valid and different number; Google's libphonenumber
/// does not, and neither do we: such a number is refused, or kept as written.
fn letters_outside_an_extension(text: &str) -> bool {
    let Some(at) = text.find(char::is_alphabetic) else { return false };
    let (number, rest) = text.split_at(at);
    let rest = rest.to_lowercase();
    let after_marker = ["ext.", "ext", "x"].iter().find_map(|m| rest.strip_prefix(m));
    let extension_digits = after_marker.map(|d| d.trim_start_matches([' ', '.', ':']));
    let is_extension = number.trim_end().ends_with(|c: char| c.is_ascii_digit())
        && extension_digits.is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    !is_extension
}

fn read(text: &str, home: HomeRegion) -> Result<PhoneNumber, PhoneError> {
    // With a `+`, the home region must not take part: the crate would strip the home
    // region's national prefix from the number (US "1" from Germany's +49 151…).
    let region = (!text.trim_start_matches(['(', ' ']).starts_with('+')).then_some(home.0);
    phonenumber::parse(region, text).map_err(|e| match e {
        ParseError::InvalidCountryCode => PhoneError::UnknownCountryCode,
        ParseError::TooShortAfterIdd | ParseError::TooShortNsn => PhoneError::TooShort("any country"),
        ParseError::TooLong => PhoneError::TooLong("any country"),
        _ => PhoneError::NotANumber,
    })
}

/// Why a parsed number is not valid: its length against the region's possible lengths.
fn why_not(number: PhoneNumber, text: &str) -> PhoneError {
    let Some(meta) = number.metadata(&phonenumber::metadata::DATABASE) else {
        return by_country_code(text).unwrap_or(PhoneError::UnknownCountryCode);
    };
    let region = region_name(meta.id());
    match against_lengths(meta, number.national().to_string().len()) {
        Some(e) => e,
        None => PhoneError::NotValid(region),
    }
}

/// Too short or too long for every kind of number the region has (fixed line, mobile,
/// toll-free…), or `None` when some kind has that length.
fn against_lengths(meta: &phonenumber::Metadata, length: usize) -> Option<PhoneError> {
    let d = meta.descriptors();
    let kinds = [d.fixed_line(), d.mobile(), d.toll_free(), d.premium_rate(), d.shared_cost(), d.personal_number()];
    let lengths: Vec<u16> = std::iter::once(d.general().possible_length())
        .chain(
            kinds
                .into_iter()
                .flatten()
                .chain([d.voip(), d.pager(), d.uan(), d.voicemail()].into_iter().flatten())
                .map(|k| k.possible_length()),
        )
        .flatten()
        .copied()
        .collect();
    let region = region_name(meta.id());
    let length = length as u16;
    match (lengths.iter().min(), lengths.iter().max()) {
        (Some(&min), _) if length < min => Some(PhoneError::TooShort(region)),
        (_, Some(&max)) if length > max => Some(PhoneError::TooLong(region)),
        _ => None,
    }
}

/// A number that libphonenumber cannot place in a region, when it starts with `+` and a
/// known country code: too short or too long against that country's possible lengths,
/// else not valid there.
fn by_country_code(text: &str) -> Option<PhoneError> {
    let digits: String = text.strip_prefix('+')?.chars().filter(char::is_ascii_digit).collect();
    let db = &*phonenumber::metadata::DATABASE;
    (1..=3.min(digits.len())).find_map(|n| {
        let code: u16 = digits[..n].parse().ok()?;
        let meta = db
            .by_code(&code)?
            .into_iter()
            .find(|m| m.is_main_country_for_code())
            .or_else(|| db.by_code(&code)?.into_iter().next())?;
        Some(against_lengths(meta, digits.len() - n).unwrap_or(PhoneError::NotValid(region_name(meta.id()))))
    })
}

/// What the product stores beside a number in E.164 when it writes it
/// (`users.phone_grouped`, `users.phone_region`): its international grouping and its
/// region's ISO 3166-1 code, so that drawing a list never loads libphonenumber's metadata
/// (about 6 MB, and a third of a megabyte of compiled patterns for each region drawn).
/// Both `None` when not known: a row written before migration 0027 or by another system,
/// or a value that is not a valid number in E.164.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredForm {
    pub grouped: Option<String>,
    pub region: Option<String>,
}

/// The form to store beside `stored` (E.164 from `parse` or `canonical`), from
/// libphonenumber: empty for a value `shown` would flag.
pub fn stored_form(stored: &str) -> StoredForm {
    match shown(stored) {
        Shown::Valid { grouped, region, .. } => StoredForm { grouped: Some(grouped), region: Some(region.to_owned()) },
        _ => StoredForm::default(),
    }
}

/// How a stored value reads, from the form stored beside it when that form is the same
/// number, else as `shown` reads it (libphonenumber). The form is hostile input like any
/// value of the database: it is used only when the value is E.164, the grouping holds
/// exactly its digits (`+`, then digits in groups between single spaces or hyphens), and the region is one whose
/// calling code starts them (`assets/regions.tsv`). A number another system changed
/// without its form, or a form that says anything else, is formatted again.
pub fn shown_stored(stored: &str, form: &StoredForm) -> Shown {
    believed(stored, form).unwrap_or_else(|| shown(stored))
}

/// Whether `form` is `stored`'s (`shown_stored`'s checks): then `stored` is a number the
/// product wrote in E.164 with its form, which `canonical` gives back unchanged.
pub fn is_stored_form_of(stored: &str, form: &StoredForm) -> bool {
    believed(stored, form).is_some()
}

/// The number as its stored form shows it, if the form is the same number.
fn believed(stored: &str, form: &StoredForm) -> Option<Shown> {
    let (Some(grouped), Some(region)) = (&form.grouped, &form.region) else { return None };
    let digits = stored.strip_prefix('+').filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))?;
    let same_digits = grouped.strip_prefix('+').is_some_and(|g| {
        g.split([' ', '-']).all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            && g.bytes().filter(u8::is_ascii_digit).eq(digits.bytes())
    });
    match REGIONS.get_key_value(region.as_str()) {
        Some((code, region)) if same_digits && region.calling.is_some_and(|c| digits.starts_with(c)) => {
            Some(Shown::Valid { grouped: grouped.clone(), region: code, region_name: region.name })
        }
        _ => None,
    }
}

/// A stored number as it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// No number on file.
    None,
    /// International grouping, and the region it belongs to.
    Valid { grouped: String, region: &'static str, region_name: &'static str },
    /// Not in E.164, or not a number libphonenumber can place in a region: shown as it is
    /// and flagged.
    Unreadable(String),
}

/// How a stored value reads: grouped with its region, or flagged.
///
/// The product stores a number in E.164 only once `parse` found it valid (a form, or
/// folding a row another system wrote), and keeps any other value as it was written; so a
/// value in E.164 form is read and grouped here without checking its validity again. That
/// check runs every pattern of the region (fixed line, mobile, toll-free, …) and costs
/// about a megabyte of compiled patterns per region: drawing Manage Users would hold tens
/// of megabytes of them.
pub fn shown(stored: &str) -> Shown {
    if stored.trim().is_empty() {
        return Shown::None;
    }
    patterns_kept();
    let e164 = stored.strip_prefix('+').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    match phonenumber::parse(None, stored) {
        Ok(n) if e164 && n.extension().is_none() && n.country().id().is_some() => {
            let region = n.country().id().map(region_code).unwrap_or("??");
            Shown::Valid {
                grouped: n.format().mode(Mode::International).to_string(),
                region,
                region_name: region_name(region),
            }
        }
        _ => Shown::Unreadable(stored.to_owned()),
    }
}

impl Shown {
    /// `+44 20 7946 0000 · United Kingdom`, the raw value for an unreadable one, or "".
    pub fn line(&self) -> String {
        match self {
            Shown::None => String::new(),
            Shown::Valid { grouped, region_name, .. } => format!("{grouped} · {region_name}"),
            Shown::Unreadable(raw) => raw.clone(),
        }
    }

    /// A number outside the home region: the usual reason a user cannot receive SMS codes.
    /// An unreadable number counts as international (nobody can tell it is not).
    pub fn is_international(&self, home: HomeRegion) -> bool {
        match self {
            Shown::None => false,
            Shown::Valid { region, .. } => *region != home.code(),
            Shown::Unreadable(_) => true,
        }
    }
}

/// The stored form of a number another system wrote: its E.164 form when it reads as a
/// valid number as people type them (`parse`, with `home` for a national number), else
/// the value as it was (kept, flagged when shown).
pub fn canonical(stored: &str, home: HomeRegion) -> String {
    match parse(stored, home) {
        Ok(e164) if !e164.is_empty() => e164,
        _ => stored.to_owned(),
    }
}

/// The digits that search matches: E.164's without the plus, or every digit of an
/// unreadable value.
pub fn digits(stored: &str) -> String {
    stored.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: HomeRegion = HomeRegion(Id::US);
    const GB: HomeRegion = HomeRegion(Id::GB);

    #[test]
    fn numbers_as_people_type_them() {
        for typed in [
            "+44 (0)20 7946 0000",
            "+44 20 7946 0000",
            "+44.20.7946.0000",
            "0044 20 7946 0000",
            "011 44 20 7946 0000",
            "+４４ ２０ ７９４６ ００００",
            "(+44) 20-7946-0000",
        ] {
            assert_eq!(parse(typed, US).as_deref(), Ok("+442079460000"), "{typed}");
        }
        assert_eq!(parse("020 7946 0000", GB).as_deref(), Ok("+442079460000"));
        assert_eq!(parse("(415) 555-2671", US).as_deref(), Ok("+14155552671"));
        assert_eq!(parse("+234 803 123 4567", US).as_deref(), Ok("+2348031234567"));
        assert_eq!(parse("+49 151 23456700", US).as_deref(), Ok("+4915123456700"), "US's prefix 1 is not Germany's");
        assert_eq!(parse("   ", US).as_deref(), Ok(""));
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(parse("+44 20 79", US), Err(PhoneError::TooShort("United Kingdom")));
        assert_eq!(parse("+44 20 7946 0000 0000 1", US), Err(PhoneError::TooLong("United Kingdom")));
        assert_eq!(parse("+999 1234 5678", US), Err(PhoneError::UnknownCountryCode));
        assert_eq!(parse("call me", US), Err(PhoneError::NotANumber));
        assert_eq!(parse("+1 415 555 2671 x22", US), Err(PhoneError::Extension));
        assert_eq!(parse("+1 415 555 2671 EXT 22", US), Err(PhoneError::Extension));
        assert_eq!(parse("+1 415 555 2671 ext. 22", US), Err(PhoneError::Extension));
        assert_eq!(parse("+44 7700 900123", US), Err(PhoneError::NotValid("United Kingdom")), "a drama number");
        assert_eq!(PhoneError::TooShort("United Kingdom").to_string(), "the number is too short for United Kingdom");
    }

    /// A letter is never read as the keypad digit beside it: wherever it stands, in any
    /// region, with or without a country code, the number is refused with the reason; the
    /// same value written by another system is kept as written and shown flagged.
    #[test]
    fn a_letter_never_becomes_a_digit() {
        let ng = HomeRegion::parse("NG").unwrap();
        for (typed, home) in [
            ("+234 803 123 456E", US),
            ("+44 7911 12345T", US),
            ("+1 800 FLOWERS", US),
            ("+1 800 356 9377x", US),
            ("E+44 7911 123456", US),
            ("+44 79A1 123456", US),
            ("+81 90 1234 S678", US),
            ("+49 151 2345 670O", US),
            ("+33 6 12 34 56 7l", US),
            ("+91 98765 4321Ｏ", US),
            ("0803 123 456E", ng),
            ("x 020 7946 0000", GB),
            ("020 7946 0000 ext", GB),
            ("+44 20 7946 0000 extension 5", US),
        ] {
            assert_eq!(parse(typed, home), Err(PhoneError::Letters), "{typed}");
            assert_eq!(canonical(typed, home), typed, "another system's {typed} is kept as written");
            assert_eq!(shown(typed), Shown::Unreadable(typed.into()), "{typed} is shown flagged");
        }
        assert_eq!(PhoneError::Letters.to_string(), "a phone number has no letters; type its digits");
        // The digits alone read as ever.
        assert_eq!(parse("+234 803 123 4567", US).as_deref(), Ok("+2348031234567"));
    }

    #[test]
    fn shown_grouped_with_the_region() {
        let s = shown("+442079460000");
        assert_eq!(s.line(), "+44 20 7946 0000 · United Kingdom");
        assert!(s.is_international(US));
        assert!(!s.is_international(GB));
        assert!(!shown("+14155552671").is_international(US));
        assert_eq!(shown("+4402079460000").line(), "+44 20 7946 0000 · United Kingdom");
        assert_eq!(shown("not a phone"), Shown::Unreadable("not a phone".into()));
        assert_eq!(shown(""), Shown::None);
    }

    /// The stored form draws a number as libphonenumber would; a form that is not the
    /// same number (another system changed the number, or wrote the form) is not believed.
    #[test]
    fn the_stored_form_is_believed_only_when_it_is_the_same_number() {
        for e164 in ["+442079460000", "+14155552671", "+2348031234567", "+819012345678", "+4915123456700"] {
            let form = stored_form(e164);
            assert!(form.grouped.is_some() && form.region.is_some(), "{e164}");
            assert_eq!(shown_stored(e164, &form), shown(e164), "{e164}");
        }
        assert_eq!(stored_form("not a phone"), StoredForm::default());
        assert_eq!(stored_form(""), StoredForm::default());
        let uk = stored_form("+442079460000");
        let form =
            |grouped: &str, region: &str| StoredForm { grouped: Some(grouped.into()), region: Some(region.into()) };
        // Believed: the drawing is the form's, even where libphonenumber groups otherwise.
        assert_eq!(
            shown_stored("+442079460000", &form("+44 2079 460000", "GB")).line(),
            "+44 2079 460000 · United Kingdom"
        );
        for (stored, hostile) in [
            ("+442079460001", uk.clone()),
            ("+442079460000", form("+44 20 7946 0001", "GB")),
            ("+442079460000", form("+44 20 7946 00000", "GB")),
            ("+442079460000", form("+44 20 7946 0000", "US")),
            ("+442079460000", form("+44 20 7946 0000", "ZZ")),
            ("+442079460000", form("+44 20 7946\u{1b}[8m 0000", "GB")),
            ("+442079460000", form("+44 20  7946 0000", "GB")),
            ("+442079460000", form("44 20 7946 0000", "GB")),
            ("+442079460000", form("+44 20 7946 0000 · France", "GB")),
            ("+442079460000", StoredForm { grouped: Some("+44 20 7946 0000".into()), region: None }),
            ("+44 20 7946 0000", uk.clone()),
            ("garbage", uk.clone()),
        ] {
            assert_eq!(shown_stored(stored, &hostile), shown(stored), "{stored} {hostile:?}");
        }
        assert_eq!(shown_stored("", &uk), Shown::None);
    }

    /// `assets/regions.tsv` gives each region libphonenumber knows its calling code, the
    /// one its metadata has.
    #[test]
    fn the_regions_calling_codes_are_libphonenumbers() {
        let db = &*phonenumber::metadata::DATABASE;
        let mut checked = 0;
        for (code, region) in REGIONS.iter() {
            let calling = db.by_id(*code).map(|m| m.country_code().to_string());
            assert_eq!(region.calling.map(str::to_owned), calling, "{code}");
            checked += calling.is_some() as usize;
        }
        assert!(checked > 200, "{checked} regions with a calling code");
    }

    #[test]
    fn stored_values_from_elsewhere_are_canonical_when_they_can_be() {
        assert_eq!(canonical("+44 (0)20 7946 0000", US), "+442079460000");
        assert_eq!(canonical("0091 98765 43210", US), "+919876543210");
        assert_eq!(canonical("+4402079460000", US), "+442079460000");
        assert_eq!(canonical("garbage", US), "garbage");
        assert_eq!(digits("+44 20"), "4420");
        assert_eq!(HomeRegion::parse("gb"), Some(GB));
        assert_eq!(HomeRegion::parse("ZZ"), None);
    }
}
