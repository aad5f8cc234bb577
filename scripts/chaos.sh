#!/usr/bin/env bash
# The chaos run (docs/reliability.md): booking and cancelling load while
# every service is SIGKILLed and restarted and MongoDB and SMTP are stopped
# for a while, then every invariant is checked. Loopback only, bounded in
# time; exits non-zero naming each invariant that did not hold.
#
#   ./scripts/chaos.sh                      # short profile (debug binaries; the test command runs it)
#   CHAOS_PROFILE=long ./scripts/chaos.sh   # long profile (release binaries)
#   CHAOS_SECONDS=120 CHAOS_SEED=42 ./scripts/chaos.sh   # length of the load; repeat a schedule
#
# PostgreSQL and NATS are the shared servers (the run uses its own database
# and streams and deletes them); MongoDB (SecantusDB) and SMTP (maildev) are
# private instances the run starts, stops and restarts itself.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

: "${CHAOS_PROFILE:=short}"
export CHAOS_PROFILE
ensure_postgres
ensure_nats
ensure_cargo
# The private servers' programs: SecantusDB's and maildev's installs (the
# same pins as the shared servers'; installed when missing).
: "${SECANTUSD_BIN:=$(secantusd_bin)}"
export SECANTUSD_BIN
if [[ ! -x ${MAILDEV_NODE:-} || ! -f ${MAILDEV_JS:-} ]]; then
    maildev_install
fi

packages=(-p command-api -p projectors -p query-api -p auth -p notifier -p chaos)
target="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$CHAOS_PROFILE" in
short)
    log "building the services and the chaos run (debug)"
    cargo build --quiet "${packages[@]}"
    export CHAOS_BIN_DIR="$target/debug"
    ;;
long)
    log "building the services and the chaos run (release)"
    cargo build --quiet --release "${packages[@]}"
    export CHAOS_BIN_DIR="$target/release"
    ;;
*) die "CHAOS_PROFILE must be short or long, not $CHAOS_PROFILE" ;;
esac
exec "$CHAOS_BIN_DIR/chaos"
