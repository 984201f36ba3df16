//! Working days as the State Council's holiday notices define them: Monday to Friday, except
//! the public holidays (法定节假日), plus the weekend days declared make-up working days (调休).
//!
//! The data is one file per year (`config/calendar/<year>.toml`, see docs/deadlines.md). A
//! year with no file falls back to Monday–Friday; [`WorkCalendar::missing_years`] says which,
//! so that the service can warn. Days are China calendar days; deadlines end at the close of
//! a China day (23:59:59.999, UTC+8).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use serde::Deserialize;
use thiserror::Error;

use crate::domain::time;

/// A holiday period of a year's notice: the days off, and the weekend days worked in exchange.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
}

/// One year's file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct YearFile {
    pub year: i32,
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("the calendar file is not valid TOML of the expected shape: {0}")]
    Syntax(String),
    #[error("the year {0} is out of range (2000 to 2100)")]
    Year(i32),
    #[error("{name}: {from} is after {to}")]
    Backwards {
        name: String,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("{name}: {day} is not in {year} or next to it")]
    OutOfYear {
        name: String,
        day: NaiveDate,
        year: i32,
    },
    #[error("{name}: the holiday is {days} days long; no notice declares more than 15")]
    TooLong { name: String, days: i64 },
    #[error("{name}: the make-up working day {day} is a {weekday}, not a weekend day")]
    WorkdayNotWeekend {
        name: String,
        day: NaiveDate,
        weekday: Weekday,
    },
    #[error("{day} is both a holiday and a make-up working day")]
    Both { day: NaiveDate },
    #[error("{day} is in two holidays")]
    Overlap { day: NaiveDate },
    #[error("a holiday's name must be 1 to 50 characters without control characters")]
    Name,
}

impl YearFile {
    /// Reads and checks a year's file.
    pub fn parse(text: &str) -> Result<YearFile, CalendarError> {
        let file: YearFile =
            toml::from_str(text).map_err(|e| CalendarError::Syntax(e.to_string()))?;
        file.check()?;
        Ok(file)
    }

    /// The file as TOML, as [`parse`](Self::parse) reads it.
    pub fn to_toml(&self) -> String {
        let mut out = format!("year = {}\n", self.year);
        for h in &self.holidays {
            out.push_str(&format!(
                "\n[[holidays]]\nname = {:?}\nfrom = \"{}\"\nto = \"{}\"\n",
                h.name, h.from, h.to
            ));
            if !h.workdays.is_empty() {
                let days: Vec<String> = h.workdays.iter().map(|d| format!("\"{d}\"")).collect();
                out.push_str(&format!("workdays = [{}]\n", days.join(", ")));
            }
        }
        out
    }

    fn check(&self) -> Result<(), CalendarError> {
        if !(2000..=2100).contains(&self.year) {
            return Err(CalendarError::Year(self.year));
        }
        let near = |d: NaiveDate| (self.year - 1..=self.year + 1).contains(&d.year());
        let mut off = BTreeSet::new();
        let mut on = BTreeSet::new();
        for h in &self.holidays {
            let length = h.name.chars().count();
            if !(1..=50).contains(&length) || h.name.chars().any(char::is_control) {
                return Err(CalendarError::Name);
            }
            if h.from > h.to {
                return Err(CalendarError::Backwards {
                    name: h.name.clone(),
                    from: h.from,
                    to: h.to,
                });
            }
            let length = (h.to - h.from).num_days() + 1;
            if length > 15 {
                return Err(CalendarError::TooLong {
                    name: h.name.clone(),
                    days: length,
                });
            }
            for day in h.from.iter_days().take_while(|d| *d <= h.to) {
                if !near(day) {
                    return Err(CalendarError::OutOfYear {
                        name: h.name.clone(),
                        day,
                        year: self.year,
                    });
                }
                if !off.insert(day) {
                    return Err(CalendarError::Overlap { day });
                }
            }
            for &day in &h.workdays {
                if !near(day) {
                    return Err(CalendarError::OutOfYear {
                        name: h.name.clone(),
                        day,
                        year: self.year,
                    });
                }
                if !is_weekend(day) {
                    return Err(CalendarError::WorkdayNotWeekend {
                        name: h.name.clone(),
                        day,
                        weekday: day.weekday(),
                    });
                }
                on.insert(day);
            }
        }
        if let Some(&day) = off.intersection(&on).next() {
            return Err(CalendarError::Both { day });
        }
        Ok(())
    }
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The built-in year files: those of `config/calendar/`.
pub const BUILT_IN: &[(i32, &str)] = &[
    (2024, include_str!("../../config/calendar/2024.toml")),
    (2025, include_str!("../../config/calendar/2025.toml")),
    (2026, include_str!("../../config/calendar/2026.toml")),
];

/// Which days are worked, for the years it has files for (and Monday–Friday for the others).
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    years: BTreeMap<i32, YearFile>,
    off: BTreeSet<NaiveDate>,
    on: BTreeSet<NaiveDate>,
}

