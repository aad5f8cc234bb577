#!/usr/bin/env bash
# Start the whole Astro Bookings system with demo data: PostgreSQL, NATS
# (JetStream), MongoDB (SecantusDB), the SMTP capture server (maildev), the
# command API, the projectors (outbox relay, sales, profiles and finance
# projectors), the query API, the auth service and the notifier, then seed
# demo data and demo users.
#
# Works on a fresh Debian 12 machine (installs what is missing) and is safe to
# run again: running pieces are reused, and a command API whose binary has
# been rebuilt since it started is restarted. Stop with ./scripts/stop.sh.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_postgres
ensure_nats
ensure_mongo
ensure_maildev
ensure_cargo

log "building command-api, projectors, query-api, auth, notifier and devtools (release)"
cargo build --release -p command-api -p projectors -p query-api -p auth -p notifier -p devtools
BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"
API_BIN="$BIN_DIR/command-api"
DEV_BIN="$BIN_DIR/astro-dev"
PROJECTORS_BIN="$BIN_DIR/projectors"
QUERY_BIN="$BIN_DIR/query-api"
AUTH_BIN="$BIN_DIR/auth"
NOTIFIER_BIN="$BIN_DIR/notifier"

# Token signing keys for the dev stack: generated once and kept, so tokens
# printed by earlier runs stay valid across restarts.
AUTH_ENV="$RUN_DIR/auth.env"
if [[ ! -f $AUTH_ENV ]]; then
    log "generating dev token signing keys into $AUTH_ENV"
    mkdir -p "$RUN_DIR"
    tmp="$AUTH_ENV.tmp.$$"
    (umask 077 && "$DEV_BIN" keygen >"$tmp")
    if ! grep -q '^AUTH_PRIVATE_KEY=' "$tmp" || ! grep -q '^AUTH_PUBLIC_KEY=' "$tmp"; then
        rm -f "$tmp"
        die "astro-dev keygen did not print AUTH_PRIVATE_KEY and AUTH_PUBLIC_KEY"
    fi
    chmod 600 "$tmp"
    mv "$tmp" "$AUTH_ENV"
fi
set -a
# shellcheck source=/dev/null
source "$AUTH_ENV"
set +a

export COMMAND_API_ADDR="${COMMAND_API_ADDR:-127.0.0.1:8081}"
api_host="${COMMAND_API_ADDR%:*}"
api_port="${COMMAND_API_ADDR##*:}"
# A wildcard bind address is reachable through loopback.
case "$api_host" in "" | 0.0.0.0 | "[::]") api_host=127.0.0.1 ;; esac
API_URL="http://$api_host:$api_port"

# The API only needs the public key; keep the private key out of its
# environment (only the seeding tool mints tokens).
start_api() {
    start_service command-api env -u AUTH_PRIVATE_KEY "$API_BIN"
}

# Name of our service to watch while waiting (empty when reusing a foreign one).
watch=command-api
if pid=$(service_pid command-api); then
    # -ef compares inodes: cargo replaces the file when it rebuilds.
    if [[ /proc/$pid/exe -ef $API_BIN ]]; then
        log "command-api is already running (pid $pid)"
    else
        log "command-api binary was rebuilt; restarting it"
        stop_service command-api
        start_api
    fi
elif port_open "$api_host" "$api_port"; then
    log "something not started by this script already listens on $COMMAND_API_ADDR; reusing it"
    log "(if it uses other signing keys than $AUTH_ENV, seeding will be rejected)"
    watch=""
else
    # The API runs the database migrations itself at start-up.
    start_api
fi
wait_http "$API_URL/ready" 60 command-api "$watch"

# Starts service NAME (running BINARY ARGS...), restarting it when its binary
# was rebuilt since it started; then waits for its /ready at URL.
ensure_service() {
    local name=$1 url=$2 binary=$3 pid
    shift 2
    if pid=$(service_pid "$name") && ! [[ /proc/$pid/exe -ef $binary ]]; then
        log "$name binary was rebuilt; restarting it"
        stop_service "$name"
    fi
    start_service "$name" env -u AUTH_PRIVATE_KEY "$@"
    wait_http "$url/ready" 60 "$name" "$name"
}

# The projectors (the outbox relay to JetStream and the sales projector to
# MongoDB) need the schema the API has just migrated. Before this version a
# relay ran alone as service "relay": the projectors replace it.
if service_pid relay >/dev/null; then
    stop_service relay
fi
export PROJECTORS_ADDR="${PROJECTORS_ADDR:-127.0.0.1:8085}"
ensure_service projectors "http://$PROJECTORS_ADDR" "$PROJECTORS_BIN" serve relay sales profiles finance

