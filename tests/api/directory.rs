//! Administration of departments, users, enterprises and categories.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{PASSWORD, TestApp, credit_code};

async fn departments(app: TestApp) {
    let w = app.world().await;
    let r = app
        .post(
            "/api/v1/departments",
            Some(&w.admin.token),
            json!({"name": "联产业促质效倍增工作专班"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let force = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(
        r.headers["location"],
        format!("/api/v1/departments/{force}").as_str()
    );
    let unit = app
        .post(
            "/api/v1/departments",
            Some(&w.admin.token),
            json!({"name": "区工业和信息化局", "parent_id": force, "head_user_id": w.cadre_a.id}),
        )
        .await
        .expect(201);
    let unit_id = unit["id"].as_str().expect("id");
    assert_eq!(unit["parent_id"], force.as_str());
    assert_eq!(unit["head_user_id"], w.cadre_a.id);
    // A department cannot sit inside itself, directly or through its children.
    let r = app
        .patch(
            &format!("/api/v1/departments/{force}"),
            Some(&w.admin.token),
            json!({"parent_id": unit_id}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("parent_id").is_some());
    app.patch(
        &format!("/api/v1/departments/{unit_id}"),
        Some(&w.admin.token),
        json!({"parent_id": "0190c0de-0000-7000-8000-000000000000"}),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        "/api/v1/departments",
        Some(&w.admin.token),
        json!({"name": "x", "head_user_id": w.ent_a.id}),
    )
    .await
    .expect_error(422, "validation_failed");
    // Null clears; absent leaves.
    let d = app
        .patch(
            &format!("/api/v1/departments/{unit_id}"),
            Some(&w.admin.token),
            json!({"parent_id": null}),
        )
        .await
        .expect(200);
    assert_eq!(d["parent_id"], Value::Null);
    assert_eq!(d["head_user_id"], w.cadre_a.id);
    assert_eq!(d["name"], "区工业和信息化局");
    // Everyone signed in can read them.
    let list = app
        .get("/api/v1/departments", Some(&w.ent_a.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 5);
    app.get(
        &format!("/api/v1/departments/{unit_id}"),
        Some(&w.cadre_b.token),
    )
    .await
    .expect(200);
    app.get(
        "/api/v1/departments/0190c0de-0000-7000-8000-000000000000",
        Some(&w.admin.token),
    )
    .await
    .expect_error(404, "not_found");
}

async fn users(app: TestApp) {
    let w = app.world().await;
    let u = app
        .post(
            "/api/v1/users",
            Some(&w.admin.token),
            json!({"username": "Li.Wei", "password": "Secret-pass-1", "name": "李伟", "phone": "+86 138 1234 5678",
                   "email": "liwei@wangcheng.gov.cn", "role": "cadre", "department_id": w.dept_b}),
        )
        .await
        .expect(201);
    let id = u["id"].as_str().expect("id").to_string();
    assert_eq!(u["username"], "li.wei");
    assert_eq!(u["phone"], "13812345678");
    assert_eq!(u["disabled"], false);
    assert!(u.get("password").is_none() && u.get("password_hash").is_none());
    // The new account signs in.
    app.login("li.wei", "Secret-pass-1").await.expect(200);
    // Membership rules.
    for (body, field) in [
        (
            json!({"username": "cadre2", "password": "Secret-pass-1", "name": "x", "role": "cadre"}),
            "department_id",
        ),
        (
            json!({"username": "ent2", "password": "Secret-pass-1", "name": "x", "role": "enterprise"}),
            "enterprise_id",
        ),
        (
            json!({"username": "cadre3", "password": "Secret-pass-1", "name": "x", "role": "cadre", "department_id": "0190c0de-0000-7000-8000-000000000000"}),
            "department_id",
        ),
    ] {
        let r = app.post("/api/v1/users", Some(&w.admin.token), body).await;
        r.expect_error(422, "validation_failed");
        assert!(r.field(field).is_some(), "{}", r.text);
    }
    // Changes.
    let u = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&w.admin.token),
            json!({"name": "李伟（调岗）", "department_id": w.dept_c, "phone": null}),
        )
        .await
        .expect(200);
    assert_eq!(u["department_id"], w.dept_c);
    assert_eq!(u["phone"], Value::Null);
    assert_eq!(u["email"], "liwei@wangcheng.gov.cn");
    app.patch(
        &format!("/api/v1/users/{id}"),
        Some(&w.admin.token),
        json!({"department_id": null}),
    )
    .await
    .expect_error(422, "validation_failed");
    app.patch(
        &format!("/api/v1/users/{}", w.admin.id),
        Some(&w.admin.token),
        json!({"disabled": true}),
    )
    .await
    .expect_error(422, "validation_failed");
    app.patch(
        &format!("/api/v1/users/{id}"),
        Some(&w.dispatcher.token),
        json!({"name": "x"}),
    )
    .await
    .expect_error(403, "forbidden");
    // Dispatchers read accounts to pick cadres; filters.
    let cadres = app
        .get(
            &format!("/api/v1/users?role=cadre&department_id={}", w.dept_a),
            Some(&w.dispatcher.token),
        )
        .await
        .expect(200);
    let names: Vec<&str> = cadres["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["username"].as_str().expect("username"))
        .collect();
    assert_eq!(names, ["cadre.a2", "cadre.a"]);
    let found = app
        .get("/api/v1/users?q=LI.W", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(found["items"].as_array().expect("items").len(), 1);
    app.get("/api/v1/users?role=boss", Some(&w.admin.token))
        .await
        .expect_error(400, "invalid_query");
    let one = app
        .get(&format!("/api/v1/users/{id}"), Some(&w.dispatcher.token))
        .await
        .expect(200);
    assert_eq!(one["name"], "李伟（调岗）");
    let _ = PASSWORD;
}

async fn enterprises(app: TestApp) {
    let w = app.world().await;
    let code = credit_code(77);
    let e = app
        .post(
            "/api/v1/enterprises",
            Some(&w.admin.token),
            json!({"name": "长沙望城储能新材料科技有限公司", "credit_code": format!(" {} ", code.to_lowercase()),
                   "industry_chain": "先进储能材料", "area": "望城经开区", "contact_name": "周经理",
                   "contact_phone": "0731-88889999", "liaison_cadre_id": w.cadre_b.id}),
        )
        .await
        .expect(201);
    let id = e["id"].as_str().expect("id").to_string();
    assert_eq!(e["credit_code"], code.as_str());
    assert_eq!(e["contact_phone"], "0731-88889999");
    assert_eq!(e["liaison_cadre_id"], w.cadre_b.id);
    // The liaison must be an active cadre.
    let r = app
        .patch(
            &format!("/api/v1/enterprises/{id}"),
            Some(&w.admin.token),
            json!({"liaison_cadre_id": w.dispatcher.id}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("liaison_cadre_id").is_some());
    let e = app
        .patch(
            &format!("/api/v1/enterprises/{id}"),
            Some(&w.admin.token),
            json!({"area": "铜官片区", "contact_phone": null}),
        )
        .await
        .expect(200);
    assert_eq!(e["area"], "铜官片区");
    assert_eq!(e["contact_phone"], Value::Null);
    assert_eq!(e["industry_chain"], "先进储能材料");
    // Lists with filters and search (name or code); dispatchers read, cadres read only theirs.
    let list = app
        .get(
            "/api/v1/enterprises?area=%E9%93%9C%E5%AE%98%E7%89%87%E5%8C%BA",
            Some(&w.dispatcher.token),
        )
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    let list = app
        .get(
            "/api/v1/enterprises?q=%E5%82%A8%E8%83%BD",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    let list = app
        .get(
            &format!("/api/v1/enterprises?q={}", &code[11..].to_lowercase()),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    let list = app
        .get("/api/v1/enterprises", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 3);
    app.get(&format!("/api/v1/enterprises/{id}"), Some(&w.cadre_b.token))
        .await
        .expect(200);
    app.get(&format!("/api/v1/enterprises/{id}"), Some(&w.cadre_a.token))
        .await
        .expect_error(404, "not_found");
    app.get(
        &format!("/api/v1/enterprises/{}", w.enterprise_a),
        Some(&w.liaison.token),
    )
    .await
    .expect(200);
}

async fn categories(app: TestApp) {
    let w = app.world().await;
    let c = app
        .post(
            "/api/v1/categories",
            Some(&w.admin.token),
            json!({"name": "用地规划", "default_department_id": w.dept_b, "deadline_days": 10}),
        )
        .await
        .expect(201);
    let id = c["id"].as_str().expect("id").to_string();
    assert_eq!(c["deadline_days"], 10);
    for days in [0, 366, -1] {
        app.post(
            "/api/v1/categories",
            Some(&w.admin.token),
            json!({"name": format!("x{days}"), "deadline_days": days}),
        )
        .await
        .expect_error(422, "validation_failed");
    }
    app.post(
        "/api/v1/categories",
        Some(&w.admin.token),
        json!({"name": "y", "deadline_days": 3, "default_department_id": "nope"}),
    )
    .await
    .expect_error(422, "validation_failed");
    // Every signed-in user reads them.
    let list = app
        .get("/api/v1/categories", Some(&w.ent_a.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 2);
    // A retired category takes no new requests and disappears from everyone's list but the admin's.
    app.patch(
        &format!("/api/v1/categories/{id}"),
        Some(&w.admin.token),
        json!({"disabled": true}),
    )
    .await
    .expect(200);
    let list = app
        .get("/api/v1/categories", Some(&w.ent_a.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    let list = app
        .get("/api/v1/categories", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 2);
    let r = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "problem", "category_id": id, "title": "t", "description": "d"}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("category_id").is_some());
    app.get(&format!("/api/v1/categories/{id}"), Some(&w.cadre_a.token))
        .await
        .expect(200);
    app.patch(
        &format!("/api/v1/categories/{id}"),
        Some(&w.cadre_a.token),
        json!({"disabled": false}),
    )
    .await
    .expect_error(403, "forbidden");
}

both_backends!(departments, users, enterprises, categories);
