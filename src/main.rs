//! The command line: `serve`, `migrate`, and account administration.

mod allocator;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel::Connection;

use qiyeshao::config::Settings;
use qiyeshao::db::{self, Db};
use qiyeshao::domain::credit_code;
use qiyeshao::domain::ticket::Role;
use qiyeshao::domain::validation::{FieldErrors, limits};
use qiyeshao::error::AppError;
use qiyeshao::service::accounts::{self, NewUser};
use qiyeshao::startup::Application;
use qiyeshao::{auth, demo, telemetry};

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
        command: CalendarCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Load a year's public holidays and make-up working days from a TOML file (the format
    /// of config/calendar/, see docs/deadlines.md); every instance uses it from its next sweep.
    Load {
        /// The year's file.
        file: PathBuf,
    },
    /// List the years the calendar has data for, and where each came from.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account.
    Add {
        #[arg(long)]
        role: String,
        #[arg(long)]
        username: String,
        /// At least 8 characters. Prefer --password-env to keep it out of shell history.
        #[arg(long, required_unless_present = "password_env")]
        password: Option<String>,
        /// Read the password from this environment variable.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
        /// Display name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        /// Mobile number.
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// For cadres: the department's id or exact name.
        #[arg(long)]
        department: Option<String>,
        /// For enterprise users: the enterprise's id or credit code.
        #[arg(long)]
        enterprise: Option<String>,
    },
}

fn main() -> ExitCode {
    allocator::tune();
    let cli = Cli::parse();
    match run(cli) {
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

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = load_settings(&cli)?;
    telemetry::init(&settings.log);
    match cli.command {
        Command::Serve { bind, demo } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            serve(settings, demo)
        }
        Command::Worker => worker(settings),
        Command::Calendar { command } => calendar(&settings, command),
        Command::Migrate => {
            let applied = db::migrate(&settings)?;
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
        Command::SeedLoad { tickets, seed } => seed_load(&settings, tickets, seed),
        Command::Backup { path } => {
            let started = std::time::Instant::now();
            let snapshot = qiyeshao::backup::backup(&settings, &path)?;
            println!(
                "Backed up to {}: {} tickets, {} migrations, {:.1} MiB in {:.1} s (integrity check: ok).",
                path.display(),
                snapshot.tickets,
                snapshot.migrations,
                snapshot.bytes as f64 / 1_048_576.0,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore { path } => {
            let (snapshot, kept) = qiyeshao::backup::restore(&settings, &path)?;
            println!(
                "Restored {}: {} tickets, {} migrations (integrity check: ok).",
                path.display(),
                snapshot.tickets,
                snapshot.migrations
            );
            if let Some(kept) = kept {
                println!("The database it replaced is kept as {}.", kept.display());
            }
            db::migrate(&settings)?;
            Ok(())
        }
        Command::StatsRebuild => {
            db::migrate(&settings)?;
            let db = Db::connect(&settings)?;
            let started = std::time::Instant::now();
            let now = qiyeshao::domain::time::format(chrono::Utc::now());
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
        }
        Command::User { command } => match command {
            UserCommand::Add {
                role,
                username,
                password,
                password_env,
                name,
                phone,
                email,
                department,
                enterprise,
            } => {
                let (password, password_flag) = match (password, password_env) {
                    (Some(p), _) => (p, "--password"),
                    (None, Some(var)) => (
                        std::env::var(&var).with_context(|| format!("{var} is not set"))?,
                        "--password-env",
                    ),
                    (None, None) => anyhow::bail!("give --password or --password-env"),
                };
                add_user(
                    &settings,
                    AddUser {
                        role,
                        username,
                        password,
                        password_flag,
                        name,
                        phone,
                        email,
                        department,
                        enterprise,
                    },
                )
            }
        },
    }
}

fn serve(settings: Settings, seed_demo: bool) -> anyhow::Result<()> {
    // Held until the process ends: `restore` refuses to replace a database in use.
    let _held = qiyeshao::backup::hold(&settings)?;
    allocator::spawn_trimmer().context("starting the allocator's trimmer")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let prefix = settings.tickets.number_prefix.clone();
        let db_url = db::redact_url(&settings.database_url());
        let app = Application::build(settings).await?;
        tracing::info!(database = %db_url, url = %app.public_url(), "qiyeshao is listening");
        if seed_demo {
            let db = app.db().clone();
            let ctx = app.ticket_context();
            let seeded = tokio::task::spawn_blocking(move || {
                demo::seed(&db, &ctx, &prefix, chrono::Utc::now())
            })
            .await
            .context("seeding the demo data")?
            .map_err(|e| anyhow::anyhow!("seeding the demo data: {e}"))?;
            print_demo(app.public_url(), seeded.as_deref());
        } else {
            println!(
                "qiyeshao is listening on {} (API documentation: {}/api/docs/)",
                app.public_url(),
                app.public_url()
            );
        }
        app.run_until_stopped().await.context("the server failed")
    })
}

/// `qiyeshao seed-load --tickets N`.
fn seed_load(settings: &Settings, tickets: u64, seed: u64) -> anyhow::Result<()> {
    use qiyeshao::service::calendar::CalendarStore;
    db::migrate(settings)?;
    let db = Db::connect(settings)?;
    let store = CalendarStore::load(&settings.deadlines.calendar_dir)?;
    db.read(|c| -> Result<(), AppError> { Ok(store.refresh(c)?) })
        .map_err(describe)?;
    let calendar = store.current();
    let started = std::time::Instant::now();
    let report = qiyeshao::seed_load::load(
        &db,
        &calendar.days,
        tickets,
        seed,
        chrono::Utc::now(),
        move |written| {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{written} / {tickets} tickets ({:.0}%), {secs:.1} s",
                written as f64 * 100.0 / tickets.max(1) as f64
            );
        },
    )
    .map_err(describe)?;
    println!(
        "Loaded {} tickets ({} timeline events), {} departments, {} categories, {} cadres, \
         {} enterprises, {} statistics cells in {:.1} s. Accounts: seed-…, password {}.",
        report.tickets,
        report.events,
        report.departments,
        report.categories,
        report.cadres,
        report.enterprises,
        report.cells,
        started.elapsed().as_secs_f64(),
        qiyeshao::demo::DEMO_PASSWORD
    );
    Ok(())
}

