#!/usr/bin/env bash
# The benchmark: pgbench's floor for the minimal durable booking transaction,
# then the booking API (release build) at the same concurrencies, with ratios.
# Knobs: BENCH_SECONDS (10), BENCH_CONCURRENCY (8,32,64). See docs/performance.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_postgres
log "building release binaries"
cargo build --release -p command-api -p bench
export COMMAND_API_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/command-api"
exec "${CARGO_TARGET_DIR:-$ROOT/target}/release/bench"
