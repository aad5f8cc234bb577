#!/usr/bin/env bash
# The Cypress black-box suite (tests/, docs/testing.md) against an isolated
# stack (astro-stack: its own database, streams, MongoDB, maildev and debug
# services, seeded with an account of every role and a little data). Ends
# with "cypress result: N passed, M failed". Loopback only.
#
#   ./scripts/cypress.sh                               # the whole suite
#   ./scripts/cypress.sh --spec 'api/documents.cy.ts'  # one spec (any `cypress run` argument)
#   STACK_KEEP=1 ./scripts/cypress.sh                  # keep the stack's logs even when it passes
#
# Against a running system instead (the demo of start.sh, or a deployed
# environment: the ASTRO_* variables of docs/testing.md):
#   (cd tests && "$NODE_BIN" run.mjs --spec 'api/**')
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_postgres
ensure_nats
ensure_cargo
ensure_cypress
: "${SECANTUSD_BIN:=$(secantusd_bin)}"
export SECANTUSD_BIN
if [[ ! -x ${MAILDEV_NODE:-} || ! -f ${MAILDEV_JS:-} ]]; then
    maildev_install
fi

ensure_nginx
build_web

log "building the services and astro-stack (debug)"
cargo build --quiet -p command-api -p projectors -p query-api -p auth -p notifier -p stack
target="${CARGO_TARGET_DIR:-$ROOT/target}"
export STACK_BIN_DIR="$target/debug"

# Screenshots of failures go to .run/cypress (cypress.config.ts); clear
# the previous run's.
rm -rf "$RUN_DIR/cypress"
cd "$ROOT/tests"
# The web apps get ports of their own (a demo system may hold 4200/4201);
# the stack's services inherit the origins and redirect URIs that go with them.
SALES_PORT=$(free_port)
AUTH_APP_PORT=$(free_port)
OPS_APP_PORT=$(free_port)
BACKOFFICE_APP_PORT=$(free_port)
export SALES_PORT AUTH_APP_PORT OPS_APP_PORT BACKOFFICE_APP_PORT
export CORS_ALLOWED_ORIGINS="http://127.0.0.1:$SALES_PORT,http://127.0.0.1:$AUTH_APP_PORT,http://127.0.0.1:$OPS_APP_PORT,http://127.0.0.1:$BACKOFFICE_APP_PORT"
export AUTH_CLIENTS="sales=http://127.0.0.1:$SALES_PORT/auth/callback,ops=http://127.0.0.1:$OPS_APP_PORT/auth/callback,backoffice=http://127.0.0.1:$BACKOFFICE_APP_PORT/auth/callback"
exec "$STACK_BIN_DIR/astro-stack" run -- "$ROOT/scripts/with-web.sh" "$NODE_BIN" run.mjs "$@"
