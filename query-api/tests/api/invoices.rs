//! `GET /v1/invoices`, `GET /v1/invoices/{number}` and
//! `GET /v1/invoices/{number}.pdf`, on a real PostgreSQL seeded as the
//! finance projector would have (see `finance::seed` for the documents):
//! roles, issue order, filters, paging and sums, single documents, `as_of`,
//! a projection behind, the PDF, readiness.

use std::time::{Duration, Instant};

use platform::{Department, Role};
use serde_json::Value;

use crate::finance::{
    at, pdf_text, seed, spawn_finance_app, spawn_finance_app_with, Holder, FINANCE,
};
use crate::helpers::OPERATIONS;

const EVERYTHING: [&str; 7] = [
    "INV-2026-000001",
    "INV-2026-000002",
    "INV-2026-000003",
    "CN-2026-000001",
    "INV-2027-000001",
    "CN-2027-000001",
    "CN-2027-000002",
];

fn totals(json: &Value) -> (i64, i64, i64) {
    (
        json["invoiced_cents"].as_i64().unwrap(),
        json["credited_cents"].as_i64().unwrap(),
        json["net_cents"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn finance_sees_every_document_in_issue_order_with_the_sums() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;

    let response = f.get("/v1/invoices", &world.finance).await;

    response.assert_status(200);
    assert_eq!(response.header("cache-control"), Some("private, no-store"));
    assert_eq!(response.ids("number"), EVERYTHING);
    let json = &response.json;
    assert_eq!(json["total"], 7);
    assert_eq!(
        (json["page"].as_u64(), json["page_size"].as_u64()),
        (Some(1), Some(20))
    );
    assert_eq!(
        totals(&json["totals"]),
        (325_000_000, 245_000_000, 80_000_000)
    );
    assert_eq!(totals(&json["page_totals"]), totals(&json["totals"]));
    assert_eq!(json["position"], 10);
    assert_eq!(json["projected_up_to"], 10);
    assert!(json["as_of"].is_null());

    let invoice = &json["items"][0];
    assert_eq!(invoice["kind"], "invoice");
    assert_eq!(invoice["year"], 2026);
    assert_eq!(invoice["issued_at"], "2026-03-02T10:00:00Z");
    assert_eq!(invoice["holder_id"], world.ada.0.id.to_string());
    assert_eq!(invoice["holder_kind"], "traveler");
    assert_eq!(invoice["launch_id"], world.moon.id.to_string());
    assert!(invoice["booking_id"].is_string());
    assert_eq!(invoice["amount_cents"], 50_000_000);
    assert_eq!(invoice["seats"], 2);
    assert_eq!(invoice["unit_price_cents"], 25_000_000);
    assert_eq!(invoice["cancelled_at"], "2026-03-05T10:00:00Z");
    assert!(invoice.get("invoice_number").is_none());
    let uncancelled = &json["items"][1];
    assert!(uncancelled["cancelled_at"].is_null());
    assert_eq!(uncancelled["holder_kind"], "agency");
    let credit_note = &json["items"][3];
    assert_eq!(credit_note["kind"], "credit_note");
    assert_eq!(credit_note["invoice_number"], "INV-2026-000001");
    assert_eq!(credit_note["refund_percent"], 90);
    assert_eq!(credit_note["reason"], "holder_cancelled");
    assert_eq!(credit_note["amount_cents"], 45_000_000);
    assert_eq!(credit_note["booking_id"], invoice["booking_id"]);
    assert!(credit_note.get("seats").is_none());
}

#[tokio::test]
async fn each_filter_narrows_the_documents_and_their_sums() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;
    let list = |query: String| {
        let f = &f;
        let token = world.finance.clone();
        async move {
            let response = f.get(&format!("/v1/invoices?{query}"), &token).await;
            response.assert_status(200);
            response
        }
    };

    let year = list("year=2027".into()).await;
    assert_eq!(
        year.ids("number"),
        ["INV-2027-000001", "CN-2027-000001", "CN-2027-000002"]
    );
    assert_eq!(
        totals(&year.json["totals"]),
        (100_000_000, 200_000_000, -100_000_000)
    );
    let bob = list(format!("holder_id={}", world.bob.0.id)).await;
    assert_eq!(bob.ids("number"), ["INV-2026-000003", "CN-2027-000001"]);
    let mars = list(format!("launch_id={}", world.mars.id)).await;
    assert_eq!(
        mars.ids("number"),
        [
            "INV-2026-000003",
            "INV-2027-000001",
            "CN-2027-000001",
            "CN-2027-000002"
        ]
    );
    let notes = list("kind=credit_note".into()).await;
    assert_eq!(
        notes.ids("number"),
        ["CN-2026-000001", "CN-2027-000001", "CN-2027-000002"]
    );
    assert_eq!(totals(&notes.json["totals"]).0, 0);
    let invoices = list("kind=invoice&year=2026".into()).await;
    assert_eq!(
        invoices.ids("number"),
        ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    );
    assert_eq!(invoices.json["total"], 3);
    let combined = list(format!(
        "kind=invoice&launch_id={}&holder_id={}",
        world.moon.id, world.agency.0.id
    ))
    .await;
    assert_eq!(combined.ids("number"), ["INV-2026-000002"]);
    let none = list("year=2025".into()).await;
    assert_eq!(none.json["total"], 0);
    assert_eq!(totals(&none.json["totals"]), (0, 0, 0));
}

#[tokio::test]
async fn pages_follow_the_issue_order_with_sums_per_page_and_overall() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;
    let page = |n: u32| {
        let f = &f;
        let token = world.finance.clone();
        async move {
            let response = f
                .get(&format!("/v1/invoices?page={n}&page_size=3"), &token)
                .await;
            response.assert_status(200);
            response
        }
    };

    let first = page(1).await;
    assert_eq!(first.ids("number"), EVERYTHING[..3]);
    assert_eq!(
        totals(&first.json["page_totals"]),
        (225_000_000, 0, 225_000_000)
    );
    let second = page(2).await;
    assert_eq!(second.ids("number"), EVERYTHING[3..6]);
    assert_eq!(
        totals(&second.json["page_totals"]),
        (100_000_000, 145_000_000, -45_000_000)
    );
    let third = page(3).await;
    assert_eq!(third.ids("number"), EVERYTHING[6..]);
    let beyond = page(4).await;
    assert!(beyond.ids("number").is_empty());
    assert_eq!(totals(&beyond.json["page_totals"]), (0, 0, 0));
    for response in [&first, &second, &third, &beyond] {
        assert_eq!(response.json["total"], 7);
        assert_eq!(response.json["page_size"], 3);
        assert_eq!(
            totals(&response.json["totals"]),
            (325_000_000, 245_000_000, 80_000_000)
        );
    }
}

