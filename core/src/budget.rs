//! Spend caps that hold during a call. With a daily spend limit, answering a call reserves what
//! the call may cost before it is connected, from what the day has left, and the connect's
//! `limit` is the seconds that reservation funds: Vonage itself ends the call when the money
//! runs out. The completed leg charges its real price and releases the reservation; a leg that
//! never connects releases it; one nobody settles expires.
//!
//! ```text
//! limit ─┬─ spend (completed legs, exact) ─┬─ held (open calls' reservations) ─┬─ left ─┐
//!        └──────────────── committed = spend + held ≤ limit ───────────────────┘
//! answer:  left → seconds = min(MAX_CALL_SECONDS, left ÷ rate), down to the billing increment;
//!          under MIN_CALL_SECONDS refused; else hold = rate × seconds, connect limit = seconds
//! end:     spend += price, held −= hold (once); not connected: held −= hold; lost: it expires
//! ```
//!
//! Pure arithmetic over exact amounts: the store reads the day, asks `reserve`, and writes the
//! result on the condition that the day did not change meanwhile.

use crate::decimal::{Amount, Decimal, MAX_PLACES, MAX_PRICE};
use std::collections::BTreeMap;

/// The daily caps. `None` is no cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Calls connected per user per UTC day: the call that would exceed it is refused.
    pub max_calls: Option<u32>,
    /// Spend per user per UTC day, in the account's currency: once a user's completed calls
    /// reach it, their next call is refused.
    pub max_spend: Option<Decimal>,
}

impl Limits {
    pub fn any(&self) -> bool {
        self.max_calls.is_some() || self.max_spend.is_some()
    }
}

/// Shortest call worth connecting, in seconds, unless `MIN_CALL_SECONDS` says.
pub const DEFAULT_MIN_CALL_SECONDS: u32 = 60;
/// The granularity of a call's funded length, unless `BILLING_INCREMENT_SECONDS` says: a
/// whole minute is exact for every common billing scheme (1/1, 6/6, 30/30, 60/60, 60/1).
pub const DEFAULT_BILLING_INCREMENT_SECONDS: u32 = 60;
/// How long after a call's funded end its reservation outlives a lost `completed` event.
pub const HOLD_MARGIN_SECONDS: u32 = 300;
/// Most calls one user may have open (reserved, not yet settled) at once.
pub const MAX_OPEN_HOLDS: usize = 100;

/// A price per minute as configured: a non-negative decimal of at most `MAX_PLACES` places,
/// no more than `MAX_PRICE` (the bounds an event's `rate` has).
pub fn price_per_minute(text: &str) -> Option<Amount> {
    Decimal::parse(text.trim())
        .filter(|d| !d.is_negative() && d.at_most(MAX_PRICE) && d.places() <= MAX_PLACES)
        .and_then(|d| Amount::of(&d))
}

/// Prices per minute by destination prefix (`RATE_TABLE`): the longest prefix wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateTable(Vec<(String, Amount)>);

impl RateTable {
    /// `prefix:price per minute` pairs, comma-separated (`44:0.0230, 447:0.0600`); empty for
    /// none. A prefix is E.164 digits (a `+` is dropped); a price at most `MAX_PRICE`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (prefix, price) = pair
                .split_once(':')
                .ok_or_else(|| format!("`{pair}` is not prefix:price (e.g. 447:0.06)"))?;
            let prefix = prefix.trim().trim_start_matches('+');
            if prefix.is_empty() || prefix.len() > 15 || !prefix.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(format!("`{prefix}` is not a prefix of E.164 digits"));
            }
            let price = price_per_minute(price)
                .ok_or_else(|| format!("`{}` is not a price per minute", price.trim()))?;
            if entries.iter().any(|(p, _)| p == prefix) {
                return Err(format!("prefix {prefix} is given twice"));
            }
            entries.push((prefix.to_string(), price));
        }
        Ok(Self(entries))
    }

    /// The price per minute of the longest prefix of `digits`, if any.
    pub fn rate_for(&self, digits: &str) -> Option<Amount> {
        self.0
            .iter()
            .filter(|(prefix, _)| digits.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, rate)| *rate)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How reservations are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetSettings {
    pub rates: RateTable,
    /// The rate of a destination no table entry and no completed leg prices; `None`: such a
    /// call is refused while a spend limit applies.
    pub default_rate: Option<Amount>,
    pub min_call_seconds: u32,
    pub billing_increment_seconds: u32,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        Self {
            rates: RateTable::default(),
            default_rate: None,
            min_call_seconds: DEFAULT_MIN_CALL_SECONDS,
            billing_increment_seconds: DEFAULT_BILLING_INCREMENT_SECONDS,
        }
    }
}

