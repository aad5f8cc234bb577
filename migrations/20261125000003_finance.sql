-- Finance: invoices and credit notes, a projection of the Launch events kept
-- by the finance projector (projectors/src/finance). Everything here is
-- derived from the event store read in global order, and nothing depends on
-- when it was projected, so a replay into fresh tables reproduces every row
-- and every number (`projectors rebuild finance --verify` compares them).
--
-- The tables live in their own schema, created by these functions, so that a
-- rebuild fills an identical copy (`finance_rebuild`) and swaps it in by
-- renaming schemas in one transaction. `finance_create_tables` makes the
-- tables with what the projector itself reads or upserts through (the keys
-- of `launches`, `counters`, `checkpoint`, and `invoices.booking_id`);
-- `finance_create_indexes` adds every other key, the foreign keys and the
-- readers' indexes — a rebuild adds them
-- after loading, which is several times faster than maintaining them row by
-- row. A later migration that changes these tables must change them in
-- `finance` and replace these functions alike.

CREATE FUNCTION finance_create_tables(target text) RETURNS void
    LANGUAGE plpgsql AS
$fn$
BEGIN
    EXECUTE format($ddl$
        CREATE SCHEMA %1$I;

        -- Where the projection stands: every event with a global position
        -- up to `position` has been applied. Written in the same
        -- transaction as the rows it covers.
        CREATE TABLE %1$I.checkpoint (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            position  bigint  NOT NULL CHECK (position >= 0)
        );
        INSERT INTO %1$I.checkpoint (position) VALUES (0);

        -- The last number given per kind (`INV`, `CN`) and calendar year
        -- (UTC) of the event that caused the document.
        CREATE TABLE %1$I.counters (
            kind        text    NOT NULL CHECK (kind IN ('INV', 'CN')),
            year        integer NOT NULL,
            last_number integer NOT NULL CHECK (last_number >= 1),
            PRIMARY KEY (kind, year)
        );

        -- What an invoice says about a launch, as it stood when each event
        -- was applied (`LaunchScheduled`; `LaunchDelayed` moves departure).
        CREATE TABLE %1$I.launches (
            launch_id     uuid        PRIMARY KEY,
            rocket_name   text        NOT NULL,
            spaceport     text        NOT NULL,
            destination   text        NOT NULL,
            departure_at  timestamptz NOT NULL,
            last_position bigint      NOT NULL
        );

        -- One invoice to the payer (the booking's holder) per booking,
        -- issued by its `SeatsBooked`: `position`, `event_id` and
        -- `issued_at` (= occurred_at) are that event's. The launch is
        -- copied as it stood at booking time. `cancelled_*` comes from the
        -- booking's `BookingCancelled`, refunded or not.
        CREATE TABLE %1$I.invoices (
            number             text        NOT NULL,
            year               integer     NOT NULL,
            seq                integer     NOT NULL CHECK (seq >= 1),
            position           bigint      NOT NULL,
            event_id           uuid        NOT NULL,
            issued_at          timestamptz NOT NULL,
            booking_id         uuid        NOT NULL UNIQUE,
            launch_id          uuid        NOT NULL,
            holder_id          uuid        NOT NULL,
            holder_kind        text        NOT NULL CHECK (holder_kind IN ('traveler', 'agency')),
            seats              integer     NOT NULL CHECK (seats >= 1),
            unit_price_cents   bigint      NOT NULL CHECK (unit_price_cents >= 0),
            total_cents        bigint      NOT NULL CHECK (total_cents >= 0),
            rocket_name        text        NOT NULL,
            spaceport          text        NOT NULL,
            destination        text        NOT NULL,
            departure_at       timestamptz NOT NULL,
            cancelled_at       timestamptz,
            cancelled_position bigint
        );

        -- The invoice's lines: one seat per passenger at the unit price.
        CREATE TABLE %1$I.invoice_lines (
            invoice_number   text    NOT NULL,
            line_no          integer NOT NULL CHECK (line_no >= 1),
            description      text    NOT NULL,
            passenger_name   text    NOT NULL,
            quantity         integer NOT NULL CHECK (quantity >= 1),
            unit_price_cents bigint  NOT NULL,
            amount_cents     bigint  NOT NULL
        );

        -- One credit note per refund (a `BookingCancelled` refunding more
        -- than 0), against the booking's invoice. `amount_cents` is the
        -- positive sum credited back to the payer.
        CREATE TABLE %1$I.credit_notes (
            number         text        NOT NULL,
            year           integer     NOT NULL,
            seq            integer     NOT NULL CHECK (seq >= 1),
            position       bigint      NOT NULL,
            event_id       uuid        NOT NULL,
            issued_at      timestamptz NOT NULL,
            invoice_number text        NOT NULL,
            booking_id     uuid        NOT NULL,
            launch_id      uuid        NOT NULL,
            holder_id      uuid        NOT NULL,
            holder_kind    text        NOT NULL CHECK (holder_kind IN ('traveler', 'agency')),
            refund_percent integer     NOT NULL CHECK (refund_percent BETWEEN 1 AND 100),
            amount_cents   bigint      NOT NULL CHECK (amount_cents > 0),
            reason         text        NOT NULL CHECK (reason IN ('holder_cancelled', 'launch_aborted'))
        );
    $ddl$, target);
END;
$fn$;

CREATE FUNCTION finance_create_indexes(target text) RETURNS void
    LANGUAGE plpgsql AS
$fn$
BEGIN
    EXECUTE format($ddl$
        ALTER TABLE %1$I.invoices
            ADD CONSTRAINT invoices_pkey PRIMARY KEY (number),
            ADD CONSTRAINT invoices_position_key UNIQUE (position),
            ADD CONSTRAINT invoices_event_id_key UNIQUE (event_id),
            ADD CONSTRAINT invoices_year_seq_key UNIQUE (year, seq);
        CREATE INDEX invoices_holder ON %1$I.invoices (holder_id, position);
        CREATE INDEX invoices_launch ON %1$I.invoices (launch_id, position);
        CREATE INDEX invoices_year ON %1$I.invoices (year, position);

        ALTER TABLE %1$I.invoice_lines
            ADD CONSTRAINT invoice_lines_pkey PRIMARY KEY (invoice_number, line_no),
            ADD CONSTRAINT invoice_lines_invoice_number_fkey
                FOREIGN KEY (invoice_number) REFERENCES %1$I.invoices (number);

        ALTER TABLE %1$I.credit_notes
            ADD CONSTRAINT credit_notes_pkey PRIMARY KEY (number),
            ADD CONSTRAINT credit_notes_position_key UNIQUE (position),
            ADD CONSTRAINT credit_notes_event_id_key UNIQUE (event_id),
            ADD CONSTRAINT credit_notes_booking_id_key UNIQUE (booking_id),
            ADD CONSTRAINT credit_notes_year_seq_key UNIQUE (year, seq),
            ADD CONSTRAINT credit_notes_invoice_number_fkey
                FOREIGN KEY (invoice_number) REFERENCES %1$I.invoices (number);
        CREATE INDEX credit_notes_holder ON %1$I.credit_notes (holder_id, position);
        CREATE INDEX credit_notes_launch ON %1$I.credit_notes (launch_id, position);
        CREATE INDEX credit_notes_year ON %1$I.credit_notes (year, position);
    $ddl$, target);
END;
$fn$;

CREATE FUNCTION finance_create_schema(target text) RETURNS void
    LANGUAGE sql AS
$fn$
    SELECT finance_create_tables(target);
    SELECT finance_create_indexes(target);
$fn$;

SELECT finance_create_schema('finance');