#[tokio::test]
async fn travelers_and_agencies_see_their_own_documents_only() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;
    let (ada, ada_token) = (&world.ada.0, &world.ada.1);

    let own = f.get("/v1/invoices", ada_token).await;
    own.assert_status(200);
    assert_eq!(
        own.ids("number"),
        [
            "INV-2026-000001",
            "CN-2026-000001",
            "INV-2027-000001",
            "CN-2027-000002"
        ]
    );
    assert_eq!(
        totals(&own.json["totals"]),
        (150_000_000, 145_000_000, 5_000_000)
    );
    let named = f
        .get(&format!("/v1/invoices?holder_id={}", ada.id), ada_token)
        .await;
    assert_eq!(named.ids("number"), own.ids("number"));
    let agency = f.get("/v1/invoices", &world.agency.1).await;
    assert_eq!(agency.ids("number"), ["INV-2026-000002"]);

    f.get(
        &format!("/v1/invoices?holder_id={}", world.bob.0.id),
        ada_token,
    )
    .await
    .assert_problem(403, "forbidden");
    f.get(
        &format!("/v1/invoices?holder_id={}", ada.id),
        &world.agency.1,
    )
    .await
    .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn other_employees_are_forbidden_and_a_missing_or_bad_token_is_refused() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;
    let it = f.app.token(Role::Employee(Department::It)).1;
    let operations = f.app.token(OPERATIONS).1;

    for path in [
        "/v1/invoices",
        "/v1/invoices/INV-2026-000001",
        "/v1/invoices/INV-2026-000001.pdf",
    ] {
        for token in [&it, &operations] {
            f.get(path, token).await.assert_problem(403, "forbidden");
        }
        f.app.get(path).await.assert_problem(401, "unauthorized");
        f.get(path, "garbage")
            .await
            .assert_problem(401, "unauthorized");
        f.get(path, &f.app.expired_token(world.ada.0.id))
            .await
            .assert_problem(401, "unauthorized");
    }
}

