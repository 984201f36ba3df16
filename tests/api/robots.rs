//! Group robots (群机器人, issue 19) against stand-in servers of WeCom and DingTalk: real HTTP
//! servers that check each request as the platforms document it — WeCom's webhook key,
//! DingTalk's access token and its signature (recomputed here from the query, with the `hmac`
//! crate, not the service's code) within an hour of the time, the markdown body and its size,
//! 20 messages a minute — and answer as the real ones do (errcode 0; 45009 / 130101 when
//! throttled; 93000 / 310000 / 300001 when refused). Through the service: a department group
//! gets its new assignments, its overdue escalations and its daily check (once a day, also with
//! two instances); the leaders' group gets a published bulletin.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use qiyeshao::config::RobotSettings;
use qiyeshao::domain::time::{Clock, ManualClock};
use qiyeshao::notify::robot::Robots;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Backend, TestApp, id_of, spawn_app_with};
use crate::stats::{at, fresh};

const WECOM_KEY: &str = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
const DING_TOKEN: &str = "1f4b0c7e9d";
const DING_SECRET: &str = "SEC2b7a9d0e5c1f";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    WeCom,
    DingTalk,
}

/// What the stand-in answers a request that passes its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Ok,
    Busy,
}

/// A post as the platform took it: the markdown, its title (DingTalk).
#[derive(Debug, Clone)]
struct Post {
    text: String,
    title: String,
}

struct State {
    platform: Platform,
    /// The time the platform holds as now (the service's clock in these tests).
    clock: ManualClock,
    script: Mutex<Script>,
    /// Accepted posts.
    posts: Mutex<Vec<Post>>,
    /// Every answer's errcode, in order.
    codes: Mutex<Vec<i64>>,
    /// When each accepted post came, for the limit of 20 a minute.
    times: Mutex<Vec<DateTime<Utc>>>,
}

struct StandIn {
    url: String,
    state: Arc<State>,
    server: actix_web::dev::ServerHandle,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let stop = self.server.stop(false);
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current()
                .block_on(async { tokio::time::timeout(Duration::from_secs(5), stop).await })
        })
        .ok();
    }
}

fn answer(code: i64, message: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({"errcode": code, "errmsg": message}))
}

async fn platform(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let query =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .unwrap_or_default();
    let param = |name: &str| query.get(name).cloned();
    let code = check(&state, &req, &body, &param);
    state.codes.lock().unwrap().push(code.0);
    answer(code.0, code.1)
}

/// The platform's checks, in its order; `(errcode, errmsg)`.
fn check(
    state: &State,
    req: &HttpRequest,
    body: &[u8],
    param: &dyn Fn(&str) -> Option<String>,
) -> (i64, &'static str) {
    let now = state.clock.now();
    match state.platform {
        Platform::WeCom => {
            if req.path() != "/cgi-bin/webhook/send" || param("key").as_deref() != Some(WECOM_KEY) {
                return (93000, "invalid webhook url");
            }
        }
        Platform::DingTalk => {
            if req.path() != "/robot/send" || param("access_token").as_deref() != Some(DING_TOKEN) {
                return (300001, "token is not exist");
            }
            let (Some(ts), Some(sign)) = (param("timestamp"), param("sign")) else {
                return (310000, "sign not match");
            };
            let Ok(ts) = ts.parse::<i64>() else {
                return (310000, "invalid timestamp");
            };
            if (now.timestamp_millis() - ts).abs() > 3_600_000 {
                return (310000, "invalid timestamp");
            }
            let mut mac = Hmac::<Sha256>::new_from_slice(DING_SECRET.as_bytes()).unwrap();
            mac.update(format!("{ts}\n{DING_SECRET}").as_bytes());
            if BASE64.encode(mac.finalize().into_bytes()) != sign {
                return (310000, "sign not match");
            }
        }
    }
    let json_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return (40008, "invalid message type");
    };
    if !json_type || v["msgtype"] != "markdown" {
        return (40008, "invalid message type");
    }
    let (text, title) = match state.platform {
        Platform::WeCom => (v["markdown"]["content"].as_str(), Some("")),
        Platform::DingTalk => (
            v["markdown"]["text"].as_str(),
            v["markdown"]["title"].as_str(),
        ),
    };
    let (Some(text), Some(title)) = (text, title) else {
        return (44004, "empty content");
    };
    if text.is_empty() || (state.platform == Platform::WeCom && text.len() > 4096) {
        return (40058, "markdown.content exceed max length 4096");
    }
    if *state.script.lock().unwrap() == Script::Busy {
        return (-1, "system busy");
    }
    let mut times = state.times.lock().unwrap();
    let minute_ago = now - chrono::Duration::seconds(60);
    if times.iter().filter(|t| **t > minute_ago).count() >= 20 {
        return match state.platform {
            Platform::WeCom => (45009, "api freq out of limit"),
            Platform::DingTalk => (130101, "send too fast, exceed 20 times per minute"),
        };
    }
    times.push(now);
    state.posts.lock().unwrap().push(Post {
        text: text.to_string(),
        title: title.to_string(),
    });
    (0, "ok")
}

