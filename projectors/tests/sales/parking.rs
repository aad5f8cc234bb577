//! What an event that cannot be applied does to each projection: the
//! order-free ones (sales, profiles) park it and go on, and say so on
//! `/ready`; the ordered finance projection halts at it, loudly, and
//! resumes once it is repaired.

use std::time::Duration;

use async_nats::jetstream;
use events::user::{EmployeeCreated, EmployeeProfile, Profile, UserEvent, UserRegistered};
use futures::StreamExt;
use platform::Role;
use projectors::settings::Component;
use testkit::{metric, wait_for};
use uuid::Uuid;

use crate::helpers::World;
use crate::profiles::{agency, publish};

const WAIT: Duration = Duration::from_secs(30);

/// The first message on the world's dead-letter stream.
async fn first_parked(world: &World) -> async_nats::jetstream::Message {
    let stream = jetstream::new(world.nats.clone())
        .get_stream(&world.dead_letters)
        .await
        .expect("the dead letters");
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .expect("a reader");
    let mut messages = consumer.messages().await.expect("messages");
    tokio::time::timeout(WAIT, messages.next())
        .await
        .expect("a parked message in time")
        .expect("a message")
        .expect("readable")
}

#[tokio::test]
async fn an_unreadable_launch_event_is_parked_and_ready_says_degraded() {
    let world = World::new().await;
    let projectors = world
        .start(world.settings(&[Component::Relay, Component::Sales]))
        .await;
    let (status, body) = projectors.ready().await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ready")),
        "{body}"
    );
    world
        .insert_unreadable_event(&Uuid::now_v7().to_string(), 1)
        .await;
    let healthy = world.launch(10).await;
    world.book(healthy, 2).await;

    wait_for(WAIT, "ready to say degraded", || async {
        projectors.ready().await.1["status"] == "degraded"
    })
    .await;
    let (status, body) = projectors.ready().await;
    assert_eq!(status, 200, "it still works: {body}");
    assert_eq!(body["parked"]["sales"], 1, "{body}");
    // The projection went on with the other launch.
    wait_for(WAIT, "the healthy launch projected", || async {
        world
            .launches()
            .await
            .get(&healthy.to_string())
            .is_some_and(|doc| doc.seats_booked == 2)
    })
    .await;
    projectors.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn a_user_message_postgres_refuses_is_parked_and_the_feed_goes_on() {
    let world = World::new().await;
    let projectors = world
        .start(world.settings(&[Component::Relay, Component::Profiles]))
        .await;
    // No such department: the row breaks a CHECK constraint, refused for
    // its data whatever the number of retries.
    let (refused, _) = world.token(Role::Employee(platform::Department::It));
    publish(
        &world,
        UserEvent::EmployeeCreated(EmployeeCreated {
            user_id: refused,
            email: "stargazer@astro.example".into(),
            department: "astrology".into(),
            profile: Profile::Employee(EmployeeProfile {
                full_name: "Stella Gazer".into(),
            }),
            created_by: None,
        }),
    )
    .await;
    let (accepted, _) = world.token(Role::Agency);
    publish(
        &world,
        UserEvent::UserRegistered(UserRegistered {
            user_id: accepted,
            email: "desk@orbit.example".into(),
            profile: agency("Orbit Travel S.L."),
        }),
    )
    .await;

    let parked = first_parked(&world).await;
    assert_eq!(
        parked.subject.as_str(),
        format!("{}-dead.profiles.{refused}", world.prefix)
    );
    let headers = parked.headers.clone().expect("headers");
    let header = |name: &str| headers.get(name).map(|v| v.as_str().to_owned());
    assert_eq!(header("Astro-Projection").as_deref(), Some("profiles"));
    assert_eq!(header("Astro-Deliveries").as_deref(), Some("3"));
    assert!(
        header("Astro-Original-Subject").is_some_and(|s| s.ends_with(&refused.to_string())),
        "{headers:?}"
    );
    let reason = header("Astro-Dead-Letter-Reason").expect("a reason");
    assert!(reason.starts_with("refused by Postgres"), "{reason}");
    assert!(
        headers.get("Nats-Msg-Id").is_none(),
        "a parked copy is a new message"
    );
    wait_for(WAIT, "the next registration applied", || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM agencies WHERE user_id = $1")
            .bind(accepted)
            .fetch_one(&world.pool)
            .await
            .expect("counting")
            == 1
    })
    .await;
    let (status, body) = projectors.ready().await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("degraded")),
        "{body}"
    );
    assert_eq!(body["parked"]["profiles"], 1, "{body}");
    assert!(
        metric(
            &projectors.metrics().await,
            "profiles_projector_events_total",
            r#"outcome="dead_lettered""#
        ) >= 1.0
    );
    projectors.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn the_finance_projection_halts_at_an_event_it_cannot_apply_and_resumes_once_repaired() {
    let world = World::new().await;
    let projectors = world.start(world.settings(&[Component::Finance])).await;
    let launch = world.launch(10).await;
    world.book(launch, 1).await;
    let invoices = |n: i64| {
        let pool = world.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM finance.invoices")
                .fetch_one(&pool)
                .await
                .expect("counting")
                == n
        }
    };
    wait_for(WAIT, "the first invoice", || invoices(1)).await;
    let broken = world
        .insert_unreadable_event(&Uuid::now_v7().to_string(), 1)
        .await;
    world.book(launch, 2).await;

    wait_for(WAIT, "ready to say halted", || async {
        projectors.ready().await.1["status"] == "halted"
    })
    .await;
    let (status, body) = projectors.ready().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["finance"]["position"], broken, "{body}");
    assert!(
        body["finance"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("SeatsBooked")),
        "{body}"
    );
    let metrics = projectors.metrics().await;
    assert_eq!(metric(&metrics, "finance_projector_halted", ""), 1.0);
    assert_eq!(
        metric(&metrics, "finance_projector_halted_position", ""),
        broken as f64
    );
    let checkpoint: i64 = sqlx::query_scalar("SELECT position FROM finance.checkpoint")
        .fetch_one(&world.pool)
        .await
        .expect("the checkpoint");
    assert_eq!(
        checkpoint,
        broken - 1,
        "nothing skipped, everything before applied"
    );
    assert!(invoices(1).await, "the booking after it waits");

    // The repair: the event is taken out of the launches' stream by hand.
    sqlx::query("UPDATE events SET aggregate_type = 'Quarantined' WHERE global_position = $1")
        .bind(broken)
        .execute(&world.pool)
        .await
        .expect("repairing");
    wait_for(WAIT, "the waiting booking invoiced", || invoices(2)).await;
    wait_for(WAIT, "ready again", || async {
        projectors.ready().await.0 == 200
    })
    .await;
    assert_eq!(
        metric(&projectors.metrics().await, "finance_projector_halted", ""),
        0.0
    );
    projectors.stop().await;
    world.cleanup().await;
}
