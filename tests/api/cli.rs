//! The binary itself: `migrate`, `user add`, and `serve --demo` on each backend.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::helpers::{Backend, empty_database};

pub(crate) fn qiyeshao() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qiyeshao"));
    cmd.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    cmd
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run qiyeshao");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn migrate_and_add_users() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let (ok, out, err) = run(qiyeshao().args(["migrate", "--database-url", &db]));
    assert!(ok, "{err}");
    assert!(out.contains("Applied 26 migration"), "{out}");
    let (ok, out, _) = run(qiyeshao().args(["migrate", "--database-url", &db]));
    assert!(ok && out.contains("up to date"), "{out}");

    let (ok, out, err) = run(qiyeshao().args([
        "user",
        "add",
        "--database-url",
        &db,
        "--role",
        "admin",
        "--username",
        "Chief",
        "--password",
        "Chief-pass-1",
        "--name",
        "局长",
    ]));
    assert!(ok, "{err}");
    assert!(out.contains("Created admin account \"chief\""), "{out}");
    // The first administrator chooses their own password at the first sign-in…
    assert!(out.contains("chooses its own password"), "{out}");
    // …unless the password given is to stay (scripts, benchmarks).
    let (ok, out, err) = run(qiyeshao().args([
        "user",
        "add",
        "--database-url",
        &db,
        "--role",
        "admin",
        "--username",
        "script",
        "--password",
        "Script-pass-1",
        "--keep-password",
    ]));
    assert!(ok, "{err}");
    assert!(!out.contains("chooses its own password"), "{out}");
    // Refusals are explained and leave a non-zero exit status.
    for (args, expected) in [
        (
            vec![
                "--role",
                "admin",
                "--username",
                "chief",
                "--password",
                "Chief-pass-1",
            ],
            "already taken",
        ),
        (
            vec![
                "--role",
                "cadre",
                "--username",
                "cadre1",
                "--password",
                "Cadre-pass-1",
            ],
            "department_id is required",
        ),
        (
            vec![
                "--role",
                "boss",
                "--username",
                "boss1",
                "--password",
                "Boss-pass-1",
            ],
            "--role must be one of",
        ),
        (
            vec![
                "--role",
                "admin",
                "--username",
                "x",
                "--password",
                "Boss-pass-1",
            ],
            "--username",
        ),
        (
            vec![
                "--role",
                "admin",
                "--username",
                "short",
                "--password",
                "1234",
            ],
            "at least 8",
        ),
        (
            vec![
                "--role",
                "cadre",
                "--username",
                "cadre2",
                "--password",
                "Cadre-pass-1",
                "--department",
                "无此部门",
            ],
            "no department",
        ),
    ] {
        let mut cmd = qiyeshao();
        cmd.args(["user", "add", "--database-url", &db]).args(&args);
        let (ok, _, err) = run(&mut cmd);
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

fn calendar_load_and_list() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let file = dir.path().join("2027.toml");
    std::fs::write(
        &file,
        "year = 2027\n[[holidays]]\nname = \"春节\"\nfrom = \"2027-02-06\"\nto = \"2027-02-13\"\nworkdays = [\"2027-02-14\", \"2027-02-20\"]\n",
    )
    .expect("write");
    let (ok, out, err) = run(qiyeshao()
        .args(["calendar", "load", "--database-url", &db])
        .arg(&file));
    assert!(ok, "{err}");
    assert!(
        out.contains(
            "Loaded the calendar of 2027: 1 holidays, 8 days off, 2 make-up working days."
        ),
        "{out}"
    );
    let (ok, out, err) = run(qiyeshao().args(["calendar", "list", "--database-url", &db]));
    assert!(ok, "{err}");
    assert!(out.contains("2026: 7 holidays (BuiltIn)"), "{out}");
    assert!(out.contains("2027: 1 holidays (Database)"), "{out}");
    // A bad file is refused with the reason, and nothing is stored.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "year = 2028\n[[holidays]]\nname = \"x\"\nfrom = \"2028-01-01\"\nto = \"2028-01-02\"\nworkdays = [\"2028-01-04\"]\n",
    )
    .expect("write");
    let (ok, _, err) = run(qiyeshao()
        .args(["calendar", "load", "--database-url", &db])
        .arg(&bad));
    assert!(!ok);
    assert!(err.contains("not a weekend day"), "{err}");
    let (_, out, _) = run(qiyeshao().args(["calendar", "list", "--database-url", &db]));
    assert!(!out.contains("2028"), "{out}");
}

