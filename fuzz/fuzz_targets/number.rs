#![no_main]
//! Number normalisation: never panics; what it accepts is 7–15 digits without a leading 0,
//! parses again to itself, and has a country code that is a prefix of it.

use libfuzzer_sys::fuzz_target;
use voice_core::phone::E164;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(number) = E164::parse(text) {
        let digits = number.digits();
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert!((7..=15).contains(&digits.len()));
        assert!(!digits.starts_with('0'));
        assert_eq!(E164::parse(digits).as_ref(), Ok(&number));
        assert!(digits.starts_with(number.country_code()));
        assert_eq!(voice_core::privacy::mask(digits).len(), digits.len());
    }
    let _ = voice_core::privacy::redact(text);
});
