//! The harness of this test binary (`harness = false`, run by libtest-mimic): the registry of
//! tests, what each needs from the machine, and the run that reports a test whose needs are
//! missing as ignored, with the reason, instead of letting it pass having done nothing.
//!
//! Every test is registered where it is written, next to the module's functions:
//!
//! - `both_backends!(name, …)` for each `async fn name(app: TestApp)`: trials `name::sqlite`
//!   and `name::postgres`, each over a fresh database (`with_phones!` the same for
//!   `async fn name(app: TestApp, phones: Phones)`, the server sending its SMS to `phones`);
//! - `tests!(name, …)` for the other functions, `fn name()` or `async fn name()`: one trial
//!   `name` each. Before a name, `#[needs(Postgres)]` (or `PostgresServer`, `Browser`) says what
//!   it needs, `#[workers(4)]` gives its runtime more than 2 threads, and `#[each_backend]`
//!   runs a `fn name(backend: Backend)` twice, as `name_sqlite` and `name_postgres`.
//!
//! Trials are named by module path and function, as libtest names them
//! (`workflow::full_loop_for_every_role::postgres`), so `cargo test workflow`, `--list`,
//! `--exact`, `--skip`, `--test-threads N`, `--ignored` and `--include-ignored` work as usual.
//! An async test runs on a multi-thread tokio runtime of its own (2 workers unless it says
//! otherwise), on a thread named after the test, as `#[tokio::test]` did; a panic fails that
//! trial with its message and place. Output is not captured (as with libtest's `--nocapture`): what a test prints
//! appears as it runs, and its result line when it ends.
//!
//! The needs are checked once, at the start: PostgreSQL at `TEST_POSTGRES_URL`, or else at the
//! README's local one; PostgreSQL's server programs for the outage tests; Chromium, Node.js and
//! `tests/e2e/node_modules` for the browser test. A test whose need is missing is ignored, and
//! the reason printed under the summary, unless `TEST_REQUIRE_POSTGRES=1` or
//! `TEST_REQUIRE_BROWSER=1` (CI sets both) makes it fail with that reason instead.
//!
//! A `#[test]` or `#[tokio::test]` function would be dropped without a word under this
//! harness; `no_function_is_marked_as_a_libtest_test` below fails if one appears. A function
//! written but not registered is dead code, which `cargo clippy --all-targets -- -D warnings`
//! refuses.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::OnceLock;

use diesel::{Connection, PgConnection};
use libtest_mimic::{Arguments, Failed, FormatSetting, Trial};

use crate::helpers::Backend;

/// The PostgreSQL the README names, tried when `TEST_POSTGRES_URL` is not set.
const LOCAL_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// One registered test; the macros below make these.
pub struct Test {
    /// `module_path!()` where it was registered: `api::workflow`.
    pub module: &'static str,
    /// Its name within the module: `full_loop_for_every_role::postgres`.
    pub name: &'static str,
    pub needs: Needs,
    pub run: fn(),
}

inventory::collect!(Test);

