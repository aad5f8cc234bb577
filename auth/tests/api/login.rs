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

/// The statuses of `responses`, counted: (checked: 401 or 200, refused:
/// 429). Every refusal is a problem with a `Retry-After` of at least 1 s.
fn tally(responses: &[ApiResponse]) -> (usize, usize) {
    let mut checked = 0;
    let mut refused = 0;
    for response in responses {
        match response.status {
            200 | 401 => checked += 1,
            429 => {
                response.assert_problem(429, "too-many-attempts");
                let retry_after: u64 = response.header("retry-after").unwrap().parse().unwrap();
                assert!(retry_after >= 1, "Retry-After {retry_after}");
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", response.text),
        }
    }
    (checked, refused)
}

#[tokio::test]
async fn concurrent_logins_for_one_account_check_at_most_the_allowed_passwords() {
    // The default limits: 5 free failures per (account, address).
    let app = spawn_app().await;
    let email = email("ada");
    app.register(&traveler(&email)).await;
    let logins = (0..16).map(|i| {
        let password = if i == 7 {
            PASSWORD
        } else {
            "not-the-password-1"
        };
        app.login_from(&email, password, "198.51.100.7")
    });
    let responses = futures::future::join_all(logins).await;
    let (checked, refused) = tally(&responses);
    eprintln!("16 concurrent logins: {checked} checked, {refused} refused");
    assert!((1..=5).contains(&checked), "{checked} passwords checked");
    assert_eq!(checked + refused, 16);
    assert_eq!(
        app.metric("auth_logins_total{outcome=\"rate_limited\"}")
            .await,
        Some(refused as f64)
    );
}

#[tokio::test]
async fn a_burst_checks_at_most_the_allowed_passwords_per_address_and_per_account() {
    let app = spawn_app_with(|settings| settings.login_limits.per_account = 8).await;
    // One address trying 30 accounts: 20 free failures per address.
    let emails: Vec<String> = (0..30).map(|i| format!("nobody{i}@example.com")).collect();
    let logins = emails
        .iter()
        .map(|email| app.login_from(email, "not-the-password-1", "203.0.113.66"));
    let (checked, refused) = tally(&futures::future::join_all(logins).await);
    eprintln!("30 logins from one address: {checked} checked, {refused} refused");
    assert!((1..=20).contains(&checked), "{checked} passwords checked");
    assert_eq!(refused, 30 - checked);

    // 30 addresses trying one account: 8 free failures per account here.
    let email = email("ada");
    app.register(&traveler(&email)).await;
    let addresses: Vec<String> = (0..30).map(|i| format!("198.51.100.{i}")).collect();
    let logins = addresses
        .iter()
        .map(|from| app.login_from(&email, "not-the-password-1", from));
    let (checked, refused) = tally(&futures::future::join_all(logins).await);
    eprintln!("30 logins of one account: {checked} checked, {refused} refused");
    assert!((1..=8).contains(&checked), "{checked} passwords checked");
    assert_eq!(refused, 30 - checked);
    assert!(
        app.metric("auth_rate_limited_total{scope=\"account\"}")
            .await
            >= Some(1.0)
    );
}

#[tokio::test]
async fn a_stranger_throttled_at_their_address_leaves_the_owner_in_at_theirs() {
    // The default limits, on the bootstrap IT account.
    let app = spawn_app().await;
    for _ in 0..5 {
        app.login_from(IT_EMAIL, "not-the-password-1", "203.0.113.66")
            .await
            .assert_problem(401, "unauthorized");
    }
    // The stranger's address is delayed for this account, even with the
    // right password...
    let refused = app.login_from(IT_EMAIL, IT_PASSWORD, "203.0.113.66").await;
    refused.assert_problem(429, "too-many-attempts");
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry_after), "Retry-After {retry_after}");
    // ... the owner, at their own address, is not.
    app.login_from(IT_EMAIL, IT_PASSWORD, "192.0.2.10")
        .await
        .assert_status(200);
    // An unknown email is delayed the same way: no enumeration.
    for _ in 0..5 {
        app.login_from("nobody@example.com", "whatever-it-is", "203.0.113.67")
            .await
            .assert_status(401);
    }
    app.login_from("nobody@example.com", "whatever-it-is", "203.0.113.67")
        .await
        .assert_problem(429, "too-many-attempts");
    assert!(app.metric("auth_rate_limited_total{scope=\"pair\"}").await >= Some(2.0));
}

