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

impl Period {
    /// Length in nanoseconds (`None` for `Never`).
    pub fn length_ns(self) -> Option<i64> {
        let minutes = match self {
            Period::Never => return None,
            Period::Minute => 1,
            Period::FiveMinutes => 5,
            Period::TenMinutes => 10,
            Period::QuarterHour => 15,
            Period::HalfHour => 30,
            Period::Hour => 60,
            Period::Day => 24 * 60,
        };
        Some(minutes * MINUTE_NS)
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
        match self {
            Period::Never => "NEVER",
            Period::Minute => "MINUTE",
            Period::FiveMinutes => "FIVE_MINUTES",
            Period::TenMinutes => "TEN_MINUTES",
            Period::QuarterHour => "QUARTER_HOUR",
            Period::HalfHour => "HALF_HOUR",
            Period::Hour => "HOUR",
            Period::Day => "DAY",
        }
    }

    /// The period of a name `name` gives, in any case; `InvalidArgument`
    /// for another.
    pub fn parse(s: &str) -> Result<Period> {
        let all = [
            Period::Never,
            Period::Minute,
            Period::FiveMinutes,
            Period::TenMinutes,
            Period::QuarterHour,
            Period::HalfHour,
            Period::Hour,
            Period::Day,
        ];
        all.into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
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
