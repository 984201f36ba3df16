//! 送政策 (issue 20): the catalogue (drafts, publication, amendments that keep the old text,
//! withdrawal, search, who sees what); matching, recounted here independently over a generated
//! population of enterprises; pushes, each once even with two instances pushing; enterprises'
//! information changed by the enterprise (unverified) and confirmed by staff; applications,
//! grants (免申即享) and payments, the figures adding up and the 集中兑付 workbook read back;
//! questions routed to the policy's department; policies explained on visits.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::both_backends;
use crate::exports::{download, sheets, text};
use crate::helpers::{Resp, TestApp, User, World, id_of};
use crate::stats::{at, fresh};

async fn put(app: &TestApp, path: &str, who: &User, if_match: Option<i64>, body: Value) -> Resp {
    let mut req = app.client.put(app.url(path)).bearer_auth(&who.token);
    if let Some(r) = if_match {
        req = req.header("If-Match", format!("\"{r}\""));
    }
    app.send(req.json(&body)).await
}

async fn term(app: &TestApp, who: &User, kind: &str, name: &str) -> String {
    let list = app
        .get(
            &format!("/api/v1/policy-terms?kind={kind}"),
            Some(&who.token),
        )
        .await
        .expect(200);
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["name"] == name)
        .map(|t| t["id"].as_str().expect("id").to_string())
        .unwrap_or_else(|| panic!("no {kind} {name} in {list}"))
}

fn policy(title: &str, department: &str, field: &str, criteria: Value) -> Value {
    json!({
        "title": title,
        "department_id": department,
        "field_id": field,
        "summary": format!("{title}：对符合条件的企业给予支持。"),
        "full_text": format!("第一条 {title}。第二条 扶持标准以正文为准。"),
        "benefit": {"kind": "amount", "amount_fen": 10_000_000, "description": "最高 10 万元"},
        "how_to_apply": "网上申报",
        "contact": "0731-88000000",
        "criteria": criteria,
    })
}

/// Drafts (as `who`) and publishes (as the administrator) a policy; returns its id.
async fn published(app: &TestApp, w: &World, who: &User, body: Value) -> String {
    let draft = app
        .post("/api/v1/policies", Some(&who.token), body)
        .await
        .expect(201);
    let id = id_of(&draft);
    app.post(
        &format!("/api/v1/policies/{id}/publish"),
        Some(&w.admin.token),
        json!({}),
    )
    .await
    .expect(200);
    id
}

/// Waits for every publication's push, then runs two instances' push rounds at once.
async fn pushes_settle(app: &TestApp, w: &World, ids: &[String]) {
    for _ in 0..100 {
        let mut done = true;
        for id in ids {
            let p = app
                .get(&format!("/api/v1/policies/{id}"), Some(&w.admin.token))
                .await
                .expect(200);
            done &= p["push_state"] == "done";
        }
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let other = app.second_scheduler(app.settings.clone());
    let (a, b) = tokio::join!(app.scheduler.push_policies(), other.push_policies());
    let (a, b) = (
        a.expect("a push round"),
        b.expect("another instance's round"),
    );
    assert_eq!(
        a.pushed + b.pushed,
        0,
        "nothing was left to push: {a:?} {b:?}"
    );
}

// --- the independent recount ---------------------------------------------------------------

/// An enterprise as the test made it.
#[derive(Debug, Clone, Default)]
struct Made {
    id: String,
    chain: Option<String>,
    area: Option<String>,
    scale: Option<&'static str>,
    size: Option<&'static str>,
    quals: Option<Vec<String>>,
    founded: Option<String>,
}

/// The test's own reading of the rules (docs/policies.md): each criterion met, failed or
/// unknown; a failure excludes; unknowns make "may fit".
fn recount(c: &Value, e: &Made) -> Option<(&'static str, Vec<&'static str>)> {
    let list = |k: &str| -> Vec<String> {
        c[k].as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut unknown = Vec::new();
    let mut check = |name: &'static str, accepted: Vec<String>, value: Option<String>| {
        if accepted.is_empty() {
            return true;
        }
        match value {
            None => {
                unknown.push(name);
                true
            }
            Some(v) => accepted.contains(&v),
        }
    };
    let ok = check("industry_chain", list("industry_chains"), e.chain.clone())
        && check("area", list("areas"), e.area.clone())
        && check("scale", list("scales"), e.scale.map(String::from))
        && check("size", list("sizes"), e.size.map(String::from));
    if !ok {
        return None;
    }
    let quals = list("qualification_ids");
    if !quals.is_empty() {
        match &e.quals {
            None => unknown.push("qualifications"),
            Some(held) if held.iter().any(|q| quals.contains(q)) => {}
            Some(_) => return None,
        }
    }
    let after = c["founded_after"].as_str();
    let before = c["founded_before"].as_str();
    if after.is_some() || before.is_some() {
        match e.founded.as_deref() {
            None => unknown.push("founded"),
            Some(d) => {
                if after.is_some_and(|a| d < a) || before.is_some_and(|b| d > b) {
                    return None;
                }
            }
        }
    }
    Some((
        if unknown.is_empty() {
            "fits"
        } else {
            "may_fit"
        },
        unknown,
    ))
}

/// A small deterministic generator: the population is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn pick(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn set_chain_area(app: &TestApp, id: &str, chain: Option<String>, area: Option<String>) {
    let changes = qiyeshao::service::directory::EnterpriseChanges {
        area: Some(area),
        industry_chain: Some(chain),
        ..Default::default()
    };
    let id = id.to_string();
    app.db
        .write(move |c| {
            qiyeshao::service::directory::update_enterprise(
                c,
                &qiyeshao::service::audit::By::Unrecorded,
                &id,
                changes,
                chrono::Utc::now(),
            )
        })
        .expect("enterprise moved");
}

