#!/usr/bin/env bash
# Run every fuzz target of fuzz/ for a while (cargo fuzz, libFuzzer).
#
#   ./scripts/fuzz.sh [SECONDS_PER_TARGET]   # default FUZZ_SECONDS, else 20
#   FUZZ_TARGETS="command_bodies" ./scripts/fuzz.sh 600   # one target, longer
#
# cargo-fuzz and the targets' build live in the machine-level cache
# (ASTRO_CACHE_DIR, scripts/lib.sh), so a run on a fresh clone builds only
# what changed. Each target starts from its committed seeds
# (fuzz/corpus/<target>) and from what earlier runs found
# (.run/fuzz/corpus/<target>, where new inputs go, so that the work tree
# stays clean). A crash fails the run; its input is saved under
# fuzz/artifacts/<target>/ and the path is printed. The last line is
# `fuzz result: N passed, M failed` (one check per target). See
# docs/testing.md.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

seconds=${1:-${FUZZ_SECONDS:-20}}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "seconds per target must be a positive integer, not '$seconds'"

ensure_cargo_fuzz

# --dev: the debug profile (fuzz/Cargo.toml says why). --sanitizer none:
# AddressSanitizer needs `-Zsanitizer`, a nightly-only flag; the coverage
# instrumentation libFuzzer needs is stable. See docs/decisions.md.
fuzz_flags=(--fuzz-dir fuzz --dev --sanitizer none --target-dir "$FUZZ_TARGET_DIR")

if [[ -n ${FUZZ_TARGETS:-} ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi
((${#targets[@]} > 0)) || die "no fuzz targets found in fuzz/"

if [[ -d $FUZZ_TARGET_DIR ]]; then
    size_mb=$(du -sm "$FUZZ_TARGET_DIR" | cut -f1)
    if ((size_mb > FUZZ_TARGET_MAX_MB)); then
        log "the fuzz build cache $FUZZ_TARGET_DIR holds ${size_mb} MB (> FUZZ_TARGET_MAX_MB=$FUZZ_TARGET_MAX_MB): emptying it"
        rm -rf "$FUZZ_TARGET_DIR"
    fi
fi

# One build of every target first: the dependency tree is the big cost, and
# the cache keeps it for the next run.
log "building the fuzz targets (${targets[*]}) in $FUZZ_TARGET_DIR"
build_started=$SECONDS
build_status=0
if [[ -n ${FUZZ_TARGETS:-} ]]; then
    for target in "${targets[@]}"; do
        cargo fuzz build "${fuzz_flags[@]}" "$target" >&2 || build_status=$?
    done
else
    cargo fuzz build "${fuzz_flags[@]}" >&2 || build_status=$?
fi
if ((build_status != 0)); then
    log "FUZZ BUILD FAILED (exit $build_status)"
    echo "fuzz result: 0 passed, ${#targets[@]} failed"
    exit 1
fi
log "fuzz targets built in $((SECONDS - build_started)) s"

passed=0
failed=0
for target in "${targets[@]}"; do
    corpus="$RUN_DIR/fuzz/corpus/$target"
    seeds="fuzz/corpus/$target"
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    output="$RUN_DIR/fuzz/$target.log"
    log "fuzz $target for ${seconds} s (log $output)"
    # -timeout: one input taking longer is a hang, reported as a crash.
    # -rss_limit_mb: a runaway allocation is a crash too, not an OOM kill.
    if cargo fuzz run "${fuzz_flags[@]}" "$target" "$corpus" "$seeds" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$output" 2>&1; then
        runs=$(awk '/^stat::number_of_executed_units:/ { print $NF }' "$output")
        log "fuzz $target: clean (${runs:-?} runs in ${seconds} s)"
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        tail -n 40 "$output" >&2
        artifact=$(grep -o 'Test unit written to [^ ]*' "$output" | tail -n 1 | cut -d' ' -f5 || true)
        log "FUZZ CRASH in $target; input saved at ${artifact:-fuzz/artifacts/$target/ (see $output)}"
        log "reproduce: PATH=$CARGO_FUZZ_DIR/bin:\$PATH cargo fuzz run ${fuzz_flags[*]} $target ${artifact:-<input>}"
    fi
done

echo "fuzz result: $passed passed, $failed failed"
((failed == 0))
