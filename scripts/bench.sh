#!/usr/bin/env bash
# The benchmark (bench/): each figure next to a baseline measured in the same
# run, as a ratio. Parts (BENCH_PARTS, default booking,sync):
#   booking  pgbench's floor for the minimal durable booking transaction, then
#            the booking API (release build) at the same concurrencies;
#   sync     the read side: projection lag under steady load (lag), the
#            default listing against a raw MongoDB loop (listing), and the
#            rebuild of the sales read model against read and write floors
#            (rebuild); each of lag, listing, rebuild can be named alone;
#   finance  `projectors rebuild finance`, then `--verify`, over a synthetic
#            event store, against the floors of reading its events and of
#            inserting its invoices (not in the default set nor in sync:
#            BENCH_PARTS=finance);
#   auth     logins/s through the auth service at concurrency 8 against a
#            bare argon2id verify loop, and token verification cost (not in
#            the default set: BENCH_PARTS=auth);
#   notify   notifications end to end: bookings waiting in the stream, then
#            the notifier drains them into a private maildev, against lettre
#            sending the same emails straight to it and one-document
#            MongoDB inserts (not in the default set: BENCH_PARTS=notify;
#            needs maildev, installed by ensure_maildev).
# Knobs: BENCH_PARTS, BENCH_SECONDS (10), BENCH_CONCURRENCY (8,32,64),
# BENCH_SYNC_RATE (500), BENCH_SYNC_SAMPLE (10), BENCH_LISTING_CONCURRENCY (32),
# BENCH_REBUILD_EVENTS (100000), BENCH_REBUILD_LAUNCHES (200),
# BENCH_FINANCE_EVENTS (100000), BENCH_FINANCE_LAUNCHES (200),
# FINANCE_BATCH_SIZE (1000, passed to projectors rebuild finance),
# BENCH_NOTIFY_BOOKINGS (2000), BENCH_NOTIFY_CONCURRENCY (8).
# See docs/performance.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_postgres
ensure_nats
ensure_mongo
ensure_cargo
# Build only the binaries the parts start (an unknown part builds them all;
# the bench then names the known ones).
packages=(bench)
IFS=',' read -ra parts <<<"${BENCH_PARTS:-booking,sync}"
for part in "${parts[@]}"; do
    case "${part// /}" in
    booking) packages+=(command-api) ;;
    sync | lag | listing) packages+=(command-api projectors query-api) ;;
    rebuild | finance) packages+=(projectors) ;;
    auth) packages+=(auth) ;;
    notify)
        packages+=(command-api projectors notifier)
        ensure_maildev # installs it; the part starts a private one
        ;;
    "") ;;
    *) packages+=(command-api projectors query-api auth) ;;
    esac
done
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)
log "building release binaries: ${packages[*]}"
cargo build --release "${packages[@]/#/--package=}"
BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"
export COMMAND_API_BIN="$BIN_DIR/command-api"
export PROJECTORS_BIN="$BIN_DIR/projectors"
export QUERY_API_BIN="$BIN_DIR/query-api"
export AUTH_BIN="$BIN_DIR/auth"
export NOTIFIER_BIN="$BIN_DIR/notifier"
exec "$BIN_DIR/bench"
