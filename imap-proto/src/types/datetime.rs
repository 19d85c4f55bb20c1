//! Dates of the protocol: `date-time` (INTERNALDATE, APPEND) and `date`
//! (SEARCH).

/// A calendar date (`date` in SEARCH keys), checked to exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if it exists (years 0..=9999).
    ///
    /// ```
    /// use imap_proto::Date;
    /// assert!(Date::new(2024, 2, 29).is_some());
    /// assert!(Date::new(2023, 2, 29).is_none());
    /// ```
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let valid =
            year <= 9999 && (1..=12).contains(&month) && day >= 1 && day <= days_in(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }
}

/// A `date-time`: a date, a time of day and a UTC offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    /// The offset east of UTC, in minutes.
    offset_minutes: i16,
}

impl DateTime {
    /// The date-time, if its fields are in range (offset within ±99:59,
    /// the grammar's four digits; seconds up to 60 for a leap second).
    pub fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        offset_minutes: i16,
    ) -> Option<DateTime> {
        let valid = hour < 24
            && minute < 60
            && second <= 60
            && offset_minutes.unsigned_abs() <= 99 * 60 + 59
            && offset_minutes.unsigned_abs() % 60 < 60;
        valid.then_some(DateTime {
            date,
            hour,
            minute,
            second,
            offset_minutes,
        })
    }

    /// The date.
    pub fn date(self) -> Date {
        self.date
    }

    /// Hour, minute and second.
    pub fn time(self) -> (u8, u8, u8) {
        (self.hour, self.minute, self.second)
    }

    /// The offset east of UTC, in minutes.
    pub fn offset_minutes(self) -> i16 {
        self.offset_minutes
    }

    /// Seconds since the Unix epoch (UTC).
    pub fn unix_seconds(self) -> i64 {
        let days = days_from_civil(
            i64::from(self.date.year),
            i64::from(self.date.month),
            i64::from(self.date.day),
        );
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60
    }
}

/// The three-letter month names of the grammar.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn days_in(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_counts_the_offset() {
        let date = Date::new(1996, 7, 17).unwrap();
        let t = DateTime::new(date, 2, 44, 25, -7 * 60).unwrap();
        assert_eq!(t.unix_seconds(), 837_596_665);
    }
}
