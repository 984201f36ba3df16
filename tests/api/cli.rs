//! The binary itself: `migrate`, `user add`, and `serve --demo` on each backend.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::helpers::{Backend, empty_database};

fn qiyeshao() -> Command {
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

#[test]
fn migrate_and_add_users() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let (ok, out, err) = run(qiyeshao().args(["migrate", "--database-url", &db]));
    assert!(ok, "{err}");
    assert!(out.contains("Applied 8 migration"), "{out}");
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

#[test]
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
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve --demo` on a free port; returns the server, its URL and what it printed.
fn serve_demo(data_dir: &std::path::Path, database_url: &str) -> (Server, String, String) {
    let mut child = qiyeshao()
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("QIYESHAO__DATA__DIR", data_dir)
        .env("DATABASE_URL", database_url)
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
    let Some(fresh) = empty_database(backend) else {
        return;
    };
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
    let login = |username: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
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
    };
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
    assert_eq!(statuses, ["submitted", "submitted", "assigned", "closed"]);
    let mine = get(login("enterprise").await, "/api/v1/tickets").await;
    assert_eq!(mine["items"].as_array().expect("items").len(), 3);
    let cats = get(login("cadre").await, "/api/v1/categories").await;
    assert_eq!(cats["items"].as_array().expect("items").len(), 8);
    drop(server);

    // A second start keeps the data and adds none.
    let (_server, _, printed) = serve_demo(data.path(), url);
    assert!(printed.contains("already holds data"), "{printed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serves_the_whole_loop_sqlite() {
    demo_serves_the_whole_loop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serves_the_whole_loop_postgres() {
    demo_serves_the_whole_loop(Backend::Postgres).await;
}

#[test]
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

/// `backup` of a live SQLite database under load, then `restore` into place: everything
/// answered before the backup began is there with its timeline, nothing after the backup
/// ended is, and `restore` refuses while a server holds the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_round_trip_under_load() {
    use std::sync::{Arc, Mutex};
    let data = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", data.path().join("live.db").display());
    let (server, base, _) = serve_demo(data.path(), &url);
    let client = crate::helpers::http_client();
    let token = |username: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
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
    };
    let enterprise = token("enterprise").await;
    let categories: serde_json::Value = client
        .get(format!("{base}/api/v1/categories"))
        .bearer_auth(&enterprise)
        .send()
        .await
        .expect("categories")
        .json()
        .await
        .expect("json");
    let category = categories["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();

    // Four filers at once, each noting when its ticket was answered 201.
    let answered: Arc<Mutex<Vec<(String, std::time::Instant)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut filers = Vec::new();
    for n in 0..4 {
        let (client, base, token, category) = (
            client.clone(),
            base.clone(),
            enterprise.clone(),
            category.clone(),
        );
        let (answered, stop) = (answered.clone(), stop.clone());
        filers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let r = client
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(&json!({"kind": "problem", "category_id": category,
                                  "title": format!("备份压测 {n}-{i}"), "description": "负载下备份"}))
                    .send()
                    .await
                    .expect("file");
                assert_eq!(r.status(), 201);
                let t: serde_json::Value = r.json().await.expect("json");
                let id = t["id"].as_str().expect("id").to_string();
                answered.lock().expect("lock").push((id, std::time::Instant::now()));
            }
        }));
    }
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
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for f in filers {
        f.await.expect("filer");
    }
    let answered = answered.lock().expect("lock").clone();
    let before: Vec<&String> = answered
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(id, _)| id)
        .collect();
    let after: Vec<&String> = answered
        .iter()
        .filter(|(_, at)| *at > ended)
        .map(|(id, _)| id)
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
    let admin = {
        let client = client.clone();
        let r: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "Qiyeshao@2026"}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        r["access_token"].as_str().expect("token").to_string()
    };
    let status_of = |id: String| {
        let (client, base, admin) = (client.clone(), base.clone(), admin.clone());
        async move {
            let r = client
                .get(format!("{base}/api/v1/tickets/{id}"))
                .bearer_auth(&admin)
                .send()
                .await
                .expect("get");
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.expect("json");
            (status, body)
        }
    };
    for id in before {
        let (status, body) = status_of(id.clone()).await;
        assert_eq!(status, 200, "{id} answered before the backup is missing");
        assert_eq!(
            body["events"].as_array().expect("events").len(),
            1,
            "{body}"
        );
    }
    for id in after {
        assert_eq!(
            status_of(id.clone()).await.0,
            404,
            "{id} came after the backup"
        );
    }
}

#[test]
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
