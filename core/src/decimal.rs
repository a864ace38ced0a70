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

/// An exact amount for arithmetic: a signed count of 10⁻¹² (`SCALE` places, which every amount
/// an event may carry fits: `MAX_PLACES`), in an `i128`. Sums and differences of Vonage's
/// decimals stay exact; text goes back out without trailing zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Amount(i128);

impl Amount {
    /// Places after the point.
    pub const SCALE: u32 = 12;
    const UNIT: i128 = 10i128.pow(Self::SCALE);

    pub const ZERO: Amount = Amount(0);

    /// The amount of `decimal`; `None` with more than `SCALE` places or beyond 10²⁵.
    pub fn of(decimal: &Decimal) -> Option<Self> {
        let text = decimal.as_str();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if frac.len() > Self::SCALE as usize || int.len() > 25 {
            return None;
        }
        let int: i128 = int.parse().ok()?;
        let frac: i128 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<12}").parse().ok()?
        };
        let units = int.checked_mul(Self::UNIT)?.checked_add(frac)?;
        Some(Self(if negative { -units } else { units }))
    }

    /// A whole number.
    pub fn whole(n: i64) -> Self {
        Self(i128::from(n) * Self::UNIT)
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// This amount times `numerator / denominator`, rounded towards zero: a rate per minute
    /// times seconds over 60. `None` on overflow or a zero denominator.
    pub fn times_ratio(self, numerator: i64, denominator: i64) -> Option<Self> {
        if denominator == 0 {
            return None;
        }
        self.0
            .checked_mul(i128::from(numerator))
            .map(|n| Self(n / i128::from(denominator)))
    }

    /// As `times_ratio`, rounded away from zero for a positive result: what a reservation
    /// holds, never less than the seconds it funds cost.
    pub fn times_ratio_up(self, numerator: i64, denominator: i64) -> Option<Self> {
        if denominator <= 0 {
            return None;
        }
        let product = self.0.checked_mul(i128::from(numerator))?;
        let denominator = i128::from(denominator);
        let (quotient, remainder) = (product / denominator, product % denominator);
        Some(Self(if remainder > 0 {
            quotient + 1
        } else {
            quotient
        }))
    }

    /// The whole seconds this amount buys at `per_minute` (rounded down): `None` when the
    /// rate is not positive. A negative amount buys none.
    pub fn seconds_at(self, per_minute: Self) -> Option<i128> {
        (per_minute.0 > 0).then(|| self.0.max(0).saturating_mul(60) / per_minute.0)
    }

    /// This amount as a whole percentage of `whole` (rounded down); `None` when `whole` is not
    /// positive.
    pub fn percent_of(self, whole: Self) -> Option<i128> {
        (whole.0 > 0).then(|| self.0.saturating_mul(100) / whole.0)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// As a decimal, without trailing zeros (`0.5`, `12`, `-0.00833333`).
    pub fn to_decimal(self) -> Decimal {
        let sign = if self.0 < 0 { "-" } else { "" };
        let units = self.0.unsigned_abs();
        let unit = Self::UNIT.unsigned_abs();
        let (int, frac) = (units / unit, units % unit);
        let text = if frac == 0 {
            format!("{sign}{int}")
        } else {
            let frac = format!("{frac:012}");
            format!("{sign}{int}.{}", frac.trim_end_matches('0'))
        };
        Decimal(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount {
        Amount::of(&Decimal::parse(text).unwrap()).unwrap()
    }

    #[test]
    fn amounts_add_and_subtract_exactly_and_print_without_trailing_zeros() {
        let spent = amount("0.00833333")
            .checked_add(amount("0.10000000"))
            .unwrap();
        assert_eq!(spent.to_decimal().as_str(), "0.10833333");
        let left = amount("2.50").checked_sub(spent).unwrap();
        assert_eq!(left.to_decimal().as_str(), "2.39166667");
        assert_eq!(amount("5").to_decimal().as_str(), "5");
        assert_eq!(
            amount("0")
                .checked_sub(amount("1.5"))
                .unwrap()
                .to_decimal()
                .as_str(),
            "-1.5"
        );
        assert_eq!(
            Amount::of(&Decimal::parse("0.0000000000001").unwrap()),
            None
        );
    }

    #[test]
    fn a_rate_per_minute_prices_seconds_and_a_budget_buys_whole_seconds() {
        let rate = amount("0.10");
        assert_eq!(
            rate.times_ratio(5, 60).unwrap().to_decimal().as_str(),
            "0.008333333333"
        );
        // Rounded up, a reservation never holds less than what its seconds cost.
        assert_eq!(
            rate.times_ratio_up(5, 60).unwrap().to_decimal().as_str(),
            "0.008333333334"
        );
        assert_eq!(rate.times_ratio_up(120, 60).unwrap(), amount("0.2"));
        // 0.01 buys 6 seconds at 0.10 a minute (6.0 exactly), 0.0099 buys 5.
        assert_eq!(amount("0.01").seconds_at(rate), Some(6));
        assert_eq!(amount("0.0099").seconds_at(rate), Some(5));
        assert_eq!(amount("-1").seconds_at(rate), Some(0));
        assert_eq!(amount("1").seconds_at(Amount::ZERO), None);
    }
}
