//! Users end to end, every service real and in-process: register and log in
//! on the auth service, use the token on the command API and the query API,
//! see the profile reach Postgres through the profiles projector, log out
//! and be refused everywhere.

use std::time::Duration;

use projectors::settings::Component;
use serde_json::{json, Value};
use sqlx::Row;
use testkit::wait_for;
use uuid::Uuid;

use crate::helpers::World;

const PASSWORD: &str = "orbital-tangerine-42";

async fn post(world: &World, url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = world.http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the service answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn register_log_in_use_every_service_reach_postgres_and_log_out_everywhere() {
    let world = World::new().await;
    let running = world
        .start(world.settings(&[Component::Relay, Component::Profiles]))
        .await;
    let auth = world.start_auth().await;
    let query = world.start_query_api().await;
    let email = format!("ada.{}@example.com", Uuid::new_v4().simple());

    let (status, registered) = post(
        &world,
        &format!("{auth}/v1/auth/register"),
        None,
        json!({
            "email": email.to_uppercase(),
            "password": PASSWORD,
            "profile": { "kind": "traveler", "full_name": "Ada Lovelace", "birth_date": "1985-12-10" }
        }),
    )
    .await;
    assert_eq!(status, 201, "{registered}");
    let user_id: Uuid = registered["user_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a user id");
    let (status, session) = post(
        &world,
        &format!("{auth}/v1/auth/login"),
        None,
        json!({ "email": email, "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let token = session["token"].as_str().expect("a token").to_owned();

    // The registration reaches Postgres through ASTRO_USERS.
    let registered_row = || async {
        sqlx::query("SELECT email, full_name, profile_version FROM travelers WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&world.pool)
            .await
            .expect("reading travelers")
    };
    wait_for(
        Duration::from_secs(20),
        "the registration in Postgres",
        || async { registered_row().await.is_some() },
    )
    .await;
    let row = registered_row().await.expect("the traveler");
    assert_eq!(row.get::<String, _>("email"), email, "normalized");
    assert_eq!(row.get::<String, _>("full_name"), "Ada Lovelace");

    // The token works on the command API and the query API.
    let (status, body) = world
        .put(
            "/v1/profiles/me",
            &token,
            json!({ "profile": { "kind": "traveler", "full_name": "Ada King", "birth_date": "1985-12-10" } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = world
        .get(&format!("{query}/v1/me/bookings"), Some(&token), &[])
        .await;
    assert_eq!(status, 200, "{body}");

    // The change reaches Postgres through the event store and the relay.
    wait_for(
        Duration::from_secs(20),
        "the profile change in Postgres",
        || async {
            registered_row()
                .await
                .is_some_and(|row| row.get::<i64, _>("profile_version") == 1)
        },
    )
    .await;
    let row = registered_row().await.expect("the traveler");
    assert_eq!(row.get::<String, _>("full_name"), "Ada King");
    assert_eq!(row.get::<String, _>("email"), email);

    // Logging out revokes the token at every service.
    let response = world
        .http
        .post(format!("{auth}/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the auth service answers");
    assert_eq!(response.status().as_u16(), 204);
    wait_for(
        Duration::from_secs(10),
        "the command API to refuse the token",
        || async {
            world
                .put("/v1/profiles/me", &token, json!({ "profile": {} }))
                .await
                .0
                == 401
        },
    )
    .await;
    wait_for(
        Duration::from_secs(10),
        "the query API to refuse the token",
        || async {
            world
                .get(&format!("{query}/v1/me/bookings"), Some(&token), &[])
                .await
                .0
                == 401
        },
    )
    .await;
    let (status, _, _) = world
        .get(&format!("{auth}/v1/auth/me"), Some(&token), &[])
        .await;
    assert_eq!(status, 401, "the auth service refuses it too");
    running.stop().await;
    world.cleanup().await;
}
