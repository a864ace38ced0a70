//! Exact decimals: money, rates and durations as Vonage sends them, never floats.

/// An exact decimal as Vonage sent it (`"0.00833333"`), for DynamoDB's `N` type. Never an
/// `f64`: money and rates must not pick up binary rounding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(String);

impl Decimal {
    /// Plain decimal notation: optional `-`, digits, optional `.digits`. At most 38 significant
    /// digits, DynamoDB's limit.
    pub fn parse(text: &str) -> Option<Self> {
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let (int, frac) = match unsigned.split_once('.') {
            Some((int, frac)) => (int, Some(frac)),
            None => (unsigned, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let valid =
            digits(int) && frac.is_none_or(digits) && int.len() + frac.map_or(0, str::len) <= 38;
        valid.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn zero() -> Self {
        Self("0".into())
    }

    /// Whether the value is 0 (`0`, `0.00`, `-0`).
    pub fn is_zero(&self) -> bool {
        !self.0.bytes().any(|b| (b'1'..=b'9').contains(&b))
    }

    pub fn is_negative(&self) -> bool {
        self.0.starts_with('-') && self.0.bytes().any(|b| (b'1'..=b'9').contains(&b))
    }

    /// Digits after the point.
    pub fn places(&self) -> usize {
        self.0.split_once('.').map_or(0, |(_, frac)| frac.len())
    }

    /// Whether the value is at most `max`.
    pub fn at_most(&self, max: u64) -> bool {
        if self.is_negative() {
            return true;
        }
        let unsigned = self.0.trim_start_matches('-');
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        match int.trim_start_matches('0').parse::<u64>() {
            Ok(n) => n < max || (n == max && frac.bytes().all(|b| b == b'0')),
            Err(_) => int.bytes().all(|b| b == b'0'),
        }
    }
}

/// Bounds of the amounts an event may carry, far above anything real (Vonage ends a call
/// after 7,200 s and prices a minute in cents) yet low enough that the ledger's sums can
/// never leave DynamoDB's 38 digits: an amount outside them is a `400`.
pub const MAX_DURATION_SECONDS: u64 = 86_400;
/// Largest `price` of one leg, and `rate` per minute, in the account's currency.
pub const MAX_PRICE: u64 = 10_000;
/// Most digits after the point in a duration, price or rate (Vonage sends 8).
pub const MAX_PLACES: usize = 12;