/// `qiyeshao calendar load FILE` / `qiyeshao calendar list`.
fn calendar(settings: &Settings, command: CalendarCommand) -> anyhow::Result<()> {
    use qiyeshao::service::calendar::{CalendarStore, store_year};
    match command {
        CalendarCommand::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let year = qiyeshao::domain::calendar::YearFile::parse(&text)
                .with_context(|| format!("{} is not a calendar file", file.display()))?;
            db::migrate(settings)?;
            let db = Db::connect(settings)?;
            let stored = year.clone();
            db.write(move |c| store_year(c, None, &stored, chrono::Utc::now()))
                .map_err(describe)?;
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
            db::migrate(settings)?;
            let db = Db::connect(settings)?;
            let store = CalendarStore::load(&settings.deadlines.calendar_dir)?;
            db.read(|c| -> Result<(), AppError> { Ok(store.refresh(c)?) })
                .map_err(describe)?;
            let calendar = store.current();
            for file in calendar.days.years() {
                let source = calendar.sources.get(&file.year).copied();
                println!(
                    "{}: {} holidays ({:?})",
                    file.year,
                    file.holidays.len(),
                    source.unwrap_or(qiyeshao::service::calendar::YearSource::BuiltIn)
                );
            }
            Ok(())
        }
    }
}

/// `qiyeshao worker`: the delivery worker alone, stopped by SIGTERM or Ctrl-C after the
/// messages in hand are recorded.
fn worker(settings: Settings) -> anyhow::Result<()> {
    let _held = qiyeshao::backup::hold(&settings)?;
    allocator::spawn_trimmer().context("starting the allocator's trimmer")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let settings = std::sync::Arc::new(settings);
        let db = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
                db::migrate(&settings)?;
                Db::connect(&settings)
            })
            .await
            .context("start-up task failed")??
        };
        let clock: std::sync::Arc<dyn qiyeshao::domain::time::Clock> =
            std::sync::Arc::new(qiyeshao::domain::time::SystemClock);
        let channels = qiyeshao::notify::worker::Channels::from_settings(
            &settings.notifications,
            clock.clone(),
        )
        .context("the notification settings")?;
        let metrics = std::sync::Arc::new(qiyeshao::notify::metrics::Metrics::default());
        // The scheduler queues reminders and escalations: it needs the templates and links.
        let link_base = settings.public_url(&settings.server.bind);
        let outbox = qiyeshao::notify::outbox::Outbox::new(
            &settings.notifications,
            &link_base,
            metrics.clone(),
        )
        .context("the notification templates")?;
        let handle = qiyeshao::notify::worker::Worker::new(
            db.clone(),
            std::sync::Arc::new(channels),
            &settings.notifications,
            clock.clone(),
            metrics,
            Some(outbox.clone()),
        )
        .spawn();
        let scheduler = if settings.scheduler.enabled {
            let calendar = std::sync::Arc::new(
                qiyeshao::service::calendar::CalendarStore::load(&settings.deadlines.calendar_dir)
                    .context("the working-day calendar")?,
            );
            Some(
                qiyeshao::scheduler::Scheduler::new(
                    db.clone(),
                    outbox,
                    calendar,
                    settings.clone(),
                    clock,
                )
                .spawn(),
            )
        } else {
            None
        };
        tracing::info!(
            database = %db::redact_url(&settings.database_url()),
            "qiyeshao worker is delivering notifications"
        );
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("listening for SIGTERM")?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("stopping: finishing the sweep and the messages in hand");
        if let Some(scheduler) = scheduler {
            scheduler.stop().await;
        }
        handle.stop().await;
        Ok(())
    })
}

