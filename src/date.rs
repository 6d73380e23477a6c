//! Calendar dates and RFC 3339 times in UTC, for pin-set expiry and every time the crate
//! writes. The calendar is the `time` crate's; this module only fixes the text forms the
//! crate reads and writes (exact `YYYY-MM-DD`, UTC only, four-digit years).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use pki_types::UnixTime;
use time::{Month, OffsetDateTime, PrimitiveDateTime, Time};

const MIN_YEAR: u32 = 1970;
const MAX_YEAR: u32 = 9999;

/// The last instant that RFC 3339 text, with its four-digit years, can name:
/// 9999-12-31T23:59:59Z. Policy files and bundles cannot express a later one.
pub(crate) const LAST_WRITABLE_SECOND: u64 = 253_402_300_799;

/// A calendar date in UTC (proleptic Gregorian calendar), between
/// 1970-01-01 and 9999-12-31 inclusive.
///
/// Dates order chronologically and print as `YYYY-MM-DD`.
///
/// ```
/// use rustls_pinning::Date;
///
/// let expiry: Date = "2030-06-01".parse()?;
/// assert_eq!(expiry, Date::new(2030, 6, 1)?);
/// assert_eq!(expiry.to_string(), "2030-06-01");
/// # Ok::<(), rustls_pinning::DateError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(time::Date);

impl Date {
    /// The last representable date, 9999-12-31.
    const MAX: Date = Date(time::Date::MAX);

    /// Builds a date from its year, month (1–12) and day of the month.
    ///
    /// Years outside 1970..=9999 and days that do not exist in the given
    /// month (such as February 29 in a non-leap year) are rejected.
    ///
    /// ```
    /// use rustls_pinning::Date;
    ///
    /// assert!(Date::new(2024, 2, 29).is_ok());
    /// assert!(Date::new(2023, 2, 29).is_err());
    /// ```
    pub fn new(year: u32, month: u8, day: u8) -> Result<Date, DateError> {
        let describe_input = || format!("{year:04}-{month:02}-{day:02}");
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(DateError::YearOutOfRange {
                input: describe_input(),
            });
        }
        let year = i32::try_from(year).map_err(|_| DateError::YearOutOfRange {
            input: describe_input(),
        })?;
        Month::try_from(month)
            .and_then(|month| time::Date::from_calendar_date(year, month, day))
            .map(Date)
            .map_err(|_| DateError::OutOfRange {
                input: describe_input(),
            })
    }

    /// The year, between 1970 and 9999.
    ///
    /// ```
    /// use rustls_pinning::Date;
    ///
    /// assert_eq!(Date::new(2030, 6, 1)?.year(), 2030);
    /// # Ok::<(), rustls_pinning::DateError>(())
    /// ```
    pub fn year(self) -> u32 {
        // Between 1970 and 9999 by construction.
        u32::try_from(self.0.year()).unwrap_or(MIN_YEAR)
    }

    /// The month, between 1 (January) and 12 (December).
    ///
    /// ```
    /// use rustls_pinning::Date;
    ///
    /// assert_eq!(Date::new(2030, 6, 1)?.month(), 6);
    /// # Ok::<(), rustls_pinning::DateError>(())
    /// ```
    pub fn month(self) -> u8 {
        u8::from(self.0.month())
    }

    /// The day of the month, starting at 1.
    ///
    /// ```
    /// use rustls_pinning::Date;
    ///
    /// assert_eq!(Date::new(2030, 6, 1)?.day(), 1);
    /// # Ok::<(), rustls_pinning::DateError>(())
    /// ```
    pub fn day(self) -> u8 {
        self.0.day()
    }

    /// The instant 00:00:00 UTC at the start of this date.
    ///
    /// ```
    /// use rustls_pinning::Date;
    ///
    /// let start = Date::new(2000, 3, 1)?.to_unix_time();
    /// assert_eq!(start.as_secs(), 951_868_800);
    /// # Ok::<(), rustls_pinning::DateError>(())
    /// ```
    pub fn to_unix_time(self) -> UnixTime {
        let start = self.0.midnight().assume_utc().unix_timestamp();
        // Not before 1970-01-01 by construction.
        UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(start).unwrap_or(0)))
    }

    /// The UTC date containing the given instant.
    ///
    /// Instants after the end of 9999-12-31 saturate to that date, so that
    /// the result always stays printable as `YYYY-MM-DD`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rustls_pinning::Date;
    /// use rustls::pki_types::UnixTime;
    ///
    /// let noon = UnixTime::since_unix_epoch(Duration::from_secs(951_868_800 + 43_200));
    /// assert_eq!(Date::from_unix_time(noon), Date::new(2000, 3, 1)?);
    /// # Ok::<(), rustls_pinning::DateError>(())
    /// ```
    pub fn from_unix_time(time: UnixTime) -> Date {
        match utc(time.as_secs()) {
            Some(instant) => Date(instant.date()),
            None => Date::MAX,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// Parses exactly `YYYY-MM-DD` with ASCII digits; no time, zone or
    /// surrounding whitespace is accepted.
    fn from_str(input: &str) -> Result<Date, DateError> {
        let malformed = || DateError::Malformed {
            input: input.to_owned(),
        };
        let bytes = input.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(malformed());
        }
        let year = parse_ascii_digits(&bytes[0..4]).ok_or_else(malformed)?;
        let month = parse_ascii_digits(&bytes[5..7]).ok_or_else(malformed)?;
        let day = parse_ascii_digits(&bytes[8..10]).ok_or_else(malformed)?;
        let (Ok(month), Ok(day)) = (u8::try_from(month), u8::try_from(day)) else {
            return Err(malformed());
        };
        // Report the caller's text rather than the re-formatted fields.
        Date::new(year, month, day).map_err(|error| match error {
            DateError::YearOutOfRange { .. } => DateError::YearOutOfRange {
                input: input.to_owned(),
            },
            _ => DateError::OutOfRange {
                input: input.to_owned(),
            },
        })
    }
}