/// Kills the server when the test ends, however it ends.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve --demo` on a free port; returns the server, its URL and what it printed.
fn serve_demo(data_dir: &std::path::Path, database_url: &str) -> (Server, String, String) {
    serve_demo_with(data_dir, database_url, &[])
}

/// [`serve_demo`] with more settings in the environment.
pub(crate) fn serve_demo_with(
    data_dir: &std::path::Path,
    database_url: &str,
    env: &[(&str, &str)],
) -> (Server, String, String) {
    let mut child = qiyeshao()
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("QIYESHAO__DATA__DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut printed = String::new();
    let mut lines = BufReader::new(stdout).lines();
    let mut url = None;
    // The banner ends with the example request.
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(rest) = line.trim().strip_prefix("qiyeshao is running at ") {
            url = Some(rest.trim().to_string());
        }
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("-d '{") {
            break;
        }
    }
    // Keep reading, so that the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (server, url.expect("the URL is printed"), printed)
}

async fn demo_serves_the_whole_loop(backend: Backend) {
    let fresh = empty_database(backend);
    let data = tempfile::tempdir().expect("dir");
    let url = &fresh.settings.database.url;
    let (server, base, printed) = serve_demo(data.path(), url);
    assert!(
        printed.contains("Every demo account's password is Qiyeshao@2026"),
        "{printed}"
    );
    for role in ["admin", "dispatcher", "cadre", "enterprise"] {
        assert!(
            printed.contains(&format!("  {role} ")),
            "{role} missing from: {printed}"
        );
    }
    let client = crate::helpers::http_client();
    let login = |username: &'static str| demo_token(&client, &base, username);
    let get = |token: String, path: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .expect("get")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let all = get(login("dispatcher").await, "/api/v1/tickets").await;
    let statuses: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["status"].as_str().expect("status"))
        .collect();
    // The demo's four, then the routing history (closed tickets of the months before).
    assert_eq!(
        statuses[..4],
        ["submitted", "submitted", "assigned", "closed"]
    );
    assert!(statuses.len() > 4, "{statuses:?}");
    assert!(statuses[4..].iter().all(|s| *s == "closed"), "{statuses:?}");
    // The history teaches the routing suggestions: the waiting suggestion (通勤班车) has some.
    let waiting = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["title"].as_str().is_some_and(|x| x.contains("通勤班车")))
        .and_then(|t| t["id"].as_str())
        .expect("the demo's suggestion")
        .to_string();
    let routing = client
        .get(format!("{base}/api/v1/tickets/{waiting}/routing"))
        .bearer_auth(login("dispatcher").await)
        .send()
        .await
        .expect("get")
        .json::<serde_json::Value>()
        .await
        .expect("json");
    assert!(
        routing["learned_from"].as_u64().expect("learned_from") > 1000,
        "{routing}"
    );
    assert_eq!(
        routing["departments"][0]["name"], "望城经开区管委会",
        "{routing}"
    );
    let mine = get(login("enterprise").await, "/api/v1/tickets").await;
    assert_eq!(mine["items"].as_array().expect("items").len(), 3);
    let cats = get(login("cadre").await, "/api/v1/categories").await;
    assert_eq!(cats["items"].as_array().expect("items").len(), 8);
    drop(server);

    // A second start keeps the data and adds none.
    let (_server, _, printed) = serve_demo(data.path(), url);
    assert!(printed.contains("already holds data"), "{printed}");
}

