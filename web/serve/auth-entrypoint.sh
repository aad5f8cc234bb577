#!/bin/sh
# Serves the auth app with nginx: renders its configuration and the app's
# run-time /config.json from the environment, then runs nginx in the
# foreground (SIGTERM: nginx's fast shutdown; SIGQUIT: graceful).
#
# Environment (docs/configuration.md, "Web apps"):
#   PORT (4201), HOST (127.0.0.1), AUTH_APP_ROOT (the built files,
#   default web/dist/auth/browser next to this script), AUTH_APP_RUN_DIR
#   (a writable directory, default /tmp/astro-auth-app), and the public
#   URLs COMMAND_API_URL, QUERY_API_URL, AUTH_API_URL, AUTH_APP_URL,
#   SALES_URL (the demo ports when unset).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${PORT:=4201}"
: "${HOST:=127.0.0.1}"
: "${AUTH_APP_ROOT:=$here/../dist/auth/browser}"
: "${AUTH_APP_RUN_DIR:=/tmp/astro-auth-app}"
: "${COMMAND_API_URL:=http://127.0.0.1:8081}"
: "${QUERY_API_URL:=http://127.0.0.1:8082}"
: "${AUTH_API_URL:=http://127.0.0.1:8083}"
: "${AUTH_APP_URL:=http://127.0.0.1:4201}"
: "${SALES_URL:=http://127.0.0.1:4200}"
: "${NGINX_BIN:=nginx}"

# Each URL goes into JSON and a header unescaped: only a plain http(s) URL
# is accepted.
for name in COMMAND_API_URL QUERY_API_URL AUTH_API_URL AUTH_APP_URL SALES_URL; do
    eval "value=\$$name"
    case "$value" in
        http://* | https://*) ;;
        *) echo "auth-app: $name must be an http(s) URL, not '$value'" >&2; exit 2 ;;
    esac
    if printf '%s' "$value" | grep -q '[^A-Za-z0-9._~:/?#@!$&()*+,;=%-]'; then
        echo "auth-app: $name has characters a URL does not: '$value'" >&2
        exit 2
    fi
done
case "$PORT" in *[!0-9]* | "") echo "auth-app: PORT must be a number, not '$PORT'" >&2; exit 2 ;; esac
[ -f "$AUTH_APP_ROOT/index.html" ] || { echo "auth-app: no build in $AUTH_APP_ROOT (npx ng build auth)" >&2; exit 2; }

AUTH_APP_ROOT=$(cd "$AUTH_APP_ROOT" && pwd)
mkdir -p "$AUTH_APP_RUN_DIR"
AUTH_APP_RUN_DIR=$(cd "$AUTH_APP_RUN_DIR" && pwd)
export PORT HOST AUTH_APP_ROOT AUTH_APP_RUN_DIR AUTH_API_URL

strip() { printf '%s' "$1" | sed 's#/*$##'; }
printf '{"commandApiUrl":"%s","queryApiUrl":"%s","authApiUrl":"%s","authAppUrl":"%s","salesUrl":"%s","clientId":"auth"}\n' \
    "$(strip "$COMMAND_API_URL")" "$(strip "$QUERY_API_URL")" "$(strip "$AUTH_API_URL")" \
    "$(strip "$AUTH_APP_URL")" "$(strip "$SALES_URL")" >"$AUTH_APP_RUN_DIR/config.json"
AUTH_API_URL=$(strip "$AUTH_API_URL")
envsubst '${PORT} ${HOST} ${AUTH_APP_ROOT} ${AUTH_APP_RUN_DIR} ${AUTH_API_URL}' \
    <"$here/auth-nginx.conf.template" >"$AUTH_APP_RUN_DIR/nginx.conf"

exec "$NGINX_BIN" -c "$AUTH_APP_RUN_DIR/nginx.conf" -p "$AUTH_APP_RUN_DIR" -e stderr