/// Why a date was rejected.
///
/// ```
/// use rustls_pinning::{Date, DateError};
///
/// let error = "2023-02-29".parse::<Date>().unwrap_err();
/// assert!(matches!(error, DateError::OutOfRange { .. }));
/// assert_eq!(error.to_string(), "invalid date \"2023-02-29\": no such day");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The text is not of the form `YYYY-MM-DD` with ASCII digits.
    #[error("invalid date \"{input}\": expected YYYY-MM-DD")]
    Malformed {
        /// The rejected text.
        input: String,
    },
    /// The month or day does not exist in the calendar.
    #[error("invalid date \"{input}\": no such day")]
    OutOfRange {
        /// The rejected date, as given.
        input: String,
    },
    /// The year is before 1970 or after 9999.
    #[error("invalid date \"{input}\": year must be between 1970 and 9999")]
    YearOutOfRange {
        /// The rejected date, as given.
        input: String,
    },
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC text, `YYYY-MM-DDTHH:MM:SSZ`.
///
/// RFC 3339 years have four digits, so an instant after 9999-12-31T23:59:59Z is written as
/// that instant ([`LAST_WRITABLE_SECOND`]): what this writes is always valid RFC 3339 that
/// [`parse_rfc3339_utc`] reads back. Writers for which the cap would change the meaning
/// (policy files, bundles) refuse such instants before formatting them; reports and
/// messages show the cap.
pub(crate) fn format_rfc3339(secs: u64) -> String {
    match utc(secs.min(LAST_WRITABLE_SECOND)) {
        Some(instant) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            instant.year(),
            u8::from(instant.month()),
            instant.day(),
            instant.hour(),
            instant.minute(),
            instant.second()
        ),
        // Unreachable: every second up to LAST_WRITABLE_SECOND is an instant of `time`.
        None => String::from("9999-12-31T23:59:59Z"),
    }
}

/// The UTC instant `secs` seconds after the Unix epoch, if `time` can represent it (up to
/// the end of year 9999).
fn utc(secs: u64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()
}

/// Parses a UTC time `YYYY-MM-DDTHH:MM:SSZ` (or with `+00:00`) into seconds since the Unix
/// epoch. Other offsets and fractions of a second are refused: policy times are UTC.
#[cfg_attr(not(feature = "serde"), allow(dead_code))]
pub(crate) fn parse_rfc3339_utc(text: &str) -> Option<u64> {
    let (date, rest) = (text.get(..10)?, text.get(10..)?);
    let date: Date = date.parse().ok()?;
    let rest = rest.strip_prefix('T')?;
    let time = rest
        .strip_suffix('Z')
        .or_else(|| rest.strip_suffix("+00:00"))?;
    let bytes = time.as_bytes();
    if bytes.len() != 8 || bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    let hour = parse_ascii_digits(&bytes[0..2])?;
    let minute = parse_ascii_digits(&bytes[3..5])?;
    let second = parse_ascii_digits(&bytes[6..8])?;
    let time = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    let instant = PrimitiveDateTime::new(date.0, time).assume_utc();
    u64::try_from(instant.unix_timestamp()).ok()
}