#[tokio::test]
async fn an_invoice_comes_with_its_lines_launch_credit_notes_and_payer() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;

    let response = f.get("/v1/invoices/INV-2026-000001", &world.ada.1).await;

    response.assert_status(200);
    assert_eq!(response.header("cache-control"), Some("private, no-store"));
    let json = &response.json;
    assert_eq!(json["number"], "INV-2026-000001");
    assert_eq!(json["kind"], "invoice");
    assert_eq!(json["amount_cents"], 50_000_000);
    assert_eq!(json["seats"], 2);
    assert_eq!(json["cancelled_at"], "2026-03-05T10:00:00Z");
    assert_eq!(json["position"], 10);
    assert_eq!(json["projected_up_to"], 10);
    let lines = json["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["line_no"], 1);
    assert_eq!(lines[0]["passenger_name"], "Ada Lovelace");
    assert_eq!(lines[1]["passenger_name"], "Charles Babbage");
    assert_eq!(lines[1]["quantity"], 1);
    assert_eq!(lines[1]["unit_price_cents"], 25_000_000);
    assert_eq!(lines[1]["amount_cents"], 25_000_000);
    assert_eq!(
        lines[0]["description"],
        "Seat on Starhopper from Kourou to moon"
    );
    assert_eq!(
        json["launch"],
        serde_json::json!({
            "rocket_name": "Starhopper",
            "spaceport": "Kourou",
            "destination": "moon",
            "departure_at": "2027-06-01T12:00:00Z",
        })
    );
    let notes = json["credit_notes"].as_array().expect("credit notes");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["number"], "CN-2026-000001");
    assert_eq!(notes[0]["amount_cents"], 45_000_000);
    assert_eq!(
        json["payer"],
        serde_json::json!({
            "kind": "traveler",
            "full_name": "Ada Lovelace",
            "email": "ada@example.com",
        })
    );
    // Finance reads it too.
    let by_finance = f.get("/v1/invoices/INV-2026-000001", &world.finance).await;
    by_finance.assert_status(200);
    assert_eq!(by_finance.json["lines"], json["lines"]);
}

#[tokio::test]
async fn an_agencys_invoice_names_the_agency_and_a_payer_without_a_profile_has_nulls() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;

    let agency = f.get("/v1/invoices/INV-2026-000002", &world.agency.1).await;
    agency.assert_status(200);
    let payer = &agency.json["payer"];
    assert_eq!(payer["kind"], "agency");
    assert_eq!(payer["legal_name"], "Orbit Travel SARL");
    assert_eq!(payer["tax_id"], "FR12345678901");
    assert_eq!(payer["email"], "billing@orbit-travel.example");
    assert_eq!(
        payer["address"],
        serde_json::json!({
            "line1": "5 Rue des Étoiles",
            "line2": null,
            "city": "Toulouse",
            "postal_code": "31000",
            "country": "FR",
        })
    );
    assert_eq!(payer["contact"]["name"], "Jeanne Dupont");
    assert_eq!(payer["contact"]["email"], "jeanne@orbit-travel.example");
    assert_eq!(payer["contact"]["phone"], "+33 5 00 00 00 00");
    assert!(agency.json["cancelled_at"].is_null());
    assert_eq!(agency.json["credit_notes"], serde_json::json!([]));

    let bob = f.get("/v1/invoices/INV-2026-000003", &world.bob.1).await;
    bob.assert_status(200);
    assert_eq!(
        bob.json["payer"],
        serde_json::json!({ "kind": "traveler", "full_name": null, "email": null })
    );
}

