#!/usr/bin/env bash
# with-web.sh COMMAND [ARGS...]: runs COMMAND with the web apps (the sales
# site's SSR server and the auth app's nginx) serving the APIs of the
# environment, then stops them. Inside astro-stack, which exports the
# services' URLs as ASTRO_*; the apps' ports are SALES_PORT,
# AUTH_APP_PORT, OPS_APP_PORT and BACKOFFICE_APP_PORT. Exports
# ASTRO_SALES_URL, ASTRO_AUTH_APP_URL, ASTRO_OPS_APP_URL and
# ASTRO_BACKOFFICE_APP_URL for the command (the Cypress suite's e2e specs). The apps must be built
# (build_web in scripts/lib.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export COMMAND_API_URL="${ASTRO_COMMAND_API_URL:?run inside astro-stack}"
export QUERY_API_URL="${ASTRO_QUERY_API_URL:?}"
export AUTH_API_URL="${ASTRO_AUTH_URL:?}"
export SALES_URL="http://127.0.0.1:$SALES_PORT"
export AUTH_APP_URL="http://127.0.0.1:$AUTH_APP_PORT"
export ASTRO_SALES_URL="$SALES_URL" ASTRO_AUTH_APP_URL="$AUTH_APP_URL"
logs="${ASTRO_STACK_DIR:-$RUN_DIR}/web"
mkdir -p "$logs"
export WEB_RUN_DIR="$logs"

pids=()
stop_apps() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_apps EXIT

for app in "${WEB_APPS[@]}"; do
    web_app_argv "$app"
    "${WEB_APP_ARGV[@]}" >"$logs/$app.log" 2>&1 &
    pids+=($!)
done
wait_http "$SALES_URL/health" 30 "the sales site (log $logs/sales-site.log)"
wait_http "$AUTH_APP_URL/health" 30 "the auth app (log $logs/auth-app.log)"
wait_http "http://127.0.0.1:$OPS_APP_PORT/health" 30 "the IT console (log $logs/ops-app.log)"
wait_http "http://127.0.0.1:$BACKOFFICE_APP_PORT/health" 30 "the backoffice (log $logs/backoffice-app.log)"
export ASTRO_OPS_APP_URL="http://127.0.0.1:$OPS_APP_PORT" ASTRO_BACKOFFICE_APP_URL="http://127.0.0.1:$BACKOFFICE_APP_PORT"
log "web apps up: sales $SALES_URL, auth $AUTH_APP_URL, IT console $ASTRO_OPS_APP_URL, backoffice $ASTRO_BACKOFFICE_APP_URL"
"$@"