async fn population(app: &TestApp, w: &World, quals: &[String; 2]) -> Vec<Made> {
    let mut rng = Lcg(20_261_207);
    let chains = [Some("智能终端"), Some("新材料"), Some("绿色食品"), None];
    let areas = [Some("望城经开区"), Some("铜官"), None];
    let scales = [Some("above"), Some("below"), None];
    let sizes = [
        Some("large"),
        Some("medium"),
        Some("small"),
        Some("micro"),
        None,
    ];
    let mut made = Vec::new();
    for n in 0..48u32 {
        let id = app.make_enterprise(&format!("样本企业{n}有限公司"), 100 + n, None);
        let e = Made {
            id: id.clone(),
            chain: chains[rng.pick(4)].map(String::from),
            area: areas[rng.pick(3)].map(String::from),
            scale: scales[rng.pick(3)],
            size: sizes[rng.pick(5)],
            quals: match rng.pick(5) {
                0 => None,
                1 => Some(Vec::new()),
                2 => Some(vec![quals[0].clone()]),
                3 => Some(vec![quals[1].clone()]),
                _ => Some(vec![quals[0].clone(), quals[1].clone()]),
            },
            founded: match rng.pick(4) {
                0 => None,
                k => Some(format!("{}-06-15", 2008 + k * 5)),
            },
        };
        set_chain_area(app, &id, e.chain.clone(), e.area.clone());
        let mut patch = serde_json::Map::new();
        if let Some(s) = e.scale {
            patch.insert("scale".into(), json!(s));
        }
        if let Some(s) = e.size {
            patch.insert("size".into(), json!(s));
        }
        if let Some(q) = &e.quals {
            patch.insert("qualification_ids".into(), json!(q));
        }
        if let Some(f) = &e.founded {
            patch.insert("founded_on".into(), json!(f));
        }
        app.patch(
            &format!("/api/v1/enterprises/{id}/traits"),
            Some(&w.admin.token),
            Value::Object(patch),
        )
        .await
        .expect(200);
        made.push(e);
    }
    made
}

