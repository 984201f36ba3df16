//! The OpenAPI document and its viewer are served by the binary, and every documented
//! operation is routed.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::TestApp;

async fn openapi_document_matches_the_routes(app: TestApp) {
    let doc = app.get("/api/openapi.json", None).await.expect(200);
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in ["get", "post", "patch", "put", "delete"] {
            if item.get(method).is_some() {
                operations.push((method.to_string(), path.clone()));
            }
        }
    }
    assert_eq!(operations.len(), 153, "{operations:?}");
    let id = "0190c0de-0000-7000-8000-000000000000";
    for (method, path) in &operations {
        let url = app.url(
            &path
                .replace("{id}", id)
                .replace("{eid}", id)
                .replace("{ticket_id}", id)
                .replace("{year}", "2027"),
        );
        let req = match method.as_str() {
            "get" => app.client.get(url),
            "post" => app.client.post(url),
            "patch" => app.client.patch(url),
            "put" => app.client.put(url),
            "delete" => app.client.delete(url),
            other => panic!("unexpected method {other}"),
        };
        let r = app.send(req).await;
        // Unauthenticated: 401 where a token is needed; never 404 or 405, which would mean
        // the document describes a route that does not exist.
        assert!(
            ![404, 405].contains(&r.status),
            "{method} {path}: {}",
            r.status
        );
        let secured = doc["paths"][path][method]["security"].is_array();
        if secured {
            assert_eq!(r.status, 401, "{method} {path}");
        }
    }
    // Error bodies are described.
    assert!(doc["components"]["schemas"]["ErrorResponse"].is_object());
    assert_eq!(
        doc["components"]["schemas"]["TicketStatus"]["enum"],
        serde_json::json!([
            "submitted",
            "accepted",
            "assigned",
            "in_progress",
            "resolved",
            "closed",
            "rejected",
            "withdrawn",
            "merged"
        ])
    );
    // Without the slash, a redirect to it.
    let viewer = app.send(app.client.get(app.url("/api/docs"))).await;
    assert_eq!(viewer.status, 200);
    assert!(viewer.text.contains("swagger"), "the viewer page");
    assert_eq!(viewer.body, Value::Null);
}

both_backends!(openapi_document_matches_the_routes);
