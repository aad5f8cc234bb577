//! The profiles projector (it shares this harness: a real command API on
//! real PostgreSQL, real NATS JetStream): user messages from the auth
//! service and `ProfileUpdated` events become rows in `travelers`,
//! `agencies` and `employees`, idempotently and in any order.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use events::user::{
    AgencyProfile, Contact, EmployeeCreated, EmployeeProfile, PostalAddress, Profile,
    TravelerProfile, UserEvent, UserMessage, UserRegistered,
};
use platform::Role;
use projectors::profiles::{apply, users_stream_config, Change};
use projectors::settings::Component;
use serde_json::json;
use sqlx::Row;
use testkit::wait_for;
use uuid::Uuid;

use crate::helpers::World;

pub fn agency(legal_name: &str) -> Profile {
    Profile::Agency(AgencyProfile {
        legal_name: legal_name.into(),
        tax_id: "B-12345678".into(),
        address: PostalAddress {
            line1: "Gran Via 1".into(),
            line2: None,
            city: "Madrid".into(),
            postal_code: "28013".into(),
            country: "ES".into(),
        },
        contact: Contact {
            name: "Marta Ruiz".into(),
            email: "marta@orbit.example".into(),
            phone: "+34 600 000 000".into(),
        },
    })
}

/// Publishes a user message on the world's own users stream, as the auth
/// service does.
pub async fn publish(world: &World, event: UserEvent) {
    let jetstream = async_nats::jetstream::new(world.nats.clone());
    let prefix = format!("{}-users", world.prefix);
    jetstream
        .get_or_create_stream(users_stream_config(
            &format!("{}_USERS", world.stream),
            &prefix,
        ))
        .await
        .expect("the users stream");
    let message = UserMessage {
        event_id: Uuid::now_v7(),
        occurred_at: Utc::now(),
        correlation_id: "test".into(),
        event_version: "1".into(),
        event,
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", message.message_id().as_str());
    jetstream
        .publish_with_headers(
            format!("{prefix}.{}", message.event.user_id()),
            headers,
            serde_json::to_vec(&message).expect("json").into(),
        )
        .await
        .expect("publishing")
        .await
        .expect("stored");
}

async fn count(world: &World, sql: &str, user_id: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_one(&world.pool)
        .await
        .expect("counting")
}

#[tokio::test]
async fn a_registration_and_a_profile_change_reach_postgres() {
    let world = World::new().await;
    let running = world
        .start(world.settings(&[Component::Relay, Component::Profiles]))
        .await;
    let (agency_id, token) = world.token(Role::Agency);
    publish(
        &world,
        UserEvent::UserRegistered(UserRegistered {
            user_id: agency_id,
            email: "desk@orbit.example".into(),
            profile: agency("Orbit Travel S.L."),
        }),
    )
    .await;
    let (employee_id, _) = world.token(Role::Employee(platform::Department::Finance));
    publish(
        &world,
        UserEvent::EmployeeCreated(EmployeeCreated {
            user_id: employee_id,
            email: "grace@astro.example".into(),
            department: "finance".into(),
            profile: Profile::Employee(EmployeeProfile {
                full_name: "Grace Hopper".into(),
            }),
            created_by: None,
        }),
    )
    .await;
    wait_for(Duration::from_secs(20), "both registrations", || async {
        count(
            &world,
            "SELECT count(*) FROM agencies WHERE user_id = $1",
            agency_id,
        )
        .await
            == 1
            && count(
                &world,
                "SELECT count(*) FROM employees WHERE user_id = $1",
                employee_id,
            )
            .await
                == 1
    })
    .await;

    let mut changed = serde_json::to_value(agency("Orbit Voyages S.L.")).expect("json");
    changed["address"]["city"] = json!("Sevilla");
    let (status, body) = world
        .put("/v1/profiles/me", &token, json!({ "profile": changed }))
        .await;
    assert_eq!(status, 200, "{body}");

    wait_for(Duration::from_secs(20), "the profile change", || async {
        count(
            &world,
            "SELECT count(*) FROM agencies WHERE user_id = $1 AND profile_version = 1",
            agency_id,
        )
        .await
            == 1
    })
    .await;
    let row =
        sqlx::query("SELECT email, legal_name, city, country FROM agencies WHERE user_id = $1")
            .bind(agency_id)
            .fetch_one(&world.pool)
            .await
            .expect("the agency");
    assert_eq!(row.get::<String, _>("email"), "desk@orbit.example");
    assert_eq!(row.get::<String, _>("legal_name"), "Orbit Voyages S.L.");
    assert_eq!(row.get::<String, _>("city"), "Sevilla");
    assert_eq!(row.get::<String, _>("country"), "ES");
    let employee = sqlx::query("SELECT department, full_name FROM employees WHERE user_id = $1")
        .bind(employee_id)
        .fetch_one(&world.pool)
        .await
        .expect("the employee");
    assert_eq!(employee.get::<String, _>("department"), "finance");
    assert_eq!(employee.get::<String, _>("full_name"), "Grace Hopper");
    running.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn changes_apply_once_in_any_order() {
    let world = World::new().await;
    let user_id = Uuid::now_v7();
    let at = Utc::now();
    let traveler = |name: &str| {
        Profile::Traveler(TravelerProfile {
            full_name: name.into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 12, 10).expect("a date"),
        })
    };
    let updated = |version, name: &str| Change::Updated {
        user_id,
        version,
        profile: traveler(name),
        at,
    };
    let registered = Change::Registered {
        user_id,
        email: "ada@example.com".into(),
        profile: traveler("Ada Lovelace"),
        department: None,
        created_by: None,
        at,
    };
    // The second change arrives first, before the registration.
    apply(&world.pool, &updated(2, "Ada King"))
        .await
        .expect("v2");
    apply(&world.pool, &updated(1, "Ada Byron"))
        .await
        .expect("late v1");
    apply(&world.pool, &registered).await.expect("registration");
    apply(&world.pool, &registered).await.expect("redelivered");
    apply(&world.pool, &updated(2, "Ada King"))
        .await
        .expect("redelivered v2");

    let row = sqlx::query(
        "SELECT email, full_name, profile_version, registered_at IS NOT NULL AS registered
           FROM travelers WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_one(&world.pool)
    .await
    .expect("the traveler");
    assert_eq!(row.get::<String, _>("email"), "ada@example.com");
    assert_eq!(
        row.get::<String, _>("full_name"),
        "Ada King",
        "the newest change wins"
    );
    assert_eq!(row.get::<i64, _>("profile_version"), 2);
    assert!(row.get::<bool, _>("registered"));
    assert_eq!(
        count(
            &world,
            "SELECT count(*) FROM travelers WHERE user_id = $1",
            user_id
        )
        .await,
        1
    );
    world.cleanup().await;
}

#[tokio::test]
async fn an_old_profile_with_a_nul_is_stored_with_a_replacement_character() {
    // Holders' names reach invoices from here; an old message with a NUL
    // (PostgreSQL refuses it in `text`) must not stop the projector.
    let world = World::new().await;
    let user_id = Uuid::now_v7();
    let mut profile = agency("Orbit\u{0}Travel");
    if let Profile::Agency(agency) = &mut profile {
        agency.address.line2 = Some("Floor\u{0}2".into());
        agency.address.postal_code = "28013\u{0}".into();
    }
    let change = Change::Registered {
        user_id,
        email: "nul\u{0}@example.com".into(),
        profile,
        department: None,
        created_by: None,
        at: Utc::now(),
    };

    apply(&world.pool, &change)
        .await
        .expect("a NUL does not stop the projector");

    let row = sqlx::query(
        "SELECT email, legal_name, address_line2, postal_code FROM agencies WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_one(&world.pool)
    .await
    .expect("the agency");
    let text = |column: &str| row.get::<String, _>(column);
    assert_eq!(text("email"), "nul\u{FFFD}@example.com");
    assert_eq!(text("legal_name"), "Orbit\u{FFFD}Travel");
    assert_eq!(text("address_line2"), "Floor\u{FFFD}2");
    assert_eq!(text("postal_code"), "28013\u{FFFD}");
    world.cleanup().await;
}