/// Where a destination's rate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateSource {
    /// `RATE_TABLE`.
    Table,
    /// The highest `rate` completed legs to the destination's country code carried.
    Learned,
    /// `DEFAULT_RATE_PER_MINUTE`.
    Default,
}

impl RateSource {
    pub fn code(self) -> &'static str {
        match self {
            RateSource::Table => "table",
            RateSource::Learned => "learned",
            RateSource::Default => "default",
        }
    }
}

impl BudgetSettings {
    /// The price per minute of calling `digits`: the table's, else `learned`, else the
    /// default; `None` when nothing prices it.
    pub fn rate_of(&self, digits: &str, learned: Option<Amount>) -> Option<(Amount, RateSource)> {
        self.rates
            .rate_for(digits)
            .map(|rate| (rate, RateSource::Table))
            .or(learned.map(|rate| (rate, RateSource::Learned)))
            .or(self.default_rate.map(|rate| (rate, RateSource::Default)))
    }
}

/// One open call's reservation on its user's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub amount: Amount,
    /// When it expires if nobody settles it (Unix seconds).
    pub until: i64,
}

/// A user's day as the answer reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayBudget {
    pub calls: u64,
    /// What completed legs cost.
    pub spend: Amount,
    /// Open calls' reservations, by conversation.
    pub holds: BTreeMap<String, Hold>,
    /// The day's version: every write to the day bumps it; `None` for a day not written yet.
    pub version: Option<u64>,
}

/// How a call is priced and bounded while a spend limit applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    /// Price per minute of its destination, and where it came from.
    pub rate: Amount,
    pub source: RateSource,
    pub max_call_seconds: u32,
    pub ring_timeout_seconds: u32,
    pub min_call_seconds: u32,
    pub billing_increment_seconds: u32,
}

impl BudgetSettings {
    /// The pricing of a call to `digits` (`rate_of`) with the connect's bounds; `None` when
    /// nothing prices it.
    pub fn price(
        &self,
        digits: &str,
        learned: Option<Amount>,
        max_call_seconds: u32,
        ring_timeout_seconds: u32,
    ) -> Option<Priced> {
        let (rate, source) = self.rate_of(digits, learned)?;
        Some(Priced {
            rate,
            source,
            max_call_seconds,
            ring_timeout_seconds,
            min_call_seconds: self.min_call_seconds,
            billing_increment_seconds: self.billing_increment_seconds,
        })
    }
}

/// A reservation made: the day as it is to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The connect's `limit`.
    pub seconds: u32,
    /// What this call holds (zero for a free destination, which holds nothing).
    pub amount: Amount,
    /// The day's holds after this one, expired ones dropped.
    pub holds: BTreeMap<String, Hold>,
    /// Their total.
    pub held: Amount,
    /// How many expired holds were dropped.
    pub expired: usize,
    /// `spend + held`: what the day has committed, now.
    pub committed: Amount,
}

/// Why no reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Short {
    /// The day's call limit is reached.
    Calls,
    /// `MAX_OPEN_HOLDS` calls are open already.
    TooManyOpen,
    /// What is left funds only this many seconds, under the minimum.
    Budget { seconds: u32 },
}

