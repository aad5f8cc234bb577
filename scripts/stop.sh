#!/usr/bin/env bash
# Stop what ./scripts/start.sh started: every service with a pid file under
# .run/pids (the command API first, NATS last, so the API never runs without
# its event bus).
#
# PostgreSQL is a system service that other projects may share, so it keeps
# running unless --all is given; then the local cluster on $PGPORT is stopped.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all=""
for arg in "$@"; do
    case "$arg" in
    --all) all=1 ;;
    -h | --help)
        echo "usage: $0 [--all]   (--all also stops PostgreSQL)"
        exit 0
        ;;
    *) die "unknown argument: $arg (usage: $0 [--all])" ;;
    esac
done

services=()
if [[ -d $RUN_DIR/pids ]]; then
    for pid_file in "$RUN_DIR"/pids/*.pid; do
        [[ -e $pid_file ]] || continue
        name=$(basename "$pid_file" .pid)
        [[ $name == nats || $name == mongo || $name == maildev ]] || services+=("$name")
    done
fi
# The servers the services depend on stop last.
[[ -e $RUN_DIR/pids/maildev.pid ]] && services+=(maildev)
[[ -e $RUN_DIR/pids/mongo.pid ]] && services+=(mongo)
[[ -e $RUN_DIR/pids/nats.pid ]] && services+=(nats)

if ((${#services[@]} == 0)); then
    log "no services started by start.sh are running"
fi
for name in "${services[@]}"; do
    stop_service "$name"
done

if [[ -n $all ]]; then
    cluster=$(_pg_cluster_on_port)
    if [[ -z $cluster ]]; then
        log "no local PostgreSQL cluster on port $PGPORT; nothing to stop"
    else
        read -r ver name status <<<"$cluster"
        if [[ $status == online ]]; then
            log "stopping PostgreSQL cluster $ver/$name"
            as_root pg_ctlcluster "$ver" "$name" stop
        else
            log "PostgreSQL cluster $ver/$name is already $status"
        fi
    fi
fi
