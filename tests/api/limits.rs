//! Every string and list the API takes has a limit, and the limit holds. Generated from the
//! served OpenAPI document: each property of each JSON request body and each query parameter
//! is looked up in the tables below by name, so a new field or parameter without a declared
//! limit fails the test; then each limit is tested by sending one over it.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::both_backends;
use crate::errors::urlencode;
use crate::helpers::{TestApp, User};

/// How the API bounds a field.
#[derive(Debug, Clone, Copy)]
enum Limit {
    /// Text of at most this many characters: one more is 422 naming the field.
    Chars(usize),
    /// A list of at most this many items: one more is 422 naming the field.
    Items(usize),
    /// A value of a fixed shape (an id, a number, a date, a code, a choice): a long one is
    /// refused (4xx), never stored. Ids are compared as text: an unknown one is not found.
    Shape,
    /// A filter compared with stored values, never stored (bounded by the request line): an
    /// unknown value finds nothing, a malformed one may be refused; either way no 5xx.
    Filter,
    /// A list whose items are bounded by a rule of the domain (holidays cannot overlap, so a
    /// year has at most 366 of them).
    Ruled,
}

use Limit::{Chars, Filter, Items, Ruled, Shape};

/// Properties of request bodies, by name (the same name means the same limit everywhere).
const BODY_FIELDS: &[(&str, Limit)] = &[
    ("title", Chars(100)),
    ("description", Chars(5000)),
    ("resolution", Chars(5000)),
    ("body", Chars(2000)),
    ("note", Chars(2000)),
    ("foreword", Chars(5000)),
    ("reason", Chars(2000)),
    ("primary", Chars(100)),
    ("comment", Chars(2000)),
    ("name", Chars(100)),
    ("enterprise_name", Chars(100)),
    ("contact_name", Chars(100)),
    ("industry_chain", Chars(100)),
    ("area", Chars(100)),
    ("address", Chars(200)),
    ("password", Chars(128)),
    ("current_password", Chars(128)),
    ("new_password", Chars(128)),
    ("username", Chars(64)),
    ("path", Chars(2000)),
    ("attachment_ids", Items(9)),
    ("co_department_ids", Items(10)),
    ("cases", Items(20)),
    // POST /bulletins: the week's first day.
    ("from", Shape),
    // POST /visits.
    ("people", Chars(200)),
    ("findings", Chars(5000)),
    ("requests", Items(5)),
    ("visited_on", Shape),
    ("starts_on", Shape),
    ("ends_on", Shape),
    ("photo_ids", Items(9)),
    ("deputy_ids", Items(5)),
    ("method", Shape),
    ("holidays", Ruled),
    ("email", Shape),
    ("phone", Shape),
    ("contact_phone", Shape),
    ("credit_code", Shape),
    ("code", Shape),
    ("refresh_token", Shape),
    ("category_id", Shape),
    ("department_id", Shape),
    ("default_department_id", Shape),
    ("assignee_id", Shape),
    ("enterprise_id", Shape),
    ("liaison_cadre_id", Shape),
    ("cadre_id", Shape),
    ("parent_id", Shape),
    ("head_user_id", Shape),
    ("due_at", Shape),
    ("phone_proof", Shape),
    ("terms", Chars(10_000)),
    // Systemic issues.
    ("analysis", Chars(5000)),
    ("measures", Chars(5000)),
    ("lead_department_id", Shape),
    ("ticket_id", Shape),
    ("number", Shape),
    ("privacy", Chars(10_000)),
    // 送政策: policies, applications, grants, enterprises' information.
    ("document_number", Chars(100)),
    ("summary", Chars(2000)),
    ("full_text", Chars(15_000)),
    ("how_to_apply", Chars(2000)),
    ("contact", Chars(200)),
    ("other_conditions", Chars(2000)),
    ("statement", Chars(5000)),
    ("field_id", Shape),
    ("opens_on", Shape),
    ("closes_on", Shape),
    ("expires_on", Shape),
    ("founded_on", Shape),
    ("enterprise_ids", Items(1000)),
    ("policy_ids", Items(20)),
    ("qualification_ids", Items(50)),
];

