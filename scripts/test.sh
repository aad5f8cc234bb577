#!/usr/bin/env bash
# Run every check and test: formatting, clippy (warnings are errors) and the
# whole workspace's tests against a real PostgreSQL, NATS (JetStream), a
# MongoDB-wire-compatible server (SecantusDB) and an SMTP capture server
# (maildev), which are installed and started here if needed; then the short
# chaos run (scripts/chaos.sh, docs/reliability.md), schemathesis against
# every service as every role (scripts/schemathesis.sh), every fuzz target
# briefly (scripts/fuzz.sh), the web workspace's typecheck and Jest tests
# (scripts/web-test.sh) and the Cypress black-box suite in tests/ with the
# web apps served (scripts/cypress.sh); docs/testing.md.
#
# Runs non-interactively (CI=true, no stdin) and stops at the first failing
# step with a non-zero exit status. The servers are left running, so a second
# run starts faster; ./scripts/stop.sh stops NATS and SecantusDB.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

current_step=""
step() {
    current_step=$1
    log "[$current_step]"
}
# Name the failing step at the end, where CI logs are read first.
report_failure() {
    local status=$?
    if ((status != 0)); then
        log "FAILED: ${current_step:-setup} (exit $status)"
    fi
}
trap report_failure EXIT

step "PostgreSQL"
ensure_postgres
step "NATS"
ensure_nats
step "MongoDB (SecantusDB)"
ensure_mongo
step "SMTP capture (maildev)"
ensure_maildev
step "toolchain"
ensure_cargo
cargo --version

# The tests read DATABASE_URL, NATS_URL, MONGODB_URI, SMTP_URL and
# MAILDEV_API_URL (and MAILDEV_NODE, MAILDEV_JS) from the environment
# exported by lib.sh and create their own fresh databases and streams.
step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# Each test creates its own database; drop those of earlier runs so they do
# not pile up (FORCE closes connections a killed run may have left). Every
# DROP DATABASE waits for a checkpoint; run in parallel, they share them.
# FORCE cannot end an autovacuum worker (a superuser process) that happens to
# be in a leftover database, so a drop is tried a few times, and one that
# still fails is left for the next run: housekeeping never fails the tests.
step "drop leftover test databases"
# shellcheck disable=SC2016 # $1 and $DATABASE_URL expand in the inner bash
psql "$DATABASE_URL" -X -tA -v ON_ERROR_STOP=1 \
    -c "SELECT datname FROM pg_database WHERE datname LIKE 'astro\_test\_%'" |
    xargs -r -P 16 -I{} bash -c '
        for _ in 1 2 3 4 5; do
            psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 \
                -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" 2>/dev/null && exit 0
            sleep 1
        done
        echo "==> warning: could not drop $1 (autovacuum?); the next run tries again" >&2' _ {}

step "drop leftover MongoDB test databases"
drop_mongo_databases sales_test_ query_test_ core_test_

step "cargo test --workspace"
# Keep cargo's output to total it: cargo ends with the doc-tests' "0 passed"
# lines, so the last line printed here is the whole run's count.
test_log=$(mktemp)
# shellcheck disable=SC2154 # rc is assigned inside the trap's own string
trap 'rc=$?; rm -f "$test_log"; (exit $rc) || report_failure' EXIT
cargo test --workspace 2>&1 | tee "$test_log"

# The chaos run's short profile (docs/reliability.md): load while every
# service is killed and MongoDB and SMTP go down, then its invariants, each
# one check ("chaos result: N passed, M failed") in the total below. It
# runs even if one fails, so the total still comes last.
# The black-box checks after the cargo tests, each printing one
# "<name> result: N passed, M failed" line that the total below adds up.
# Each runs even if an earlier one failed, so the total still comes last;
# a run that could not even start counts as one failed check.
status=0
black_box() {
    local name=$1 what=$2 rc=0
    shift 2
    step "$what"
    "$@" 2>&1 | tee -a "$test_log" || rc=$?
    current_step=""
    if ((rc != 0)); then
        grep -q "^$name result:" "$test_log" || echo "$name result: 0 passed, 1 failed" >>"$test_log"
        log "FAILED: $what (exit $rc): the checks marked FAILED above"
        status=$rc
    fi
}

# The chaos run (docs/reliability.md): load while every service is killed
# and MongoDB and SMTP go down, then its invariants, each one check.
black_box chaos "chaos run (short profile)" env CHAOS_PROFILE=short "$ROOT/scripts/chaos.sh"
# Schemathesis against every service's OpenAPI document with the token of
# every role (docs/testing.md), each (service, role) one check.
black_box schemathesis "schemathesis (every service × every role)" "$ROOT/scripts/schemathesis.sh"
# Every fuzz target for FUZZ_SECONDS (docs/testing.md), each one check; the
# crashing input and how to replay it are named in its output.
black_box fuzz "fuzz (${FUZZ_SECONDS:=15} s per target)" env FUZZ_SECONDS="$FUZZ_SECONDS" "$ROOT/scripts/fuzz.sh"
# The web workspace (web/, docs/testing.md): tsc --noEmit, then Jest
# (each test one check).
black_box jest "web: typecheck and Jest (web/)" "$ROOT/scripts/web-test.sh"
# The Cypress black-box suite (tests/, docs/testing.md), each test one check:
# the API specs and the web apps' end-to-end specs in a real browser.
black_box cypress "cypress (tests/)" "$ROOT/scripts/cypress.sh"

if ((status == 0)); then
    log "all checks passed"
fi
awk '/^test result:/ { p += $4; f += $6 }
     /^(chaos|schemathesis|cypress|fuzz|typecheck|jest) result:/ { p += $3; f += $5 }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$test_log"
trap 'rm -f "$test_log"' EXIT
exit "$status"
