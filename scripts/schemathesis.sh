#!/usr/bin/env bash
# Schemathesis against every service's /openapi.json (docs/testing.md): an
# isolated stack (astro-stack: its own database, streams, MongoDB, maildev
# and debug services, seeded with an account of every role and a little
# data), then for each service × role (anonymous too) one `st run` with all
# checks, NUL and control characters in generated strings, a fixed seed and
# a bounded number of examples per operation. Each (service, role) run is
# one check: "schemathesis result: N passed, M failed". Loopback only.
#
#   ./scripts/schemathesis.sh                                   # everything
#   SCHEMATHESIS_SERVICES=auth SCHEMATHESIS_ROLES=it ./scripts/schemathesis.sh
#   SCHEMATHESIS_MAX_EXAMPLES=50 SCHEMATHESIS_SEED=7 ./scripts/schemathesis.sh
#   STACK_KEEP=1 ./scripts/schemathesis.sh   # keep the stack's logs even when it passes
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_postgres
ensure_nats
ensure_cargo
: "${SECANTUSD_BIN:=$(secantusd_bin)}"
export SECANTUSD_BIN
if [[ ! -x ${MAILDEV_NODE:-} || ! -f ${MAILDEV_JS:-} ]]; then
    maildev_install
fi
SCHEMATHESIS_ST=$(ensure_schemathesis)
export SCHEMATHESIS_ST

log "building the services and astro-stack (debug)"
cargo build --quiet -p command-api -p projectors -p query-api -p auth -p notifier -p stack
target="${CARGO_TARGET_DIR:-$ROOT/target}"
export STACK_BIN_DIR="$target/debug"

# Reports of the latest run (JUnit XML, NDJSON events, the whole output of
# each run), kept after the stack is gone.
: "${SCHEMATHESIS_REPORT_DIR:=$RUN_DIR/schemathesis}"
rm -rf "$SCHEMATHESIS_REPORT_DIR"
mkdir -p "$SCHEMATHESIS_REPORT_DIR"
export SCHEMATHESIS_REPORT_DIR

# Every document comes from the stack on loopback (schemathesis 4 sends no
# telemetry): no network is needed.
exec "$STACK_BIN_DIR/astro-stack" run -- "$ROOT/scripts/schemathesis-runner.sh"
