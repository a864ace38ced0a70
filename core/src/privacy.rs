//! What a log line may show of personal data: phone numbers masked but for their last four
//! digits, app user names as pseudonyms, free text with every number in it masked.

use crate::phone::E164;

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

/// An app user's name for a log line: `user:` and the first 12 hex digits of the name's
/// SHA-256. Names are personal data (often e-mail addresses) and never appear in logs or
/// metrics; the same name always gets the same tag, so one user's lines can be followed, and
/// an operator who knows a name finds its tag with `printf %s alice | sha256sum | cut -c1-12`.
pub fn pseudonym(user: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(user.as_bytes()));
    format!("user:{}", &digest[..12])
}

/// A call party for a log line: a phone number masked but for its last four digits, anything
/// else (an app user's name, as in an app leg's `to`) by its pseudonym.
pub fn party(value: &str) -> String {
    match E164::parse(value) {
        Ok(number) => mask(number.digits()),
        Err(_) => pseudonym(value),
    }
}

/// Free text for a log line (a rejected body, an error message): every run of 7 or more
/// consecutive digits, the shortest phone number, is masked but for its last four digits.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= crate::phone::MIN_DIGITS {
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

/// At most `max` characters of `text`, for error messages and logs.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_the_last_four_digits() {
        assert_eq!(party("447700900000"), "********0000");
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
    fn a_user_name_becomes_a_stable_tag_that_shows_nothing_of_it() {
        let tag = pseudonym("alice@example.com");
        assert_eq!(tag, pseudonym("alice@example.com"));
        assert_ne!(tag, pseudonym("alice@example.org"));
        // printf %s alice@example.com | sha256sum | cut -c1-12
        assert_eq!(tag, "user:ff8d9819fc0e");
        assert!(!tag.contains("alice") && !tag.contains("example"));
    }

    #[test]
    fn a_party_is_a_masked_number_or_a_pseudonym() {
        assert_eq!(party("447700900000"), "********0000");
        assert_eq!(party("Alice"), pseudonym("Alice"));
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