/// String query parameters, by name.
const QUERY_PARAMS: &[(&str, Limit)] = &[
    ("q", Chars(100)),
    // GET /tickets/similar: what an enterprise is writing (a description's start).
    ("title", Chars(100)),
    ("description", Chars(1000)),
    ("cursor", Shape),
    ("sort", Shape),
    ("from", Shape),
    ("to", Shape),
    ("created_from", Shape),
    ("created_to", Shape),
    ("start", Shape),
    ("month", Shape),
    ("status", Shape),
    ("kind", Shape),
    ("channel", Shape),
    ("event", Shape),
    ("role", Shape),
    ("unread", Shape),
    // The statistics take these on every endpoint; those that do not group ignore them.
    ("by", Filter),
    ("interval", Filter),
    ("category_id", Filter),
    ("department_id", Filter),
    ("assignee_id", Filter),
    ("enterprise_id", Filter),
    ("liaison_cadre_id", Filter),
    ("cadre_id", Filter),
    ("ticket_id", Filter),
    ("actor_id", Filter),
    ("target_id", Filter),
    ("action", Filter),
    ("recipient", Filter),
    ("industry_chain", Filter),
    ("area", Filter),
    ("field_id", Filter),
    ("policy_id", Filter),
    ("fit", Shape),
];

fn limit_of(table: &[(&str, Limit)], name: &str) -> Option<Limit> {
    table.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

/// A `$ref` resolved in the document; other schemas as they are.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().expect("ref name");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// What a property holds: `"string"`, `"array"`, or something else (number, boolean, choice).
fn kind_of(doc: &Value, schema: &Value) -> String {
    let schema = resolve(doc, schema);
    if let Some(variants) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        return variants
            .iter()
            .map(|v| kind_of(doc, v))
            .find(|k| k != "null")
            .unwrap_or_default();
    }
    if schema["enum"].is_array() {
        return "choice".into();
    }
    match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    }
}

/// A value of the property's type that passes for present.
fn minimal(doc: &Value, schema: &Value) -> Value {
    let resolved = resolve(doc, schema);
    if let Some(first) = resolved["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match kind_of(doc, schema).as_str() {
        "string" => json!("x"),
        "integer" | "number" => json!(2027),
        "boolean" => json!(false),
        "array" => json!([]),
        "object" => json!({}),
        _ => match resolved["oneOf"].as_array() {
            Some(variants) => variants
                .iter()
                .map(|v| minimal(doc, v))
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null),
            None => Value::Null,
        },
    }
}

/// One operation of the document: method, path, its JSON body schema and query parameters.
struct Operation {
    method: String,
    path: String,
    body: Option<Value>,
    query: Vec<(String, String)>,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let body = op["requestBody"]["content"]["application/json"]["schema"]
                .as_object()
                .map(|s| resolve(doc, &Value::Object(s.clone())).clone());
            let query = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| {
                    (
                        p["name"].as_str().expect("name").to_string(),
                        kind_of(doc, &p["schema"]),
                    )
                })
                .collect();
            out.push(Operation {
                method: method.clone(),
                path: path.clone(),
                body,
                query,
            });
        }
    }
    out
}

/// The named property's message in a refusal, if it names it.
fn names(body: &Value, field: &str) -> bool {
    body["fields"].as_object().is_some_and(|f| {
        f.keys()
            .any(|k| k == field || k.starts_with(&format!("{field}[")))
    })
}

