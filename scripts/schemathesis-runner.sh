#!/usr/bin/env bash
# The inside of scripts/schemathesis.sh: run by `astro-stack run` with the
# stack's ASTRO_* environment, it runs schemathesis against every service's
# /openapi.json with the token of every role (and none), each one check,
# and prints "schemathesis result: N passed, M failed". Not meant to be run
# by hand (see docs/testing.md).
set -uo pipefail
HOOKS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${SCHEMATHESIS_ST:?the st command of the pinned schemathesis}"
: "${SCHEMATHESIS_SEED:=20260}"
: "${SCHEMATHESIS_MAX_EXAMPLES:=5}"
: "${SCHEMATHESIS_WORKERS:=1}"
: "${SCHEMATHESIS_JOBS:=1}"
: "${SCHEMATHESIS_SERVICES:=command-api query-api notifier auth}"
: "${SCHEMATHESIS_ROLES:=anonymous traveler agency finance it operations}"
: "${SCHEMATHESIS_REPORT_DIR:?where the reports go}"

url_of() {
    case $1 in
    command-api) printf '%s' "$ASTRO_COMMAND_API_URL" ;;
    query-api) printf '%s' "$ASTRO_QUERY_API_URL" ;;
    auth) printf '%s' "$ASTRO_AUTH_URL" ;;
    notifier) printf '%s' "$ASTRO_NOTIFIER_URL" ;;
    *) return 1 ;;
    esac
}

token_of() {
    local name="ASTRO_TOKEN_${1^^}"
    printf '%s' "${!name:-}"
}

# One run: its output and exit status go to its report directory.
run_one() {
    local service=$1 role=$2 base=$3 out=$4 token started headers=()
    if [[ $role != anonymous ]]; then
        token=$(token_of "$role")
        headers=(-H "Authorization: Bearer $token")
    fi
    started=$SECONDS
    # The hooks drop the 422s of rules a schema cannot say (a range's end
    # after its start, follow without a cursor; scripts/schemathesis_hooks.py).
    PYTHONPATH="$HOOKS_DIR" SCHEMATHESIS_HOOKS=schemathesis_hooks \
        "$SCHEMATHESIS_ST" run "$base/openapi.json" \
        --checks all \
        "${headers[@]}" \
        --generation-allow-x00 true \
        --generation-codec utf-8 \
        --generation-database none \
        --seed "$SCHEMATHESIS_SEED" \
        --max-examples "$SCHEMATHESIS_MAX_EXAMPLES" \
        --workers "$SCHEMATHESIS_WORKERS" \
        --report junit,ndjson --report-dir "$out" \
        --no-color >"$out/output.txt" 2>&1
    echo "$? $((SECONDS - started))" >"$out/status"
}

passed=0
failed=0
failures=()
began=$SECONDS
# Services one after the other, the auth service last by default: its runs
# may log a role's token out (revoked everywhere), so each role's token is
# revoked during its own last run only. The roles of one service run
# SCHEMATHESIS_JOBS at a time: each has its own token, and the services'
# answers do not depend on the order of requests beyond what their
# documents allow.
for service in ${SCHEMATHESIS_SERVICES//,/ }; do
    if ! base=$(url_of "$service"); then
        echo "schemathesis: unknown service $service (command-api, query-api, auth, notifier)"
        failed=$((failed + 1))
        failures+=("$service: unknown service")
        continue
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base/openapi.json")
    if [[ $code != 200 ]]; then
        # Not a failure of this harness: the service has no OpenAPI
        # document yet. It is picked up as soon as it serves one.
        echo "schemathesis: SKIPPED $service: GET /openapi.json answered $code (no OpenAPI document yet)"
        continue
    fi
    roles=()
    for role in ${SCHEMATHESIS_ROLES//,/ }; do
        if [[ $role != anonymous && -z $(token_of "$role") ]]; then
            echo "schemathesis: unknown role $role (anonymous traveler agency finance it operations)"
            failed=$((failed + 1))
            failures+=("$service as $role: unknown role")
            continue
        fi
        roles+=("$role")
        out="$SCHEMATHESIS_REPORT_DIR/$service-$role"
        mkdir -p "$out"
        rm -f "$out/status"
        run_one "$service" "$role" "$base" "$out" &
        while (($(jobs -rp | wc -l) >= SCHEMATHESIS_JOBS)); do
            wait -n || true
        done
    done
    wait
    for role in "${roles[@]}"; do
        out="$SCHEMATHESIS_REPORT_DIR/$service-$role"
        read -r status took <"$out/status" || { status=1 took=0; }
        if ((status == 0)); then
            passed=$((passed + 1))
            echo "schemathesis: $service as $role: passed (${took} s)"
        else
            failed=$((failed + 1))
            failures+=("$service as $role")
            echo "schemathesis: $service as $role: FAILED (exit $status, ${took} s); the whole output: $out/output.txt"
            # The failures, each with schemathesis's curl to reproduce it
            # (against this stack, which is gone afterwards: rerun with
            # STACK_KEEP=1 and the same seed to replay them).
            awk '/^=+ FAILURES =+$/ { on = 1 } /^=+ (WARNINGS|SUMMARY) =+$/ { on = 0 } on' "$out/output.txt"
            awk '/^(Failures|Errors):$/ { on = 1 } /^$/ { on = 0 } on' "$out/output.txt"
            tail -n 1 "$out/output.txt"
        fi
    done
done
echo "schemathesis: $((passed + failed)) runs in $((SECONDS - began)) s (seed $SCHEMATHESIS_SEED, at most $SCHEMATHESIS_MAX_EXAMPLES examples per operation, $SCHEMATHESIS_JOBS runs at a time); reports in $SCHEMATHESIS_REPORT_DIR"
for f in "${failures[@]}"; do
    echo "schemathesis: failed: $f"
done
echo "schemathesis result: $passed passed, $failed failed"
((failed == 0))
