use std::collections::HashMap;
use std::time::Duration;

use projectors::Application;

use crate::helpers::*;

const LAUNCH: &str = "Launch";

fn aggregate(i: usize) -> String {
    format!("0193a0d6-0000-7000-8000-{i:012}")
}

#[tokio::test]
async fn every_committed_event_is_published_once_in_sequence_order_and_the_outbox_empties() {
    let test = TestContext::new().await;
    let mut expected = HashMap::new();
    // Interleaved aggregates: global order differs from each one's order.
    for round in 0..4 {
        for i in 0..5 {
            let from = round * 3 + 1;
            test.write_events(LAUNCH, &aggregate(i), from..=from + 2)
                .await;
            expected.insert(aggregate(i), from + 2);
        }
    }
    let (relay, metrics) = test.relay().await;
    let running = spawn_relay(relay);
    wait_for(Duration::from_secs(30), "the outbox to empty", || async {
        test.outbox_count().await == 0
    })
    .await;
    stop_relay(running).await;

    let messages = test.read_stream().await;
    assert_eq!(messages.len(), 60);
    assert_once_in_order(&messages, &expected);
    assert_eq!(metrics.published.get(), 60);
    let (subject, _, first) = &messages[0];
    assert_eq!(
        subject,
        &format!("{}.Launch.{}", test.prefix, first.aggregate_id)
    );
    assert_eq!(first.event_type, "TestHappened");
    assert_eq!(first.event_version, "1.0");
    assert_eq!(first.payload["TestHappened"]["n"], first.sequence);
    assert_eq!(
        first.metadata.correlation_id,
        format!("corr-{}-{}", first.aggregate_id, first.sequence)
    );
    let positions: Vec<i64> = messages.iter().map(|(_, _, e)| e.global_position).collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(positions, sorted, "one relay publishes in global order");
    test.cleanup().await;
}

#[tokio::test]
async fn a_batch_published_again_after_a_crash_before_its_commit_is_not_duplicated() {
    let test = TestContext::new().await;
    test.write_events(LAUNCH, &aggregate(1), 1..=4).await;
    test.write_events("Rocket", &aggregate(2), 1..=3).await;
    let (relay, metrics) = test.relay().await;
    relay.ensure_stream().await.expect("the stream");

    // Published, then the relay "dies" before deleting and committing.
    let mut tx = test.pool.begin().await.expect("a transaction");
    let claimed = relay.claim(&mut tx).await.expect("a claim");
    assert_eq!(claimed.len(), 7);
    assert_eq!(relay.publish(&claimed).await.expect("published"), 0);
    tx.rollback().await.expect("rolled back");
    assert_eq!(test.outbox_count().await, 7);
    assert_eq!(test.stream_count().await, 7);

    // The next run publishes the same rows again.
    let outcome = relay.relay_batch().await.expect("a batch");
    assert_eq!(outcome.published, 7);
    assert_eq!(outcome.duplicates, 7);
    assert_eq!(metrics.duplicates.get(), 7);
    assert_eq!(test.outbox_count().await, 0);
    assert_eq!(test.stream_count().await, 7);
    let messages = test.read_stream().await;
    assert_once_in_order(
        &messages,
        &HashMap::from([(aggregate(1), 4), (aggregate(2), 3)]),
    );
    test.cleanup().await;
}

#[tokio::test]
async fn two_relays_running_at_once_publish_every_event_once_and_each_aggregate_in_order() {
    let test = TestContext::new().await;
    let aggregates = 12;
    let per_aggregate = 10;
    // Interleaved across aggregates, as concurrent commands write them.
    for sequence in 1..=per_aggregate {
        for i in 0..aggregates {
            test.write_events(LAUNCH, &aggregate(i), sequence..=sequence)
                .await;
        }
    }
    let mut settings = test.settings();
    settings.batch_size = 4;
    let (first, first_metrics) = test.relay_with(&settings).await;
    let (second, second_metrics) = test.relay_with(&settings).await;
    let first = spawn_relay(first);
    let second = spawn_relay(second);
    // More written while both run.
    for i in 0..aggregates {
        test.write_events(LAUNCH, &aggregate(i), per_aggregate + 1..=per_aggregate + 2)
            .await;
    }
    let per_aggregate = per_aggregate + 2;
    let total = aggregates as u64 * per_aggregate as u64;
    wait_for(Duration::from_secs(60), "every event published", || async {
        test.outbox_count().await == 0 && test.stream_count().await >= total
    })
    .await;
    stop_relay(first).await;
    stop_relay(second).await;

    eprintln!(
        "SPLIT {} {}",
        first_metrics.published.get(),
        second_metrics.published.get()
    );
    assert_eq!(test.stream_count().await, total);
    assert_eq!(
        first_metrics.published.get() + second_metrics.published.get(),
        total,
        "no event was published by both relays"
    );
    let messages = test.read_stream().await;
    let expected = (0..aggregates)
        .map(|i| (aggregate(i), per_aggregate))
        .collect();
    assert_once_in_order(&messages, &expected);
    test.cleanup().await;
}

