//! `GET /v1/launches`: the default listing, filters, sorts, pagination,
//! validation, `all=true`, ETags and the in-process cache.

use std::time::Duration;

use events::RocketRange;

use crate::helpers::{in_days, now, spawn_app, spawn_app_with, wait_for, LaunchFixture};

#[tokio::test]
async fn the_default_listing_shows_only_launches_on_sale_soonest_first() {
    let app = spawn_app().await;
    let later = LaunchFixture::in_days(60);
    let sooner = LaunchFixture::in_days(30);
    let past = LaunchFixture::new(RocketRange::Moon, now() - chrono::Duration::hours(1), 1, 10);
    let mut aborted = LaunchFixture::in_days(10);
    aborted.abort("engine");
    let mut sold_out = LaunchFixture::new(RocketRange::Mars, in_days(20), 1, 2);
    sold_out.book(uuid::Uuid::now_v7(), 2, now());
    let mut confirmed = LaunchFixture::in_days(40);
    confirmed.confirm();
    app.insert(&[&later, &sooner, &past, &aborted, &sold_out, &confirmed])
        .await;

    let response = app.get("/v1/launches").await;

    response.assert_status(200);
    assert_eq!(
        response.ids("id"),
        [sooner.id(), confirmed.id(), later.id()],
        "{}",
        response.text
    );
    assert_eq!(response.json["total"], 3);
    assert_eq!(response.json["page"], 1);
    assert_eq!(response.json["page_size"], 20);
    let first = &response.json["items"][0];
    assert_eq!(first["bookable"], true);
    assert_eq!(first["free_seats"], 10);
    assert_eq!(first["capacity"], 10);
    assert_eq!(first["seats_booked"], 0);
    assert_eq!(first["status"], "scheduled");
    assert_eq!(first["destination"], "moon");
    assert_eq!(first["rocket_name"], "Starhopper");
    assert_eq!(first["spaceport"], "Kourou");
    assert_eq!(first["price_per_seat_cents"], 25_000_000);
    assert_eq!(first["version"], 1);
    assert_eq!(
        first["departure_at"]
            .as_str()
            .map(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok()),
        Some(Some(sooner.doc().departure_at.to_chrono()))
    );
    assert!(first.get("abort_reason").is_none());
    assert_eq!(response.header("cache-control"), Some("public, max-age=1"));
}

#[tokio::test]
async fn all_lists_every_launch_whatever_its_status_departure_or_free_seats() {
    let app = spawn_app().await;
    let past = LaunchFixture::new(RocketRange::Moon, now() - chrono::Duration::hours(1), 1, 10);
    let mut aborted = LaunchFixture::in_days(10);
    aborted.abort("engine failure");
    let mut sold_out = LaunchFixture::new(RocketRange::Mars, in_days(20), 1, 1);
    sold_out.book(uuid::Uuid::now_v7(), 1, now());
    let on_sale = LaunchFixture::in_days(30);
    app.insert(&[&past, &aborted, &sold_out, &on_sale]).await;

    let response = app.get("/v1/launches?all=true").await;

    response.assert_status(200);
    assert_eq!(
        response.ids("id"),
        [past.id(), aborted.id(), sold_out.id(), on_sale.id()]
    );
    let items = response.json["items"].as_array().unwrap();
    let bookable: Vec<bool> = items.iter().map(|i| i["bookable"] == true).collect();
    assert_eq!(bookable, [false, false, false, true]);
    assert_eq!(items[1]["status"], "aborted");
    assert_eq!(items[1]["abort_reason"], "engine failure");
    assert_eq!(items[2]["free_seats"], 0);

    // Explicit filters still apply.
    let response = app
        .get("/v1/launches?all=true&min_free_seats=1&destination=mars")
        .await;
    assert_eq!(response.ids("id"), Vec::<String>::new());
    assert_eq!(response.json["total"], 0);
}

