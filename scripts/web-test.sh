#!/usr/bin/env bash
# The web workspace's checks (docs/testing.md): `tsc --noEmit` over every
# project and spec, then every Jest test (unit and component, zoneless,
# jsdom). Prints "typecheck result: …" and "jest result: N passed, M
# failed" for the test command's total. Arguments go to Jest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_web_deps
cd "$WEB_DIR"
export PATH="$(dirname "$NODE_BIN"):$PATH"

status=0
if npm run --silent typecheck; then
    echo "typecheck result: 1 passed, 0 failed"
else
    echo "typecheck result: 0 passed, 1 failed"
    status=1
fi

report="$RUN_DIR/jest-report.json"
mkdir -p "$RUN_DIR"
rm -f "$report"
rc=0
"$NODE_BIN" node_modules/jest/bin/jest.js --ci --json --outputFile="$report" "$@" || rc=$?
if [[ -s $report ]]; then
    "$NODE_BIN" -e '
        const r = require(process.argv[1]);
        // A suite that fails to load has no test results: count it as one failure.
        const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
        console.log(`jest result: ${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`);
    ' "$report"
else
    echo "jest result: 0 passed, 1 failed"
fi
((rc == 0)) || status=$rc
exit "$status"
