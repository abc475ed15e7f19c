//! Time periods for rolling, floored in UTC.

use crate::error::{Error, Result};

const MINUTE_NS: i64 = 60_000_000_000;

/// How often a log starts a new segment regardless of size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    /// No rolling by time.
    Never,
    /// Every UTC minute.
    Minute,
    /// Every 5 minutes.
    FiveMinutes,
    /// Every 10 minutes.
    TenMinutes,
    /// Every 15 minutes.
    QuarterHour,
    /// Every 30 minutes.
    HalfHour,
    /// Every UTC hour.
    Hour,
    /// Every UTC day (at midnight UTC).
    Day,
}

/// Each period (in declaration order: indexed by `Period as usize`), its
/// name as the C API and the tool spell it, and its length in minutes (0:
/// none).
const TABLE: [(Period, &str, i64); 8] = [
    (Period::Never, "NEVER", 0),
    (Period::Minute, "MINUTE", 1),
    (Period::FiveMinutes, "FIVE_MINUTES", 5),
    (Period::TenMinutes, "TEN_MINUTES", 10),
    (Period::QuarterHour, "QUARTER_HOUR", 15),
    (Period::HalfHour, "HALF_HOUR", 30),
    (Period::Hour, "HOUR", 60),
    (Period::Day, "DAY", 24 * 60),
];

impl Period {
    /// The period at place `n` of the table (declaration order, which
    /// `binlog_period` numbers follow).
    pub(crate) fn nth(n: usize) -> Option<Period> {
        TABLE.get(n).map(|t| t.0)
    }

    /// Length in nanoseconds (`None` for `Never`).
    pub fn length_ns(self) -> Option<i64> {
        let minutes = TABLE[self as usize].2;
        (minutes > 0).then(|| minutes * MINUTE_NS)
    }

    /// Start of the period that contains `ts_ns` (UTC; every period divides
    /// a day, and days start at multiples of 86400 s since the epoch);
    /// `i64::MIN` for the first period, which starts before the range.
    pub fn floor(self, ts_ns: i64) -> Option<i64> {
        self.length_ns()
            .map(|len| ts_ns.div_euclid(len).saturating_mul(len))
    }

    /// Start of the period after the one that contains `ts_ns` (`i64::MAX`
    /// for the last one).
    pub fn next_start(self, ts_ns: i64) -> Option<i64> {
        let len = self.length_ns()?;
        Some((ts_ns.div_euclid(len) + 1).saturating_mul(len))
    }

    /// Its name, as the C API and the tool spell it (`FIVE_MINUTES`).
    pub fn name(self) -> &'static str {
        TABLE[self as usize].1
    }

    /// The period of a name `name` gives, in any case; `InvalidArgument`
    /// for another.
    pub fn parse(s: &str) -> Result<Period> {
        TABLE
            .iter()
            .find(|(_, name, _)| name.eq_ignore_ascii_case(s))
            .map(|(p, _, _)| *p)
            .ok_or_else(|| Error::invalid(format!("unknown period {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_in_utc() {
        // 2026-11-21T05:37:42.5Z
        let t = 1_795_239_462_500_000_000i64;
        let m = |min: i64| (t / 1_000_000_000 / 60 / min) * min * 60 * 1_000_000_000;
        assert_eq!(Period::Minute.floor(t), Some(m(1)));
        assert_eq!(Period::FiveMinutes.floor(t), Some(m(5)));
        assert_eq!(Period::QuarterHour.floor(t), Some(m(15)));
        assert_eq!(Period::Day.floor(t).unwrap() % (86_400 * 1_000_000_000), 0);
        assert_eq!(Period::Never.floor(t), None);
        assert_eq!(
            Period::Hour.next_start(t).unwrap() - Period::Hour.floor(t).unwrap(),
            3_600_000_000_000
        );
        // before the epoch still floors downwards
        assert_eq!(Period::Minute.floor(-1), Some(-MINUTE_NS));
    }

    #[test]
    fn parse_names() {
        assert_eq!(Period::parse("five_minutes").unwrap(), Period::FiveMinutes);
        assert!(Period::parse("fortnight").is_err());
    }

    #[test]
    fn each_period_names_itself_in_the_table() {
        for (p, name, _) in TABLE {
            assert_eq!(Period::parse(name).unwrap(), p);
            assert_eq!(p.name(), name);
        }
    }

    /// A clock (or a resumed segment's creation time) at the ends of the
    /// range: the periods still order, and nothing overflows.
    #[test]
    fn floors_at_the_ends_of_the_range() {
        for p in [Period::Minute, Period::Hour, Period::Day] {
            let len = p.length_ns().unwrap();
            let lo = p.floor(i64::MIN).unwrap();
            assert!(lo <= i64::MIN + len, "{lo}");
            let next = p.next_start(i64::MIN).unwrap();
            assert!(next > i64::MIN && next <= i64::MIN + len);
            assert_eq!(p.floor(next), Some(next));
            assert_eq!(p.floor(next - 1), Some(lo));
            let hi = p.floor(i64::MAX).unwrap();
            assert!(i64::MAX - hi < len, "{hi}");
            assert_eq!(p.next_start(i64::MAX), Some(i64::MAX));
        }
    }
}