/// Reserves a call (`call_id`, priced as `priced`, at `now` in Unix seconds) on `day` under
/// `limits`: everything left after what completed legs cost and what open calls hold, bounded
/// by `MAX_CALL_SECONDS` and rounded down to the billing increment. Expired holds are dropped
/// (they release their amount).
pub fn reserve(
    day: &DayBudget,
    limits: &Limits,
    call_id: &str,
    priced: &Priced,
    now: i64,
) -> Result<Reservation, Short> {
    if limits
        .max_calls
        .is_some_and(|max| day.calls >= u64::from(max))
    {
        return Err(Short::Calls);
    }
    let mut holds: BTreeMap<String, Hold> = day
        .holds
        .iter()
        .filter(|(_, hold)| hold.until > now)
        .map(|(call, hold)| (call.clone(), *hold))
        .collect();
    let expired = day.holds.len() - holds.len();
    if holds.len() >= MAX_OPEN_HOLDS {
        return Err(Short::TooManyOpen);
    }
    let none_left = Short::Budget { seconds: 0 };
    let held = holds
        .values()
        .try_fold(Amount::ZERO, |sum, hold| sum.checked_add(hold.amount))
        .ok_or(none_left)?;
    let limit = match &limits.max_spend {
        Some(max) => Amount::of(max).ok_or(none_left)?,
        None => return Err(none_left),
    };
    let left = limit
        .checked_sub(day.spend)
        .and_then(|l| l.checked_sub(held))
        .ok_or(none_left)?;
    if left <= Amount::ZERO {
        return Err(none_left);
    }
    let affordable = left
        .seconds_at(priced.rate)
        .map_or(priced.max_call_seconds, |s| {
            u32::try_from(s).unwrap_or(u32::MAX)
        })
        .min(priced.max_call_seconds);
    let increment = priced.billing_increment_seconds.max(1);
    let seconds = affordable - affordable % increment;
    if seconds < priced.min_call_seconds.max(1) {
        return Err(Short::Budget { seconds });
    }
    let amount = priced
        .rate
        .times_ratio_up(i64::from(seconds), 60)
        .ok_or(none_left)?;
    let until = now
        .saturating_add(i64::from(seconds))
        .saturating_add(i64::from(priced.ring_timeout_seconds))
        .saturating_add(i64::from(HOLD_MARGIN_SECONDS));
    if amount > Amount::ZERO {
        holds.insert(call_id.to_string(), Hold { amount, until });
    }
    let held = held.checked_add(amount).ok_or(none_left)?;
    Ok(Reservation {
        seconds,
        amount,
        holds,
        held,
        expired,
        committed: day.spend.checked_add(held).ok_or(none_left)?,
    })
}