#[tokio::test]
async fn each_filter_narrows_the_listing() {
    let app = spawn_app().await;
    let moon = LaunchFixture::new(RocketRange::Moon, in_days(10), 100, 10);
    let mars = LaunchFixture::new(RocketRange::Mars, in_days(20), 200, 3);
    let mut mars_full = LaunchFixture::new(RocketRange::Mars, in_days(30), 300, 3);
    mars_full.book(uuid::Uuid::now_v7(), 2, now());
    let mut delayed = LaunchFixture::new(RocketRange::Suborbital, in_days(5), 50, 10);
    delayed.delay(in_days(40), "weather");
    app.insert(&[&moon, &mars, &mars_full, &delayed]).await;
    let ids = |query: &'static str| {
        let app = &app;
        async move { app.get(&format!("/v1/launches?{query}")).await.ids("id") }
    };

    assert_eq!(ids("destination=mars").await, [mars.id(), mars_full.id()]);
    assert_eq!(
        ids("min_free_seats=3").await,
        [moon.id(), mars.id(), delayed.id()]
    );
    let day = |fixture: &LaunchFixture| fixture.doc().departure_at.to_chrono().date_naive();
    // A date bound covers the whole day, at both ends.
    let query = format!(
        "/v1/launches?departure_from={}&departure_to={}",
        day(&mars),
        day(&mars_full)
    );
    assert_eq!(app.get(&query).await.ids("id"), [mars.id(), mars_full.id()]);
    // An instant is inclusive as `from`, exclusive as `to`.
    let at = |fixture: &LaunchFixture| {
        fixture
            .doc()
            .departure_at
            .to_chrono()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let query = format!(
        "/v1/launches?departure_from={}&departure_to={}",
        at(&mars),
        at(&mars_full)
    );
    assert_eq!(app.get(&query).await.ids("id"), [mars.id()]);
    // The delayed launch is listed at its new date, with the reason.
    let response = app.get("/v1/launches?destination=suborbital").await;
    assert_eq!(response.json["items"][0]["status"], "delayed");
    assert_eq!(response.json["items"][0]["delay_reason"], "weather");
    assert_eq!(response.json["items"][0]["version"], 2);
}

#[tokio::test]
async fn each_sort_orders_the_listing_and_ties_are_broken_by_id() {
    let app = spawn_app().await;
    let departure = in_days(10);
    let a = LaunchFixture::new(RocketRange::Moon, departure, 300, 10);
    let b = LaunchFixture::new(RocketRange::Moon, departure, 100, 10);
    let c = LaunchFixture::new(RocketRange::Moon, in_days(20), 200, 10);
    let d = LaunchFixture::new(RocketRange::Moon, in_days(5), 200, 10);
    app.insert(&[&a, &b, &c, &d]).await;
    // Launch ids are UUID v7: a < b < c < d.
    let ids = |sort: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/v1/launches?sort={sort}"))
                .await
                .ids("id")
        }
    };

    assert_eq!(ids("departure_at").await, [d.id(), a.id(), b.id(), c.id()]);
    assert_eq!(ids("-departure_at").await, [c.id(), a.id(), b.id(), d.id()]);
    assert_eq!(ids("price").await, [b.id(), c.id(), d.id(), a.id()]);
    assert_eq!(ids("-price").await, [a.id(), c.id(), d.id(), b.id()]);
}

#[tokio::test]
async fn pages_split_the_listing_and_the_total_counts_every_page() {
    let app = spawn_app().await;
    let launches: Vec<LaunchFixture> = (1..=5).map(LaunchFixture::in_days).collect();
    app.insert(&launches.iter().collect::<Vec<_>>()).await;
    let all_ids: Vec<&str> = launches.iter().map(LaunchFixture::id).collect();

    let first = app.get("/v1/launches?page_size=2").await;
    let third = app.get("/v1/launches?page_size=2&page=3").await;
    let beyond = app.get("/v1/launches?page_size=2&page=4").await;

    assert_eq!(first.ids("id"), all_ids[..2]);
    assert_eq!(third.ids("id"), all_ids[4..]);
    assert_eq!(beyond.ids("id"), Vec::<String>::new());
    for page in [&first, &third, &beyond] {
        assert_eq!(page.json["total"], 5);
        assert_eq!(page.json["page_size"], 2);
    }
    assert_eq!(third.json["page"], 3);
}

