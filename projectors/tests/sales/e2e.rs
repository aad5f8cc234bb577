//! End to end over HTTP: command API → event store → relay → JetStream →
//! sales projector → MongoDB → query API, every part real.

use platform::Role;
use serde_json::json;

use crate::helpers::World;

/// The `Astro-Min-Version` header for a launch at `version`.
fn min_version(launch: uuid::Uuid, version: u64) -> (&'static str, String) {
    ("Astro-Min-Version", format!("{launch}:{version}"))
}

#[tokio::test]
async fn bookings_cancellations_and_status_changes_show_on_the_sales_site() {
    let world = World::new().await;
    let projectors = world.start_all().await;
    let query = world.start_query_api().await;
    let traveler = world.traveler.1.clone();
    let launch = world.launch(10).await;

    // A booking: the client passes the version the command API returned,
    // and reads its own write.
    let (booking, version) = world
        .book_versioned(&traveler, launch, 3)
        .await
        .expect("a booking");
    let url = format!("{query}/v1/launches/{launch}?min_version={version}");
    let (status, headers, body) = world.get(&url, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        headers.get("astro-stale").is_none(),
        "fresh within the wait"
    );
    assert_eq!(body["free_seats"], 7);
    assert_eq!(body["seats_booked"], 3);
    assert_eq!(body["status"], "scheduled");
    assert_eq!(body["version"], version);

    let (status, _, mine) = world
        .get(
            &format!("{query}/v1/me/bookings"),
            Some(&traveler),
            &[min_version(launch, version)],
        )
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["total"], 1);
    let item = &mine["items"][0];
    assert_eq!(item["booking_id"], booking.to_string());
    assert_eq!(item["seats"], 3);
    assert_eq!(item["status"], "active");
    assert_eq!(item["launch"]["destination"], "moon");

    // The listing has it with its free seats.
    let (status, _, listing) = world
        .get(
            &format!("{query}/v1/launches"),
            None,
            &[min_version(launch, version)],
        )
        .await;
    assert_eq!(status, 200, "{listing}");
    let listed = listing["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["id"] == launch.to_string())
        .expect("the launch is listed");
    assert_eq!(listed["free_seats"], 7);

    // A cancellation gives the seats back.
    let version = world.cancel(launch, booking).await;
    let url = format!("{query}/v1/launches/{launch}?min_version={version}");
    let (_, _, body) = world.get(&url, None, &[]).await;
    assert_eq!(body["free_seats"], 10);
    let (_, _, mine) = world
        .get(
            &format!("{query}/v1/me/bookings"),
            Some(&traveler),
            &[min_version(launch, version)],
        )
        .await;
    assert_eq!(mine["items"][0]["status"], "cancelled");
    assert_eq!(mine["items"][0]["refund_percent"], 90);

    // A status change shows up.
    let version = world.act(launch, "confirm", json!({})).await;
    let url = format!("{query}/v1/launches/{launch}?min_version={version}");
    let (_, _, body) = world.get(&url, None, &[]).await;
    assert_eq!(body["status"], "confirmed");
    let version = world
        .act(launch, "abort", json!({ "reason": "storm" }))
        .await;
    let url = format!("{query}/v1/launches/{launch}?min_version={version}");
    let (_, _, body) = world.get(&url, None, &[]).await;
    assert_eq!(body["status"], "aborted");
    assert_eq!(body["bookable"], false);
    projectors.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn my_bookings_need_a_token_and_show_only_my_own() {
    let world = World::new().await;
    let projectors = world.start_all().await;
    let query = world.start_query_api().await;
    let launch = world.launch(10).await;
    let (_, mine) = world.token(Role::Traveler);
    let (_, theirs) = world.token(Role::Agency);
    let (my_booking, _) = world.book_versioned(&mine, launch, 1).await.expect("mine");
    let (_, version) = world
        .book_versioned(&theirs, launch, 2)
        .await
        .expect("theirs");
    let url = format!("{query}/v1/me/bookings");

    let (status, headers, body) = world.get(&url, None, &[]).await;
    assert_eq!(status, 401, "{body}");
    let content_type = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap_or(""));
    assert_eq!(content_type, Some("application/problem+json"));

    let wait = [min_version(launch, version)];
    let (status, _, body) = world.get(&url, Some(&mine), &wait).await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["items"][0]["booking_id"], my_booking.to_string());
    let (status, _, body) = world.get(&url, Some(&theirs), &wait).await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["items"][0]["seats"], 2);
    assert_eq!(body["items"][0]["holder_kind"], "agency");
    projectors.stop().await;
    world.cleanup().await;
}
