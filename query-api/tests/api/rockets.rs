//! `GET /v1/rockets`: the fleet read from the event store, whose
//! registrations are written here as the command API writes them (the
//! serialized `RocketEvent` and its envelope metadata).

use chrono::{DateTime, Utc};
use events::{Actor, EventMetadata, RocketEvent, RocketRange, RocketRegistered};
use platform::{Department, Role};
use uuid::Uuid;

use crate::finance::{at, spawn_finance_app, FinanceApp};
use crate::helpers::{ApiResponse, OPERATIONS};

/// One event of `aggregate` (type, id, sequence) as the command API's
/// store inserts it.
async fn append(
    f: &FinanceApp,
    aggregate: (&str, &str, i64),
    event_type: &str,
    payload: serde_json::Value,
    occurred_at: DateTime<Utc>,
) {
    let metadata = EventMetadata::for_command(
        occurred_at,
        "corr-rockets",
        "req-rockets",
        &Actor {
            id: Uuid::now_v7().to_string(),
            role: "employee:operations".into(),
        },
    );
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, event_id, occurred_at)
         VALUES ($1, $2, $3, $4, '1.0', $5, $6, $7, $8)",
    )
    .bind(aggregate.0)
    .bind(aggregate.1)
    .bind(aggregate.2)
    .bind(event_type)
    .bind(payload)
    .bind(serde_json::to_value(metadata.to_map()).unwrap())
    .bind(metadata.event_id)
    .bind(occurred_at)
    .execute(&f.pool)
    .await
    .expect("inserting an event");
}

/// Registers a rocket (the event `POST /v1/rockets` stores); its id.
async fn register(
    f: &FinanceApp,
    name: &str,
    capacity: u32,
    range: RocketRange,
    at: DateTime<Utc>,
) -> Uuid {
    let rocket_id = Uuid::now_v7();
    let event = RocketEvent::RocketRegistered(RocketRegistered {
        rocket_id,
        name: name.into(),
        capacity,
        range,
    });
    let id = rocket_id.to_string();
    let payload = serde_json::to_value(&event).unwrap();
    append(f, ("Rocket", &id, 1), "RocketRegistered", payload, at).await;
    rocket_id
}

/// `GET path` as an operations employee.
async fn get(f: &FinanceApp, path: &str) -> ApiResponse {
    let (_, token) = f.app.token(OPERATIONS);
    f.app.get_with(path, Some(&token), &[]).await
}

fn names(response: &ApiResponse) -> Vec<String> {
    response.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", response.text))
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn operations_see_every_registered_rocket_newest_first_with_its_seats_and_range() {
    let f = spawn_finance_app().await;
    let falcon = register(
        &f,
        "Falcon",
        7,
        RocketRange::LowEarthOrbit,
        at(2026, 11, 25, 1),
    )
    .await;
    // A launch's events are not rockets.
    let launch = Uuid::now_v7().to_string();
    let scheduled = serde_json::json!({ "LaunchScheduled": { "n": 1 } });
    append(
        &f,
        ("Launch", &launch, 1),
        "LaunchScheduled",
        scheduled,
        at(2026, 11, 25, 2),
    )
    .await;
    let starship = register(&f, "Starship", 100, RocketRange::Mars, at(2026, 11, 25, 3)).await;

    let response = get(&f, "/v1/rockets").await;

    response.assert_status(200);
    assert_eq!(response.header("cache-control"), Some("private, no-store"));
    assert_eq!(
        response.json,
        serde_json::json!({
            "items": [
                { "rocket_id": starship, "name": "Starship", "capacity": 100, "range": "mars",
                  "registered_at": "2026-11-25T03:00:00Z" },
                { "rocket_id": falcon, "name": "Falcon", "capacity": 7, "range": "low_earth_orbit",
                  "registered_at": "2026-11-25T01:00:00Z" },
            ],
            "page": 1,
            "page_size": 20,
            "total": 2,
        })
    );
}

#[tokio::test]
async fn rocket_pages_split_the_fleet_and_count_every_rocket() {
    let f = spawn_finance_app().await;
    for (hour, name) in [(1, "A"), (2, "B"), (3, "C"), (4, "D"), (5, "E")] {
        register(&f, name, 4, RocketRange::Moon, at(2026, 11, 25, hour)).await;
    }

    let first = get(&f, "/v1/rockets?page_size=2").await;
    let second = get(&f, "/v1/rockets?page_size=2&page=2").await;
    let third = get(&f, "/v1/rockets?page=3&page_size=2").await;
    let beyond = get(&f, "/v1/rockets?page=4&page_size=2").await;

    assert_eq!(names(&first), ["E", "D"]);
    assert_eq!(names(&second), ["C", "B"]);
    assert_eq!(names(&third), ["A"]);
    assert!(names(&beyond).is_empty());
    for page in [&first, &second, &third, &beyond] {
        assert_eq!(page.json["total"], 5, "{}", page.text);
        assert_eq!(page.json["page_size"], 2);
    }
    assert_eq!(third.json["page"], 3);
}

#[tokio::test]
async fn the_name_filter_is_case_insensitive_literal_and_counted() {
    let f = spawn_finance_app().await;
    for (hour, name) in [
        (1, "Starhopper"),
        (2, "Falcon"),
        (3, "Lone STAR"),
        (4, "100% Star_ship"),
    ] {
        register(&f, name, 4, RocketRange::Moon, at(2026, 11, 25, hour)).await;
    }
    let filtered = |q: &'static str| {
        let f = &f;
        async move {
            let response = get(f, &format!("/v1/rockets?q={q}")).await;
            response.assert_status(200);
            (names(&response), response.json["total"].as_u64().unwrap())
        }
    };

    let stars = vec![
        "100% Star_ship".to_owned(),
        "Lone STAR".into(),
        "Starhopper".into(),
    ];
    assert_eq!(filtered("star").await, (stars.clone(), 3));
    // Trimmed, and blank is no filter.
    assert_eq!(filtered("%20%20sTaR%20").await, (stars, 3));
    assert_eq!(filtered("%20").await.1, 4);
    // `%` and `_` are the characters themselves, not wildcards.
    assert_eq!(
        filtered("0%25%20star_").await,
        (vec!["100% Star_ship".to_owned()], 1)
    );
    assert_eq!(filtered("r_o").await, (vec![], 0));
    assert_eq!(filtered("r%25p").await, (vec![], 0));
    assert_eq!(filtered("nothing").await, (vec![], 0));
}