/// `committed` as a whole percentage of `limit` (for the `SpendOfLimit` metric); 0 without a
/// positive limit.
pub fn percent_of(committed: Amount, limit: &Decimal) -> u64 {
    Amount::of(limit)
        .and_then(|limit| committed.percent_of(limit))
        .map_or(0, |p| u64::try_from(p.max(0)).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount {
        Amount::of(&Decimal::parse(text).unwrap()).unwrap()
    }

    fn limits(spend: &str) -> Limits {
        Limits {
            max_calls: None,
            max_spend: Decimal::parse(spend),
        }
    }

    fn priced(rate: &str, settings: &BudgetSettings) -> Priced {
        Priced {
            rate: amount(rate),
            source: RateSource::Table,
            max_call_seconds: 3600,
            ring_timeout_seconds: 60,
            min_call_seconds: settings.min_call_seconds,
            billing_increment_seconds: settings.billing_increment_seconds,
        }
    }

    /// `reserve` of `call` at `rate` with `settings`, at `now`.
    fn ask(
        day: &DayBudget,
        limits: &Limits,
        settings: &BudgetSettings,
        (call, rate, now): (&str, &str, i64),
    ) -> Result<Reservation, Short> {
        reserve(day, limits, call, &priced(rate, settings), now)
    }

    /// `day` after `reservation`, as the store writes it.
    fn apply(day: &mut DayBudget, reservation: &Reservation) {
        day.calls += 1;
        day.holds = reservation.holds.clone();
        day.version = Some(day.version.unwrap_or(0) + 1);
    }

    #[test]
    fn the_longest_prefix_of_the_table_prices_a_destination_then_learned_then_default() {
        let table = RateTable::parse(" 44:0.0230, +447:0.06 ,1:0.01").unwrap();
        let settings = BudgetSettings {
            rates: table,
            default_rate: Some(amount("0.5")),
            ..BudgetSettings::default()
        };
        let of = |digits, learned| settings.rate_of(digits, learned);
        assert_eq!(
            of("447700900000", None),
            Some((amount("0.06"), RateSource::Table))
        );
        assert_eq!(
            of("442071838750", None),
            Some((amount("0.023"), RateSource::Table))
        );
        let learned = Some(amount("0.2"));
        assert_eq!(
            of("33612345678", learned),
            Some((amount("0.2"), RateSource::Learned))
        );
        assert_eq!(
            of("33612345678", None),
            Some((amount("0.5"), RateSource::Default))
        );
        let bare = BudgetSettings::default();
        assert_eq!(bare.rate_of("33612345678", None), None);
        for bad in [
            "44",
            "44:",
            "x4:0.1",
            "44:-1",
            "44:0.1,44:0.2",
            "44:1e3",
            "44:10001",
        ] {
            assert!(RateTable::parse(bad).is_err(), "{bad}");
        }
        assert!(RateTable::parse("").unwrap().is_empty());
    }

    #[test]
    fn a_call_is_funded_for_what_is_left_rounded_down_to_whole_minutes() {
        let settings = BudgetSettings::default();
        let day = DayBudget::default();
        // 1.00 at 0.10 a minute: 10 minutes.
        let r = ask(&day, &limits("1.00"), &settings, ("CON-1", "0.10", 1000)).unwrap();
        assert_eq!((r.seconds, r.amount), (600, amount("1")));
        assert_eq!(r.holds["CON-1"].until, 1000 + 600 + 60 + 300);
        // 0.25 left buys 150 s; two whole minutes are funded.
        let r = ask(&day, &limits("0.25"), &settings, ("CON-1", "0.10", 0)).unwrap();
        assert_eq!((r.seconds, r.amount), (120, amount("0.2")));
        // Never beyond MAX_CALL_SECONDS.
        let r = ask(&day, &limits("100"), &settings, ("CON-1", "0.10", 0)).unwrap();
        assert_eq!(r.seconds, 3600);
        // Per-second billing: every whole second.
        let per_second = BudgetSettings {
            billing_increment_seconds: 1,
            ..BudgetSettings::default()
        };
        let r = ask(&day, &limits("0.25"), &per_second, ("CON-1", "0.10", 0)).unwrap();
        assert_eq!((r.seconds, r.amount), (150, amount("0.25")));
        // A free destination is funded fully and holds nothing.
        let r = ask(&day, &limits("0.25"), &settings, ("CON-1", "0", 0)).unwrap();
        assert_eq!((r.seconds, r.holds.len()), (3600, 0));
    }

    #[test]
    fn the_limit_of_each_call_shrinks_as_the_day_is_spent_and_held() {
        let settings = BudgetSettings::default();
        let mut day = DayBudget::default();
        let mut limits_seen = Vec::new();
        let refusal = loop {
            let call = format!("CON-{}", limits_seen.len());
            match ask(&day, &limits("1.00"), &settings, (&call, "0.10", 0)) {
                Ok(r) => {
                    limits_seen.push(r.seconds);
                    apply(&mut day, &r);
                    // Settled: it talked half the time it was funded for.
                    let hold = day.holds.remove(&call).unwrap();
                    let price = hold.amount.times_ratio(1, 2).unwrap();
                    day.spend = day.spend.checked_add(price).unwrap();
                }
                Err(short) => break short,
            }
        };
        // Left: 1.00, 0.50, 0.25, 0.15, 0.10, then 0.05 (30 s: under the minute).
        assert_eq!(limits_seen, [600, 300, 120, 60, 60]);
        assert_eq!(refusal, Short::Budget { seconds: 0 });
        assert_eq!(day.spend, amount("0.95"));
    }

    #[test]
    fn concurrent_calls_share_what_is_left_and_never_commit_more_than_the_limit() {
        // Five calls at once with 0.20 at 0.10 a minute: two minutes in all.
        let settings = BudgetSettings::default();
        let mut day = DayBudget::default();
        let mut funded = Vec::new();
        for i in 0..5 {
            let call = format!("CON-{i}");
            if let Ok(r) = ask(&day, &limits("0.20"), &settings, (&call, "0.10", 0)) {
                assert!(r.committed <= amount("0.20"));
                funded.push(r.seconds);
                apply(&mut day, &r);
            }
        }
        assert_eq!(funded, [120]);
        // With per-second billing and a 30-second minimum: 120 s split, never more.
        let fine = BudgetSettings {
            billing_increment_seconds: 1,
            min_call_seconds: 30,
            ..BudgetSettings::default()
        };
        let mut day = DayBudget::default();
        let mut total = 0;
        for i in 0..5 {
            let call = format!("CON-{i}");
            let partial = limits("0.20");
            if let Ok(r) = ask(&day, &partial, &fine, (&call, "0.07", 0)) {
                total += r.seconds;
                assert!(r.committed <= amount("0.20"), "{:?}", r.committed);
                apply(&mut day, &r);
            }
        }
        assert!(
            total <= 172,
            "0.20 at 0.07 a minute buys 171.4 s; funded {total}"
        );
    }

    #[test]
    fn an_expired_hold_releases_its_amount_and_the_call_limit_and_open_calls_are_bounded() {
        let settings = BudgetSettings::default();
        let mut day = DayBudget::default();
        let first = ask(&day, &limits("0.10"), &settings, ("CON-lost", "0.10", 0)).unwrap();
        apply(&mut day, &first);
        let until = first.holds["CON-lost"].until;
        // Before it expires nothing is left; after, all of it is again.
        let again = ask(
            &day,
            &limits("0.10"),
            &settings,
            ("CON-2", "0.10", until - 1),
        );
        assert_eq!(again, Err(Short::Budget { seconds: 0 }));
        let after = ask(&day, &limits("0.10"), &settings, ("CON-2", "0.10", until)).unwrap();
        assert_eq!((after.seconds, after.expired), (60, 1));
        assert!(!after.holds.contains_key("CON-lost"));
        let capped = Limits {
            max_calls: Some(1),
            ..limits("100")
        };
        assert_eq!(
            ask(&day, &capped, &settings, ("CON-3", "0.10", 0)),
            Err(Short::Calls)
        );
        let mut crowded = DayBudget::default();
        for i in 0..MAX_OPEN_HOLDS {
            let hold = Hold {
                amount: amount("0.01"),
                until: 10,
            };
            crowded.holds.insert(format!("CON-{i}"), hold);
        }
        assert_eq!(
            ask(&crowded, &limits("100"), &settings, ("CON-x", "0.10", 0)),
            Err(Short::TooManyOpen)
        );
    }

    #[test]
    fn committed_is_reported_as_a_share_of_the_limit() {
        let limit = Decimal::parse("2.00").unwrap();
        assert_eq!(percent_of(amount("0.5"), &limit), 25);
        assert_eq!(percent_of(amount("2.5"), &limit), 125);
        assert_eq!(percent_of(amount("0.5"), &Decimal::parse("0").unwrap()), 0);
    }
}