fn parse_ascii_digits(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECONDS_PER_DAY: u64 = 86_400;

    fn unix(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn known_dates_map_to_known_unix_times() {
        let cases = [
            ("1970-01-01", 0),
            ("1970-01-02", 86_400),
            ("2000-01-01", 946_684_800),
            ("2000-03-01", 951_868_800),
            ("2024-02-29", 1_709_164_800),
            ("2038-01-19", 2_147_472_000),
            ("9999-12-31", 253_402_214_400),
        ];
        for (text, secs) in cases {
            let date: Date = text.parse().unwrap();
            assert_eq!(date.to_unix_time().as_secs(), secs, "{text}");
            assert_eq!(Date::from_unix_time(unix(secs)), date, "{text}");
        }
    }

    #[test]
    fn leap_days_are_validated() {
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(2000, 2, 29).is_ok());
        assert!(Date::new(2400, 2, 29).is_ok());
        assert_eq!(
            "2023-02-29".parse::<Date>(),
            Err(DateError::OutOfRange {
                input: "2023-02-29".into()
            })
        );
        assert_eq!(
            Date::new(2100, 2, 29),
            Err(DateError::OutOfRange {
                input: "2100-02-29".into()
            })
        );
    }

    #[test]
    fn impossible_fields_are_out_of_range() {
        for (year, month, day) in [(2024, 0, 1), (2024, 13, 1), (2024, 1, 0), (2024, 4, 31)] {
            assert!(
                matches!(
                    Date::new(year, month, day),
                    Err(DateError::OutOfRange { .. })
                ),
                "{year}-{month}-{day}"
            );
        }
        assert!(matches!(
            "2024-12-32".parse::<Date>(),
            Err(DateError::OutOfRange { .. })
        ));
    }

    #[test]
    fn years_outside_supported_range_are_rejected() {
        for year in [0, 1969, 10_000, 70_000, u32::MAX] {
            assert!(
                matches!(Date::new(year, 1, 1), Err(DateError::YearOutOfRange { .. })),
                "{year}"
            );
        }
        assert_eq!(
            "1969-12-31".parse::<Date>(),
            Err(DateError::YearOutOfRange {
                input: "1969-12-31".into()
            })
        );
    }

    #[test]
    fn malformed_text_is_rejected_with_the_input_quoted() {
        let inputs = [
            "2024-1-01",
            "2024-01-1",
            "24-01-01",
            "2024-01-01T00:00:00Z",
            "",
            "２０２４-01-01",
            " 2024-01-01",
            "2024-01-01 ",
            "2024/01/01",
            "+024-01-01",
            "2024-+1-01",
            "20240101",
            "2024-01-0a",
        ];
        for input in inputs {
            let error = input.parse::<Date>().unwrap_err();
            assert_eq!(
                error,
                DateError::Malformed {
                    input: input.into()
                }
            );
            assert!(error.to_string().contains(&format!("\"{input}\"")));
        }
    }

    #[test]
    fn every_day_round_trips_through_unix_time_and_text() {
        let mut previous: Option<Date> = None;
        // Covers several leap cycles including the 2000 and 2100 century rules.
        for day in 0..(150 * 366) {
            let start = day * SECONDS_PER_DAY;
            let date = Date::from_unix_time(unix(start));
            assert_eq!(date.to_unix_time().as_secs(), start);
            assert_eq!(
                Date::from_unix_time(unix(start + SECONDS_PER_DAY - 1)),
                date
            );
            assert_eq!(date.to_string().parse::<Date>(), Ok(date));
            if let Some(previous) = previous {
                assert!(previous < date);
            }
            previous = Some(date);
        }
    }

    #[test]
    fn the_last_writable_second_is_the_end_of_9999() {
        assert_eq!(
            LAST_WRITABLE_SECOND,
            Date::MAX.to_unix_time().as_secs() + SECONDS_PER_DAY - 1
        );
        assert_eq!(format_rfc3339(LAST_WRITABLE_SECOND), "9999-12-31T23:59:59Z");
        assert_eq!(
            parse_rfc3339_utc("9999-12-31T23:59:59Z"),
            Some(LAST_WRITABLE_SECOND)
        );
    }

    #[test]
    fn instants_past_year_9999_saturate() {
        let end_of_range = Date::MAX.to_unix_time().as_secs() + SECONDS_PER_DAY;
        assert_eq!(Date::from_unix_time(unix(end_of_range)), Date::MAX);
        assert_eq!(Date::from_unix_time(unix(u64::MAX)), Date::MAX);
    }

    #[test]
    fn rfc3339_formatting() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_868_800 + 3_723), "2000-03-01T01:02:03Z");
        assert_eq!(format_rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
    }

    #[test]
    fn instants_past_year_9999_are_written_as_its_last_second() {
        for secs in [
            LAST_WRITABLE_SECOND + 1,
            LAST_WRITABLE_SECOND + SECONDS_PER_DAY * 366,
            // 14702-07-15T23:06:40Z (max-age=400000000000 seen at 2027-01-15T08:00:00Z), which
            // the formatter once wrote with a five-digit year.
            401_800_000_000,
            u64::MAX / 2,
            u64::MAX,
        ] {
            assert_eq!(format_rfc3339(secs), "9999-12-31T23:59:59Z", "{secs}");
        }
        assert_eq!(
            format_rfc3339(LAST_WRITABLE_SECOND - 1),
            "9999-12-31T23:59:58Z"
        );
    }
}