impl StandIn {
    fn start(platform_kind: Platform, clock: ManualClock) -> StandIn {
        let state = Arc::new(State {
            platform: platform_kind,
            clock,
            script: Mutex::new(Script::Ok),
            posts: Mutex::new(Vec::new()),
            codes: Mutex::new(Vec::new()),
            times: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(platform))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        let url = match platform_kind {
            Platform::WeCom => {
                format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key={WECOM_KEY}")
            }
            Platform::DingTalk => {
                format!("http://127.0.0.1:{port}/robot/send?access_token={DING_TOKEN}")
            }
        };
        StandIn {
            url,
            state,
            server: handle,
        }
    }

    fn posts(&self) -> Vec<Post> {
        self.state.posts.lock().unwrap().clone()
    }

    fn codes(&self) -> Vec<i64> {
        self.state.codes.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until the platform took `n` posts.
    async fn wait_for(&self, n: usize) -> Vec<Post> {
        for _ in 0..200 {
            if self.posts().len() >= n {
                return self.posts();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {n} posts, the platform took {:?} (answers {:?})",
            self.posts(),
            self.codes()
        );
    }
}

fn robot(
    name: &str,
    kind: &str,
    url: &str,
    secret: &str,
    department: &str,
    leaders: bool,
) -> RobotSettings {
    RobotSettings {
        name: name.into(),
        kind: kind.into(),
        url: url.into(),
        secret: secret.into(),
        department: department.into(),
        leaders,
    }
}

/// The answers, straight through the sender: sent, busy, refused (a wrong key, a wrong
/// secret), and the twenty-first message of a minute held back before it is sent.
async fn answers_are_sent_retried_or_given_up() {
    let clock = ManualClock::new(at("2026-11-23T10:00:00+08:00"));
    let wecom = StandIn::start(Platform::WeCom, clock.clone());
    let ding = StandIn::start(Platform::DingTalk, clock.clone());
    let settings = vec![
        robot("甲群", "wecom", &wecom.url, "", "部门甲", false),
        robot(
            "钉钉群",
            "dingtalk",
            &ding.url,
            DING_SECRET,
            "部门甲",
            false,
        ),
        robot(
            "错钥匙",
            "wecom",
            &wecom.url.replace(WECOM_KEY, "nope"),
            "",
            "部门甲",
            false,
        ),
        robot("错密钥", "dingtalk", &ding.url, "SECwrong", "部门甲", false),
    ];
    let robots = Robots::from_settings(&settings, Duration::from_secs(5), Arc::new(clock.clone()))
        .unwrap()
        .unwrap();
    let text = "### 新交办诉求\n**QYS1** 路灯 <b>损坏</b> & \"积水\"";
    assert!(robots.send("甲群", "新交办诉求", text).await.is_ok());
    assert_eq!(wecom.posts()[0].text, text, "the markdown as sent");
    assert!(robots.send("钉钉群", "新交办诉求", text).await.is_ok());
    assert_eq!(
        (
            ding.posts()[0].title.as_str(),
            ding.posts()[0].text.as_str()
        ),
        ("新交办诉求", text)
    );
    *wecom.state.script.lock().unwrap() = Script::Busy;
    let busy = robots.send("甲群", "t", "x").await.unwrap_err();
    assert!(!busy.permanent, "{busy}");
    *wecom.state.script.lock().unwrap() = Script::Ok;
    let refused = robots.send("错钥匙", "t", "x").await.unwrap_err();
    assert!(
        refused.permanent && refused.message.contains("93000"),
        "{refused}"
    );
    let unsigned = robots.send("错密钥", "t", "x").await.unwrap_err();
    assert!(
        unsigned.permanent && unsigned.message.contains("310000"),
        "{unsigned}"
    );
    let unknown = robots.send("没有这个群", "t", "x").await.unwrap_err();
    assert!(unknown.permanent);
    // A long text is cut to WeCom's 4,096 bytes rather than refused.
    assert!(robots.send("甲群", "t", &"长".repeat(3000)).await.is_ok());
    assert!(wecom.posts().last().unwrap().text.len() <= 4096);
    // Twenty a minute: the DingTalk robot has sent one; nineteen more go, the next is held
    // back without a request; a minute later it goes.
    for i in 0..19 {
        assert!(
            robots
                .send("钉钉群", "t", &format!("第{i}条"))
                .await
                .is_ok(),
            "{i}"
        );
    }
    let asked = ding.codes().len();
    let held = robots.send("钉钉群", "t", "第21条").await.unwrap_err();
    assert!(!held.permanent && held.message.contains("20"), "{held}");
    assert_eq!(ding.codes().len(), asked, "not sent to the platform");
    clock.advance(chrono::Duration::seconds(61));
    assert!(robots.send("钉钉群", "t", "第21条").await.is_ok());
}

async fn department_and_leaders_groups(backend: Backend) {
    let clock_probe = ManualClock::new(at("2026-11-23T10:00:00+08:00"));
    let wecom = StandIn::start(Platform::WeCom, clock_probe.clone());
    let leaders = StandIn::start(Platform::DingTalk, clock_probe.clone());
    let (wecom_url, leaders_url) = (wecom.url.clone(), leaders.url.clone());
    let app = spawn_app_with(backend, move |s| {
        s.notifications.robots = vec![
            robot("部门甲工作群", "wecom", &wecom_url, "", "部门甲", false),
            robot("领导群", "dingtalk", &leaders_url, DING_SECRET, "", true),
        ];
    })
    .await;
    // The stand-ins hold the service's time as now.
    let sync = |app: &TestApp| clock_probe.set(app.clock.now());
    let w = app.world().await;
    app.set_head(&w.dept_a, &w.cadre_a);
    app.clock.set(at("2026-11-23T10:00:00+08:00"));
    sync(&app);
    let w = fresh(&app, &w);
    // A request assigned to department A: its group hears of it.
    let t = app
        .file(&w.ent_a, &w.category, "厂区门口路灯损坏*急*")
        .await;
    let id = id_of(&t);
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id, "due_at": "2026-11-23T12:00:00+08:00"}),
    )
    .await
    .expect(200);
    let posts = wecom.wait_for(1).await;
    let number = t["number"].as_str().unwrap();
    assert!(
        posts[0].text.contains("新交办诉求") && posts[0].text.contains(number),
        "{}",
        posts[0].text
    );
    assert!(
        posts[0].text.contains("\\*急\\*"),
        "markdown in the title escaped: {}",
        posts[0].text
    );
    // Overdue: the sweep escalates it (督办), and the group hears of that.
    app.clock.set(at("2026-11-24T09:00:00+08:00"));
    sync(&app);
    app.scheduler.sweep().await.expect("sweep");
    let posts = wecom.wait_for(2).await;
    assert!(
        posts[1].text.contains("督办") && posts[1].text.contains(number),
        "{}",
        posts[1].text
    );
    // The daily check at 08:30 next day: the department's overdue request; once, whichever
    // instance runs it.
    app.clock.set(at("2026-11-25T08:31:00+08:00"));
    sync(&app);
    let report = app.scheduler.daily_check().await.expect("daily check");
    assert_eq!(report.robots, 1, "{report:?}");
    let other = app.second_scheduler(app.settings.clone());
    assert_eq!(other.daily_check().await.expect("again").robots, 0);
    let posts = wecom.wait_for(3).await;
    assert!(
        posts[2].text.contains("每日检查")
            && posts[2].text.contains("本部门已超期（1 件）")
            && posts[2].text.contains(number),
        "{}",
        posts[2].text
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        wecom.posts().len(),
        3,
        "nothing more to the department's group"
    );
    assert!(
        leaders.posts().is_empty(),
        "the leaders' group hears of no request"
    );
    // A bulletin published: the leaders' group (DingTalk, signed) hears of it.
    let w = fresh(&app, &w);
    let draft = app
        .post(
            "/api/v1/bulletins",
            Some(&w.admin.token),
            json!({"from": "2026-11-16"}),
        )
        .await
        .expect(201);
    app.post(
        &format!("/api/v1/bulletins/{}/publish", id_of(&draft)),
        Some(&w.admin.token),
        json!({"version": draft["version"]}),
    )
    .await
    .expect(200);
    let posts = leaders.wait_for(1).await;
    assert!(
        posts[0].title.contains("〔2026〕第1期"),
        "{}",
        posts[0].title
    );
    assert!(posts[0].text.contains("#/bulletins/"), "{}", posts[0].text);
    assert_eq!(leaders.codes(), [0], "signed as DingTalk checks it");
    assert_eq!(
        wecom.posts().len(),
        3,
        "the department's group does not get the bulletin"
    );
}

crate::tests!(
    #[each_backend]
    department_and_leaders_groups,
    answers_are_sent_retried_or_given_up,
);
