//! Phone numbers: E.164 parsing, country calling codes, national trunk prefixes.

use std::fmt;

/// A phone number in E.164 form, stored as its digits without the `+` (the form Vonage uses).
///
/// It can only hold 7 to 15 digits not starting with 0, so a value of this type is always
/// something Vonage can dial.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct E164(String);

/// Why a string is not an E.164 number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("number is empty")]
    Empty,
    #[error("number has a character that is not a digit")]
    NotDigits,
    #[error("number has {0} digits; E.164 allows 7 to 15")]
    Length(usize),
    #[error("number starts with 0; give it in international form with its country code")]
    LeadingZero,
    /// `+44 (0)20…` written as `44020…`: the national trunk prefix kept after the country code,
    /// where that country's numbers never start with 0. Dialled as is, it reaches another
    /// range than the one meant, and slips past prefix rules written without the 0.
    #[error("number has the national trunk prefix 0 after country code {0}; drop it (+{0} 20…, not +{0} 020…)")]
    TrunkPrefix(String),
    /// A +1 (North American Numbering Plan) number is 1, a 3-digit area code that does not
    /// start with 0 or 1, and 7 digits.
    #[error("a +1 number has 11 digits and an area code from 200 to 999; this has {0} digits")]
    NotNanp(usize),
}

/// Fewest digits of an E.164 number: a run of this many digits in free text may be one.
pub const MIN_DIGITS: usize = 7;
const MAX_DIGITS: usize = 15;

impl E164 {
    /// Normalises `+44 7700-900 000`, `447700900000`, `(44) 7700.900000` and the like to
    /// `447700900000`: one leading `+` and the separators people type (spaces, dashes, dots,
    /// parentheses) are dropped; anything else makes it invalid.
    pub fn parse(input: &str) -> Result<Self, NumberError> {
        let trimmed = input.trim();
        let unsigned = trimmed.strip_prefix('+').unwrap_or(trimmed);
        let mut digits = String::with_capacity(unsigned.len());
        for c in unsigned.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(NumberError::NotDigits),
            }
            if digits.len() > MAX_DIGITS {
                return Err(NumberError::Length(
                    unsigned.chars().filter(char::is_ascii_digit).count(),
                ));
            }
        }
        if digits.is_empty() {
            return Err(NumberError::Empty);
        }
        if digits.len() < MIN_DIGITS {
            return Err(NumberError::Length(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(NumberError::LeadingZero);
        }
        let code = &digits[..country_code_len(&digits)];
        if code == "1" {
            let area_ok = digits.as_bytes().get(1).is_some_and(|d| *d >= b'2');
            if digits.len() != 11 || !area_ok {
                return Err(NumberError::NotNanp(digits.len()));
            }
        } else if digits[code.len()..].starts_with('0') && !ZERO_AFTER_CODE.contains(&code) {
            return Err(NumberError::TrunkPrefix(code.to_string()));
        }
        Ok(Self(digits))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The ITU country calling code this number starts with (`44` for the UK, `1` for NANP).
    pub fn country_code(&self) -> &str {
        &self.0[..country_code_len(&self.0)]
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Country calling codes are prefix-free and 1 to 3 digits long: `1` and `7` are the only
/// one-digit codes, these are the two-digit ones, and every other code has three digits.
const TWO_DIGIT_CODES: &[&str] = &[
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// The country calling codes where a number may go on with 0 after the code: those whose
/// fixed-line, mobile, VoIP, personal, UAN, pager or voicemail numbers begin with 0 in
/// libphonenumber's metadata (release 9.0.33, `PhoneNumberMetadata.xml`): Italy and the
/// Vatican (39), San Marino (378), Norway (47), Côte d'Ivoire (225), Burkina Faso (226), Benin
/// (229), Gabon (241), Congo (242), Ascension (247), Rwanda (250) and Tajikistan (992).
/// Everywhere else a 0 there is the national trunk prefix, which E.164 leaves out.
const ZERO_AFTER_CODE: &[&str] = &[
    "39", "47", "225", "226", "229", "241", "242", "247", "250", "378", "992",
];

fn country_code_len(digits: &str) -> usize {
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT_CODES.contains(&&digits[..2]) {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_plus_are_dropped() {
        for input in [
            "447700900000",
            "+447700900000",
            "+44 7700 900000",
            "+44-7700-900-000",
            " (44) 7700.900000 ",
        ] {
            assert_eq!(
                E164::parse(input).unwrap().digits(),
                "447700900000",
                "{input}"
            );
        }
    }

    #[test]
    fn letters_and_other_characters_are_rejected() {
        for input in [
            "44770090000O",
            "4477009x0000",
            "++447700900000",
            "447700900000;",
            "tel:447700900000",
        ] {
            assert_eq!(E164::parse(input), Err(NumberError::NotDigits), "{input}");
        }
    }

    #[test]
    fn lengths_outside_e164_are_rejected() {
        assert_eq!(E164::parse(""), Err(NumberError::Empty));
        assert_eq!(E164::parse(" - "), Err(NumberError::Empty));
        assert_eq!(E164::parse("123456"), Err(NumberError::Length(6)));
        assert_eq!(
            E164::parse("1234567890123456"),
            Err(NumberError::Length(16))
        );
        let fifty = "9".repeat(50);
        assert_eq!(E164::parse(&fifty), Err(NumberError::Length(50)));
    }

    #[test]
    fn national_numbers_with_a_trunk_zero_are_rejected() {
        assert_eq!(E164::parse("07700900000"), Err(NumberError::LeadingZero));
    }

    #[test]
    fn a_trunk_zero_after_the_country_code_is_refused_where_numbers_never_start_with_0() {
        let trunk = |code: &str| Err(NumberError::TrunkPrefix(code.into()));
        // `+44 (0)9012 345678`, the premium number written with its trunk 0.
        assert_eq!(E164::parse("+44 (0)9012 345678"), trunk("44"));
        assert_eq!(E164::parse("4409012345678"), trunk("44"));
        assert_eq!(E164::parse("+33 0612345678"), trunk("33"));
        assert_eq!(E164::parse("+49 030 1234567"), trunk("49"));
        assert_eq!(E164::parse("+353 085 1234567"), trunk("353"));
        // Italy's landlines keep their 0; so do San Marino's and Côte d'Ivoire's numbers.
        for kept in ["+39 06 6982 1234", "+378 0549 123456", "+225 07 0123 4567"] {
            assert!(E164::parse(kept).is_ok(), "{kept}");
        }
        let err = E164::parse("4409012345678").unwrap_err().to_string();
        assert!(
            err.contains("trunk prefix 0 after country code 44"),
            "{err}"
        );
    }

    #[test]
    fn a_nanp_number_has_eleven_digits_and_a_real_area_code() {
        assert!(E164::parse("+1 212 555 0100").is_ok());
        for bad in ["1212555010", "121255501000", "10125550100", "11125550100"] {
            assert!(
                matches!(E164::parse(bad), Err(NumberError::NotNanp(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn country_codes_of_one_two_and_three_digits() {
        assert_eq!(E164::parse("447700900000").unwrap().country_code(), "44");
        assert_eq!(E164::parse("14155550100").unwrap().country_code(), "1");
        assert_eq!(E164::parse("79161234567").unwrap().country_code(), "7");
        assert_eq!(E164::parse("353851234567").unwrap().country_code(), "353");
        assert_eq!(E164::parse("4915123456789").unwrap().country_code(), "49");
    }
}
