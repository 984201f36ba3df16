//! A PostgreSQL outage under load. The database is a PostgreSQL cluster of the test's own
//! (initdb in a temporary directory, on a port of its own), since the shared one of
//! `TEST_POSTGRES_URL` cannot be stopped under the other tests: the binaries are found with
//! `TEST_PG_BINDIR`, `pg_config --bindir` or under `/usr/lib/postgresql/*/bin`. Without them
//! the harness reports the tests as ignored, unless `TEST_REQUIRE_POSTGRES=1`, which makes them
//! fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::{all_delivered, demo_token, first_category, serve_demo_with, ticket_as};
use crate::helpers::free_port;

/// A PostgreSQL server of the test's own, stopped and removed when dropped.
struct PrivatePostgres {
    bindir: PathBuf,
    data: PathBuf,
    port: u16,
    dir: tempfile::TempDir,
}

/// The directory holding `initdb` and `pg_ctl` (the harness asks, before the run).
pub(crate) fn postgres_bindir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("TEST_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_tools(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_tools(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user.
fn as_postgres_user(program: &Path) -> Command {
    let uid = Command::new("id").arg("-u").output().expect("id -u");
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

#[track_caller]
fn run_ok(cmd: &mut Command) {
    let out = cmd.output().expect("run a PostgreSQL command");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PrivatePostgres {
    fn start() -> PrivatePostgres {
        let bindir = postgres_bindir().expect("PostgreSQL's server programs (initdb, pg_ctl)");
        let dir = tempfile::tempdir().expect("temp dir");
        run_ok(Command::new("chmod").arg("0777").arg(dir.path()));
        let data = dir.path().join("data");
        run_ok(
            as_postgres_user(&bindir.join("initdb"))
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
                .arg("-D")
                .arg(&data),
        );
        let pg = PrivatePostgres {
            bindir,
            data,
            port: free_port(),
            dir,
        };
        pg.resume();
        pg
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self) -> Command {
        let mut cmd = as_postgres_user(&self.bindir.join("pg_ctl"));
        cmd.arg("-D").arg(&self.data);
        cmd
    }

    /// Starts the server (again), waiting until it accepts connections.
    fn resume(&self) {
        let options = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={}",
            self.port,
            self.dir.path().display()
        );
        run_ok(
            self.pg_ctl()
                .args(["-w", "-t", "60", "-o", &options, "-l"])
                .arg(self.dir.path().join("server.log"))
                .arg("start"),
        );
    }

    /// A fast shutdown: sessions are ended at once, as when the database host goes down.
    fn stop(&self) {
        run_ok(self.pg_ctl().args(["-w", "-m", "fast", "stop"]));
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .pg_ctl()
            .args(["-w", "-m", "immediate", "stop"])
            .output();
    }
}

/// One request of the load: when it was sent, how long it took and how it was answered.
#[derive(Debug, Clone)]
struct Answer {
    sent: Instant,
    took: Duration,
    /// `None` when no answer came (a transport error or the client's timeout).
    status: Option<u16>,
    code: String,
    retry_after: bool,
    /// The ticket a 201 filing created.
    ticket: Option<String>,
}

/// Clients filing tickets and reading the list until stopped, noting every answer.
struct MixedLoad {
    answers: Arc<Mutex<Vec<Answer>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl MixedLoad {
    fn start(client: &reqwest::Client, base: &str, token: &str, category: &str) -> MixedLoad {
        let answers: Arc<Mutex<Vec<Answer>>> = Default::default();
        let stop: Arc<std::sync::atomic::AtomicBool> = Default::default();
        let clients = (0..4)
            .map(|n| {
                let (client, base, token, category) = (
                    client.clone(),
                    base.to_string(),
                    token.to_string(),
                    category.to_string(),
                );
                let (answers, stop) = (answers.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut i = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        i += 1;
                        let request = if i % 2 == 0 {
                            client.get(format!("{base}/api/v1/tickets?limit=20"))
                        } else {
                            client.post(format!("{base}/api/v1/tickets")).json(&json!({
                                "kind": "problem", "category_id": category,
                                "title": format!("停库 {n}-{i}"), "description": "负载"}))
                        };
                        let sent = Instant::now();
                        let answer = match request.bearer_auth(&token).send().await {
                            Err(_) => Answer {
                                sent,
                                took: sent.elapsed(),
                                status: None,
                                code: String::new(),
                                retry_after: false,
                                ticket: None,
                            },
                            Ok(r) => {
                                let status = r.status().as_u16();
                                let retry_after = r.headers().contains_key("retry-after");
                                let body: Value = r.json().await.unwrap_or_default();
                                Answer {
                                    sent,
                                    took: sent.elapsed(),
                                    status: Some(status),
                                    code: body["error"].as_str().unwrap_or("").to_string(),
                                    retry_after,
                                    ticket: (status == 201)
                                        .then(|| body["id"].as_str().map(str::to_string))
                                        .flatten(),
                                }
                            }
                        };
                        answers.lock().expect("lock").push(answer);
                        // Refused requests come back at once: pace the clients a little so
                        // that the outage is not a busy loop of the test itself.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                })
            })
            .collect();
        MixedLoad {
            answers,
            stop,
            clients,
        }
    }

    async fn finish(self) -> Vec<Answer> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for c in self.clients {
            c.await.expect("client");
        }
        self.answers.lock().expect("lock").clone()
    }
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let r = client.get(url).send().await.expect("request");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The value of a metric without labels in the Prometheus text.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

/// How long the server waits for a database connection before answering 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1000);
/// How long the server waits for the database's answer before answering 503.
const QUERY_TIMEOUT: Duration = Duration::from_millis(1500);

/// A TCP relay between the server and PostgreSQL that can freeze: connections stay open, and
/// nothing goes through either way, as when the database host hangs or the network drops
/// packets (no error, no reset: only silence).
struct FreezingRelay {
    port: u16,
    frozen: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl FreezingRelay {
    async fn start(upstream: u16) -> FreezingRelay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let frozen: Arc<std::sync::atomic::AtomicBool> = Default::default();
        let flag = frozen.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(Self::pipe(client_read, server_write, flag.clone()));
                tokio::spawn(Self::pipe(server_read, client_write, flag.clone()));
            }
        });
        FreezingRelay { port, frozen, task }
    }

    async fn pipe(
        mut from: tokio::net::tcp::OwnedReadHalf,
        mut to: tokio::net::tcp::OwnedWriteHalf,
        frozen: Arc<std::sync::atomic::AtomicBool>,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            while frozen.load(std::sync::atomic::Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            // What arrives while frozen is held until the thaw.
            while frozen.load(std::sync::atomic::Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if to.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }

    fn freeze(&self, frozen: bool) {
        self.frozen
            .store(frozen, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for FreezingRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The two ways a database goes away.
enum Outage {
    /// PostgreSQL is stopped: connections are closed, new ones refused.
    Stopped(PrivatePostgres),
    /// PostgreSQL hangs: connections stay open and nothing answers. (The server is held
    /// here so that it lives as long as the outage.)
    Frozen(#[allow(dead_code)] PrivatePostgres, FreezingRelay),
}

impl Outage {
    fn url(&self) -> String {
        match self {
            Outage::Stopped(pg) => pg.url(),
            Outage::Frozen(_, relay) => {
                format!("postgres://postgres@127.0.0.1:{}/postgres", relay.port)
            }
        }
    }

    fn begin(&self) {
        match self {
            Outage::Stopped(pg) => pg.stop(),
            Outage::Frozen(_, relay) => relay.freeze(true),
        }
    }

    fn end(&self) {
        match self {
            Outage::Stopped(pg) => pg.resume(),
            Outage::Frozen(_, relay) => relay.freeze(false),
        }
    }
}

async fn a_postgresql_outage_answers_503_quickly_and_recovers_without_a_restart() {
    let pg = PrivatePostgres::start();
    the_service_rides_out(Outage::Stopped(pg)).await;
}

async fn a_hanging_postgresql_answers_503_in_time_and_recovers_without_a_restart() {
    let pg = PrivatePostgres::start();
    let relay = FreezingRelay::start(pg.port).await;
    the_service_rides_out(Outage::Frozen(pg, relay)).await;
}

/// Under load, the database goes away for about four seconds and comes back.
async fn the_service_rides_out(outage: Outage) {
    let name = match &outage {
        Outage::Stopped(_) => "stopped",
        Outage::Frozen(..) => "frozen",
    };
    let data = tempfile::tempdir().expect("dir");
    let acquire_ms = ACQUIRE_TIMEOUT.as_millis().to_string();
    let query_ms = QUERY_TIMEOUT.as_millis().to_string();
    // Nothing waits much past the longer of the two.
    let bound = QUERY_TIMEOUT.max(ACQUIRE_TIMEOUT) + Duration::from_secs(2);
    let env = [
        (
            "QIYESHAO__DATABASE__ACQUIRE_TIMEOUT_MS",
            acquire_ms.as_str(),
        ),
        ("QIYESHAO__DATABASE__QUERY_TIMEOUT_MS", query_ms.as_str()),
        ("QIYESHAO__DATABASE__CONNECT_TIMEOUT_SECS", "1"),
        ("QIYESHAO__NOTIFICATIONS__POLL_INTERVAL_MS", "200"),
        // Messages leased when the database went away are due again when the lease ends.
        ("QIYESHAO__NOTIFICATIONS__LEASE_SECS", "4"),
        ("QIYESHAO__NOTIFICATIONS__EMAIL__TIMEOUT_SECS", "1"),
        ("QIYESHAO__NOTIFICATIONS__SMS__TIMEOUT_SECS", "1"),
        (
            "QIYESHAO__NOTIFICATIONS__SMS_PER_RECIPIENT_PER_HOUR",
            "100000",
        ),
        (
            "QIYESHAO__NOTIFICATIONS__EMAIL_PER_RECIPIENT_PER_HOUR",
            "100000",
        ),
    ];
    let (mut server, base, _) = serve_demo_with(data.path(), &outage.url(), &env);
    // A hang shows as a client timeout (no status), which the test refuses.
    let client = crate::helpers::http_client_builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("client");
    let token = demo_token(&client, &base, "enterprise").await;
    let admin = demo_token(&client, &base, "admin").await;
    let category = first_category(&client, &base, &token).await;
    let (status, _) = get(&client, &format!("{base}/readyz")).await;
    assert_eq!(status, 200);

    let load = MixedLoad::start(&client, &base, &token, &category);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopping = Instant::now();
    outage.begin();
    let stop_took = stopping.elapsed();
    let down_from = Instant::now();

    // Down: readiness says so, quickly; the metrics still answer, and show the worker waiting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = Instant::now();
    let (status, body) = get(&client, &format!("{base}/readyz")).await;
    let readyz_took = asked.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("not_ready"), "{body}");
    assert!(readyz_took < bound, "{readyz_took:?}");
    let (status, text) = get(&client, &format!("{base}/metrics")).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(metric(&text, "qiyeshao_database_up"), 0.0, "{text}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, text) = get(&client, &format!("{base}/metrics")).await;
    assert_eq!(metric(&text, "qiyeshao_worker_paused"), 1.0, "{text}");
    let failed_rounds = metric(&text, "qiyeshao_worker_outbox_unreachable_total");
    assert!(
        server.0.try_wait().expect("wait").is_none(),
        "the server exited"
    );

    // Back: the same process recovers by itself.
    let resumed_at = Instant::now();
    outage.end();
    let ready_by = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = get(&client, &format!("{base}/readyz")).await;
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < ready_by,
            "not ready 20 s after the database returned: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready_after = resumed_at.elapsed();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let answers = load.finish().await;
    // Sent after the database went away, and early enough that their wait for it ended
    // before it could be back.
    let window = down_from..resumed_at - QUERY_TIMEOUT.max(ACQUIRE_TIMEOUT);

    let during: Vec<&Answer> = answers
        .iter()
        .filter(|a| window.contains(&a.sent))
        .collect();
    let after: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.sent > resumed_at + ready_after)
        .collect();
    let refused = answers.iter().filter(|a| a.status == Some(503)).count();
    let slowest = answers.iter().map(|a| a.took).max().unwrap_or_default();
    eprintln!(
        "outage ({name}): {} requests ({} during the outage, {refused} answered 503, {} after recovery); \
         slowest {slowest:?}; the outage took {stop_took:?} to begin; /readyz 503 in {readyz_took:?}; \
         ready {ready_after:?} after the database returned; the worker failed {failed_rounds} rounds",
        answers.len(),
        during.len(),
        after.len(),
    );
    for a in &answers {
        match a.status {
            Some(200 | 201) => {}
            Some(503) => {
                assert_eq!(a.code, "database_unavailable", "{a:?}");
                assert!(a.retry_after, "a 503 without Retry-After: {a:?}");
            }
            _ => panic!("answered otherwise than 200, 201 or 503 (or not at all): {a:?}"),
        }
        // Fast: nothing waits much past the time to get a connection or an answer.
        assert!(a.took < bound, "a request took {:?}: {a:?}", a.took);
    }
    assert!(
        during.len() >= 8 && during.iter().all(|a| a.status == Some(503)),
        "every request sent while the database was down is answered 503: {during:?}"
    );
    assert!(
        !after.is_empty() && after.iter().all(|a| matches!(a.status, Some(200 | 201))),
        "after recovery every request succeeds: {after:?}"
    );
    // Paused, not spinning: the worker backs off while the database is away.
    assert!(
        (1.0..=20.0).contains(&failed_rounds),
        "the worker failed {failed_rounds} rounds in about 4 s"
    );
    let (_, text) = get(&client, &format!("{base}/metrics")).await;
    assert_eq!(metric(&text, "qiyeshao_database_up"), 1.0, "{text}");

    // Nothing answered is lost, and every message of those tickets is delivered.
    let filed: Vec<&str> = answers.iter().filter_map(|a| a.ticket.as_deref()).collect();
    assert!(filed.len() >= 8, "only {} filings answered", filed.len());
    for id in &filed {
        let (status, body) = ticket_as(&client, &base, &admin, id).await;
        assert_eq!(status, 200, "{id} was answered 201 and is gone");
        assert_eq!(body["events"][0]["action"], "file", "{body}");
    }
    all_delivered(&client, &base, &admin, filed.iter().copied()).await;
    let (_, text) = get(&client, &format!("{base}/metrics")).await;
    assert_eq!(metric(&text, "qiyeshao_worker_paused"), 0.0, "{text}");
}

crate::tests!(
    #[needs(PostgresServer)]
    #[workers(4)]
    a_postgresql_outage_answers_503_quickly_and_recovers_without_a_restart,
    #[needs(PostgresServer)]
    #[workers(4)]
    a_hanging_postgresql_answers_503_in_time_and_recovers_without_a_restart,
);