#[tokio::test]
async fn an_empty_fleet_is_an_empty_page() {
    let f = spawn_finance_app().await;

    let response = get(&f, "/v1/rockets").await;

    response.assert_status(200);
    assert!(names(&response).is_empty());
    assert_eq!(response.json["total"], 0);
}

#[tokio::test]
async fn the_fleet_is_401_without_a_valid_token_and_403_for_every_role_but_operations() {
    let f = spawn_finance_app().await;
    let app = &f.app;

    app.get("/v1/rockets")
        .await
        .assert_problem(401, "unauthorized");
    let expired = app.expired_token(Uuid::now_v7());
    for token in [expired.as_str(), "not-a-token"] {
        app.get_with("/v1/rockets", Some(token), &[])
            .await
            .assert_problem(401, "unauthorized");
    }
    for role in [
        Role::Traveler,
        Role::Agency,
        Role::Employee(Department::Finance),
        Role::Employee(Department::It),
    ] {
        let (_, token) = app.token(role);
        let refused = app.get_with("/v1/rockets", Some(&token), &[]).await;
        assert_eq!(refused.status, 403, "{role}: {}", refused.text);
        refused.assert_problem(403, "forbidden");
    }
    get(&f, "/v1/rockets").await.assert_status(200);
}

#[tokio::test]
async fn bad_rocket_parameters_are_422_naming_each() {
    let f = spawn_finance_app().await;

    let long = "x".repeat(101);
    for (query, field) in [
        ("page=0".to_owned(), "page"),
        ("page=10001".into(), "page"),
        ("page=%2B1".into(), "page"),
        ("page=one".into(), "page"),
        ("page_size=0".into(), "page_size"),
        ("page_size=101".into(), "page_size"),
        ("page_size=2.5".into(), "page_size"),
        (format!("q={long}"), "q"),
        ("q=Star%00".into(), "q"),
    ] {
        get(&f, &format!("/v1/rockets?{query}"))
            .await
            .assert_invalid_field(field);
    }
    let both = get(&f, "/v1/rockets?page=0&q=%07").await;
    both.assert_problem(422, "validation-failed");
    let mut fields = both.error_fields();
    fields.sort();
    assert_eq!(fields, ["page", "q"]);
    // A 100-character name is a valid filter.
    let hundred = "x".repeat(100);
    get(&f, &format!("/v1/rockets?q={hundred}"))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn an_unreadable_registration_is_a_500_that_names_nothing() {
    let f = spawn_finance_app().await;
    let id = Uuid::now_v7().to_string();
    let broken = serde_json::json!({ "RocketRegistered": { "name": "Half" } });
    append(
        &f,
        ("Rocket", &id, 1),
        "RocketRegistered",
        broken,
        at(2026, 11, 25, 1),
    )
    .await;

    let response = get(&f, "/v1/rockets").await;

    response.assert_problem(500, "internal-error");
    assert!(!response.text.contains(&id), "{}", response.text);
}
