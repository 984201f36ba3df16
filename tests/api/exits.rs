//! Every command of the binary ends with the exit code it means, run after run, on
//! PostgreSQL: a one-shot command must not return while the pool's threads are opening a
//! connection (the process's exit tore OpenSSL down under libpq there: SIGSEGV, exit 139, in
//! about one run in two of `user add`). Each command runs [`RUNS`] times (`EXIT_RUNS` to
//! change it), a few at once, and every run's exit code is counted.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::cli::qiyeshao;
use crate::helpers::{Backend, empty_database};

/// Runs of each command; the issue that found the crash asked for at least 50.
const RUNS: usize = 50;

/// Runs at once: contention makes a connection slower to open, which is when the crash came.
const AT_ONCE: usize = 4;

fn runs() -> usize {
    std::env::var("EXIT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(RUNS)
}

/// One run of a command, the n-th: how it ended and the end of its standard error.
type Run<'a> = Box<dyn Fn(usize) -> (ExitStatus, String) + Sync + 'a>;

/// Lines of a run's standard error kept to show why it ended as it should not have.
const TAIL_LINES: usize = 20;

fn tail(lines: &[String]) -> String {
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// How a run ended: `exit 0`, `exit 1`, or `signal 11`.
fn outcome(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => "unknown".into(),
    }
}

/// Runs `one(n)` for n in 0..runs, [`AT_ONCE`] at a time; counts the outcomes. The standard
/// error of the first few runs that did not end with `expected` is printed.
fn count(
    name: &str,
    runs: usize,
    expected: &str,
    one: impl Fn(usize) -> (ExitStatus, String) + Sync,
) -> BTreeMap<String, usize> {
    let shown = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let counts = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..AT_ONCE {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= runs {
                        break;
                    }
                    let (status, stderr) = one(n);
                    let status = outcome(status);
                    if status != expected && shown.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!(
                            "exits: {name}, run {n}: {status}; its standard error:\n{stderr}"
                        );
                    }
                    *counts
                        .lock()
                        .expect("counts")
                        .entry(status)
                        .or_insert(0usize) += 1;
                }
            });
        }
    });
    counts.into_inner().expect("counts")
}

/// Runs a one-shot command to its end.
fn finish(cmd: &mut Command) -> (ExitStatus, String) {
    let output = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run qiyeshao");
    let lines: Vec<String> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_string)
        .collect();
    (output.status, tail(&lines))
}

/// Starts a long-running command, waits for `ready` in its standard error (its log), stops it
/// with SIGTERM and waits for it to end. A command that never gets ready, or does not end
/// within a minute of the signal, is killed (SIGKILL: counted as `signal 9`).
fn until_sigterm(cmd: &mut Command, ready: &str) -> (ExitStatus, String) {
    let patience = Duration::from_secs(60);
    let mut child = cmd
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start qiyeshao");
    let stderr = child.stderr.take().expect("stderr");
    let (seen, ready_seen) = std::sync::mpsc::channel();
    let ready = ready.to_string();
    // Reads to the end, so that the command never writes into a closed pipe.
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(&ready) {
                let _ = seen.send(());
            }
            lines.push(line);
        }
        tail(&lines)
    });
    if ready_seen.recv_timeout(patience).is_ok() {
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
    } else {
        let _ = child.kill();
    }
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for qiyeshao") {
            break status;
        }
        if signalled.elapsed() > patience {
            let _ = child.kill();
            break child.wait().expect("wait for qiyeshao");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, reader.join().unwrap_or_default())
}

fn every_command_exits_cleanly_on_postgres() {
    let database = empty_database(Backend::Postgres);
    let url = database.settings.database.url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let runs = runs();
    let with_db = |args: &[&str]| {
        let mut cmd = qiyeshao();
        // A secret of its own, so that servers starting at once do not race to write one.
        cmd.args(args)
            .args(["--database-url", &url])
            .env("QIYESHAO__DATA__DIR", dir.path())
            .env(
                "QIYESHAO__AUTH__JWT_SECRET",
                "exits-test-secret-exits-test-secret-0123456789",
            )
            // Fifty seed-loads leave about 600 departments and categories: a server learning
            // the routing suggestions of 1,000 tickets across them trains for over a minute in
            // a debug build, four at once (docs/routing.md, cost). How commands exit is what is
            // tested here.
            .env("QIYESHAO__ROUTING__MAX_EXAMPLES", "50");
        cmd
    };
    let year = dir.path().join("2027.toml");
    std::fs::write(
        &year,
        "year = 2027\n[[holidays]]\nname = \"春节\"\nfrom = \"2027-02-06\"\nto = \"2027-02-13\"\nworkdays = [\"2027-02-14\", \"2027-02-20\"]\n",
    )
    .expect("write the calendar file");
    let year = year.to_string_lossy().into_owned();
    let backup = dir.path().join("backup.db").to_string_lossy().into_owned();
    // The database is migrated once first, so that the runs race for nothing but connections.
    let (migrated, stderr) = finish(&mut with_db(&["migrate"]));
    assert_eq!(outcome(migrated), "exit 0", "{stderr}");

    let password = "Exit-pass-123";
    let commands: Vec<(&str, Run, &str)> = vec![
        (
            "migrate",
            Box::new(|_| finish(&mut with_db(&["migrate"]))),
            "exit 0",
        ),
        (
            "user add",
            Box::new(|n| {
                let username = format!("exit-{n}");
                finish(&mut with_db(&[
                    "user",
                    "add",
                    "--role",
                    "admin",
                    "--username",
                    &username,
                    "--password",
                    password,
                ]))
            }),
            "exit 0",
        ),
        (
            "calendar load",
            Box::new(|_| finish(&mut with_db(&["calendar", "load", &year]))),
            "exit 0",
        ),
        (
            "calendar list",
            Box::new(|_| finish(&mut with_db(&["calendar", "list"]))),
            "exit 0",
        ),
        (
            "seed-load",
            Box::new(|n| {
                let seed = n.to_string();
                finish(&mut with_db(&[
                    "seed-load",
                    "--tickets",
                    "20",
                    "--seed",
                    &seed,
                ]))
            }),
            "exit 0",
        ),
        // PostgreSQL has its own tools for these: refused with a message, and exit 1.
        (
            "backup",
            Box::new(|_| finish(&mut with_db(&["backup", &backup]))),
            "exit 1",
        ),
        (
            "restore",
            Box::new(|_| finish(&mut with_db(&["restore", &backup]))),
            "exit 1",
        ),
        (
            "serve, SIGTERM",
            Box::new(|_| {
                until_sigterm(
                    &mut with_db(&["serve", "--bind", "127.0.0.1:0"]),
                    "qiyeshao is listening",
                )
            }),
            "exit 0",
        ),
        (
            "worker, SIGTERM",
            Box::new(|_| until_sigterm(&mut with_db(&["worker"]), "delivering notifications")),
            "exit 0",
        ),
    ];
    let mut report = Vec::new();
    for (name, run, expected) in &commands {
        let counts = count(name, runs, expected, run);
        eprintln!("exits: {name}: {counts:?}");
        report.push((*name, counts, *expected));
    }
    for (name, counts, expected) in report {
        assert_eq!(
            counts,
            BTreeMap::from([(expected.to_string(), runs)]),
            "`{name}` on PostgreSQL, {runs} runs: every one should end with {expected}"
        );
    }
}

crate::tests!(
    #[needs(Postgres)]
    every_command_exits_cleanly_on_postgres,
);