async fn every_string_and_list_has_a_limit_that_holds(app: TestApp) {
    let w = app.world().await;
    let doc = app.get("/api/openapi.json", None).await.expect(200);
    let ticket = app.file(&w.ent_a, &w.category, "限额检查").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let fill = |path: &str| {
        let id = if path.starts_with("/api/v1/tickets/") {
            ticket.as_str()
        } else if path.starts_with("/api/v1/departments/") {
            w.dept_a.as_str()
        } else if path.starts_with("/api/v1/enterprises/") {
            w.enterprise_a.as_str()
        } else if path.starts_with("/api/v1/categories/") {
            w.category.as_str()
        } else if path.starts_with("/api/v1/users/") {
            w.ent_a.id.as_str()
        } else {
            "0190c0de-0000-7000-8000-000000000000"
        };
        path.replace("{id}", id)
            .replace("{eid}", "0190c0de-0000-7000-8000-000000000000")
            .replace("{year}", "2027")
            .replace("{name}", "trend.svg")
    };
    let callers: [&User; 4] = [&w.admin, &w.dispatcher, &w.cadre_a, &w.ent_a];

    let mut unlisted = BTreeSet::new();
    let mut used_body = BTreeSet::new();
    let mut used_query = BTreeSet::new();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for op in operations(&doc) {
        let url = fill(&op.path);
        let send = |body: Option<Value>, query: Option<(String, String)>| {
            let (app, url, method) = (&app, url.clone(), op.method.clone());
            async move {
                // The first caller the endpoint is for answers.
                let mut last = None;
                let url = match &query {
                    Some((name, value)) => format!("{url}?{name}={value}"),
                    None => url,
                };
                for caller in callers {
                    let mut req = match method.as_str() {
                        "get" => app.client.get(app.url(&url)),
                        "post" => app.client.post(app.url(&url)),
                        "patch" => app.client.patch(app.url(&url)),
                        "put" => app.client.put(app.url(&url)),
                        other => panic!("unexpected method {other}"),
                    };
                    req = req.bearer_auth(&caller.token);
                    if let Some(body) = &body {
                        req = req.json(body);
                    }
                    let r = app.send(req).await;
                    if ![401, 403].contains(&r.status) {
                        return r;
                    }
                    last = Some(r);
                }
                last.expect("an answer")
            }
        };
        if let Some(schema) = &op.body {
            let props = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let required: BTreeSet<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut base = Map::new();
            for (name, prop) in &props {
                if required.contains(name.as_str()) {
                    base.insert(name.clone(), minimal(&doc, prop));
                }
            }
            for (name, prop) in &props {
                let kind = kind_of(&doc, prop);
                if kind != "string" && kind != "array" {
                    continue;
                }
                let Some(limit) = limit_of(BODY_FIELDS, name) else {
                    unlisted.insert(format!("body field {name} ({} {})", op.method, op.path));
                    continue;
                };
                used_body.insert(name.clone());
                let over = match (limit, kind.as_str()) {
                    (Chars(n), "string") => json!("长".repeat(n + 1)),
                    (Shape, "string") => json!("9".repeat(5000)),
                    (Items(n), "array") => json!(
                        (0..=n)
                            .map(|i| format!("0190c0de-0000-7000-8000-{i:012}"))
                            .collect::<Vec<_>>()
                    ),
                    (Ruled, _) => continue,
                    (limit, kind) => {
                        wrong.push(format!("{name}: limit {limit:?} for a {kind}"));
                        continue;
                    }
                };
                let mut body = base.clone();
                body.insert(name.clone(), over);
                let r = send(Some(Value::Object(body)), None).await;
                checked += 1;
                let ok = match limit {
                    // Signing in compares: a value over the limit is a wrong one.
                    Chars(_) if op.path == "/api/v1/auth/login" => {
                        r.status == 401 && r.body["error"] == "invalid_credentials"
                    }
                    Chars(_) | Items(_) => r.status == 422 && names(&r.body, name),
                    _ => (400..500).contains(&r.status),
                };
                if !ok {
                    wrong.push(format!(
                        "{} {} with {name} over its limit ({limit:?}): {} {}",
                        op.method,
                        op.path,
                        r.status,
                        r.text.chars().take(300).collect::<String>()
                    ));
                }
            }
        }
        for (name, kind) in &op.query {
            if kind != "string" {
                continue;
            }
            let Some(limit) = limit_of(QUERY_PARAMS, name) else {
                unlisted.insert(format!(
                    "query parameter {name} ({} {})",
                    op.method, op.path
                ));
                continue;
            };
            used_query.insert(name.clone());
            let value = match limit {
                Chars(n) => "长".repeat(n + 1),
                _ => "9".repeat(3000),
            };
            // A breakdown needs its `by`.
            let value = match op.query.iter().any(|(n, _)| n == "by") && name != "by" {
                true => format!("{}&by=department", urlencode(&value)),
                false => urlencode(&value),
            };
            let r = send(None, Some((name.clone(), value))).await;
            checked += 1;
            let ok = match limit {
                Chars(_) => r.status == 400 && names(&r.body, name),
                Filter => r.status < 500,
                _ => (400..500).contains(&r.status),
            };
            if !ok {
                wrong.push(format!(
                    "{} {}?{name}=<over its limit ({limit:?})>: {} {}",
                    op.method,
                    op.path,
                    r.status,
                    r.text.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    // The tables hold nothing the document lacks.
    for (name, _) in BODY_FIELDS {
        if !used_body.contains(*name) {
            unlisted.insert(format!(
                "body field {name} is in the table but in no request"
            ));
        }
    }
    for (name, _) in QUERY_PARAMS {
        if !used_query.contains(*name) {
            unlisted.insert(format!(
                "query parameter {name} is in the table but in no operation"
            ));
        }
    }
    eprintln!("limits: {checked} fields and parameters sent over their limit");
    assert!(
        unlisted.is_empty(),
        "strings and lists without a declared limit (add them to the tables in tests/api/limits.rs, with the limit the server enforces):\n{}",
        unlisted.into_iter().collect::<Vec<_>>().join("\n")
    );
    assert!(
        wrong.is_empty(),
        "limits that do not hold:\n{}",
        wrong.join("\n")
    );
    assert!(checked >= 60, "only {checked} checked");
}

both_backends!(every_string_and_list_has_a_limit_that_holds);
