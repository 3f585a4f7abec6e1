#!/usr/bin/env bash
# Runs a local Shoal cluster: one shoal-server process per [[cluster.nodes]]
# entry of a config file (default: cluster.toml at the repository root), all
# reading that one file and told apart by --replica-id.
#
#   scripts/cluster.sh start    build shoal-server once, start every node in the background
#   scripts/cluster.sh stop     SIGTERM each node, wait, SIGKILL (and say so) after STOP_TIMEOUT
#   scripts/cluster.sh status   which nodes run
#
# Logs, pid files and the binary go to CLUSTER_DIR (default
# local_data/cluster); node N logs to node-N.log and its pid is in node-N.pid.
# The nodes run in the repository root, so relative paths in the config
# (system.path) are relative to it.
#
# Environment: CLUSTER_CONFIG (the config file), CLUSTER_DIR, START_TIMEOUT
# and STOP_TIMEOUT (seconds, default 30 each). Root credentials: with
# IGGY_ROOT_USERNAME and IGGY_ROOT_PASSWORD set, the nodes use them;
# otherwise they start with --with-default-root-credentials (iggy/iggy).
#
# Needs only bash, Go and coreutils.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
config=${CLUSTER_CONFIG:-$root/cluster.toml}
dir=${CLUSTER_DIR:-$root/local_data/cluster}
start_timeout=${START_TIMEOUT:-30}
stop_timeout=${STOP_TIMEOUT:-30}

usage() {
	echo "usage: $0 start|stop|status" >&2
	exit 2
}

# node_count counts the [[cluster.nodes]] tables of the config file.
node_count() {
	local n
	n=$(grep -c '^[[:space:]]*\[\[cluster\.nodes\]\]' "$config" || true)
	if [[ $n -eq 0 ]]; then
		echo "$config has no [[cluster.nodes]]" >&2
		exit 1
	fi
	echo "$n"
}

pidfile() { echo "$dir/node-$1.pid"; }
logfile() { echo "$dir/node-$1.log"; }

# running ID prints the pid of node ID and succeeds if that process is alive
# and (where /proc tells) is a shoal-server, so a reused pid is not taken
# for a node.
running() {
	local f pid
	f=$(pidfile "$1")
	[[ -f $f ]] || return 1
	pid=$(<"$f")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	if [[ -r /proc/$pid/cmdline ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q shoal-server; then
		return 1
	fi
	echo "$pid"
}

start() {
	local n id pid log failed=0
	n=$(node_count)
	mkdir -p "$dir"
	echo "building shoal-server"
	(cd "$root" && go build -o "$dir/shoal-server" ./cmd/shoal-server)
	local creds=()
	if [[ -z ${IGGY_ROOT_USERNAME:-} && -z ${IGGY_ROOT_PASSWORD:-} ]]; then
		creds=(--with-default-root-credentials)
	fi
	local started=()
	for ((id = 0; id < n; id++)); do
		if pid=$(running "$id"); then
			echo "node $id already runs (pid $pid)"
			continue
		fi
		log=$(logfile "$id")
		echo "--- start $(date -u +%FT%TZ)" >>"$log"
		(cd "$root" && IGGY_CONFIG_PATH="$config" exec "$dir/shoal-server" --replica-id "$id" "${creds[@]}" >>"$log" 2>&1 </dev/null) &
		echo $! >"$(pidfile "$id")"
		started+=("$id:$!")
	done
	# Each node either logs that it started or exits; wait for one or the
	# other, up to start_timeout.
	local entry
	for entry in "${started[@]}"; do
		id=${entry%%:*}
		pid=${entry#*:}
		log=$(logfile "$id")
		local deadline=$((SECONDS + start_timeout)) state=waiting
		while [[ $state == waiting ]]; do
			if ! kill -0 "$pid" 2>/dev/null; then
				state=exited
			elif tail -n 50 "$log" | grep -q 'shoal started'; then
				state=started
			elif ((SECONDS >= deadline)); then
				state=slow
			else
				sleep 0.2
			fi
		done
		case $state in
		started) echo "node $id started (pid $pid): $(tail -n 50 "$log" | grep 'shoal started' | tail -n 1)" ;;
		slow) echo "node $id (pid $pid) runs but has not logged 'shoal started' after ${start_timeout}s; see $log" ;;
		exited)
			failed=1
			rm -f "$(pidfile "$id")"
			echo "node $id exited; the end of $log:" >&2
			tail -n 5 "$log" | sed 's/^/    /' >&2
			;;
		esac
	done
	echo "logs and pid files: $dir"
	return $failed
}

stop() {
	local n id pid waiting=() killed=0
	n=$(node_count)
	for ((id = 0; id < n; id++)); do
		if pid=$(running "$id"); then
			kill -TERM "$pid"
			waiting+=("$id:$pid")
			echo "node $id (pid $pid): SIGTERM"
		else
			rm -f "$(pidfile "$id")"
		fi
	done
	local deadline=$((SECONDS + stop_timeout)) entry
	for entry in "${waiting[@]}"; do
		id=${entry%%:*}
		pid=${entry#*:}
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			echo "node $id (pid $pid) did not exit within ${stop_timeout}s: sent SIGKILL" >&2
			killed=1
		else
			echo "node $id stopped: $(grep 'shut down' "$(logfile "$id")" | tail -n 1)"
		fi
		rm -f "$(pidfile "$id")"
	done
	if [[ ${#waiting[@]} -eq 0 ]]; then
		echo "no node runs"
	fi
	return $killed
}

status() {
	local n id pid up=0
	n=$(node_count)
	for ((id = 0; id < n; id++)); do
		if pid=$(running "$id"); then
			up=$((up + 1))
			echo "node $id: running (pid $pid), log $(logfile "$id")"
		else
			echo "node $id: stopped"
		fi
	done
	echo "$up of $n nodes run"
}

[[ $# -eq 1 ]] || usage
case $1 in
start) start ;;
stop) stop ;;
status) status ;;
*) usage ;;
esac