/// Longest span the calendar walks, so that a nonsense request ends (about 40 years of days).
const MAX_WALK: u64 = 15_000;

impl WorkCalendar {
    /// A calendar of these years' files (a later file of the same year replaces an earlier).
    pub fn new(files: impl IntoIterator<Item = YearFile>) -> WorkCalendar {
        let mut calendar = WorkCalendar::default();
        for file in files {
            calendar.years.insert(file.year, file);
        }
        calendar.rebuild();
        calendar
    }

    /// The built-in years.
    pub fn built_in() -> Result<WorkCalendar, CalendarError> {
        let files = BUILT_IN
            .iter()
            .map(|(_, text)| YearFile::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WorkCalendar::new(files))
    }

    /// Adds or replaces a year.
    pub fn insert(&mut self, file: YearFile) {
        self.years.insert(file.year, file);
        self.rebuild();
    }

    fn rebuild(&mut self) {
        self.off.clear();
        self.on.clear();
        for file in self.years.values() {
            for h in &file.holidays {
                self.off
                    .extend(h.from.iter_days().take_while(|d| *d <= h.to));
                self.on.extend(h.workdays.iter().copied());
            }
        }
    }

    pub fn years(&self) -> impl Iterator<Item = &YearFile> {
        self.years.values()
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The years from `from` to `to` (inclusive) that have no file: there the calendar counts
    /// Monday to Friday.
    pub fn missing_years(&self, from: i32, to: i32) -> Vec<i32> {
        (from..=to).filter(|y| !self.has_year(*y)).collect()
    }

    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.on.contains(&day) {
            return true;
        }
        !is_weekend(day) && !self.off.contains(&day)
    }

    /// What kind of day it is: `workday`, `makeup_workday`, `holiday`, `weekend`; and the
    /// holiday's name.
    pub fn describe(&self, day: NaiveDate) -> (DayKind, Option<&str>) {
        let holiday = self
            .years
            .values()
            .flat_map(|f| &f.holidays)
            .find(|h| (h.from <= day && day <= h.to) || h.workdays.contains(&day));
        let name = holiday.map(|h| h.name.as_str());
        let kind = if self.on.contains(&day) {
            DayKind::MakeupWorkday
        } else if self.off.contains(&day) {
            DayKind::Holiday
        } else if is_weekend(day) {
            DayKind::Weekend
        } else {
            DayKind::Workday
        };
        (kind, name)
    }

    /// Working days in `[from, to)`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u64 {
        from.iter_days()
            .take_while(|d| *d < to)
            .take(MAX_WALK as usize)
            .filter(|d| self.is_working_day(*d))
            .count() as u64
    }

    /// The `n`-th working day after `day` (`n = 0`: `day` itself if it is one, else the next).
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut current = day;
        let mut walked = 0;
        // The first working day on or after `day`.
        while !self.is_working_day(current) && walked < MAX_WALK {
            current = current
                .checked_add_days(Days::new(1))
                .unwrap_or(NaiveDate::MAX);
            walked += 1;
        }
        let mut left = n;
        while left > 0 && walked < MAX_WALK {
            current = current
                .checked_add_days(Days::new(1))
                .unwrap_or(NaiveDate::MAX);
            walked += 1;
            if self.is_working_day(current) {
                left -= 1;
            }
        }
        current
    }

    /// The deadline of `n` working days from `at`: the close (23:59:59.999, China time) of
    /// the `n`-th working day after the China day of `at`. The day of `at` itself does not
    /// count: work assigned on Friday with one working day is due at the end of Monday (or of
    /// the next working day).
    pub fn deadline(&self, at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let start = time::china_date(at);
        let next = start
            .checked_add_days(Days::new(1))
            .unwrap_or(NaiveDate::MAX);
        let due_day = self.add_working_days(next, n.saturating_sub(1));
        end_of_china_day(due_day)
    }

    /// Working days from the China day after `from` up to and including the China day of
    /// `to` (0 when `to` is not after `from`): how many working days a deadline is overdue.
    pub fn working_days_after(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
        let (a, b) = (time::china_date(from), time::china_date(to));
        if b <= a {
            return 0;
        }
        let start = a.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX);
        let end = b.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX);
        self.working_days_between(start, end)
    }
}