#[tokio::test]
async fn a_credit_note_names_its_invoice_payer_and_launch() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;

    let response = f.get("/v1/invoices/CN-2026-000001", &world.ada.1).await;

    response.assert_status(200);
    let json = &response.json;
    assert_eq!(json["kind"], "credit_note");
    assert_eq!(json["invoice_number"], "INV-2026-000001");
    assert_eq!(json["refund_percent"], 90);
    assert_eq!(json["reason"], "holder_cancelled");
    assert_eq!(json["amount_cents"], 45_000_000);
    assert_eq!(json["issued_at"], "2026-03-05T10:00:00Z");
    assert_eq!(json["invoice_issued_at"], "2026-03-02T10:00:00Z");
    assert_eq!(json["invoice_total_cents"], 50_000_000);
    assert_eq!(json["launch"]["rocket_name"], "Starhopper");
    assert_eq!(json["payer"]["full_name"], "Ada Lovelace");
    assert!(json.get("lines").is_none() && json.get("credit_notes").is_none());
    let aborted = f.get("/v1/invoices/CN-2027-000001", &world.finance).await;
    assert_eq!(aborted.json["reason"], "launch_aborted");
    assert_eq!(aborted.json["launch"]["destination"], "mars");
}

#[tokio::test]
async fn someone_elses_or_an_unknown_document_is_404_and_a_malformed_number_422() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;

    for path in [
        "/v1/invoices/INV-2026-000001",
        "/v1/invoices/INV-2026-000001.pdf",
        "/v1/invoices/INV-2026-000099",
    ] {
        let response = f.get(path, &world.bob.1).await;
        response.assert_problem(404, "invoice-not-found");
        assert!(!response.text.contains("Ada"), "{}", response.text);
    }
    f.get("/v1/invoices/CN-2026-000001", &world.agency.1)
        .await
        .assert_problem(404, "credit-note-not-found");
    f.get("/v1/invoices/CN-2030-000001", &world.finance)
        .await
        .assert_problem(404, "credit-note-not-found");
    f.get("/v1/invoices/INV-2030-000001.pdf", &world.finance)
        .await
        .assert_problem(404, "invoice-not-found");

    for number in [
        "INV-26-000001",
        "inv-2026-000001",
        "INV-2026-0001",
        "42",
        "nope.pdf",
    ] {
        f.get(&format!("/v1/invoices/{number}"), &world.finance)
            .await
            .assert_invalid_field("number");
    }
    let both = f
        .get("/v1/invoices/INV-1?as_of=yesterday", &world.finance)
        .await;
    both.assert_invalid_field("number");
    assert_eq!(both.error_fields(), ["number", "as_of"]);
}

#[tokio::test]
async fn an_as_of_outside_what_the_stores_hold_is_a_422_naming_it() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;

    for as_of in ["0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"] {
        for path in [
            format!("/v1/invoices?as_of={as_of}"),
            format!("/v1/invoices/INV-2026-000001?as_of={as_of}"),
        ] {
            f.get(&path, &world.finance)
                .await
                .assert_invalid_field("as_of");
        }
    }
}

#[tokio::test]
async fn every_bad_parameter_is_reported_at_once() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;

    let response = f
        .get(
            "/v1/invoices?year=twenty&holder_id=x&launch_id=y&kind=receipt&as_of=2026-03-01&page=0&page_size=1000",
            &world.finance,
        )
        .await;

    response.assert_problem(422, "validation-failed");
    assert_eq!(
        response.error_fields(),
        [
            "year",
            "holder_id",
            "launch_id",
            "kind",
            "as_of",
            "page",
            "page_size"
        ]
    );
    f.get("/v1/invoices?year=0", &world.finance)
        .await
        .assert_invalid_field("year");
}