impl Test {
    /// The trial's name, as libtest would give it: the module path without the crate's name.
    fn full_name(&self) -> String {
        match self.module.split_once("::") {
            Some((_crate, module)) => format!("{module}::{}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// What a test needs from the machine beyond this binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Needs {
    Nothing,
    /// The PostgreSQL of `TEST_POSTGRES_URL`, or the local one.
    Postgres,
    /// `initdb` and `pg_ctl`, to run a PostgreSQL of the test's own (tests/api/outage.rs).
    PostgresServer,
    /// Chromium, Node.js and `tests/e2e/node_modules` (tests/api/e2e.rs).
    Browser,
}

impl Needs {
    /// What the tests that need it are called in the summary, and the variable that makes
    /// its absence a failure.
    fn describe(self) -> (&'static str, &'static str) {
        match self {
            Needs::Nothing => ("", ""),
            Needs::Postgres => ("PostgreSQL", "TEST_REQUIRE_POSTGRES"),
            Needs::PostgresServer => ("PostgreSQL outage", "TEST_REQUIRE_POSTGRES"),
            Needs::Browser => ("browser", "TEST_REQUIRE_BROWSER"),
        }
    }

    fn required(self) -> bool {
        let (_, variable) = self.describe();
        !variable.is_empty() && std::env::var(variable).is_ok_and(|v| v == "1")
    }

    /// Whether this machine has it; if not, why not and what to do.
    fn check(self) -> Result<(), String> {
        match self {
            Needs::Nothing => Ok(()),
            Needs::Postgres => postgres().map(|_| ()).map_err(str::to_string),
            Needs::PostgresServer => match crate::outage::postgres_bindir() {
                Some(_) => Ok(()),
                None => Err(
                    "no PostgreSQL server programs (initdb, pg_ctl) were found; \
                             set TEST_PG_BINDIR"
                        .into(),
                ),
            },
            Needs::Browser => match crate::e2e::missing() {
                missing if missing.is_empty() => Ok(()),
                missing => Err(format!("missing {}", missing.join("; "))),
            },
        }
    }
}

/// The PostgreSQL the tests use, or why there is none: checked once, with a short timeout.
fn postgres() -> Result<&'static str, &'static str> {
    static CHECKED: OnceLock<Result<String, String>> = OnceLock::new();
    CHECKED
        .get_or_init(|| {
            let (url, hint) = match std::env::var("TEST_POSTGRES_URL") {
                Ok(url) if !url.is_empty() => (url, "set TEST_POSTGRES_URL to one that answers"),
                _ => (LOCAL_POSTGRES.to_string(), "set TEST_POSTGRES_URL"),
            };
            let probe = crate::helpers::with_param(&url, "connect_timeout=2");
            match PgConnection::establish(&probe) {
                Ok(_) => Ok(url),
                Err(e) => Err(format!(
                    "no PostgreSQL at {} ({}); {hint}",
                    without_password(&url),
                    e.to_string().lines().next().unwrap_or_default().trim()
                )),
            }
        })
        .as_deref()
        .map_err(String::as_str)
}

/// The URL of the PostgreSQL to test against. Only tests registered with
/// `#[needs(Postgres)]` (both halves' `postgres` among them) may ask: the harness ignores them
/// when there is none, so here its absence is a failure.
pub fn postgres_url() -> &'static str {
    match postgres() {
        Ok(url) => url,
        Err(reason) => panic!("{reason}"),
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`, for messages.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    match authority.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{}", &rest[authority.len()..])
        }
        _ => url.to_string(),
    }
}

/// Runs the registered tests as libtest would, and tells which were ignored and why.
pub fn main() -> ExitCode {
    install_panic_hook();
    let (args, filters) = arguments();
    let mut tests: Vec<(String, &'static Test)> = inventory::iter::<Test>
        .into_iter()
        .map(|test| (test.full_name(), test))
        .collect();
    tests.sort_by(|a, b| a.0.cmp(&b.0));
    if !filters.is_empty() {
        tests.retain(|(name, _)| {
            filters.iter().any(|filter| match args.exact {
                true => name == filter,
                false => name.contains(filter.as_str()),
            })
        });
    }

    let mut checked = BTreeMap::new();
    for (_, test) in &tests {
        checked
            .entry(test.needs)
            .or_insert_with(|| test.needs.check());
    }

    let mut trials = Vec::with_capacity(tests.len());
    let mut ignored: BTreeMap<Needs, usize> = BTreeMap::new();
    for (name, test) in tests {
        let trial = match &checked[&test.needs] {
            Ok(()) => Trial::test(name.clone(), move || run(&name, test.run)),
            Err(reason) if test.needs.required() => {
                let (_, variable) = test.needs.describe();
                let message = format!("{variable}=1, but {reason}");
                Trial::test(name, move || Err(message.into()))
            }
            Err(reason) => {
                let message = reason.clone();
                let trial = Trial::test(name, move || Err(message.into())).with_ignored_flag(true);
                let runs = args.ignored || args.include_ignored;
                if !runs && !args.is_filtered_out(&trial) {
                    *ignored.entry(test.needs).or_default() += 1;
                }
                trial
            }
        };
        trials.push(trial);
    }

    let conclusion = libtest_mimic::run(&args, trials);
    if !args.list {
        for (needs, count) in ignored {
            let (what, variable) = needs.describe();
            let reason = checked[&needs].as_ref().err().map_or("", String::as_str);
            let note = format!(
                "{count} {what} test{s} ignored: {reason} ({variable}=1 makes this a failure)",
                s = if count == 1 { "" } else { "s" }
            );
            // Beside the summary, where it is seen; JSON readers get only JSON on stdout.
            if args.format == Some(FormatSetting::Json) {
                eprintln!("{note}");
            } else {
                println!("{note}");
            }
        }
    }
    conclusion.exit_code()
}

/// The command line, as libtest reads it. libtest takes several filters
/// (`cargo test -- cli migrations`), libtest-mimic one: with more than one, they are returned
/// apart, to be applied here (the summary's count of tests filtered out then leaves those out).
fn arguments() -> (Arguments, Vec<String>) {
    const TAKE_A_VALUE: [&str; 6] = [
        "--test-threads",
        "--logfile",
        "--skip",
        "--color",
        "--format",
        "-Z",
    ];
    let mut all = std::env::args_os();
    let mut options: Vec<_> = all.next().into_iter().collect();
    let mut filters = Vec::new();
    while let Some(arg) = all.next() {
        match arg.to_str() {
            Some(option) if TAKE_A_VALUE.contains(&option) => {
                options.push(arg);
                options.extend(all.next());
            }
            Some(filter) if !filter.starts_with('-') => filters.push(filter.to_string()),
            _ => options.push(arg),
        }
    }
    let mut args = Arguments::from_iter(options);
    if filters.len() == 1 {
        args.filter = filters.pop();
    }
    // libtest reads this too; libtest-mimic only takes --test-threads.
    if args.test_threads.is_none() {
        args.test_threads = std::env::var("RUST_TEST_THREADS")
            .ok()
            .and_then(|n| n.parse().ok());
    }
    (args, filters)
}

thread_local! {
    /// Where this thread last panicked, for the failure report.
    static PANICKED_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Remembers where each panic happened; the default hook still prints it as it happens.
fn install_panic_hook() {
    let print = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(place) = info.location() {
            PANICKED_AT.with(|at| *at.borrow_mut() = Some(place.to_string()));
        }
        print(info);
    }));
}

/// Runs one test on a thread named after it (panic messages name the test), as libtest does.
fn run(name: &str, test: fn()) -> Result<(), Failed> {
    let thread = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            std::panic::catch_unwind(test).map_err(|payload| {
                let message = payload
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| payload.downcast_ref::<&str>().copied())
                    .unwrap_or("(a panic without a message)");
                match PANICKED_AT.with(|at| at.borrow_mut().take()) {
                    Some(place) => format!("panicked at {place}:\n{message}"),
                    None => format!("panicked: {message}"),
                }
            })
        })
        .map_err(|e| format!("cannot start the test's thread: {e}"))?;
    match thread.join() {
        Ok(result) => result.map_err(Failed::from),
        Err(_) => Err("the test's thread died".into()),
    }
}

/// A test's body: a plain function, or one that returns a future (`async fn`), run on a
/// multi-thread runtime of its own. `Kind` only tells the two impls apart.
pub trait Body<Kind> {
    fn run(self, workers: usize);
}

pub struct Blocking;
pub struct Async;

impl<F: FnOnce()> Body<Blocking> for F {
    fn run(self, _workers: usize) {
        self();
    }
}

impl<F, Fut> Body<Async> for F
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    fn run(self, workers: usize) {
        let mut runtime = tokio::runtime::Builder::new_multi_thread();
        runtime.worker_threads(workers).enable_all();
        if let Some(name) = std::thread::current().name() {
            runtime.thread_name(name);
        }
        let runtime = runtime.build().expect("the test's tokio runtime");
        runtime.block_on(self());
    }
}

/// What the registering macros call: runs `body` with `workers` runtime threads if async.
pub fn run_body<Kind>(workers: usize, body: impl Body<Kind>) {
    body.run(workers);
}

/// What `#[each_backend]` runs: the test, given the backend.
pub fn given<R>(backend: Backend, test: impl FnOnce(Backend) -> R) -> R {
    test(backend)
}

/// Registers the module's other tests: `fn name()` or `async fn name()`, one trial each.
/// `#[needs(Postgres | PostgresServer | Browser)]`, `#[workers(N)]` and `#[each_backend]`
/// (for `fn name(backend: Backend)`: `name_sqlite` and `name_postgres`) may stand before a name.
#[macro_export]
macro_rules! tests {
    (@one $name:ident, $needs:ident, $workers:literal, $shape:ident; #[needs($n:ident)] $($rest:tt)*) => {
        $crate::tests!(@one $name, $n, $workers, $shape; $($rest)*);
    };
    (@one $name:ident, $needs:ident, $workers:literal, $shape:ident; #[workers($w:literal)] $($rest:tt)*) => {
        $crate::tests!(@one $name, $needs, $w, $shape; $($rest)*);
    };
    (@one $name:ident, $needs:ident, $workers:literal, $shape:ident; #[each_backend] $($rest:tt)*) => {
        $crate::tests!(@one $name, $needs, $workers, each_backend; $($rest)*);
    };
    (@one $name:ident, $needs:ident, $workers:literal, single;) => {
        $crate::tests!(@submit stringify!($name), $needs, || $crate::harness::run_body($workers, $name));
    };
    (@one $name:ident, $needs:ident, $workers:literal, each_backend;) => {
        $crate::tests!(
            @pair $name, concat!(stringify!($name), "_sqlite"), concat!(stringify!($name), "_postgres"),
            $needs, $workers, $crate::harness::given
        );
    };
    // `name` on each backend: `run(backend, name)` for SQLite and for PostgreSQL.
    (@pair $name:ident, $sqlite:expr, $postgres:expr, $needs:ident, $workers:literal, $run:path) => {
        $crate::tests!(@submit $sqlite, $needs, || {
            $crate::harness::run_body($workers, || $run($crate::helpers::Backend::Sqlite, $name))
        });
        $crate::tests!(@submit $postgres, Postgres, || {
            $crate::harness::run_body($workers, || $run($crate::helpers::Backend::Postgres, $name))
        });
    };
    (@submit $name:expr, $needs:ident, $run:expr) => {
        ::inventory::submit! {
            $crate::harness::Test {
                module: module_path!(),
                name: $name,
                needs: $crate::harness::Needs::$needs,
                run: $run,
            }
        }
    };
    ($($(#[$($attr:tt)+])* $name:ident),+ $(,)?) => {
        $( $crate::tests!(@one $name, Nothing, 2, single; $(#[$($attr)+])*); )+
    };
}

/// Registers each named `async fn(TestApp)` to run on SQLite (`name::sqlite`) and on
/// PostgreSQL (`name::postgres`), each over a fresh database.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            $crate::tests!(
                @pair $name, concat!(stringify!($name), "::sqlite"), concat!(stringify!($name), "::postgres"),
                Nothing, 2, $crate::helpers::on_backend
            );
        )+
    };
}

/// Registers each named `async fn(TestApp, Phones)` to run on SQLite and on PostgreSQL, the
/// server sending its SMS to the phones' stand-in gateway.
#[macro_export]
macro_rules! with_phones {
    ($($name:ident),+ $(,)?) => {
        $(
            $crate::tests!(
                @pair $name, concat!(stringify!($name), "::sqlite"), concat!(stringify!($name), "::postgres"),
                Nothing, 2, $crate::helpers::on_backend_with_phones
            );
        )+
    };
}

/// Under this harness `#[test]` and `#[tokio::test]` make nothing run, and say nothing: a test
/// written so would never run. Every test file is read for them.
fn no_function_is_marked_as_a_libtest_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api");
    let mut found = Vec::new();
    let mut files = vec![dir];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read tests/api") {
                files.push(entry.expect("a directory entry").path());
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read a test file");
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_start();
                if ["#[test]", "#[tokio::test", "#[ignore", "#[should_panic"]
                    .iter()
                    .any(|attribute| line.starts_with(attribute))
                {
                    found.push(format!("{}:{}: {line}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "these would never run: register the functions with `tests!` (tests/api/harness.rs) \
         instead:\n{}",
        found.join("\n")
    );
}

crate::tests!(no_function_is_marked_as_a_libtest_test);
