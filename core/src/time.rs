//! Event times, normalised so that string order is time order; and the UTC day of a time.

use ::time::{format_description::well_known::Rfc3339, OffsetDateTime, UtcOffset};

/// An event time, normalised to UTC with milliseconds (`2021-03-10T10:36:21.285Z`) so that
/// string order is time order in DynamoDB sort keys and condition expressions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(String);

impl Timestamp {
    pub fn parse(text: &str) -> Option<Self> {
        // Checked: `9999-12-31T23:59:59-23:59` is a valid RFC 3339 time whose UTC form lies in
        // year 10000, which `to_offset` would panic on.
        let time = OffsetDateTime::parse(text, &Rfc3339)
            .ok()?
            .checked_to_offset(UtcOffset::UTC)?;
        Self::from_utc(time)
    }

    fn from_utc(time: OffsetDateTime) -> Option<Self> {
        if !(0..=9999).contains(&time.year()) {
            return None;
        }
        Some(Self(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            time.year(),
            u8::from(time.month()),
            time.day(),
            time.hour(),
            time.minute(),
            time.second(),
            time.millisecond()
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from_utc(OffsetDateTime::now_utc())
            .unwrap_or_else(|| Self("9999-12-31T23:59:59.999Z".into()))
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> Option<i64> {
        let time = OffsetDateTime::parse(&self.0, &Rfc3339).ok()?;
        Some(time.unix_timestamp())
    }

    /// This time `seconds` later; `None` past year 9999.
    pub fn plus_seconds(&self, seconds: i64) -> Option<Self> {
        let time = OffsetDateTime::parse(&self.0, &Rfc3339).ok()?;
        Self::from_utc(time.checked_add(::time::Duration::seconds(seconds))?)
    }
}

/// The UTC day of a time, `yyyy-mm-dd`: the ledger's days.
pub fn day_of(at: &Timestamp) -> &str {
    &at.as_str()[..10]
}