#[tokio::test]
async fn as_of_answers_the_documents_as_they_stood_at_that_instant() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;
    let token = &world.finance;

    // After INV-2026-000003 (03-04 10:00), before the refund (03-05 10:00).
    let before_refund = "2026-03-04T12:00:00Z";
    let response = f
        .get(&format!("/v1/invoices?as_of={before_refund}"), token)
        .await;
    response.assert_status(200);
    assert_eq!(response.ids("number"), EVERYTHING[..3]);
    assert_eq!(response.json["as_of"], "2026-03-04T12:00:00Z");
    assert_eq!(response.json["position"], 5);
    assert_eq!(response.json["projected_up_to"], 10);
    assert!(response.json["items"][0]["cancelled_at"].is_null());
    assert_eq!(
        totals(&response.json["totals"]),
        (225_000_000, 0, 225_000_000)
    );
    let invoice = f
        .get(
            &format!("/v1/invoices/INV-2026-000001?as_of={before_refund}"),
            token,
        )
        .await;
    invoice.assert_status(200);
    assert!(invoice.json["cancelled_at"].is_null());
    assert_eq!(invoice.json["credit_notes"], serde_json::json!([]));
    assert_eq!(invoice.json["position"], 5);
    f.get(
        &format!("/v1/invoices/CN-2026-000001?as_of={before_refund}"),
        token,
    )
    .await
    .assert_problem(404, "credit-note-not-found");

    // An event at exactly the instant counts; an offset is understood.
    let at_refund = f
        .get("/v1/invoices?as_of=2026-03-05T11:00:00%2B01:00", token)
        .await;
    assert_eq!(at_refund.ids("number"), EVERYTHING[..4]);
    assert_eq!(at_refund.json["position"], 6);
    assert_eq!(
        at_refund.json["items"][0]["cancelled_at"],
        "2026-03-05T10:00:00Z"
    );
    // Before anything: nothing; after everything: everything.
    let nothing = f
        .get("/v1/invoices?as_of=2025-01-01T00:00:00Z", token)
        .await;
    assert_eq!(nothing.json["total"], 0);
    assert_eq!(nothing.json["position"], 0);
    let all = f
        .get("/v1/invoices?as_of=2030-01-01T00:00:00Z", token)
        .await;
    assert_eq!(all.ids("number"), EVERYTHING);
    assert_eq!(all.json["position"], 10);
    // A holder's own, as of then.
    let ada = f
        .get(&format!("/v1/invoices?as_of={before_refund}"), &world.ada.1)
        .await;
    assert_eq!(ada.ids("number"), ["INV-2026-000001"]);
    assert_eq!(
        f.app
            .metric(r#"query_finance_as_of_total{outcome="fresh"}"#)
            .await,
        Some(7.0)
    );
}

#[tokio::test]
async fn an_instant_the_projection_has_not_reached_is_503_after_the_bounded_wait() {
    let f = spawn_finance_app_with(|s| {
        s.read_your_writes_max_wait = Duration::from_millis(150);
    })
    .await;
    let world = seed(&f).await;
    // The projector has applied the events up to 5 only.
    f.checkpoint(5).await;
    let token = &world.finance;

    let started = Instant::now();
    let behind = f
        .get("/v1/invoices?as_of=2030-01-01T00:00:00Z", token)
        .await;
    behind.assert_problem(503, "service-unavailable");
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(behind.header("retry-after"), Some("1"));
    assert!(
        behind.json["detail"]
            .as_str()
            .unwrap()
            .contains("finance projection has not reached"),
        "{}",
        behind.text
    );
    f.get(
        "/v1/invoices/INV-2026-000001?as_of=2030-01-01T00:00:00Z",
        token,
    )
    .await
    .assert_problem(503, "service-unavailable");
    // What it has reached is served; without as_of, the projection as is.
    let reached = f
        .get("/v1/invoices?as_of=2026-03-04T12:00:00Z", token)
        .await;
    reached.assert_status(200);
    assert_eq!(reached.json["projected_up_to"], 5);
    let current = f.get("/v1/invoices", token).await;
    assert_eq!(current.ids("number"), EVERYTHING[..3]);
    assert_eq!(current.json["position"], 5);
    assert_eq!(
        f.app
            .metric(r#"query_finance_as_of_total{outcome="unavailable"}"#)
            .await,
        Some(2.0)
    );
}

#[tokio::test]
async fn a_request_as_of_an_instant_waits_for_the_projection_to_get_there() {
    let f = spawn_finance_app_with(|s| {
        s.read_your_writes_max_wait = Duration::from_secs(5);
    })
    .await;
    let world = seed(&f).await;
    f.checkpoint(5).await;
    let pool = f.pool.clone();
    let catch_up = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        sqlx::query("UPDATE finance.checkpoint SET position = 10")
            .execute(&pool)
            .await
            .unwrap();
    });

    let response = f
        .get("/v1/invoices?as_of=2030-01-01T00:00:00Z", &world.finance)
        .await;

    response.assert_status(200);
    assert_eq!(response.ids("number"), EVERYTHING);
    assert_eq!(response.json["projected_up_to"], 10);
    catch_up.await.unwrap();
    assert_eq!(
        f.app
            .metric(r#"query_finance_as_of_total{outcome="waited"}"#)
            .await,
        Some(1.0)
    );
    assert_eq!(
        f.app.metric("finance_projection_global_position").await,
        Some(10.0)
    );
}