async fn matching_recounted_and_pushed_once(app: TestApp) {
    let w = app.world().await;
    app.clock.set(at("2026-11-22T10:00:00+08:00"));
    let w = fresh(&app, &w);
    app.set_contact(&w.ent_a, Some("13900001111"), None);
    let industry = term(&app, &w.admin, "field", "工业").await;
    let quals = [
        term(&app, &w.admin, "qualification", "高新技术企业").await,
        term(&app, &w.admin, "qualification", "专精特新中小企业").await,
    ];
    let mut made = population(&app, &w, &quals).await;
    // The world's two enterprises: 智能终端, 望城经开区; A is large (so the first policy,
    // for small and medium ones, does not fit it), nothing else stated.
    app.patch(
        &format!("/api/v1/enterprises/{}/traits", w.enterprise_a),
        Some(&w.admin.token),
        json!({"size": "large"}),
    )
    .await
    .expect(200);
    for (id, size) in [(&w.enterprise_a, Some("large")), (&w.enterprise_b, None)] {
        made.push(Made {
            id: id.clone(),
            chain: Some("智能终端".into()),
            area: Some("望城经开区".into()),
            size,
            ..Made::default()
        });
    }
    let criteria = [
        json!({"scales": ["above"], "sizes": ["small", "medium"], "industry_chains": ["智能终端", "新材料"]}),
        json!({"qualification_ids": quals, "founded_after": "2015-01-01"}),
        json!({"areas": ["铜官"], "founded_before": "2020-12-31", "sizes": ["micro", "small"]}),
        json!({}),
    ];
    let mut ids = Vec::new();
    for (i, c) in criteria.iter().enumerate() {
        ids.push(
            published(
                &app,
                &w,
                &w.cadre_a,
                policy(&format!("测试政策{i}"), &w.dept_a, &industry, c.clone()),
            )
            .await,
        );
    }
    // Each policy's fitting list is the recount, enterprise by enterprise.
    for (id, c) in ids.iter().zip(&criteria) {
        let list = app
            .get(
                &format!("/api/v1/policies/{id}/enterprises?limit=500"),
                Some(&w.cadre_a.token),
            )
            .await
            .expect(200);
        let got: BTreeMap<String, (String, Vec<String>)> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| {
                (
                    e["enterprise_id"].as_str().unwrap().to_string(),
                    (
                        e["fit"].as_str().unwrap().to_string(),
                        e["unknown"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|u| u.as_str().unwrap().to_string())
                            .collect(),
                    ),
                )
            })
            .collect();
        let expected: BTreeMap<String, (String, Vec<String>)> = made
            .iter()
            .filter_map(|e| {
                recount(c, e).map(|(fit, unknown)| {
                    (
                        e.id.clone(),
                        (
                            fit.to_string(),
                            unknown.into_iter().map(String::from).collect(),
                        ),
                    )
                })
            })
            .collect();
        assert_eq!(got, expected, "the fitting list of {c}");
        let fits = expected.values().filter(|(f, _)| f == "fits").count() as i64;
        assert_eq!(list["counts"]["fits"], fits, "{c}");
        assert_eq!(
            list["counts"]["may_fit"],
            expected.len() as i64 - fits,
            "{c}"
        );
    }
    // Another department's cadre may not list them; an enterprise neither.
    app.get(
        &format!("/api/v1/policies/{}/enterprises", ids[0]),
        Some(&w.cadre_b.token),
    )
    .await
    .expect_error(403, "forbidden");
    app.get(
        &format!("/api/v1/policies/{}/enterprises", ids[0]),
        Some(&w.ent_a.token),
    )
    .await
    .expect_error(403, "forbidden");

    // Pushed: each fitting enterprise once, even with two instances pushing — those with
    // someone to tell: the generated enterprises have no accounts, and are told only once one
    // has its first.
    pushes_settle(&app, &w, &ids).await;
    let pushed_now = |list: &Value| -> BTreeSet<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["pushed"] == true)
            .map(|e| e["enterprise_id"].as_str().unwrap().to_string())
            .collect()
    };
    let open = format!("/api/v1/policies/{}/enterprises?limit=500", ids[3]);
    let everyone = app.get(&open, Some(&w.admin.token)).await.expect(200);
    assert_eq!(
        pushed_now(&everyone),
        [w.enterprise_a.clone(), w.enterprise_b.clone()]
            .into_iter()
            .collect()
    );
    let newcomer = made[0].id.clone();
    let first = app.make_user(
        "newcomer",
        qiyeshao::domain::ticket::Role::Enterprise,
        None,
        Some(&newcomer),
    );
    app.scheduler.push_policies().await.expect("push");
    let everyone = app.get(&open, Some(&w.admin.token)).await.expect(200);
    assert!(pushed_now(&everyone).contains(&newcomer));
    let theirs = app
        .get("/api/v1/messages?limit=100", Some(&first.token))
        .await
        .expect(200);
    let expected = ids
        .iter()
        .zip(&criteria)
        .filter(|(_, c)| recount(c, &made[0]).is_some())
        .count();
    assert_eq!(
        theirs["items"].as_array().unwrap().len(),
        expected,
        "{theirs}"
    );
    let a = made
        .iter()
        .find(|e| e.id == w.enterprise_a)
        .unwrap()
        .clone();
    let fitting_a: BTreeSet<String> = ids
        .iter()
        .zip(&criteria)
        .filter(|(_, c)| recount(c, &a).is_some())
        .map(|(id, _)| id.clone())
        .collect();
    let pushed_to = |messages: &Value| -> Vec<String> {
        messages["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["event"] == "policy_pushed")
            .map(|m| {
                assert!(m["ticket_id"].is_null(), "{m}");
                m["policy_id"].as_str().unwrap().to_string()
            })
            .collect()
    };
    for user in [&w.ent_a, &w.ent_a2] {
        let messages = app
            .get("/api/v1/messages?limit=100", Some(&user.token))
            .await
            .expect(200);
        let mut got = pushed_to(&messages);
        got.sort();
        assert_eq!(
            got,
            fitting_a.iter().cloned().collect::<Vec<_>>(),
            "one message per fitting policy, each once"
        );
    }
    // SMS to the manager (ent.a, the first user) only, one per policy.
    let sms = app
        .get(
            "/api/v1/notifications?channel=sms&limit=100",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let to_a = sms["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "policy_pushed")
        .count();
    assert_eq!(to_a, fitting_a.len(), "{sms}");
    // The recommendations are the recount too, fits first.
    let mine = app
        .get("/api/v1/me/policies", Some(&w.ent_a.token))
        .await
        .expect(200);
    let got: BTreeSet<String> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["policy"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, fitting_a);
    for r in mine["items"].as_array().unwrap() {
        assert!(r["pushed_at"].is_string(), "{r}");
    }

    // The enterprise states its information: unverified; the policies it fits only now are
    // pushed to it (once), those told before are not again.
    let before = pushed_to(
        &app.get("/api/v1/messages?limit=100", Some(&w.ent_a.token))
            .await
            .expect(200),
    )
    .len();
    let changed = app
        .patch(
            &format!("/api/v1/enterprises/{}/traits", w.enterprise_a),
            Some(&w.ent_a.token),
            json!({"scale": "above", "size": "small", "qualification_ids": [quals[0]], "founded_on": "2018-03-01"}),
        )
        .await
        .expect(200);
    assert_eq!(changed["verified"], false);
    // A colleague who is not a manager may not change it.
    app.patch(
        &format!("/api/v1/enterprises/{}/traits", w.enterprise_a),
        Some(&w.ent_a2.token),
        json!({"size": "large"}),
    )
    .await
    .expect_error(403, "forbidden");
    // Nor may another enterprise see it.
    app.get(
        &format!("/api/v1/enterprises/{}/traits", w.enterprise_a),
        Some(&w.ent_b.token),
    )
    .await
    .expect_error(404, "not_found");
    let round = app.scheduler.push_policies().await.expect("push");
    let a = Made {
        scale: Some("above"),
        size: Some("small"),
        quals: Some(vec![quals[0].clone()]),
        founded: Some("2018-03-01".into()),
        ..a
    };
    let now_fitting: BTreeSet<String> = ids
        .iter()
        .zip(&criteria)
        .filter(|(_, c)| recount(c, &a).is_some())
        .map(|(id, _)| id.clone())
        .collect();
    let new = now_fitting.difference(&fitting_a).count();
    assert!(new > 0, "the change makes another policy fit");
    let after = pushed_to(
        &app.get("/api/v1/messages?limit=100", Some(&w.ent_a.token))
            .await
            .expect(200),
    );
    assert_eq!(after.len(), before + new, "{round:?}");
    assert_eq!(
        after.iter().collect::<BTreeSet<_>>().len(),
        after.len(),
        "no policy pushed twice"
    );
    // Its liaison cadre confirms.
    let verified = app
        .post(
            &format!("/api/v1/enterprises/{}/traits/verify", w.enterprise_a),
            Some(&w.liaison.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(verified["verified"], true);
    // A cadre of another department may not (not its liaison).
    app.post(
        &format!("/api/v1/enterprises/{}/traits/verify", w.enterprise_a),
        Some(&w.cadre_b.token),
        json!({}),
    )
    .await
    .expect_error(404, "not_found");
}

async fn the_catalogue_keeps_versions_and_scopes_drafts(app: TestApp) {
    let w = app.world().await;
    app.clock.set(at("2026-11-22T10:00:00+08:00"));
    let w = fresh(&app, &w);
    let field = term(&app, &w.admin, "field", "科技").await;
    // A cadre drafts for their own department only; enterprises and dispatchers draft nothing.
    app.post(
        "/api/v1/policies",
        Some(&w.cadre_a.token),
        policy("乙部门的政策", &w.dept_b, &field, json!({})),
    )
    .await
    .expect_error(403, "forbidden");
    for who in [&w.ent_a, &w.dispatcher] {
        app.post(
            "/api/v1/policies",
            Some(&who.token),
            policy("政策", &w.dept_a, &field, json!({})),
        )
        .await
        .expect_error(403, "forbidden");
    }
    // Bad input: every wrong field named, nothing written.
    let mut bad = policy(
        "",
        &w.dept_a,
        "not-an-id",
        json!({"founded_after": "2020-13-01"}),
    );
    bad["benefit"] = json!({"kind": "amount", "description": "钱"});
    bad["opens_on"] = json!("2026-12-01");
    bad["closes_on"] = json!("2026-11-01");
    let r = app
        .post("/api/v1/policies", Some(&w.cadre_a.token), bad)
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    for f in [
        "title",
        "field_id",
        "benefit.amount_fen",
        "closes_on",
        "criteria.founded_after",
    ] {
        assert!(r.field(f).is_some(), "{f}: {:?}", r.body);
    }
    let unknown_qual = app
        .post(
            "/api/v1/policies",
            Some(&w.cadre_a.token),
            policy(
                "资质不明",
                &w.dept_a,
                &field,
                json!({"qualification_ids": ["0193f000-0000-7000-8000-000000000999"]}),
            ),
        )
        .await;
    unknown_qual.expect_error(422, "validation_failed");
    let all = app
        .get("/api/v1/policies", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(all["items"], json!([]), "nothing was written");

    let draft = app
        .post(
            "/api/v1/policies",
            Some(&w.cadre_a.token),
            policy("研发费用加计扣除奖补", &w.dept_a, &field, json!({})),
        )
        .await
        .expect(201);
    let id = id_of(&draft);
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["version"], 0);
    // Drafts: the department and the administrators and dispatchers see them; others 404.
    for (who, status) in [
        (&w.cadre_a2, 200),
        (&w.admin, 200),
        (&w.dispatcher, 200),
        (&w.cadre_b, 404),
        (&w.ent_a, 404),
    ] {
        let r = app
            .get(&format!("/api/v1/policies/{id}"), Some(&who.token))
            .await;
        assert_eq!(r.status, status, "{:?}", r.body);
    }
    let listed = app
        .get("/api/v1/policies", Some(&w.cadre_b.token))
        .await
        .expect(200);
    assert_eq!(listed["items"], json!([]));
    // Only an administrator publishes.
    app.post(
        &format!("/api/v1/policies/{id}/publish"),
        Some(&w.cadre_a.token),
        json!({}),
    )
    .await
    .expect_error(403, "forbidden");
    let stale = app
        .send(
            app.client
                .post(app.url(&format!("/api/v1/policies/{id}/publish")))
                .bearer_auth(&w.admin.token)
                .header("If-Match", "\"99\""),
        )
        .await;
    stale.expect_error(412, "version_mismatch");
    let p = app
        .post(
            &format!("/api/v1/policies/{id}/publish"),
            Some(&w.admin.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(
        (p["status"].clone(), p["version"].clone()),
        (json!("published"), json!(1))
    );
    let revision = p["revision"].as_i64().unwrap();

    // Search: words in any order, all of them; nothing for a word it does not have.
    for (q, found) in [
        ("加计扣除 研发", true),
        ("奖补", true),
        ("研发 路灯", false),
    ] {
        let r = app
            .get(
                &format!("/api/v1/policies?q={}", urlencoding(q)),
                Some(&w.ent_a.token),
            )
            .await
            .expect(200);
        assert_eq!(
            r["items"].as_array().unwrap().len(),
            usize::from(found),
            "{q}: {r}"
        );
    }

    // An amendment: administrators only, with a note; the old text kept as version 1.
    let mut amended = policy(
        "研发费用加计扣除奖补（2027年修订）",
        &w.dept_a,
        &field,
        json!({}),
    );
    put(
        &app,
        &format!("/api/v1/policies/{id}"),
        &w.cadre_a,
        None,
        amended.clone(),
    )
    .await
    .expect_error(403, "forbidden");
    let r = put(
        &app,
        &format!("/api/v1/policies/{id}"),
        &w.admin,
        None,
        amended.clone(),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.field("note").is_some(), "{:?}", r.body);
    amended["note"] = json!("提高奖补比例");
    put(
        &app,
        &format!("/api/v1/policies/{id}"),
        &w.admin,
        Some(revision - 1),
        amended.clone(),
    )
    .await
    .expect_error(412, "version_mismatch");
    let v2 = put(
        &app,
        &format!("/api/v1/policies/{id}"),
        &w.admin,
        Some(revision),
        amended,
    )
    .await
    .expect(200);
    assert_eq!(v2["version"], 2);
    let detail = app
        .get(&format!("/api/v1/policies/{id}"), Some(&w.ent_a.token))
        .await
        .expect(200);
    let versions: Vec<(i64, String)> = detail["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["note"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [(2, "提高奖补比例".to_string()), (1, String::new())]
    );
    let old = app
        .get(
            &format!("/api/v1/policies/{id}/versions/1"),
            Some(&w.ent_a.token),
        )
        .await
        .expect(200);
    assert_eq!(old["text"]["title"], "研发费用加计扣除奖补");
    assert_eq!(detail["title"], "研发费用加计扣除奖补（2027年修订）");

    // Withdrawn: gone for enterprises, kept for staff, and not changed any more.
    app.post(
        &format!("/api/v1/policies/{id}/withdraw"),
        Some(&w.admin.token),
        json!({"reason": "  "}),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        &format!("/api/v1/policies/{id}/withdraw"),
        Some(&w.admin.token),
        json!({"reason": "已被新政策替代"}),
    )
    .await
    .expect(200);
    app.get(&format!("/api/v1/policies/{id}"), Some(&w.ent_a.token))
        .await
        .expect_error(404, "not_found");
    let staff = app
        .get(&format!("/api/v1/policies/{id}"), Some(&w.cadre_b.token))
        .await
        .expect(200);
    assert_eq!(staff["status"], "withdrawn");
    let mut again = policy("再改", &w.dept_a, &field, json!({}));
    again["note"] = json!("再改");
    put(
        &app,
        &format!("/api/v1/policies/{id}"),
        &w.admin,
        None,
        again,
    )
    .await
    .expect_error(409, "wrong_state");

    // The terms: administrators keep them.
    let t = app
        .post(
            "/api/v1/policy-terms",
            Some(&w.admin.token),
            json!({"kind": "qualification", "name": "雏鹰企业"}),
        )
        .await
        .expect(201);
    app.post(
        "/api/v1/policy-terms",
        Some(&w.admin.token),
        json!({"kind": "qualification", "name": "雏鹰企业"}),
    )
    .await
    .expect_error(409, "duplicate");
    app.post(
        "/api/v1/policy-terms",
        Some(&w.cadre_a.token),
        json!({"kind": "field", "name": "金融"}),
    )
    .await
    .expect_error(403, "forbidden");
    let retired = app
        .patch(
            &format!("/api/v1/policy-terms/{}", id_of(&t)),
            Some(&w.admin.token),
            json!({"active": false}),
        )
        .await
        .expect(200);
    assert_eq!(retired["active"], false);
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn applications_grants_and_payments_add_up(app: TestApp) {
    let w = app.world().await;
    app.clock.set(at("2026-11-22T10:00:00+08:00"));
    let w = fresh(&app, &w);
    let industry = term(&app, &w.admin, "field", "工业").await;
    let commerce = term(&app, &w.admin, "field", "商务").await;
    let c = app.make_enterprise("丙企业有限公司", 3, None);
    set_chain_area(&app, &c, Some("绿色食品".into()), Some("靖港".into()));
    // P: applied for, for 智能终端 (A and B fit; C does not).
    let p = published(
        &app,
        &w,
        &w.cadre_a,
        policy(
            "技术改造补助",
            &w.dept_a,
            &industry,
            json!({"industry_chains": ["智能终端"]}),
        ),
    )
    .await;
    // G: 免申即享, of department B, for everyone.
    let mut g = policy(
        "稳岗返还",
        &w.dept_b,
        &commerce,
        json!({"areas": ["望城经开区"]}),
    );
    g["free_grant"] = json!(true);
    let g = published(&app, &w, &w.cadre_b, g).await;

    // The enterprise applies; twice is refused; not fitting is refused.
    let a1 = app
        .post(
            &format!("/api/v1/policies/{p}/applications"),
            Some(&w.ent_a.token),
            json!({"statement": "新上一条生产线", "requested_fen": 8_000_000}),
        )
        .await
        .expect(201);
    assert_eq!(
        (a1["status"].clone(), a1["channel"].clone()),
        (json!("submitted"), json!("online"))
    );
    app.post(
        &format!("/api/v1/policies/{p}/applications"),
        Some(&w.ent_a2.token),
        json!({"statement": "再申报一次"}),
    )
    .await
    .expect_error(409, "application_exists");
    app.post(
        &format!("/api/v1/policies/{p}/applications"),
        Some(&w.ent_a.token),
        json!({"statement": "  "}),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        &format!("/api/v1/policies/{g}/applications"),
        Some(&w.ent_a.token),
        json!({"statement": "免申即享的也想申报"}),
    )
    .await
    .expect_error(409, "wrong_state");
    // The department records B's application made on paper; B is told.
    let b1 = app
        .post(
            &format!("/api/v1/policies/{p}/applications"),
            Some(&w.cadre_a.token),
            json!({"statement": "线下提交的申报材料", "enterprise_id": w.enterprise_b}),
        )
        .await
        .expect(201);
    assert_eq!(b1["channel"], "offline");
    app.post(
        &format!("/api/v1/policies/{p}/applications"),
        Some(&w.cadre_a.token),
        json!({"statement": "不符合的企业", "enterprise_id": c}),
    )
    .await
    .expect_error(409, "wrong_state");
    // An enterprise sees only its own.
    let b_list = app
        .get("/api/v1/policy-applications", Some(&w.ent_b.token))
        .await
        .expect(200);
    let b_ids: Vec<String> = b_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(b_ids, [id_of(&b1)]);
    app.get(
        &format!("/api/v1/policy-applications/{}", id_of(&a1)),
        Some(&w.ent_b.token),
    )
    .await
    .expect_error(404, "not_found");
    app.get(
        &format!("/api/v1/policy-applications/{}", id_of(&a1)),
        Some(&w.cadre_b.token),
    )
    .await
    .expect_error(404, "not_found");

    // Review: another department may not; approve, pay; paying twice is refused.
    let a1_id = id_of(&a1);
    app.post(
        &format!("/api/v1/policy-applications/{a1_id}/pay"),
        Some(&w.cadre_a.token),
        json!({}),
    )
    .await
    .expect_error(409, "wrong_state");
    app.post(
        &format!("/api/v1/policy-applications/{a1_id}/approve"),
        Some(&w.ent_a.token),
        json!({"amount_fen": 1}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("/api/v1/policy-applications/{a1_id}/approve"),
        Some(&w.cadre_a.token),
        json!({"amount_fen": -5}),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        &format!("/api/v1/policy-applications/{a1_id}/approve"),
        Some(&w.cadre_a.token),
        json!({"amount_fen": 6_000_000, "note": "按 75% 核定"}),
    )
    .await
    .expect(200);
    let paid = app
        .post(
            &format!("/api/v1/policy-applications/{a1_id}/pay"),
            Some(&w.cadre_a2.token),
            json!({"note": "凭证 2026-001"}),
        )
        .await
        .expect(200);
    assert_eq!(paid["paid_fen"], 6_000_000);
    let actions: Vec<&str> = paid["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["applied", "approved", "paid"]);
    app.post(
        &format!("/api/v1/policy-applications/{a1_id}/pay"),
        Some(&w.cadre_a.token),
        json!({}),
    )
    .await
    .expect_error(409, "wrong_state");
    // B's is refused, with the reason; B may apply again.
    let refused = app
        .post(
            &format!("/api/v1/policy-applications/{}/refuse", id_of(&b1)),
            Some(&w.cadre_a.token),
            json!({"reason": "材料不全"}),
        )
        .await
        .expect(200);
    assert_eq!(refused["refusal_reason"], "材料不全");
    app.post(
        &format!("/api/v1/policies/{p}/applications"),
        Some(&w.ent_b.token),
        json!({"statement": "补齐材料后重新申报"}),
    )
    .await
    .expect(201);

    // 免申即享: the department grants it to those that fit, in one step; the others are
    // listed with why.
    app.post(
        &format!("/api/v1/policies/{g}/grant"),
        Some(&w.cadre_a.token),
        json!({"enterprise_ids": [w.enterprise_a], "amount_fen": 100}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("/api/v1/policies/{p}/grant"),
        Some(&w.cadre_a.token),
        json!({"enterprise_ids": [w.enterprise_a], "amount_fen": 100}),
    )
    .await
    .expect_error(409, "wrong_state");
    let granted = app
        .post(
            &format!("/api/v1/policies/{g}/grant"),
            Some(&w.cadre_b.token),
            json!({"enterprise_ids": [w.enterprise_a, w.enterprise_b, c], "amount_fen": 2_345_600}),
        )
        .await
        .expect(200);
    let granted_to: BTreeSet<String> = granted["granted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["enterprise_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        granted_to,
        [w.enterprise_a.clone(), w.enterprise_b.clone()]
            .into_iter()
            .collect()
    );
    assert_eq!(granted["skipped"][0]["enterprise_id"], json!(c));
    // Again: both have one already.
    let again = app
        .post(
            &format!("/api/v1/policies/{g}/grant"),
            Some(&w.cadre_b.token),
            json!({"enterprise_ids": [w.enterprise_a], "amount_fen": 1}),
        )
        .await
        .expect(200);
    assert_eq!(again["granted"], json!([]));
    // Each enterprise is told.
    let told = app
        .get("/api/v1/messages?limit=100", Some(&w.ent_a.token))
        .await
        .expect(200);
    let events: Vec<&str> = told["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["event"].as_str())
        .collect();
    for e in ["policy_granted", "application_approved", "application_paid"] {
        assert_eq!(
            events.iter().filter(|x| **x == e).count(),
            1,
            "{e}: {events:?}"
        );
    }
    let b_told = app
        .get("/api/v1/messages?limit=100", Some(&w.ent_b.token))
        .await
        .expect(200);
    let b_events: Vec<&str> = b_told["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["event"].as_str())
        .collect();
    for e in [
        "policy_granted",
        "application_recorded",
        "application_refused",
    ] {
        assert!(b_events.contains(&e), "{e}: {b_events:?}");
    }
    // One grant paid, in December.
    let grant_a = granted["granted"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["enterprise_id"] == json!(w.enterprise_a))
        .map(id_of)
        .unwrap();
    app.clock.set(at("2026-12-03T10:00:00+08:00"));
    let w = fresh(&app, &w);
    app.post(
        &format!("/api/v1/policy-applications/{grant_a}/pay"),
        Some(&w.cadre_b.token),
        json!({"amount_fen": 2_000_000}),
    )
    .await
    .expect(200);

    // The figures add up: 60,000 yuan of P in November, 20,000 of G in December.
    let f = app
        .get(
            "/api/v1/stats/policies?from=2026-01-01&to=2027-01-01",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(f["paid"]["paid_fen"], 8_000_000);
    assert_eq!(f["paid"]["applications"], 2);
    let by = |key: &str| -> Vec<(String, i64)> {
        f[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["key"].as_str().unwrap().to_string(),
                    p["paid_fen"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        by("paid_by_month"),
        [
            ("2026-11".to_string(), 6_000_000),
            ("2026-12".to_string(), 2_000_000)
        ]
    );
    let mut fields = by("paid_by_field");
    fields.sort();
    let mut expected = vec![(industry.clone(), 6_000_000), (commerce.clone(), 2_000_000)];
    expected.sort();
    assert_eq!(fields, expected);
    let depts: i64 = by("paid_by_department").iter().map(|(_, v)| v).sum();
    assert_eq!(depts, 8_000_000);
    assert_eq!(f["total"]["approved"], 3, "{f}");
    assert_eq!(f["total"]["paid"], 2);
    assert_eq!(f["total"]["approved_fen"], 6_000_000 + 2 * 2_345_600);
    // A period without them: nothing paid.
    let none = app
        .get(
            "/api/v1/stats/policies?from=2026-01-01&to=2026-11-01",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(none["paid"]["paid_fen"], 0);
    // A cadre sees their department's only; enterprises none.
    let b = app
        .get(
            "/api/v1/stats/policies?from=2026-01-01&to=2027-01-01",
            Some(&w.cadre_b.token),
        )
        .await
        .expect(200);
    assert_eq!(b["paid"]["paid_fen"], 2_000_000);
    app.get("/api/v1/stats/policies", Some(&w.ent_a.token))
        .await
        .expect_error(403, "forbidden");

    // The 集中兑付 list, read back: the three approvals of 2026 and a total that adds up.
    let book = download(&app, "/api/v1/policies/payouts.xlsx?year=2026", &w.admin).await;
    assert_eq!(book.status, 200);
    let sheets = sheets(&book.bytes);
    assert_eq!(sheets[0].0, "2026年集中兑付");
    let rows = &sheets[0].1;
    assert_eq!(text(&rows[0][1]), "企业名称");
    let body: Vec<&Vec<calamine::Data>> = rows[1..rows.len() - 1].iter().collect();
    assert_eq!(body.len(), 3, "{rows:?}");
    let sum = |col: usize| -> f64 {
        body.iter()
            .map(|r| text(&r[col]).parse::<f64>().unwrap_or(0.0))
            .sum()
    };
    let total = &rows[rows.len() - 1];
    assert_eq!(text(&total[1]), "合计");
    assert_eq!(sum(8), 60_000.0 + 2.0 * 23_456.0);
    assert_eq!(text(&total[8]).parse::<f64>().unwrap(), sum(8));
    assert_eq!(text(&total[9]).parse::<f64>().unwrap(), 80_000.0);
    let b_book = download(&app, "/api/v1/policies/payouts.xlsx?year=2026", &w.cadre_b).await;
    assert_eq!(
        sheets_rows(&b_book.bytes),
        1 + 2 + 1,
        "department B's two grants"
    );
    let e_book = download(&app, "/api/v1/policies/payouts.xlsx", &w.ent_a).await;
    assert_eq!(e_book.status, 403);

    // A question about P is an inquiry; its routing names P's department first.
    let q = app
        .post(
            &format!("/api/v1/policies/{p}/questions"),
            Some(&w.ent_a.token),
            json!({"description": "设备投资额包括软件吗？"}),
        )
        .await
        .expect(201);
    assert_eq!(q["kind"], "inquiry");
    let routing = app
        .get(
            &format!("/api/v1/tickets/{}/routing", id_of(&q)),
            Some(&w.dispatcher.token),
        )
        .await
        .expect(200);
    assert_eq!(
        routing["departments"][0]["id"],
        json!(w.dept_a),
        "{routing}"
    );
    app.post(
        &format!("/api/v1/policies/{p}/questions"),
        Some(&w.cadre_a.token),
        json!({"description": "?"}),
    )
    .await
    .expect_error(403, "forbidden");

    // Explained on a visit: told, for the coverage.
    let before = app
        .get(
            &format!("/api/v1/policies/{p}/enterprises"),
            Some(&w.cadre_a.token),
        )
        .await
        .expect(200);
    app.post(
        "/api/v1/visits",
        Some(&w.liaison.token),
        json!({"enterprise_id": w.enterprise_a, "visited_on": "2026-12-02", "method": "on_site",
               "people": "总经理", "findings": "宣讲了技术改造政策。", "policy_ids": [p]}),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/visits",
        Some(&w.liaison.token),
        json!({"enterprise_id": w.enterprise_a, "visited_on": "2026-12-02", "method": "on_site",
               "people": "总经理", "findings": "x", "policy_ids": ["0193f000-0000-7000-8000-000000000101"]}),
    )
    .await
    .expect_error(422, "validation_failed");
    let after = app
        .get(
            &format!("/api/v1/policies/{p}/enterprises"),
            Some(&w.cadre_a.token),
        )
        .await
        .expect(200);
    let row = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["enterprise_id"] == json!(w.enterprise_a))
        .unwrap()
        .clone();
    assert_eq!(row["explained"], true);
    assert!(
        after["counts"]["told"].as_i64() >= before["counts"]["told"].as_i64(),
        "{after}"
    );
}

fn sheets_rows(bytes: &[u8]) -> usize {
    sheets(bytes)[0].1.len()
}

both_backends!(
    matching_recounted_and_pushed_once,
    the_catalogue_keeps_versions_and_scopes_drafts,
    applications_grants_and_payments_add_up
);