/// The last millisecond of a China calendar day.
pub fn end_of_china_day(day: NaiveDate) -> DateTime<Utc> {
    let next = day.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX);
    time::china_day_start(next) - chrono::Duration::milliseconds(1)
}

text_enum!(
    /// What a day is in the calendar.
    DayKind {
        Workday => "workday",
        MakeupWorkday => "makeup_workday",
        Holiday => "holiday",
        Weekend => "weekend",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::built_in().expect("the built-in files are valid")
    }

    fn working(c: &WorkCalendar, from: &str, to: &str) -> Vec<String> {
        d(from)
            .iter_days()
            .take_while(|x| *x <= d(to))
            .filter(|x| c.is_working_day(*x))
            .map(|x| x.format("%m-%d").to_string())
            .collect()
    }

    #[test]
    fn spring_festival_2025_with_its_makeup_days() {
        let c = cal();
        // 春节 2025: off 01-28 … 02-04; Sunday 01-26 and Saturday 02-08 are worked.
        assert_eq!(
            working(&c, "2025-01-25", "2025-02-09"),
            ["01-26", "01-27", "02-05", "02-06", "02-07", "02-08"]
        );
        assert_eq!(c.describe(d("2025-01-26")).0, DayKind::MakeupWorkday);
        assert_eq!(
            c.describe(d("2025-01-29")),
            (DayKind::Holiday, Some("春节"))
        );
        assert_eq!(c.describe(d("2025-02-09")).0, DayKind::Weekend);
    }

    #[test]
    fn spring_festival_2026_nine_days() {
        let c = cal();
        // 春节 2026: off 02-15 … 02-23 (nine days); Saturdays 02-14 and 02-28 are worked.
        assert_eq!(
            working(&c, "2026-02-13", "2026-03-01"),
            [
                "02-13", "02-14", "02-24", "02-25", "02-26", "02-27", "02-28"
            ]
        );
    }

    #[test]
    fn national_day_2025_and_2026() {
        let c = cal();
        // 2025: 国庆节、中秋节 off 10-01 … 10-08; Sunday 09-28 and Saturday 10-11 worked.
        assert_eq!(
            working(&c, "2025-09-27", "2025-10-12"),
            ["09-28", "09-29", "09-30", "10-09", "10-10", "10-11"]
        );
        // 2026: off 10-01 … 10-07; Sunday 09-20 and Saturday 10-10 worked.
        assert!(c.is_working_day(d("2026-09-20")));
        assert_eq!(
            working(&c, "2026-09-30", "2026-10-11"),
            ["09-30", "10-08", "10-09", "10-10"]
        );
    }

    #[test]
    fn deadlines_skip_holidays_and_count_makeup_days() {
        let c = cal();
        let at = |s: &str| time::parse(s).expect("instant");
        // Assigned on Friday 2026-02-13 (China) with 3 working days: Saturday 02-14 is a
        // make-up working day, then the festival: due at the end of 02-25.
        assert_eq!(
            time::format(c.deadline(at("2026-02-13T10:00:00+08:00"), 3)),
            "2026-02-25T15:59:59.999Z"
        );
        // Late on 2025-09-30 with 1 working day: the next is 10-09.
        assert_eq!(
            time::format(c.deadline(at("2025-09-30T23:30:00+08:00"), 1)),
            "2025-10-09T15:59:59.999Z"
        );
        // 00:30 on 2025-10-01 in China is still 09-30 in UTC: China days count.
        assert_eq!(
            time::format(c.deadline(at("2025-09-30T16:30:00Z"), 1)),
            "2025-10-09T15:59:59.999Z"
        );
        // An ordinary week: Monday with 5 → the next Monday.
        assert_eq!(
            time::format(c.deadline(at("2026-11-23T09:00:00+08:00"), 5)),
            "2026-11-30T15:59:59.999Z"
        );
    }

    #[test]
    fn counting_working_days() {
        let c = cal();
        // The 2026 Spring Festival week holds 2 working days (02-13, 02-14) of 02-09 … 02-22.
        assert_eq!(c.working_days_between(d("2026-02-09"), d("2026-02-23")), 6);
        assert_eq!(c.add_working_days(d("2026-02-14"), 1), d("2026-02-24"));
        assert_eq!(c.add_working_days(d("2026-02-15"), 0), d("2026-02-24"));
        let at = |s: &str| time::parse(s).expect("instant");
        // Due at the end of 2026-02-13, now 2026-02-24 noon: 02-14 and 02-24 → 2 days late.
        assert_eq!(
            c.working_days_after(
                at("2026-02-13T23:59:59+08:00"),
                at("2026-02-24T12:00:00+08:00")
            ),
            2
        );
        assert_eq!(
            c.working_days_after(
                at("2026-02-13T23:59:59+08:00"),
                at("2026-02-13T23:59:59+08:00")
            ),
            0
        );
    }

    #[test]
    fn a_year_without_a_file_counts_monday_to_friday() {
        let c = cal();
        assert_eq!(c.missing_years(2024, 2028), [2027, 2028]);
        // 2027-10-01 is a Friday: without the 2027 notice it counts as a working day.
        assert!(c.is_working_day(d("2027-10-01")));
        assert!(!c.is_working_day(d("2027-10-02")));
        assert_eq!(c.describe(d("2027-10-01")), (DayKind::Workday, None));
    }

    #[test]
    fn files_are_checked() {
        let good = "year = 2027\n[[holidays]]\nname = \"元旦\"\nfrom = \"2027-01-01\"\nto = \"2027-01-03\"\n";
        let file = YearFile::parse(good).expect("valid");
        assert_eq!(YearFile::parse(&file.to_toml()).expect("round trip"), file);
        let cases = [
            ("year = 1900\nholidays = []\n", "out of range"),
            (
                "year = 2027\n[[holidays]]\nname = \"x\"\nfrom = \"2027-01-03\"\nto = \"2027-01-01\"\n",
                "after",
            ),
            (
                "year = 2027\n[[holidays]]\nname = \"x\"\nfrom = \"2027-01-01\"\nto = \"2027-01-02\"\nworkdays = [\"2027-01-04\"]\n",
                "not a weekend day",
            ),
            (
                "year = 2027\n[[holidays]]\nname = \"x\"\nfrom = \"2030-01-01\"\nto = \"2030-01-02\"\n",
                "not in 2027",
            ),
            (
                "year = 2027\n[[holidays]]\nname = \"x\"\nfrom = \"2027-01-01\"\nto = \"2027-03-01\"\n",
                "no notice declares",
            ),
            (
                "year = 2027\n[[holidays]]\nname = \"x\"\nfrom = \"2027-01-01\"\nto = \"2027-01-02\"\n[[holidays]]\nname = \"y\"\nfrom = \"2027-01-02\"\nto = \"2027-01-03\"\n",
                "two holidays",
            ),
            (
                "year = 2027\n[[holidays]]\nname = \"x\"\nfrom = \"2027-01-02\"\nto = \"2027-01-03\"\nworkdays = [\"2027-01-02\"]\n",
                "both",
            ),
            ("year = 2027\nholidays = []\ncolour = 1\n", "not valid TOML"),
            (
                "year = 2027\n[[holidays]]\nname = \"x\"\nfrom = \"2027-02-30\"\nto = \"2027-03-01\"\n",
                "not valid TOML",
            ),
        ];
        for (text, expected) in cases {
            let err = YearFile::parse(text).expect_err(text).to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn built_in_files_are_the_years_they_say() {
        for (year, text) in BUILT_IN {
            assert_eq!(YearFile::parse(text).expect("valid").year, *year);
        }
    }
}