export QUERY_API_ADDR="${QUERY_API_ADDR:-127.0.0.1:8082}"
ensure_service query-api "http://$QUERY_API_ADDR" "$QUERY_BIN"

# The auth service signs tokens: it is the one service that gets
# AUTH_PRIVATE_KEY. It creates the first IT account from these variables
# (development credentials, documented in docs/auth.md) when none exists.
export AUTH_API_ADDR="${AUTH_API_ADDR:-127.0.0.1:8083}"
export AUTH_BOOTSTRAP_IT_EMAIL="${AUTH_BOOTSTRAP_IT_EMAIL:-it.admin@astro.example}"
export AUTH_BOOTSTRAP_IT_PASSWORD="${AUTH_BOOTSTRAP_IT_PASSWORD:-bootstrap-it-dev-password}"
if pid=$(service_pid auth) && ! [[ /proc/$pid/exe -ef $AUTH_BIN ]]; then
    log "auth binary was rebuilt; restarting it"
    stop_service auth
fi
start_service auth "$AUTH_BIN"
wait_http "http://$AUTH_API_ADDR/ready" 60 auth auth

# The notifier emails travelers and agencies about their bookings through
# the SMTP capture server (SMTP_URL); it starts before the demo data, so the
# demo bookings' emails are in maildev's inbox.
export NOTIFIER_ADDR="${NOTIFIER_ADDR:-127.0.0.1:8084}"
ensure_service notifier "http://$NOTIFIER_ADDR" "$NOTIFIER_BIN"

# The web apps: a new build or new API URLs need a restart, which takes a second.
ensure_nginx
build_web
export COMMAND_API_URL="$API_URL" QUERY_API_URL="http://$QUERY_API_ADDR" AUTH_API_URL="http://$AUTH_API_ADDR"
export SALES_URL="http://127.0.0.1:$SALES_PORT" AUTH_APP_URL="http://127.0.0.1:$AUTH_APP_PORT"
for app in "${WEB_APPS[@]}"; do
    if service_pid "$app" >/dev/null; then
        stop_service "$app"
    fi
    web_app_argv "$app"
    start_service "$app" "${WEB_APP_ARGV[@]}"
done
wait_http "$SALES_URL/health" 30 sales-site sales-site
wait_http "$AUTH_APP_URL/health" 30 auth-app auth-app
wait_http "http://127.0.0.1:$OPS_APP_PORT/health" 30 ops-app ops-app
wait_http "http://127.0.0.1:$BACKOFFICE_APP_PORT/health" 30 backoffice-app backoffice-app

log "registering demo users"
demo_users=$("$DEV_BIN" seed-users --auth "http://$AUTH_API_ADDR")
log "seeding demo data (as the demo users)"
"$DEV_BIN" seed --api "$API_URL" --auth "http://$AUTH_API_ADDR"

cat <<EOF

Astro Bookings is running:
  sales site   $SALES_URL   (open it in a browser: launches, booking, my bookings)
  auth app     $AUTH_APP_URL   (sign in, register; every app signs in through it)
  IT console   http://127.0.0.1:$OPS_APP_PORT   (employees of IT)
  backoffice   http://127.0.0.1:$BACKOFFICE_APP_PORT   (employees of operations and finance)
  command API  $API_URL   (/health /ready /metrics /openapi.json)
  query API    http://$QUERY_API_ADDR   (sales site: GET /v1/launches, /v1/me/bookings; finance: GET /v1/invoices[/{number}[.pdf]]; /openapi.json)
  auth         http://$AUTH_API_ADDR   (POST /v1/auth/register, /v1/auth/login, /v1/auth/logout; GET /v1/auth/me; /openapi.json)
  notifier     http://$NOTIFIER_ADDR   (booking, cancellation and delay emails via $SMTP_URL; /health /ready /metrics)
  mail         $MAILDEV_API_URL   (maildev: every email sent, web UI and HTTP API)
  projectors   http://$PROJECTORS_ADDR   (outbox relay → JetStream → sales projector → MongoDB, profiles and finance projectors → PostgreSQL; /health /ready /metrics)
  PostgreSQL   $PGHOST:$PGPORT  database $PGDATABASE, user $PGUSER  ($DATABASE_URL)
  NATS         $NATS_URL  (JetStream; monitoring http://127.0.0.1:$NATS_MONITOR_PORT)
  MongoDB      $MONGODB_URI  (SecantusDB dev server)
  logs         $RUN_DIR/logs/
  signing keys $AUTH_ENV
Stop with ./scripts/stop.sh  (add --all to stop PostgreSQL too)

$demo_users
EOF