#[tokio::test]
async fn every_invalid_parameter_is_a_422_naming_it() {
    let app = spawn_app().await;

    for (query, field) in [
        ("destination=venus", "destination"),
        ("departure_from=soon", "departure_from"),
        ("departure_to=2027-13-01", "departure_to"),
        (
            "departure_from=2027-05-02&departure_to=2027-05-01",
            "departure_to",
        ),
        ("min_free_seats=0", "min_free_seats"),
        ("min_free_seats=many", "min_free_seats"),
        ("sort=name", "sort"),
        ("page=0", "page"),
        ("page_size=101", "page_size"),
        ("page_size=-1", "page_size"),
        ("all=maybe", "all"),
    ] {
        app.get(&format!("/v1/launches?{query}"))
            .await
            .assert_invalid_field(field);
    }
    // Several at once are all reported.
    let response = app.get("/v1/launches?page=0&sort=x").await;
    assert_eq!(response.json["errors"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn departures_outside_what_the_stores_hold_are_a_422_naming_the_parameter() {
    let app = spawn_app().await;

    for (query, field) in [
        ("departure_from=0000-01-01", "departure_from"),
        ("departure_from=-0001-01-01", "departure_from"),
        ("departure_from=1969-12-31T23:59:59Z", "departure_from"),
        ("departure_to=0000-01-01T00:00:00Z", "departure_to"),
        ("departure_to=+10000-01-01", "departure_to"),
    ] {
        let response = app.get(&format!("/v1/launches?{query}")).await;
        response.assert_invalid_field(field);
    }
    // The whole range is asked about without an error.
    let response = app
        .get("/v1/launches?all=true&departure_from=1970-01-01&departure_to=9999-12-31")
        .await;
    assert_eq!(response.status, 200, "{}", response.json);
}

#[tokio::test]
async fn a_client_with_the_current_etag_gets_a_304() {
    let app = spawn_app().await;
    app.insert(&[&LaunchFixture::in_days(3)]).await;

    let first = app.get("/v1/launches").await;
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert!(etag.starts_with('"'), "a strong ETag: {etag}");
    let again = app
        .get_with("/v1/launches", None, &[("If-None-Match", &etag)])
        .await;
    let other = app
        .get_with("/v1/launches", None, &[("If-None-Match", "\"other\"")])
        .await;

    again.assert_status(304);
    assert_eq!(again.text, "");
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    other.assert_status(200);
    assert_eq!(other.text, first.text);
}

#[tokio::test]
async fn a_listing_is_served_from_the_cache_until_it_expires() {
    let app = spawn_app_with(|s| s.listing_cache_ttl = Duration::from_millis(300)).await;
    let mut launch = LaunchFixture::in_days(3);
    app.insert(&[&launch]).await;
    let first = app.get("/v1/launches").await;
    assert_eq!(first.json["items"][0]["free_seats"], 10);

    launch.book(uuid::Uuid::now_v7(), 4, now());
    app.save(&launch).await;
    let cached = app.get("/v1/launches?page=1&unknown=ignored").await;

    assert_eq!(cached.text, first.text, "served from the cache");
    assert_eq!(
        app.metric(r#"query_listing_cache_total{outcome="hit"}"#)
            .await,
        Some(1.0)
    );
    assert_eq!(
        app.metric(r#"query_listing_cache_total{outcome="miss"}"#)
            .await,
        Some(1.0)
    );
    wait_for(
        Duration::from_secs(5),
        "the cached listing to expire",
        || async { app.get("/v1/launches").await.json["items"][0]["free_seats"] == 6 },
    )
    .await;
}

#[tokio::test]
async fn a_zero_ttl_disables_the_cache() {
    let app = spawn_app_with(|s| s.listing_cache_ttl = Duration::ZERO).await;
    let mut launch = LaunchFixture::in_days(3);
    app.insert(&[&launch]).await;
    app.get("/v1/launches").await.assert_status(200);

    launch.book(uuid::Uuid::now_v7(), 1, now());
    app.save(&launch).await;

    let response = app.get("/v1/launches").await;
    assert_eq!(response.json["items"][0]["free_seats"], 9);
    assert_eq!(
        app.metric(r#"query_listing_cache_total{outcome="hit"}"#)
            .await,
        Some(0.0)
    );
}

#[tokio::test]
async fn astro_min_version_bypasses_the_cache_and_waits_for_the_launch() {
    let app = spawn_app().await;
    let mut launch = LaunchFixture::in_days(3);
    app.insert(&[&launch]).await;
    app.get("/v1/launches").await.assert_status(200);

    launch.book(uuid::Uuid::now_v7(), 4, now());
    let writer = app.save_later(&launch, Duration::from_millis(200));
    let header = format!("{}:2", launch.id());
    let response = app
        .get_with("/v1/launches", None, &[("Astro-Min-Version", &header)])
        .await;
    writer.await.unwrap();

    response.assert_status(200);
    assert_eq!(response.json["items"][0]["free_seats"], 6);
    assert_eq!(response.header("astro-stale"), None);
    assert_eq!(
        app.metric(r#"query_read_your_writes_total{outcome="waited"}"#)
            .await,
        Some(1.0)
    );
    // What it read refreshed the cache for everyone.
    assert_eq!(
        app.get("/v1/launches").await.json["items"][0]["free_seats"],
        6
    );
}
