-- The event store: the single source of truth.
--
-- `events` and `snapshots` keep the column names and types postgres-es 0.5
-- reads, so its repository can load aggregates; we add what it lacks:
-- a global position (one total order over every aggregate, consistent with
-- each aggregate's own sequence because an aggregate's next event can only
-- be inserted after its previous one committed), the event id and the time.

CREATE TABLE events
(
    aggregate_type  text                          NOT NULL,
    aggregate_id    text                          NOT NULL,
    sequence        bigint CHECK (sequence >= 1)  NOT NULL,
    event_type      text                          NOT NULL,
    event_version   text                          NOT NULL,
    payload         json                          NOT NULL,
    metadata        json                          NOT NULL,
    global_position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    event_id        uuid                          NOT NULL UNIQUE,
    occurred_at     timestamptz                   NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE INDEX events_occurred_at ON events (occurred_at);
CREATE INDEX events_event_type ON events (event_type, global_position);

-- One snapshot per aggregate, replaced as the aggregate grows.
CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- The transactional outbox: one row per committed event, written by the
-- database itself in the inserting transaction, so that no writer can commit
-- an event without it. The relay publishes rows to NATS JetStream and
-- deletes them (`FOR UPDATE SKIP LOCKED`).
CREATE TABLE outbox
(
    global_position bigint      PRIMARY KEY REFERENCES events (global_position),
    aggregate_type  text        NOT NULL,
    aggregate_id    text        NOT NULL,
    sequence        bigint      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION events_to_outbox() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    INSERT INTO outbox (global_position, aggregate_type, aggregate_id, sequence)
    SELECT global_position, aggregate_type, aggregate_id, sequence
    FROM new_events;
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_to_outbox
    AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT
EXECUTE FUNCTION events_to_outbox();

-- Idempotency keys of command requests: the first answer is kept and replayed
-- to a retry with the same key. The row is inserted first thing in the
-- command's transaction (a concurrent duplicate waits on it) and its response
-- filled in before the same transaction commits with the events, so a
-- committed row always has its response.
CREATE TABLE idempotency
(
    user_id         uuid        NOT NULL,
    idempotency_key text        NOT NULL,
    request_hash    bytea       NOT NULL,
    response_status smallint,
    response_body   bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, idempotency_key)
);

CREATE INDEX idempotency_created_at ON idempotency (created_at);