#[tokio::test]
async fn a_relay_killed_mid_stream_loses_nothing_and_its_successor_publishes_each_event_once() {
    let test = TestContext::new().await;
    let mut expected = HashMap::new();
    for i in 0..5 {
        test.write_events(LAUNCH, &aggregate(i), 1..=40).await;
        expected.insert(aggregate(i), 40);
    }
    let (relay, metrics) = test.relay().await;
    let (_stop, task) = spawn_relay(relay);
    wait_for(Duration::from_secs(30), "a first batch", || async {
        metrics.published.get() > 0
    })
    .await;
    // Killed wherever it is: between batches, or with a batch published
    // and not yet committed.
    task.abort();
    let _ = task.await;
    assert!(test.outbox_count().await > 0, "killed before the end");

    let (successor, _) = test.relay().await;
    let successor = spawn_relay(successor);
    wait_for(Duration::from_secs(30), "the outbox to empty", || async {
        test.outbox_count().await == 0
    })
    .await;
    stop_relay(successor).await;
    assert_eq!(test.stream_count().await, 200);
    assert_once_in_order(&test.read_stream().await, &expected);
    test.cleanup().await;
}

#[tokio::test]
async fn a_relay_passes_over_the_aggregates_another_relay_is_publishing() {
    let test = TestContext::new().await;
    for sequence in 1..=3 {
        for i in 0..12 {
            test.write_events(LAUNCH, &aggregate(i), sequence..=sequence)
                .await;
        }
    }
    let mut settings = test.settings();
    settings.batch_size = 6;
    let (first, _) = test.relay_with(&settings).await;
    let (second, _) = test.relay_with(&settings).await;
    let mut first_tx = test.pool.begin().await.expect("a transaction");
    let mut second_tx = test.pool.begin().await.expect("a transaction");
    let first_claim = first.claim(&mut first_tx).await.expect("a claim");
    let second_claim = second.claim(&mut second_tx).await.expect("a claim");

    let aggregates = |claim: &[projectors::relay::OutboxEvent]| {
        claim
            .iter()
            .map(|e| e.aggregate_id.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    // The first takes the oldest rows (one per aggregate, interleaved); the
    // second passes over those aggregates to the next ones.
    assert_eq!(first_claim.len(), 6);
    assert_eq!(aggregates(&first_claim).len(), 6);
    assert_eq!(second_claim.len(), 6);
    assert!(aggregates(&first_claim).is_disjoint(&aggregates(&second_claim)));
    // Each claim holds its aggregates' rows in sequence order.
    for claim in [&first_claim, &second_claim] {
        for id in aggregates(claim) {
            let sequences: Vec<i64> = claim
                .iter()
                .filter(|e| e.aggregate_id == id)
                .map(|e| e.sequence)
                .collect();
            let expected: Vec<i64> = (1..=sequences.len() as i64).collect();
            assert_eq!(sequences, expected, "aggregate {id}");
        }
    }
    first_tx.rollback().await.expect("rolled back");
    second_tx.rollback().await.expect("rolled back");
}

#[tokio::test]
async fn while_nats_is_unreachable_events_stay_in_the_outbox_until_a_working_relay_publishes_them()
{
    let test = TestContext::new().await;
    test.write_events(LAUNCH, &aggregate(1), 1..=5).await;
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port();
    let mut unreachable = test.settings();
    unreachable.nats_url = format!("nats://127.0.0.1:{closed_port}");
    unreachable.publish_timeout = Duration::from_millis(300);
    let (broken, broken_metrics) = test.relay_with(&unreachable).await;
    let broken = spawn_relay(broken);
    wait_for(
        Duration::from_secs(30),
        "the relay to fail twice",
        || async { broken_metrics.errors.get() >= 2 },
    )
    .await;
    stop_relay(broken).await;
    assert_eq!(test.outbox_count().await, 5);
    assert_eq!(broken_metrics.published.get(), 0);

    let (working, _) = test.relay().await;
    let working = spawn_relay(working);
    wait_for(Duration::from_secs(30), "the outbox to empty", || async {
        test.outbox_count().await == 0
    })
    .await;
    stop_relay(working).await;
    let messages = test.read_stream().await;
    assert_once_in_order(&messages, &HashMap::from([(aggregate(1), 5)]));
    test.cleanup().await;
}

#[tokio::test]
async fn the_relay_process_serves_health_readiness_and_metrics_and_stops_when_asked() {
    let test = TestContext::new().await;
    test.notify_on_commit().await;
    test.write_events(LAUNCH, &aggregate(1), 1..=3).await;
    let mut settings = test.settings();
    // Longer than the test may take: only a notification wakes the relay.
    settings.poll_interval = Duration::from_secs(600);
    let application = Application::build(settings).await.expect("the application");
    let address = format!("http://127.0.0.1:{}", application.port());
    let stopper = application.stopper();
    let running = tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::new();
    wait_for(Duration::from_secs(30), "the outbox to empty", || async {
        test.outbox_count().await == 0
    })
    .await;
    // New events wake the idle relay (LISTEN outbox), long before its poll.
    test.write_events(LAUNCH, &aggregate(1), 4..=5).await;
    wait_for(Duration::from_secs(30), "the new events", || async {
        test.outbox_count().await == 0 && test.stream_count().await == 5
    })
    .await;

    let health = client
        .get(format!("{address}/health"))
        .send()
        .await
        .expect("GET /health");
    assert_eq!(health.status(), 200);
    wait_for(Duration::from_secs(10), "readiness", || async {
        let ready = client
            .get(format!("{address}/ready"))
            .send()
            .await
            .expect("GET /ready");
        ready.status() == 200
    })
    .await;
    let metrics = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("the metrics");
    assert!(
        metrics.contains("relay_published_total{service=\"projectors\"} 5"),
        "{metrics}"
    );
    assert!(metrics.contains("relay_outbox_backlog"), "{metrics}");
    assert!(
        metrics.contains("relay_publish_batch_seconds_bucket"),
        "{metrics}"
    );

    stopper.stop();
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("stops within 30 s")
        .expect("the task ends")
        .expect("the server stops cleanly");
    test.cleanup().await;
}
