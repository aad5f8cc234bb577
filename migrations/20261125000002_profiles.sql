-- Profiles of users, a projection kept by the profiles projector (projectors/
-- src/profiles.rs) from two feeds: the auth service's `UserRegistered` and
-- `EmployeeCreated` messages (stream ASTRO_USERS), and the `Profile`
-- aggregate's `ProfileUpdated` events (the event store, via the outbox).
--
-- A user is in exactly one table, by kind. `profile_version` is the sequence
-- of the last `ProfileUpdated` applied (0: the profile is the one registered
-- with); a replayed or late event with a lower sequence changes nothing.
-- `email` and `registered_at` are NULL only while a profile change has
-- arrived before the registration it follows.

CREATE TABLE travelers (
    user_id         uuid PRIMARY KEY,
    email           text,
    full_name       text NOT NULL,
    birth_date      date NOT NULL,
    registered_at   timestamptz,
    profile_version bigint NOT NULL DEFAULT 0 CHECK (profile_version >= 0),
    updated_at      timestamptz NOT NULL
);
CREATE INDEX travelers_email ON travelers (email);

CREATE TABLE agencies (
    user_id         uuid PRIMARY KEY,
    email           text,
    legal_name      text NOT NULL,
    tax_id          text NOT NULL,
    address_line1   text NOT NULL,
    address_line2   text,
    city            text NOT NULL,
    postal_code     text NOT NULL,
    country         char(2) NOT NULL,
    contact_name    text NOT NULL,
    contact_email   text NOT NULL,
    contact_phone   text NOT NULL,
    registered_at   timestamptz,
    profile_version bigint NOT NULL DEFAULT 0 CHECK (profile_version >= 0),
    updated_at      timestamptz NOT NULL
);
CREATE INDEX agencies_email ON agencies (email);

CREATE TABLE employees (
    user_id         uuid PRIMARY KEY,
    email           text,
    department      text CHECK (department IN ('operations', 'finance', 'it')),
    full_name       text NOT NULL,
    created_by      uuid,
    registered_at   timestamptz,
    profile_version bigint NOT NULL DEFAULT 0 CHECK (profile_version >= 0),
    updated_at      timestamptz NOT NULL
);
CREATE INDEX employees_email ON employees (email);
