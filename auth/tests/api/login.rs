//! Login failures: no enumeration, and throttling.

use std::time::{Duration, Instant};

use crate::helpers::*;

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_look_the_same() {
    // Costlier argon2 than the other tests, so that the time of a
    // verification is what is compared.
    let app = spawn_app_with(|settings| {
        settings.argon2.memory_kib = 8_192;
        settings.argon2.iterations = 2;
    })
    .await;
    let email = email("ada");
    app.register(&traveler(&email)).await;

    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for round in 0..4 {
        let from = format!("198.51.100.{round}");
        let started = Instant::now();
        let response = app.login_from(&email, "not-the-password-1", &from).await;
        wrong.push((started.elapsed(), response));
        let started = Instant::now();
        let response = app
            .login_from(
                &format!("nobody{round}@example.com"),
                "not-the-password-1",
                &from,
            )
            .await;
        unknown.push((started.elapsed(), response));
    }
    for ((_, wrong), (_, unknown)) in wrong.iter().zip(&unknown) {
        wrong.assert_problem(401, "unauthorized");
        assert_eq!(wrong.text, unknown.text, "identical bodies");
        assert_eq!(wrong.content_type(), unknown.content_type());
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let wrong_time = median(&mut wrong.iter().map(|(t, _)| *t).collect());
    let unknown_time = median(&mut unknown.iter().map(|(t, _)| *t).collect());
    eprintln!("login times: unknown email {unknown_time:?}, wrong password {wrong_time:?}");
    // Generous: a shared test machine is noisy, but an unknown email that
    // skipped argon2 would be many times faster.
    assert!(
        unknown_time * 4 >= wrong_time && unknown_time <= wrong_time * 4,
        "unknown email {unknown_time:?} vs wrong password {wrong_time:?}"
    );
    assert_eq!(
        app.metric("auth_logins_total{outcome=\"invalid\"}").await,
        Some(8.0)
    );
}

#[tokio::test]
async fn too_many_failures_lock_the_account_until_the_window_ends() {
    let app = spawn_app_with(|settings| {
        settings.login_limits.per_account = 3;
        settings.login_limits.window = Duration::from_secs(2);
    })
    .await;
    let email = email("ada");
    app.register(&traveler(&email)).await;
    for round in 0..3 {
        app.login_from(&email, "not-the-password-1", &format!("198.51.100.{round}"))
            .await
            .assert_problem(401, "unauthorized");
    }
    // Locked: even the right password, from another address, gets 429.
    let locked = app.login_from(&email, PASSWORD, "203.0.113.9").await;
    locked.assert_problem(429, "too-many-attempts");
    let retry_after: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    // So does an unknown email that reached the limit: no enumeration.
    for _ in 0..3 {
        app.login("nobody@example.com", PASSWORD).await;
    }
    app.login("nobody@example.com", PASSWORD)
        .await
        .assert_problem(429, "too-many-attempts");

    let started = Instant::now();
    wait_for(Duration::from_secs(10), "the lockout to end", || async {
        app.login(&email, PASSWORD).await.status == 200
    })
    .await;
    assert!(started.elapsed() <= Duration::from_secs(3));
    assert!(
        app.metric("auth_logins_total{outcome=\"rate_limited\"}")
            .await
            >= Some(2.0)
    );
    assert!(
        app.metric("auth_rate_limited_total{scope=\"account\"}")
            .await
            >= Some(2.0)
    );
}

#[tokio::test]
async fn a_success_clears_the_account_counter() {
    let app = spawn_app_with(|settings| settings.login_limits.per_account = 3).await;
    let email = email("ada");
    app.register(&traveler(&email)).await;
    for _ in 0..2 {
        app.login(&email, "not-the-password-1")
            .await
            .assert_status(401);
    }
    app.login(&email, PASSWORD).await.assert_status(200);
    for _ in 0..2 {
        app.login(&email, "not-the-password-1")
            .await
            .assert_status(401);
    }
    app.login(&email, PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn too_many_failures_from_one_address_lock_that_address() {
    let app = spawn_app_with(|settings| settings.login_limits.per_address = 4).await;
    let email = email("ada");
    app.register(&traveler(&email)).await;
    for round in 0..4 {
        app.login_from(
            &format!("user{round}@example.com"),
            "whatever-it-is",
            "203.0.113.66",
        )
        .await
        .assert_status(401);
    }
    app.login_from(&email, PASSWORD, "203.0.113.66")
        .await
        .assert_problem(429, "too-many-attempts");
    app.login_from(&email, PASSWORD, "203.0.113.67")
        .await
        .assert_status(200);
    assert!(
        app.metric("auth_rate_limited_total{scope=\"address\"}")
            .await
            >= Some(1.0)
    );
}

#[tokio::test]
async fn a_login_rehashes_a_password_hashed_with_older_parameters() {
    let app = spawn_app().await;
    let email = email("ada");
    let user_id = app.register(&traveler(&email)).await.uuid("user_id");
    // A replica configured with costlier parameters (a rolling upgrade).
    let mut settings = app.settings.clone();
    settings.argon2.memory_kib = 2_048;
    let upgraded = app.spawn_replica_with(settings).await;
    app.post_at(
        &upgraded,
        "/v1/auth/login",
        &serde_json::json!({ "email": email, "password": PASSWORD }),
        None,
        &[],
    )
    .await
    .assert_status(200);
    let users = app.database.collection::<mongodb::bson::Document>("users");
    wait_for(
        Duration::from_secs(10),
        "the password to be rehashed",
        || async {
            users
                .find_one(mongodb::bson::doc! { "_id": user_id.to_string() })
                .await
                .unwrap()
                .and_then(|user| user.get_str("password_hash").ok().map(str::to_owned))
                .is_some_and(|hash| hash.starts_with("$argon2id$v=19$m=2048,t=1,p=1$"))
        },
    )
    .await;
    // The old instance still verifies the new hash: parameters travel with it.
    app.login(&email, PASSWORD).await.assert_status(200);
}
