#!/bin/sh
# static-entrypoint.sh APP: serves the static web app APP (auth, ops or
# backoffice) with nginx: renders its configuration and the app's run-time
# /config.json (client id APP) from the environment, then runs nginx in the
# foreground (SIGTERM: nginx's fast shutdown; SIGQUIT: graceful).
#
# Environment (docs/configuration.md, "Web apps"):
#   PORT (4201 auth, 4202 ops, 4203 backoffice), HOST (127.0.0.1),
#   APP_ROOT (the built files, default web/dist/APP/browser next to this
#   script), APP_RUN_DIR (a writable directory, default
#   /tmp/astro-APP-app), and the public URLs COMMAND_API_URL,
#   QUERY_API_URL, AUTH_API_URL, AUTH_APP_URL, SALES_URL (the demo ports
#   when unset). The auth app may call only the auth API; the others the
#   three APIs (the CSP's connect-src).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
APP_NAME=${1:-}
case "$APP_NAME" in
    auth) default_port=4201 ;;
    ops) default_port=4202 ;;
    backoffice) default_port=4203 ;;
    *) echo "usage: $0 auth|ops|backoffice" >&2; exit 2 ;;
esac
: "${PORT:=$default_port}"
: "${HOST:=127.0.0.1}"
: "${APP_ROOT:=$here/../dist/$APP_NAME/browser}"
: "${APP_RUN_DIR:=/tmp/astro-$APP_NAME-app}"
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
        *) echo "$APP_NAME-app: $name must be an http(s) URL, not '$value'" >&2; exit 2 ;;
    esac
    if printf '%s' "$value" | grep -q '[^A-Za-z0-9._~:/?#@!$&()*+,;=%-]'; then
        echo "$APP_NAME-app: $name has characters a URL does not: '$value'" >&2
        exit 2
    fi
done
case "$PORT" in *[!0-9]* | "") echo "$APP_NAME-app: PORT must be a number, not '$PORT'" >&2; exit 2 ;; esac
[ -f "$APP_ROOT/index.html" ] || { echo "$APP_NAME-app: no build in $APP_ROOT (npx ng build $APP_NAME)" >&2; exit 2; }

APP_ROOT=$(cd "$APP_ROOT" && pwd)
mkdir -p "$APP_RUN_DIR"
APP_RUN_DIR=$(cd "$APP_RUN_DIR" && pwd)

strip() { printf '%s' "$1" | sed 's#/*$##'; }
printf '{"commandApiUrl":"%s","queryApiUrl":"%s","authApiUrl":"%s","authAppUrl":"%s","salesUrl":"%s","clientId":"%s"}\n' \
    "$(strip "$COMMAND_API_URL")" "$(strip "$QUERY_API_URL")" "$(strip "$AUTH_API_URL")" \
    "$(strip "$AUTH_APP_URL")" "$(strip "$SALES_URL")" "$APP_NAME" >"$APP_RUN_DIR/config.json"
if [ "$APP_NAME" = auth ]; then
    CONNECT_SRC=$(strip "$AUTH_API_URL")
else
    CONNECT_SRC="$(strip "$COMMAND_API_URL") $(strip "$QUERY_API_URL") $(strip "$AUTH_API_URL")"
fi
export PORT HOST APP_ROOT APP_RUN_DIR CONNECT_SRC APP_NAME
envsubst '${PORT} ${HOST} ${APP_ROOT} ${APP_RUN_DIR} ${CONNECT_SRC} ${APP_NAME}' \
    <"$here/static-nginx.conf.template" >"$APP_RUN_DIR/nginx.conf"

exec "$NGINX_BIN" -c "$APP_RUN_DIR/nginx.conf" -p "$APP_RUN_DIR" -e stderr