#[tokio::test]
async fn an_invoice_prints_as_a_pdf_with_its_number_payer_lines_and_total() {
    let f = spawn_finance_app().await;
    let world = seed(&f).await;

    let (status, content_type, disposition, body) = f
        .get_bytes("/v1/invoices/INV-2026-000001.pdf", &world.ada.1)
        .await;

    assert_eq!(status, 200);
    assert_eq!(content_type, "application/pdf");
    assert_eq!(disposition, r#"inline; filename="INV-2026-000001.pdf""#);
    assert!(body.starts_with(b"%PDF-"));
    let text = pdf_text(&body);
    for expected in [
        "Astro Bookings Ltd.",
        "INVOICE",
        "INV-2026-000001",
        "2026-03-02",
        "Ada Lovelace",
        "ada@example.com",
        "Charles Babbage",
        "Starhopper",
        "Kourou",
        "Moon",
        "2027-06-01 12:00 UTC",
        "EUR 250,000.00",
        "Total (2 seats)",
        "EUR 500,000.00",
        "This booking was cancelled on 2026-03-05.",
        "CN-2026-000001 of 2026-03-05 (EUR 450,000.00)",
        "page 1 of 1",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // The same document prints the same (only the file identifier varies).
    let (_, _, _, again) = f
        .get_bytes("/v1/invoices/INV-2026-000001.pdf", &world.finance)
        .await;
    assert_eq!(pdf_text(&again), text);
    // As of before the refund: not cancelled.
    let (_, _, _, before) = f
        .get_bytes(
            "/v1/invoices/INV-2026-000001.pdf?as_of=2026-03-04T12:00:00Z",
            &world.ada.1,
        )
        .await;
    let before = pdf_text(&before);
    assert!(!before.contains("cancelled"), "{before}");
    assert!(before.contains("2026-03-04 12:00 UTC"), "{before}");
}

#[tokio::test]
async fn a_credit_note_and_an_agencys_invoice_print_too() {
    let f = spawn_finance_app_with(|s| {
        s.finance.issuer.tax_id = Some("GB999999973".into());
        s.finance.issuer.currency = "USD".into();
    })
    .await;
    let world = seed(&f).await;

    let (status, content_type, disposition, body) = f
        .get_bytes("/v1/invoices/CN-2026-000001.pdf", &world.ada.1)
        .await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    assert_eq!(disposition, r#"inline; filename="CN-2026-000001.pdf""#);
    let text = pdf_text(&body);
    for expected in [
        "CREDIT NOTE",
        "CN-2026-000001",
        "Credits invoice",
        "INV-2026-000001",
        "Ada Lovelace",
        "90%",
        "booking cancelled by the holder",
        "Invoice total",
        "USD 500,000.00",
        "Total credited",
        "USD 450,000.00",
        "VAT ID: GB999999973",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    let (status, _, _, body) = f
        .get_bytes("/v1/invoices/INV-2026-000002.pdf", &world.agency.1)
        .await;
    assert_eq!(status, 200);
    let text = pdf_text(&body);
    for expected in [
        "Orbit Travel SARL",
        "31000 Toulouse",
        "VAT ID: FR12345678901",
        "Attn: Jeanne Dupont",
        "Marie Curie",
        "Total (3 seats)",
        "USD 750,000.00",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // Latin-1 accents are kept.
    assert!(text.contains("5 Rue des \u{c9}toiles"), "{text}");
}

#[tokio::test]
async fn names_the_builtin_fonts_cannot_show_do_not_break_the_pdf() {
    let f = spawn_finance_app().await;
    let (id, token) = f.app.token(Role::Traveler);
    let holder = Holder {
        id,
        kind: "traveler",
    };
    let world = seed(&f).await;
    f.traveler(id, "Zoë Łukasiewicz 東京 🚀", "zoe@example.com")
        .await;
    f.invoice(
        "INV-2027-000002",
        11,
        at(2027, 3, 1, 8),
        &world.moon,
        holder,
        &["Zoë Łukasiewicz 東京 🚀", &"Very Long Name ".repeat(12)],
    )
    .await;
    f.checkpoint(11).await;

    let (status, _, _, body) = f
        .get_bytes("/v1/invoices/INV-2027-000002.pdf", &token)
        .await;

    assert_eq!(status, 200);
    let text = pdf_text(&body);
    assert!(text.contains("Zo\u{eb} ?ukasiewicz ?? ?"), "{text}");
    assert!(text.contains("EUR 500,000.00"), "{text}");
}

#[tokio::test]
async fn ready_includes_postgresql() {
    let f = spawn_finance_app().await;

    crate::helpers::wait_for(Duration::from_secs(10), "/ready to answer 200", || async {
        f.app.get("/ready").await.status == 200
    })
    .await;

    let ready = f.app.get("/ready").await;
    assert_eq!(ready.json["postgres"], "up");
    assert_eq!(ready.json["mongo"], "up");
}

#[tokio::test]
async fn without_postgresql_finance_reads_are_503_and_not_ready() {
    // Nothing listens on port 9.
    let f = crate::helpers::spawn_app_with(|s| {
        s.finance.database_url = "postgres://astro:astro@127.0.0.1:9/astro".to_owned().into();
        s.finance.database_acquire_timeout = Duration::from_millis(300);
    })
    .await;
    let token = f.token(FINANCE).1;

    let ready = f.get("/ready").await;
    ready.assert_status(503);
    assert_eq!(ready.json["postgres"], "down");
    for path in [
        "/v1/invoices",
        "/v1/invoices/INV-2026-000001",
        "/v1/invoices/INV-2026-000001.pdf",
    ] {
        let response = f.get_with(path, Some(&token), &[]).await;
        response.assert_problem(503, "service-unavailable");
        assert_eq!(response.header("retry-after"), Some("1"));
        assert!(!response.text.contains("127.0.0.1"), "{}", response.text);
        assert!(!response.text.contains("astro:astro"), "{}", response.text);
    }
    // The sales side does not depend on it.
    f.get("/v1/launches").await.assert_status(200);
    f.get("/metrics").await.assert_status(200);
}

#[tokio::test]
async fn openapi_describes_the_finance_endpoints() {
    let f = crate::helpers::spawn_app().await;

    let response = f.get("/openapi.json").await;

    let paths = &response.json["paths"];
    for path in [
        "/v1/invoices",
        "/v1/invoices/{number}",
        "/v1/invoices/{number}.pdf",
    ] {
        assert!(paths[path]["get"].is_object(), "GET {path} missing");
    }
    let names: Vec<&str> = paths["/v1/invoices"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in [
        "year",
        "holder_id",
        "launch_id",
        "kind",
        "as_of",
        "page",
        "page_size",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let schemas = &response.json["components"]["schemas"];
    for schema in [
        "DocumentPage",
        "Document",
        "DocumentDetail",
        "Payer",
        "Totals",
    ] {
        assert!(schemas[schema].is_object(), "schema {schema} missing");
    }
    assert!(
        paths["/v1/invoices/{number}.pdf"]["get"]["responses"]["200"]["content"]["application/pdf"]
            .is_object()
    );
}
