# Shared by the bench/ scripts (sourced, not run). Every script builds motcham with
# scripts/setup, works in one temp dir and stops what it started on exit.
# shellcheck shell=bash

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MOTCHAM=${MOTCHAM:-$BENCH_ROOT/build/motcham}
BENCH_PIDS=()
BENCH_TMP=""
BENCH_PG_DIRS=() # clusters of tests/pg/cluster, stopped and removed on exit
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

# Debian packages the script needs, installed only when missing (like scripts/setup).
bench_need() {
	local missing=() p sudo=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "bench: installing ${missing[*]}" >&2
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2
}

# Builds build/motcham; a build broken by someone's half-done edit falls back to the last binary.
bench_build() {
	if ! (cd "$BENCH_ROOT" && scripts/setup); then
		[ -x "$MOTCHAM" ] || {
			echo "bench: build failed and there is no $MOTCHAM" >&2
			exit 1
		}
		echo "bench: WARNING: build failed, measuring the existing $MOTCHAM" >&2
	fi
}

bench_cleanup() {
	local pid
	for pid in "${BENCH_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${BENCH_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	for pid in "${BENCH_PG_DIRS[@]}"; do
		"$BENCH_ROOT/tests/pg/cluster" stop "$pid" >&2 || true
	done
	[ -n "$BENCH_TMP" ] && rm -rf "$BENCH_TMP"
	return 0
}

bench_init() {
	BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/motcham-bench.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

buildtype_of() {
	local dir
	dir=$(dirname "$MOTCHAM")
	python3 - "$dir" <<'EOF' 2>/dev/null || echo "?"
import json, sys
for o in json.load(open(sys.argv[1] + "/meson-info/intro-buildoptions.json")):
    if o["name"] == "buildtype":
        print(o["value"])
EOF
}

# The machine line and the versions of everything measured.
bench_header() {
	local cpu mem
	cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
	mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
	echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $mem RAM, Linux $(uname -r)," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
	printf 'versions: %s (%s, buildtype=%s)' "$("$MOTCHAM" version 2>&1 | head -1)" \
		"${MOTCHAM#"$BENCH_ROOT"/}" "$(buildtype_of)"
	command -v wrk >/dev/null && printf ', wrk %s' "$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
	command -v nginx >/dev/null && printf ', nginx %s' "$(nginx -v 2>&1 | sed 's/.*nginx\///')"
	command -v qrencode >/dev/null &&
		printf ', qrencode %s' "$(qrencode --version 2>&1 | head -1 | awk '{print $3}')"
	command -v sqlite3 >/dev/null && printf ', sqlite %s' "$(sqlite3 --version | awk '{print $1}')"
	command -v hyperfine >/dev/null && printf ', %s' "$(hyperfine --version)"
	echo
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Polls URL until it answers (at most ~10 s).
wait_http() {
	local _
	for _ in $(seq 100); do
		curl -fs -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "bench: $1 did not answer" >&2
	return 1
}

# Starts motcham serve on DB; sets SERVE_PID and SERVE_PORT.
start_motcham() { # DB LOG [more serve options]
	local db=$1 log=$2
	shift 2
	local extra=("$@")
	SERVE_PORT=$(free_port)
	# Lets scan_stats read the counters where this build has /metrics.
	case $("$MOTCHAM" serve --help 2>&1) in
	*--metrics-allow*) extra+=(--metrics-allow 127.0.0.1) ;;
	esac
	"$MOTCHAM" serve --db "$db" --port "$SERVE_PORT" "${extra[@]}" >"$log" 2>&1 &
	SERVE_PID=$!
	BENCH_PIDS+=("$SERVE_PID")
	wait_http "http://127.0.0.1:$SERVE_PORT/healthz"
}

# "queued Q, written W, dropped D" from the server's /metrics, or "n/a" without scan counting.
scan_stats() {
	curl -fs "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '
	/^motcham_scans_queued_total/ { q = $2; seen = 1 }
	/^motcham_scans_written_total/ { w = $2 }
	/^motcham_scans_dropped_total/ { d = $2 }
	END { if (seen) printf "queued %d, written %d, dropped %d\n", q, w, d; else print "n/a" }'
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Runs wrk with the given arguments and prints "rps p50_ms p99_ms errors" (errors: socket
# errors plus non-2xx/3xx answers), keeping wrk's own output in $BENCH_TMP/wrk.last.
wrk_run() {
	wrk --latency "$@" >"$BENCH_TMP/wrk.last" 2>&1 || true
	awk '
	function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return v + 0
	}
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx or 3xx responses:/ { errs += $NF }
	/Socket errors:/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) errs += $i
	}
	END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errs }
	' "$BENCH_TMP/wrk.last"
}

# VmRSS of PID in MiB.
rss_mib() {
	awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}

hwm_mib() {
	awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}

# A throw-away PostgreSQL cluster (tests/pg/cluster) in $BENCH_TMP/pg, stopped and removed on
# exit; sets BENCH_PG_URL (its postgres database, a superuser). The test cluster runs without
# fsync and with synchronous_commit off; unless PG_DURABLE=0 they are set back to PostgreSQL's
# defaults (fsync, full_page_writes and synchronous_commit on), as a production server has them.
bench_pg_start() {
	local dir=$BENCH_TMP/pg
	# The server runs as postgres when we are root: it must reach the directory.
	chmod 755 "$BENCH_TMP"
	BENCH_PG_DIRS+=("$dir")
	BENCH_PG_URL=$("$BENCH_ROOT/tests/pg/cluster" start "$dir")
	if [ "${PG_DURABLE:-1}" != 0 ]; then
		bench_psql "$BENCH_PG_URL" -c "ALTER SYSTEM SET fsync = on" \
			-c "ALTER SYSTEM SET full_page_writes = on" \
			-c "ALTER SYSTEM SET synchronous_commit = on" -c "SELECT pg_reload_conf()" >/dev/null
		sleep 0.2 # the postmaster passes the reload on to its children
	fi
}

# psql on URL (PostgreSQL 15's own, not Debian's wrapper), unaligned, stopping at an error.
bench_psql() { # URL psql options...
	local url=$1
	shift
	PGCLIENTENCODING=UTF8 "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$url" "$@"
}

# A new database NAME on the cluster of bench_pg_start; prints its URL.
bench_pg_db() { # NAME
	bench_psql "$BENCH_PG_URL" -c "CREATE DATABASE $1" >/dev/null
	printf '%s/%s\n' "${BENCH_PG_URL%/*}" "$1"
}

# "PostgreSQL 15.x (fsync on, synchronous_commit on, shared_buffers 64MB, ...)" of the cluster.
bench_pg_version() {
	bench_psql "$BENCH_PG_URL" -c "SELECT 'PostgreSQL ' || current_setting('server_version') ||
		' (' || string_agg(name || ' ' || current_setting(name), ', ' ORDER BY name) || ')'
		FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes',
		'shared_buffers', 'wal_level')"
}

# A wrk script (written to FILE) asking every request for a random token of the file named by
# $BENCH_TOKENS, one a line: wrk_run -s FILE with BENCH_TOKENS in the environment.
bench_random_lua() { # FILE
	cat >"$1" <<'EOF'
-- Each wrk thread loads the token list and asks for a random one every request.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
	tokens[#tokens + 1] = line
end
math.randomseed(os.time())
request = function()
	return wrk.format("GET", "/q/" .. tokens[math.random(#tokens)])
end
EOF
}
