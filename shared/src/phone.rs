//! Phone numbers: E.164 parsing, country calling codes, masking for logs.

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
}

const MIN_DIGITS: usize = 7;
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
        Ok(Self(digits))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The ITU country calling code this number starts with (`44` for the UK, `1` for NANP).
    pub fn country_code(&self) -> &str {
        &self.0[..country_code_len(&self.0)]
    }

    /// The number for logs: every digit but the last four replaced by `*`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Masks a value for a log line: every digit but the last four becomes `*`, whatever else the
/// value holds, so a number hidden in a user name or a SIP URI is masked too.
pub fn mask(value: &str) -> String {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0usize;
    value
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen + 4 <= digits {
                '*'
            } else {
                c
            }
        })
        .collect()
}

/// Free text for a log line (a rejected body, an error message): every run of 7 or more
/// consecutive digits, the shortest phone number, is masked but for its last four digits.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= MIN_DIGITS {
            out.push_str(&mask(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Country calling codes are prefix-free and 1 to 3 digits long: `1` and `7` are the only
/// one-digit codes, these are the two-digit ones, and every other code has three digits.
const TWO_DIGIT_CODES: &[&str] = &[
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
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
    fn country_codes_of_one_two_and_three_digits() {
        assert_eq!(E164::parse("447700900000").unwrap().country_code(), "44");
        assert_eq!(E164::parse("14155550100").unwrap().country_code(), "1");
        assert_eq!(E164::parse("79161234567").unwrap().country_code(), "7");
        assert_eq!(E164::parse("353851234567").unwrap().country_code(), "353");
        assert_eq!(E164::parse("4915123456789").unwrap().country_code(), "49");
    }

    #[test]
    fn masking_keeps_the_last_four_digits() {
        assert_eq!(
            E164::parse("447700900000").unwrap().masked(),
            "********0000"
        );
        assert_eq!(mask("123"), "123");
        assert_eq!(mask("+44 7700 900000"), "+** **** **0000");
        assert_eq!(mask("Alice"), "Alice");
    }

    #[test]
    fn masking_reaches_digits_inside_any_value() {
        assert_eq!(
            mask("sip:447700900000@example.com"),
            "sip:********0000@example.com"
        );
        assert_eq!(mask("alice447700900000"), "alice********0000");
        assert_eq!(mask("tel:+447700900000"), "tel:+********0000");
    }

    #[test]
    fn redaction_masks_every_run_of_seven_or_more_digits() {
        assert_eq!(
            redact(r#"{"to":"447700900000","from":"15551234567","duration":"5","x":"123456"}"#),
            r#"{"to":"********0000","from":"*******4567","duration":"5","x":"123456"}"#
        );
        assert_eq!(redact("1234567"), "***4567");
        assert_eq!(
            redact("2021-03-10T10:36:35.585Z"),
            "2021-03-10T10:36:35.585Z"
        );
        assert_eq!(redact(""), "");
    }
}
