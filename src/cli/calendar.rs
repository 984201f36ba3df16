//! `qiyeshao calendar load FILE` and `qiyeshao calendar list`: the working-day calendar's
//! years kept in the database (docs/deadlines.md).

use anyhow::Context;

use super::{CalendarCommand, describe, with_db};
use crate::config::Settings;
use crate::domain::calendar::YearFile;
use crate::error::AppError;
use crate::service::calendar::{CalendarStore, YearSource, store_year};

pub fn run(settings: &Settings, command: CalendarCommand) -> anyhow::Result<()> {
    match command {
        CalendarCommand::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let year = YearFile::parse(&text)
                .with_context(|| format!("{} is not a calendar file", file.display()))?;
            let stored = year.clone();
            with_db(settings, |db| {
                db.write(move |c| store_year(c, None, &stored, chrono::Utc::now()))
                    .map_err(describe)
            })?;
            let days: usize = year
                .holidays
                .iter()
                .map(|h| (h.to - h.from).num_days() as usize + 1)
                .sum();
            println!(
                "Loaded the calendar of {}: {} holidays, {} days off, {} make-up working days.",
                year.year,
                year.holidays.len(),
                days,
                year.holidays
                    .iter()
                    .map(|h| h.workdays.len())
                    .sum::<usize>()
            );
            Ok(())
        }
        CalendarCommand::List => {
            let store = CalendarStore::load(&settings.deadlines.calendar_dir)?;
            with_db(settings, |db| {
                db.read(|c| -> Result<(), AppError> { Ok(store.refresh(c)?) })
                    .map_err(describe)
            })?;
            let calendar = store.current();
            for file in calendar.days.years() {
                let source = calendar.sources.get(&file.year).copied();
                println!(
                    "{}: {} holidays ({:?})",
                    file.year,
                    file.holidays.len(),
                    source.unwrap_or(YearSource::BuiltIn)
                );
            }
            Ok(())
        }
    }
}