/// Prints the start-up banner. Standard output may be a pipe nobody reads any more; that must
/// not stop the server, so write errors are ignored.
fn print_demo(url: &str, accounts: Option<&[demo::DemoAccount]>) {
    let mut text = String::new();
    banner(&mut text, url, accounts);
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
    let _ = std::io::Write::flush(&mut std::io::stdout());
}

fn banner(out: &mut String, url: &str, accounts: Option<&[demo::DemoAccount]>) {
    use std::fmt::Write;
    let _ = writeln!(out);
    let _ = writeln!(out, "qiyeshao is running at {url}");
    let _ = writeln!(out, "  API documentation: {url}/api/docs/");
    match accounts {
        Some(accounts) => {
            let _ = writeln!(
                out,
                "  Demo data loaded. Every demo account's password is {}",
                demo::DEMO_PASSWORD
            );
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "  {:<14} {:<11} {:<8} what",
                "username", "role", "name"
            );
            for a in accounts {
                let _ = writeln!(
                    out,
                    "  {:<14} {:<11} {:<8} {}",
                    a.username,
                    a.role.as_str(),
                    a.name,
                    a.note
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "  The database already holds data, so no demo data was added."
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  Try: curl -s {url}/api/v1/auth/login -H 'Content-Type: application/json' \\"
    );
    let _ = writeln!(
        out,
        "         -d '{{\"username\":\"enterprise\",\"password\":\"{}\"}}'",
        demo::DEMO_PASSWORD
    );
    let _ = writeln!(out);
}

struct AddUser {
    role: String,
    username: String,
    password: String,
    /// The flag the password came by, for messages.
    password_flag: &'static str,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    department: Option<String>,
    enterprise: Option<String>,
}

fn add_user(settings: &Settings, args: AddUser) -> anyhow::Result<()> {
    let role = Role::parse(&args.role)
        .with_context(|| format!("--role must be one of {}", Role::expected()))?;
    // The same checks as POST /api/v1/users, reported by flag.
    let mut errors = FieldErrors::new();
    let username = errors.username("--username", &args.username);
    errors.password(args.password_flag, &args.password);
    let name = args.name.unwrap_or_else(|| args.username.clone());
    errors.required_text("--name", &name, limits::NAME);
    let phone = errors.mobile("--phone", args.phone);
    let email = errors.email("--email", args.email);
    if !errors.is_empty() {
        anyhow::bail!("{errors}");
    }
    db::migrate(settings)?;
    let db = Db::connect(settings)?;
    let department_id = match args.department {
        None => None,
        Some(d) => Some(find_department(&db, &d)?),
    };
    let enterprise_id = match args.enterprise {
        None => None,
        Some(e) => Some(find_enterprise(&db, &e)?),
    };
    let password_hash = auth::hash_password(&args.password)?;
    let input = NewUser {
        name: name.trim().to_string(),
        username: username.unwrap_or_default(),
        password_hash,
        phone,
        email,
        role,
        department_id,
        enterprise_id,
    };
    let user = db
        .write(move |c| accounts::create_user(c, input, chrono::Utc::now()))
        .map_err(describe)?;
    println!(
        "Created {} account {:?} (id {}).",
        user.role, user.username, user.id
    );
    Ok(())
}

/// An AppError as a command-line message, with the fields at fault.
fn describe(e: AppError) -> anyhow::Error {
    match e.fields {
        Some(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|(f, m)| format!("{f} {m}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        None => anyhow::anyhow!("{}", e.message),
    }
}

fn find_department(db: &Db, key: &str) -> anyhow::Result<String> {
    let all = db
        .read(|c| -> Result<_, AppError> { Ok(db::departments::list(c)?) })
        .map_err(describe)?;
    all.into_iter()
        .find(|d| d.id == key || d.name == key)
        .map(|d| d.id)
        .with_context(|| format!("no department with id or name {key:?}"))
}

fn find_enterprise(db: &Db, key: &str) -> anyhow::Result<String> {
    let code = credit_code::normalize(key).ok();
    let found = db
        .read(|c| -> Result<_, AppError> {
            if let Some(e) = db::enterprises::find(c, key)? {
                return Ok(Some(e.id));
            }
            let filter = db::enterprises::EnterpriseFilter {
                pattern: code
                    .as_deref()
                    .map(qiyeshao::domain::text::contains_pattern),
                ..Default::default()
            };
            if filter.pattern.is_none() {
                return Ok(None);
            }
            Ok(db::enterprises::list(c, &filter, 2)?
                .into_iter()
                .find(|e| Some(&e.credit_code) == code.as_ref())
                .map(|e| e.id))
        })
        .map_err(describe)?;
    found.with_context(|| format!("no enterprise with id or credit code {key:?}"))
}