fn a_bad_configuration_is_explained() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[http]\nmax_page_size = \"lots\"\n").expect("write");
    let (ok, _, err) = run(qiyeshao().args(["--config", file.to_str().expect("path"), "migrate"]));
    assert!(!ok);
    assert!(err.contains("configuration"), "{err}");
    let (ok, _, err) = run(qiyeshao().args(["--config", "/nonexistent.toml", "migrate"]));
    assert!(!ok);
    assert!(err.contains("not found"), "{err}");
    let (ok, _, err) = run(qiyeshao()
        .args(["migrate"])
        .env("DATABASE_URL", "postgress://localhost/typo"));
    assert!(!ok);
    assert!(err.contains("not supported"), "{err}");
    let (ok, _, err) =
        run(qiyeshao().args(["migrate", "--database-url", "postgress://localhost/typo"]));
    assert!(!ok);
    assert!(err.contains("not supported"), "{err}");
    let (ok, _, err) = run(qiyeshao()
        .args(["migrate"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"));
    assert!(!ok);
    assert!(err.contains("cannot connect"), "{err}");
}

/// Signs in with the demo password; the access token.
pub(crate) async fn demo_token(client: &reqwest::Client, base: &str, username: &str) -> String {
    let r: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": "Qiyeshao@2026"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    r["access_token"].as_str().expect("token").to_string()
}

/// The id of the first category the demo offers, to file under.
pub(crate) async fn first_category(client: &reqwest::Client, base: &str, token: &str) -> String {
    let categories: serde_json::Value = client
        .get(format!("{base}/api/v1/categories"))
        .bearer_auth(token)
        .send()
        .await
        .expect("categories")
        .json()
        .await
        .expect("json");
    categories["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// Tickets filed by four filers at once until stopped, each noted with when it was answered
/// 201. A filing the server does not answer (it was killed) ends its filer.
/// A filing that was answered 201: the ticket, when its request was sent and when its answer
/// came.
#[derive(Debug, Clone)]
struct Answered {
    id: String,
    sent: std::time::Instant,
    at: std::time::Instant,
}

struct Load {
    answered: std::sync::Arc<std::sync::Mutex<Vec<Answered>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    filers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    async fn start(client: &reqwest::Client, base: &str) -> Load {
        let token = demo_token(client, base, "enterprise").await;
        let category = first_category(client, base, &token).await;
        let load = Load {
            answered: Default::default(),
            stop: Default::default(),
            filers: Vec::new(),
        };
        let mut filers = Vec::new();
        for n in 0..4 {
            let (client, base, token, category) = (
                client.clone(),
                base.to_string(),
                token.clone(),
                category.clone(),
            );
            let (answered, stop) = (load.answered.clone(), load.stop.clone());
            filers.push(tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let sent_at = std::time::Instant::now();
                    let sent = client
                        .post(format!("{base}/api/v1/tickets"))
                        .bearer_auth(&token)
                        .json(&json!({"kind": "problem", "category_id": category,
                                      "title": format!("压测 {n}-{i}"), "description": "负载"}))
                        .send()
                        .await;
                    let Ok(r) = sent else { return };
                    if r.status() != 201 {
                        return;
                    }
                    let Ok(t) = r.json::<serde_json::Value>().await else {
                        return;
                    };
                    let id = t["id"].as_str().expect("id").to_string();
                    answered.lock().expect("lock").push(Answered {
                        id,
                        sent: sent_at,
                        at: std::time::Instant::now(),
                    });
                }
            }));
        }
        Load { filers, ..load }
    }

    /// Stops the filers; every ticket answered, with when.
    async fn finish(self) -> Vec<Answered> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for f in self.filers {
            f.await.expect("filer");
        }
        self.answered.lock().expect("lock").clone()
    }
}