#[tokio::test]
async fn the_delay_doubles_with_each_further_failure_up_to_its_cap() {
    let app = spawn_app_with(|settings| {
        settings.login_limits.per_pair = 1;
        settings.login_limits.base_delay = Duration::from_secs(1);
        settings.login_limits.max_delay = Duration::from_secs(2);
    })
    .await;
    let email = email("ada");
    app.register(&traveler(&email)).await;
    app.login(&email, "not-the-password-1")
        .await
        .assert_status(401);
    // The failure is counted, and its delay started, before its answer.
    let mut delay_started = Instant::now();
    let mut waits = Vec::new();
    for delay in [1, 2, 2] {
        let refused = app.login(&email, "not-the-password-1").await;
        refused.assert_problem(429, "too-many-attempts");
        let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!(
            (1..=delay).contains(&retry_after),
            "Retry-After {retry_after}, delay {delay} s"
        );
        // One more attempt is let through when the delay ends (no sooner),
        // and its failure starts the next, longer delay.
        wait_for(Duration::from_secs(10), "the delay to end", || async {
            app.login(&email, "not-the-password-1").await.status == 401
        })
        .await;
        let waited = delay_started.elapsed();
        delay_started = Instant::now();
        // Less than the delay only by the time its answer took to arrive.
        assert!(
            waited + Duration::from_millis(300) >= Duration::from_secs(delay),
            "let through after {waited:?} of a {delay} s delay"
        );
        waits.push(waited);
    }
    eprintln!("waits between admitted failures: {waits:?}");
}

#[tokio::test]
async fn the_counters_are_forgotten_after_the_window() {
    let app = spawn_app_with(|settings| {
        settings.login_limits.per_pair = 2;
        settings.login_limits.base_delay = Duration::from_secs(1);
        settings.login_limits.window = Duration::from_secs(2);
    })
    .await;
    let email = email("ada");
    app.register(&traveler(&email)).await;
    for _ in 0..2 {
        app.login(&email, "not-the-password-1")
            .await
            .assert_status(401);
    }
    app.login(&email, "not-the-password-1")
        .await
        .assert_status(429);
    let counters = app
        .database
        .collection::<mongodb::bson::Document>("login_throttle");
    let pair = format!("pair:{email} 192.0.2.1");
    let expires = counters
        .find_one(mongodb::bson::doc! { "_id": &pair })
        .await
        .unwrap()
        .expect("the pair's counter")
        .get_datetime("expires")
        .unwrap()
        .to_owned();
    assert!(
        expires.timestamp_millis() - mongodb::bson::DateTime::now().timestamp_millis() <= 3_500,
        "expires at the end of the delay plus the window"
    );
    wait_for(Duration::from_secs(10), "the counter to expire", || async {
        mongodb::bson::DateTime::now() > expires
    })
    .await;
    // Remembered, the next two would be one attempt and a new delay.
    for _ in 0..2 {
        app.login(&email, "not-the-password-1")
            .await
            .assert_status(401);
    }
    app.login(&email, "not-the-password-1")
        .await
        .assert_status(429);
}

#[tokio::test]
async fn a_success_forgets_its_pairs_failures_and_holds_no_place() {
    let app = spawn_app_with(|settings| settings.login_limits.per_pair = 3).await;
    let email = email("ada");
    app.register(&traveler(&email)).await;
    for _ in 0..2 {
        for _ in 0..2 {
            app.login(&email, "not-the-password-1")
                .await
                .assert_status(401);
        }
        app.login(&email, PASSWORD).await.assert_status(200);
    }
    let counters = app
        .database
        .collection::<mongodb::bson::Document>("login_throttle");
    for key in [
        format!("pair:{email} 192.0.2.1"),
        "address:192.0.2.1".to_owned(),
        format!("account:{email}"),
    ] {
        let counter = counters
            .find_one(mongodb::bson::doc! { "_id": &key })
            .await
            .unwrap()
            .expect("a counter");
        assert_eq!(counter.get_i64("in_flight").unwrap(), 0, "{key}: {counter}");
    }
}

#[tokio::test]
async fn too_many_failures_from_one_address_delay_that_address() {
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
