//! Times and durations on the command line: `--at 2027-01-31`, `--within 30d`.

use std::time::Duration;

use rustls::pki_types::UnixTime;
use rustls_pinning::Date;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses a point in time: a date (`YYYY-MM-DD`, 00:00:00 UTC, as policy files read it) or an
/// RFC 3339 time with an offset (`2027-01-31T12:00:00Z`, `2027-01-31T13:00:00+01:00`).
pub(crate) fn parse_time(text: &str) -> Result<UnixTime, String> {
    if text.len() == 10 && !text.contains('T') {
        return text
            .parse::<Date>()
            .map(Date::to_unix_time)
            .map_err(|e| e.to_string());
    }
    let time = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
        format!("\"{text}\" is neither a date (YYYY-MM-DD) nor an RFC 3339 time ({e})")
    })?;
    u64::try_from(time.unix_timestamp())
        .map(|secs| UnixTime::since_unix_epoch(Duration::from_secs(secs)))
        .map_err(|_| format!("\"{text}\" is before 1970"))
}

/// Parses a duration: a whole number and a unit, `s`, `m`, `h`, `d` or `w` (`30d`, `12h`).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("\"{text}\" has no unit: write for example 30d, 12h or 90m"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\": expected a whole number followed by s, m, h, d or w"))?;
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "\"{text}\": unknown unit \"{unit}\" (use s, m, h, d or w)"
            ))
        }
    };
    number
        .checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("\"{text}\" is too long"))
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn rfc3339(time: UnixTime) -> String {
    rfc3339_secs(i64::try_from(time.as_secs()).unwrap_or(i64::MAX))
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (negative before 1970).
pub(crate) fn rfc3339_secs(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{secs}"))
}

/// A signed span for people: `in 12 days`, `3 hours ago`.
pub(crate) fn relative(seconds: i64) -> String {
    let magnitude = seconds.unsigned_abs();
    let amount = match magnitude {
        0..=119 => format!("{magnitude} seconds"),
        120..=7_199 => format!("{} minutes", magnitude / 60),
        7_200..=172_799 => format!("{} hours", magnitude / 3600),
        _ => format!("{} days", magnitude / 86_400),
    };
    if seconds >= 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// A duration for people: `30 days`, `12 hours`.
pub(crate) fn span(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds.is_multiple_of(86_400) && seconds > 0 {
        let days = seconds / 86_400;
        return format!("{days} day{}", if days == 1 { "" } else { "s" });
    }
    if seconds.is_multiple_of(3600) && seconds > 0 {
        return format!("{} hours", seconds / 3600);
    }
    format!("{seconds} seconds")
}

/// Seconds from `from` to `to`, negative when `to` is earlier.
pub(crate) fn seconds_between(from: UnixTime, to: UnixTime) -> i64 {
    let from = i64::try_from(from.as_secs()).unwrap_or(i64::MAX);
    let to = i64::try_from(to.as_secs()).unwrap_or(i64::MAX);
    to.saturating_sub(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-02").unwrap().as_secs(), 86_400);
        assert_eq!(
            parse_time("2030-01-01T00:00:00Z").unwrap().as_secs(),
            1_893_456_000
        );
        assert_eq!(
            parse_time("2030-01-01T01:00:00+01:00").unwrap().as_secs(),
            1_893_456_000
        );
        for bad in [
            "",
            "tomorrow",
            "2030-13-01",
            "2030-01-01T00:00:00",
            "1969-12-31T00:00:00Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(
            rfc3339(parse_time("2030-01-01").unwrap()),
            "2030-01-01T00:00:00Z"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(
            parse_duration("2w").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        assert_eq!(parse_duration("90m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        for bad in ["", "30", "d", "30 d", "30y", "-1d", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(span(Duration::from_secs(86_400)), "1 day");
        assert_eq!(relative(-3 * 86_400), "3 days ago");
        assert_eq!(relative(7200), "in 2 hours");
    }
}
