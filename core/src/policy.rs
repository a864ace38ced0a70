//! Where the app may call: the destination policy against toll fraud. One rule: the longest
//! matching prefix wins between the allowed and the blocked lists.

use crate::phone::E164;

/// Which destinations the app may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// Any valid E.164 number (`ALLOWED_DESTINATIONS=*`): a prefix of length 0.
    Any,
    /// Numbers starting with one of these E.164 prefixes.
    Prefixes(Vec<String>),
}

impl Allowed {
    /// The longest allowed prefix `digits` starts with (`""` under `*`).
    pub fn longest_match(&self, digits: &str) -> Option<&str> {
        match self {
            Allowed::Any => Some(""),
            Allowed::Prefixes(prefixes) => longest_match(prefixes, digits),
        }
    }
}

/// The longest of `prefixes` that `digits` starts with.
pub fn longest_match<'a>(prefixes: &'a [String], digits: &str) -> Option<&'a str> {
    prefixes
        .iter()
        .map(String::as_str)
        .filter(|p| digits.starts_with(p))
        .max_by_key(|p| p.len())
}

impl Allowed {
    /// `*` for any number, else a comma-separated list of E.164 prefixes such as `44,353`.
    pub fn parse(list: &str) -> Result<Self, String> {
        if list.trim() == "*" {
            return Ok(Allowed::Any);
        }
        let prefixes = parse_prefixes(list)?;
        if prefixes.is_empty() {
            return Err("no prefix given; use `*` to allow every number".into());
        }
        Ok(Allowed::Prefixes(prefixes))
    }

    /// The country calling code of `number`: the default, "calls within our own country".
    pub fn country_of(number: &E164) -> Self {
        Allowed::Prefixes(vec![number.country_code().to_string()])
    }
}

/// Prefixes refused unless a longer (or equal) `ALLOWED_DESTINATIONS` prefix admits them;
/// `BLOCKED_DESTINATIONS` replaces the whole list. The ranges toll fraud aims at:
///
/// - International: satellite and international networks 870/881/882/883 and international
///   premium rate 979 (ITU-T E.164 assignments); German 0900 and 0137, French 089.
/// - UK (Ofcom, National Telephone Numbering Plan): 070 personal numbers, 076 pagers, 084 and
///   087 revenue-sharing service numbers, 09 premium rate; and the Crown Dependencies' mobiles,
///   which share +44 but are billed as international (Ofcom's number allocations to their
///   operators, as libphonenumber lists them): Isle of Man 07524, 07624, 07924, 074576;
///   Guernsey 07781, 07839, 07911; Jersey 07509, 07797, 07829, 07937, 077003, 077007, 077008.
/// - NANP (NANPA, "NANP area codes by country"): 900 premium rate, and the area codes of the
///   NANP countries other than the US and Canada, billed as international: Bahamas 242,
///   Barbados 246, Anguilla 264, Antigua 268, British Virgin Islands 284, Cayman 345,
///   Bermuda 441, Grenada 473, Turks and Caicos 649, Jamaica 658/876, Montserrat 664,
///   Sint Maarten 721, St Lucia 758, Dominica 767, St Vincent 784, Dominican Republic
///   809/829/849, Trinidad and Tobago 868, St Kitts and Nevis 869. US territories (340, 670,
///   671, 684, 787, 939) are billed as domestic and stay allowed.
pub const DEFAULT_BLOCKED: &str = "870,881,882,883,979,49900,49137,3389,\
4470,4476,4484,4487,449,\
447524,447624,447924,4474576,\
447781,447839,447911,\
447509,447797,447829,447937,4477003,4477007,4477008,\
1900,1242,1246,1264,1268,1284,1345,1441,1473,1649,1658,1664,1721,1758,1767,1784,\
1809,1829,1849,1868,1869,1876";

/// Parses a comma-separated list of E.164 prefixes such as `44,353`; empty entries are
/// skipped, so an empty list is no prefix at all.
pub fn parse_prefixes(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .map(|p| p.trim().trim_start_matches('+'))
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.len() <= 15 && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0') {
                Ok(p.to_string())
            } else {
                Err(format!(
                    "`{p}` is not an E.164 prefix (digits, not starting with 0)"
                ))
            }
        })
        .collect()
}

/// What the policy says of a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Dial,
    /// No allowed prefix matches it.
    NotAllowed,
    /// This blocked prefix is longer than any allowed one that matches.
    Blocked(String),
}

/// The destination rule: the longest matching prefix wins. A number is dialled when its
/// longest allowed prefix (`*` counts as the empty prefix) is at least as long as its longest
/// blocked prefix; so `447797` in the allow list admits Jersey's 07797 mobiles while the rest
/// of the blocked ranges stay blocked.
pub fn verdict(allowed: &Allowed, blocked: &[String], digits: &str) -> Verdict {
    match (
        allowed.longest_match(digits),
        longest_match(blocked, digits),
    ) {
        (Some(allow), Some(block)) if block.len() > allow.len() => Verdict::Blocked(block.into()),
        (Some(_), _) => Verdict::Dial,
        (None, Some(block)) => Verdict::Blocked(block.into()),
        (None, None) => Verdict::NotAllowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_block_list_is_a_list_of_prefixes() {
        let blocked = parse_prefixes(DEFAULT_BLOCKED).unwrap();
        assert!(blocked.contains(&"449".to_string()) && blocked.contains(&"1876".to_string()));
        assert_eq!(blocked.len(), DEFAULT_BLOCKED.split(',').count());
    }

    #[test]
    fn allowed_destinations_are_prefixes_or_a_star() {
        assert_eq!(
            Allowed::parse(" 44, +353 ,"),
            Ok(Allowed::Prefixes(vec!["44".into(), "353".into()]))
        );
        assert_eq!(Allowed::parse("*"), Ok(Allowed::Any));
        assert!(Allowed::parse(",").is_err());
        assert!(Allowed::parse("44,uk").is_err());
        assert!(parse_prefixes("0044").is_err());
    }

    #[test]
    fn the_longest_matching_prefix_wins() {
        let blocked = parse_prefixes("44,4477009").unwrap();
        let allowed = Allowed::parse("447").unwrap();
        assert_eq!(verdict(&allowed, &blocked, "447400123456"), Verdict::Dial);
        assert_eq!(
            verdict(&allowed, &blocked, "442079460000"),
            Verdict::Blocked("44".into())
        );
        assert_eq!(
            verdict(&allowed, &blocked, "447700900000"),
            Verdict::Blocked("4477009".into())
        );
        assert_eq!(verdict(&allowed, &[], "14155550100"), Verdict::NotAllowed);
    }
}
