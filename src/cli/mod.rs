//! The command line (clap): `serve`, `worker`, `migrate`, `seed-load`, `backup`, `restore`,
//! `stats-rebuild`, `calendar` and `user`. `main.rs` tunes the allocator and calls [`main`].
//!
//! Every command that opens the database closes it before it returns ([`Db::close`]): the
//! pool's threads must not be opening a connection while the process exits.

mod backup;
mod calendar;
pub mod demo;
pub mod demo_history;
pub mod demo_policies;
pub mod seed_load;
mod serve;
mod support;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use diesel::Connection;

use crate::config::Settings;
use crate::db;
use crate::error::AppError;
use crate::telemetry;
use support::{describe, with_db};

#[derive(Parser)]
#[command(
    name = "qiyeshao",
    version,
    about = "企业哨: enterprise requests to a district government"
)]
struct Cli {
    /// A TOML file whose values override the built-in defaults (config/default.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The database: postgres://… or a SQLite path / sqlite://… (overrides DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (migrating the database first).
    Serve {
        /// Address and port to listen on, e.g. 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR:PORT")]
        bind: Option<String>,
        /// Fill an empty database with demo departments, enterprises, accounts and tickets.
        #[arg(long)]
        demo: bool,
    },
    /// Deliver queued notifications (e-mail, SMS) and sweep deadlines (reminders,
    /// escalations, the revisit window) without serving HTTP, until stopped (SIGTERM or
    /// Ctrl-C). Several may run against one PostgreSQL.
    Worker,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Fill the database with generated departments, categories, cadres, enterprises and
    /// tickets in every status over the last two years (for benchmarks and demos; every
    /// generated account has the demo password).
    SeedLoad {
        /// How many tickets.
        #[arg(long, default_value_t = 100_000)]
        tickets: u64,
        /// The generator's seed (the same seed makes the same spread).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Copy the live SQLite database to a new file, consistently, while the service runs
    /// (PostgreSQL: use pg_dump). The attachments folder is copied separately.
    Backup {
        /// The backup file to write; it must not exist.
        path: PathBuf,
    },
    /// Replace the SQLite database with a backup (with the service stopped); the database
    /// it replaces is kept beside it as <file>.replaced-<time>.
    Restore {
        /// The backup file.
        path: PathBuf,
    },
    /// Recount the statistics kept per day and department from the tickets (they are kept
    /// as tickets change; this repairs them after a restore or a manual edit).
    StatsRebuild,
    /// The working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: calendar::CalendarCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
}

/// Runs the command line; `spawn_trimmer` comes from the binary.
pub fn main(spawn_trimmer: serve::SpawnTrimmer) -> ExitCode {
    let cli = Cli::parse();
    match run(cli, spawn_trimmer) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(url) = &cli.database_url {
        settings.database.url = url.clone();
        settings.check()?;
    }
    Ok(settings)
}

fn run(cli: Cli, spawn_trimmer: serve::SpawnTrimmer) -> anyhow::Result<()> {
    let mut settings = load_settings(&cli)?;
    telemetry::init(&settings.log);
    match cli.command {
        Command::Serve { bind, demo } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            serve::serve(settings, demo, spawn_trimmer)
        }
        Command::Worker => serve::worker(settings, spawn_trimmer),
        Command::Calendar { command } => calendar::run(&settings, command),
        Command::Migrate => migrate(&settings),
        Command::SeedLoad { tickets, seed } => seed_load::run(&settings, tickets, seed),
        Command::Backup { path } => backup::run_backup(&settings, &path),
        Command::Restore { path } => backup::run_restore(&settings, &path),
        Command::StatsRebuild => stats_rebuild(&settings),
        Command::User { command } => user::run(&settings, command),
    }
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let applied = db::migrate(settings)?;
    if applied.is_empty() {
        println!(
            "The database at {} is up to date.",
            db::redact_url(&settings.database_url())
        );
    } else {
        println!(
            "Applied {} migration(s): {}",
            applied.len(),
            applied.join(", ")
        );
    }
    Ok(())
}

fn stats_rebuild(settings: &Settings) -> anyhow::Result<()> {
    with_db(settings, |db| {
        let started = std::time::Instant::now();
        let now = crate::domain::time::format(chrono::Utc::now());
        let cells = db
            .write(move |c| -> Result<usize, AppError> {
                Ok(c.transaction(|c| db::stats_cells::rebuild(c, &now))?)
            })
            .map_err(describe)?;
        println!(
            "Recounted the statistics: {cells} cells in {:.1} s.",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    })
}
