//! User messages on NATS: exactly one per account, from the outbox.

use std::time::Duration;

use async_nats::jetstream;
use events::user::{Profile, UserEvent, UserMessage};
use futures::TryStreamExt;
use mongodb::bson::doc;
use uuid::Uuid;

use crate::helpers::*;

/// How many messages the stream holds on `subject`.
async fn count(stream: &jetstream::stream::Stream, subject: &str) -> usize {
    let mut subjects = stream.info_with_subjects(subject).await.unwrap();
    let mut total = 0;
    while let Some((_, n)) = subjects.try_next().await.unwrap() {
        total += n;
    }
    total
}

#[tokio::test]
async fn every_new_account_is_published_exactly_once() {
    let app = spawn_app().await;
    // Two replicas drain the same outbox.
    let replica = app.spawn_replica().await;
    let mut ids = Vec::new();
    for (i, address) in [&app.address, &replica, &app.address, &replica]
        .iter()
        .enumerate()
    {
        let body = if i % 2 == 0 {
            traveler(&email("t"))
        } else {
            agency(&email("a"))
        };
        let response = app
            .post_at(address, "/v1/auth/register", &body, None, &[])
            .await;
        response.assert_status(201);
        ids.push((response.uuid("user_id"), body));
    }
    let employee = app.employee("finance").await;

    let nats = async_nats::connect(testkit::nats_url()).await.unwrap();
    let js = jetstream::new(nats);
    let stream = js.get_stream(&app.settings.users_stream).await.unwrap();
    let prefix = app.settings.users_subject_prefix.clone();
    let user_subject = |user_id: Uuid| format!("{prefix}.{user_id}");
    for (user_id, _) in &ids {
        let subject = user_subject(*user_id);
        wait_for(Duration::from_secs(10), "the user message", || async {
            count(&stream, &subject).await >= 1
        })
        .await;
    }
    wait_for(Duration::from_secs(10), "an empty outbox", || async {
        app.database
            .collection::<mongodb::bson::Document>("user_outbox")
            .count_documents(doc! {})
            .await
            .unwrap()
            == 0
    })
    .await;
    for (user_id, body) in &ids {
        let subject = user_subject(*user_id);
        assert_eq!(
            count(&stream, &subject).await,
            1,
            "exactly one message for {user_id}"
        );
        let raw = stream
            .get_last_raw_message_by_subject(&subject)
            .await
            .unwrap();
        let message: UserMessage = serde_json::from_slice(&raw.payload).unwrap();
        assert_eq!(message.event_version, "1");
        let UserEvent::UserRegistered(event) = message.event else {
            panic!("a UserRegistered event");
        };
        assert_eq!(event.user_id, *user_id);
        assert_eq!(event.email, body["email"].as_str().unwrap().to_lowercase());
        assert_eq!(event.profile.kind(), body["profile"]["kind"]);
        assert_eq!(
            raw.headers.get("Nats-Msg-Id").map(|v| v.to_string()),
            Some(message.event_id.to_string())
        );
    }

    // The employee's message names who created them.
    let it_id = app.login(IT_EMAIL, IT_PASSWORD).await.uuid("user_id");
    let employee_id: Uuid = app.login(&employee, PASSWORD).await.uuid("user_id");
    let subject = user_subject(employee_id);
    wait_for(Duration::from_secs(10), "the employee message", || async {
        count(&stream, &subject).await >= 1
    })
    .await;
    let raw = stream
        .get_last_raw_message_by_subject(&subject)
        .await
        .unwrap();
    let message: UserMessage = serde_json::from_slice(&raw.payload).unwrap();
    let UserEvent::EmployeeCreated(event) = message.event else {
        panic!("an EmployeeCreated event");
    };
    assert_eq!(event.department, "finance");
    assert_eq!(event.created_by, Some(it_id));
    assert!(matches!(event.profile, Profile::Employee(_)));
    assert!(app.metric("auth_user_messages_published_total").await >= Some(1.0));
}