/// The ticket as an administrator reads it: status and body.
pub(crate) async fn ticket_as(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
) -> (u16, serde_json::Value) {
    let r = client
        .get(format!("{base}/api/v1/tickets/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// `backup` of a live SQLite database under load, then `restore` into place: everything
/// answered before the backup began is there with its timeline, nothing after the backup
/// ended is, and `restore` refuses while a server holds the database.
async fn backup_and_restore_round_trip_under_load() {
    let data = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", data.path().join("live.db").display());
    let (server, base, _) = serve_demo(data.path(), &url);
    let client = crate::helpers::http_client();
    let load = Load::start(&client, &base).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let backup = data.path().join("backups").join("snapshot.db");
    let began = std::time::Instant::now();
    let path = backup.to_string_lossy().to_string();
    let (ok, out, err) = tokio::task::spawn_blocking({
        let (url, path) = (url.clone(), path.clone());
        move || run(qiyeshao().args(["backup", &path, "--database-url", &url]))
    })
    .await
    .expect("backup");
    let ended = std::time::Instant::now();
    assert!(ok, "{err}");
    assert!(out.contains("integrity check: ok"), "{out}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let answered = load.finish().await;
    // Answered before the backup began: committed before it. Sent after it ended: committed
    // after it. (A filing answers once its notices are expanded, a moment after its commit,
    // so an answer after the end says nothing.)
    let before: Vec<&String> = answered
        .iter()
        .filter(|a| a.at < began)
        .map(|a| &a.id)
        .collect();
    let after: Vec<&String> = answered
        .iter()
        .filter(|a| a.sent > ended)
        .map(|a| &a.id)
        .collect();
    assert!(
        before.len() >= 4 && !after.is_empty(),
        "{} before, {} after",
        before.len(),
        after.len()
    );

    // Not over a database in use; nor a backup onto an existing file.
    let (ok, _, err) = run(qiyeshao().args(["restore", &path, "--database-url", &url]));
    assert!(!ok && err.contains("in use"), "{err}");
    let (ok, _, err) = run(qiyeshao().args(["backup", &path, "--database-url", &url]));
    assert!(!ok && err.contains("exists already"), "{err}");
    drop(server);

    let (ok, out, err) = run(qiyeshao().args(["restore", &path, "--database-url", &url]));
    assert!(ok, "{err}");
    assert!(out.contains("kept as"), "{out}");
    let (_server, base, printed) = serve_demo(data.path(), &url);
    assert!(printed.contains("already holds data"), "{printed}");
    let admin = demo_token(&client, &base, "admin").await;
    for id in before {
        let (status, body) = ticket_as(&client, &base, &admin, id).await;
        assert_eq!(status, 200, "{id} answered before the backup is missing");
        assert_eq!(
            body["events"].as_array().expect("events").len(),
            1,
            "{body}"
        );
    }
    for id in after {
        assert_eq!(
            ticket_as(&client, &base, &admin, id).await.0,
            404,
            "{id} came after the backup"
        );
    }
}

/// The server killed with SIGKILL in the middle of a filing load, then started again: every
/// ticket answered 201 is there with its timeline and its notifications, which are then
/// delivered; no ticket in the database lacks its filing event.
async fn nothing_answered_is_lost_when_the_server_is_killed(backend: Backend) {
    let fresh = empty_database(backend);
    let data = tempfile::tempdir().expect("dir");
    let url = fresh.settings.database.url.clone();
    // The liaison cadre gets a message per filing: lift the hourly limit per recipient, or
    // most would (rightly) be refused as a storm.
    let env = [
        (
            "QIYESHAO__NOTIFICATIONS__SMS_PER_RECIPIENT_PER_HOUR",
            "100000",
        ),
        (
            "QIYESHAO__NOTIFICATIONS__EMAIL_PER_RECIPIENT_PER_HOUR",
            "100000",
        ),
        // Messages the killed worker had leased are due again when the lease runs out (five
        // minutes by default): shorten it, and the send timeouts a lease must outlast three
        // times, so that the test sees them delivered.
        ("QIYESHAO__NOTIFICATIONS__LEASE_SECS", "4"),
        ("QIYESHAO__NOTIFICATIONS__EMAIL__TIMEOUT_SECS", "1"),
        ("QIYESHAO__NOTIFICATIONS__SMS__TIMEOUT_SECS", "1"),
    ];
    let (server, base, _) = serve_demo_with(data.path(), &url, &env);
    let client = crate::helpers::http_client();
    let load = Load::start(&client, &base).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // Server's Drop sends SIGKILL: no shutdown, no flushing, mid-request.
    drop(server);
    let answered = load.finish().await;
    assert!(
        answered.len() >= 8,
        "only {} filings were answered",
        answered.len()
    );
    eprintln!(
        "{backend:?}: {} filings answered 201 before SIGKILL",
        answered.len()
    );

    let (_server, base, printed) = serve_demo_with(data.path(), &url, &env);
    assert!(printed.contains("already holds data"), "{printed}");
    let admin = demo_token(&client, &base, "admin").await;
    for Answered { id, .. } in &answered {
        let (status, body) = ticket_as(&client, &base, &admin, id).await;
        assert_eq!(status, 200, "{id} was answered 201 and is gone");
        assert_eq!(body["events"][0]["action"], "file", "{body}");
    }
    // Every ticket in the database is whole: the ones answered and any committed just as the
    // server died.
    let mut cursor = String::new();
    let mut seen = 0;
    loop {
        let page: serde_json::Value = client
            .get(format!("{base}/api/v1/tickets?limit=100{cursor}"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        for t in page["items"].as_array().expect("items") {
            let id = t["id"].as_str().expect("id");
            let (_, body) = ticket_as(&client, &base, &admin, id).await;
            assert!(
                !body["events"].as_array().expect("events").is_empty(),
                "{id} has no timeline"
            );
            seen += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert!(
        seen >= answered.len() + 4,
        "{seen} tickets listed for {} answered",
        answered.len()
    );
    // Their notifications were queued with them, and the restarted server delivers them.
    all_delivered(
        &client,
        &base,
        &admin,
        answered.iter().map(|a| a.id.as_str()),
    )
    .await;
}

/// Waits (up to 30 s) until every notification of each ticket is sent; fails for a ticket
/// with none.
pub(crate) async fn all_delivered<'a>(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    tickets: impl IntoIterator<Item = &'a str>,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    for id in tickets {
        loop {
            let list: serde_json::Value = client
                .get(format!("{base}/api/v1/notifications?ticket_id={id}"))
                .bearer_auth(admin)
                .send()
                .await
                .expect("notifications")
                .json()
                .await
                .expect("json");
            let items = list["items"].as_array().expect("items");
            assert!(!items.is_empty(), "{id} has no notifications");
            if items.iter().all(|n| n["status"] == "sent") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{id}'s notifications were not delivered: {list}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

/// SIGTERM under load: the server stops taking connections, finishes what is in flight and
/// exits 0, with no message left leased ("sending") and every ticket it answered stored.
async fn sigterm_under_load_finishes_in_flight_work_and_leaves_nothing_leased() {
    let data = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", data.path().join("term.db").display());
    let env = [
        (
            "QIYESHAO__NOTIFICATIONS__SMS_PER_RECIPIENT_PER_HOUR",
            "100000",
        ),
        (
            "QIYESHAO__NOTIFICATIONS__EMAIL_PER_RECIPIENT_PER_HOUR",
            "100000",
        ),
    ];
    let (mut server, base, _) = serve_demo_with(data.path(), &url, &env);
    let client = crate::helpers::http_client();
    let load = Load::start(&client, &base).await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let pid = server.0.id().to_string();
    let (ok, _, err) = run(Command::new("kill").args(["-TERM", &pid]));
    assert!(ok, "{err}");
    let stopped_by = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < stopped_by,
            "still running 20 s after SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit after SIGTERM: {status}");
    let answered = load.finish().await;
    assert!(
        answered.len() >= 8,
        "only {} filings were answered",
        answered.len()
    );

    let restarted_at = qiyeshao::domain::time::format(chrono::Utc::now());
    let (_server, base, _) = serve_demo_with(data.path(), &url, &env);
    let admin = demo_token(&client, &base, "admin").await;
    let leased: serde_json::Value = client
        .get(format!(
            "{base}/api/v1/notifications?status=sending&limit=100"
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("notifications")
        .json()
        .await
        .expect("json");
    // The restarted server may be sending some this moment; none may have been leased by the
    // one that stopped (a stopped worker finishes its round: it leaves no lease behind).
    for n in leased["items"].as_array().expect("items") {
        let updated = n["updated_at"].as_str().expect("updated_at");
        assert!(
            updated >= restarted_at.as_str(),
            "left leased by the stopped server: {n}"
        );
    }
    for Answered { id, .. } in &answered {
        let (status, body) = ticket_as(&client, &base, &admin, id).await;
        assert_eq!(status, 200, "{id} was answered 201 and is gone");
        assert_eq!(body["events"][0]["action"], "file", "{body}");
    }
}

fn backup_is_for_sqlite_and_explains_postgres() {
    let (ok, _, err) = run(qiyeshao().args([
        "backup",
        "/tmp/never-written.db",
        "--database-url",
        "postgres://postgres@127.0.0.1:5432/postgres",
    ]));
    assert!(!ok);
    assert!(err.contains("pg_dump"), "{err}");
    let dir = tempfile::tempdir().expect("dir");
    let not_a_db = dir.path().join("x.db");
    std::fs::write(&not_a_db, b"not a database").expect("write");
    let url = format!("sqlite://{}", dir.path().join("target.db").display());
    let (ok, _, err) = run(qiyeshao().args([
        "restore",
        &not_a_db.to_string_lossy(),
        "--database-url",
        &url,
    ]));
    assert!(!ok, "{err}");
    assert!(
        err.contains("not a SQLite database") || err.contains("integrity"),
        "{err}"
    );
    assert!(!dir.path().join("target.db").exists());
}

/// The request log names the method and path, not the query string, which can carry phone
/// numbers (a search, an outbox filter); the notifier's own lines mask numbers.
async fn the_request_log_carries_no_personal_data() {
    use std::io::Read;
    let data = tempfile::tempdir().expect("dir");
    let mut child = qiyeshao()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("QIYESHAO__DATA__DIR", data.path())
        .env("QIYESHAO__LOG__LEVEL", "info")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("http://"))
                .map(str::to_string)
        })
        .expect("the address is printed");
    let client = crate::helpers::http_client();
    let r = client
        .get(format!(
            "{base}/api/v1/notifications?recipient=13912345678&q=赵强"
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 401);
    // A signed download link's token is a credential while it lives: not in the log either.
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW5vdC1pbi10aGUtbG9n";
    let r = client
        .get(format!("{base}/api/v1/downloads/{token}"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let _ = child.kill();
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("log");
    let _ = child.wait();
    assert!(log.contains("GET /api/v1/notifications"), "{log}");
    assert!(log.contains("GET /api/v1/downloads/…"), "{log}");
    assert!(
        !log.contains("13912345678") && !log.contains("赵强") && !log.contains("c2lnbmF0dXJl"),
        "{log}"
    );
}

crate::tests!(
    migrate_and_add_users,
    calendar_load_and_list,
    a_bad_configuration_is_explained,
    #[each_backend]
    demo_serves_the_whole_loop,
    backup_and_restore_round_trip_under_load,
    sigterm_under_load_finishes_in_flight_work_and_leaves_nothing_leased,
    backup_is_for_sqlite_and_explains_postgres,
    #[each_backend]
    nothing_answered_is_lost_when_the_server_is_killed,
    the_request_log_carries_no_personal_data,
);
