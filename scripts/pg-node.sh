#!/usr/bin/env bash
# Run a real PostgreSQL server on this machine, for tests and development.
#
#   scripts/pg-node.sh start    install if needed, initdb if needed, start, wait until ready; the URL is the
#                               last line of stdout
#   scripts/pg-node.sh stop     stop the server (fast, then immediate) and wait for it to exit
#   scripts/pg-node.sh status   print the state; exit 0 running, 3 stopped, 1 running but not answering
#
# Typical use:  DATABASE_URL="$(scripts/pg-node.sh start | tail -n1)"
#
# The server is Debian's (package postgresql; the newest /usr/lib/postgresql/*/bin is used). It listens on
# 127.0.0.1 only, trusts every loopback connection, and has a superuser role `impact` owning a database
# `impact`: postgresql+psycopg://impact@127.0.0.1:$PORT/impact. fsync stays on: tests check durability.
#
# Environment (all optional):
#   IMPACT_PG_PORT            TCP port on 127.0.0.1 (default 5433; 5432 is left to a system cluster)
#   IMPACT_PG_RUN_DIR         data, socket, log of this server (default /tmp/impact-pg-$IMPACT_PG_PORT)
#   IMPACT_PG_USER            unprivileged user the server runs as when this script runs as root (default postgres)
#   IMPACT_PG_START_TIMEOUT   seconds to wait for the server to accept connections (default 60)
#   IMPACT_PG_STOP_TIMEOUT    seconds to wait for a fast stop before an immediate one (default 60)
set -euo pipefail

PORT="${IMPACT_PG_PORT:-5433}"
RUN_DIR="${IMPACT_PG_RUN_DIR:-/tmp/impact-pg-$PORT}"
# Absolute: the postmaster's command line (checked against pid reuse) holds the data dir verbatim.
case "$RUN_DIR" in /*) ;; *) RUN_DIR="$PWD/$RUN_DIR" ;; esac
PG_USER="${IMPACT_PG_USER:-postgres}"
START_TIMEOUT="${IMPACT_PG_START_TIMEOUT:-60}"
STOP_TIMEOUT="${IMPACT_PG_STOP_TIMEOUT:-60}"

DATA_DIR="$RUN_DIR/data"
SOCKET_DIR="$RUN_DIR/socket"
LOG_FILE="$RUN_DIR/postgres.log"
URL="postgresql+psycopg://impact@127.0.0.1:$PORT/impact"

# The caller's libpq settings must not redirect our own psql/pg_isready calls.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGOPTIONS PGSERVICE PGSERVICEFILE PGDATA PGPASSWORD

log() { echo "pg-node: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

candidate_known() {   # apt has an installable version of $1 (output captured first: see server_pid)
    local policy
    policy="$(apt-cache policy "$1" 2>/dev/null || true)"
    grep -q 'Candidate: [0-9]' <<< "$policy"
}

apt_install() {
    is_root || die "package(s) $* missing and not root: install them (sudo apt-get install $*) and retry"
    command -v apt-get >/dev/null || die "no apt-get here: install PostgreSQL (initdb, pg_ctl) yourself"
    local pkg
    for pkg in "$@"; do
        if ! candidate_known "$pkg"; then
            log "apt-get update"
            apt-get update -qq >&2 || die "apt-get update failed"
            break
        fi
    done
    log "apt-get install $*"
    local out
    out="$(mktemp)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" > "$out" 2>&1; then
        cat "$out" >&2; rm -f "$out"
        die "apt-get install $* failed"
    fi
    rm -f "$out"
}

# ---------------------------------------------------------------------------------------------------------
# Binaries, user, run directory
# ---------------------------------------------------------------------------------------------------------

newest_bindir() {   # newest /usr/lib/postgresql/<major>/bin holding initdb, pg_ctl and pg_isready
    local d
    while IFS= read -r d; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/pg_isready" ] && [ -x "$d/psql" ]; then
            echo "$d"; return 0
        fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
    return 1
}

# Sets BIN_DIR: the binaries of the data dir's major version if it has one and they are installed, else the
# newest installed (a data dir of another major version is then re-initialised: it only holds test data).
find_bindir() {
    if ! BIN_DIR="$(newest_bindir)"; then
        apt_install postgresql
        BIN_DIR="$(newest_bindir)" || die "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
    fi
    if [ -f "$DATA_DIR/PG_VERSION" ]; then
        local major
        major="$(tr -dc '0-9' < "$DATA_DIR/PG_VERSION")"
        if [ -n "$major" ] && [ -x "/usr/lib/postgresql/$major/bin/pg_ctl" ]; then
            BIN_DIR="/usr/lib/postgresql/$major/bin"
        else
            log "WARNING: $DATA_DIR is a PostgreSQL $major cluster, not installed here: initialising it again"
            rm -rf "$DATA_DIR"
        fi
    fi
}

ensure_user() {
    is_root || return 0
    id "$PG_USER" >/dev/null 2>&1 && return 0
    log "creating system user $PG_USER"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
}

# Runs "$@" as the server's user (PostgreSQL refuses to run as root), from the run dir: a cwd under /root
# would be unreadable for that user.
as_user() {
    if is_root; then
        (cd "$RUN_DIR" && exec runuser -u "$PG_USER" -- "$@")
    else
        (cd "$RUN_DIR" && exec "$@")
    fi
}

prepare_run_dir() {
    # A unix socket path is at most 107 bytes.
    local sock="$SOCKET_DIR/.s.PGSQL.$PORT"
    [ "${#sock}" -le 107 ] || die "socket path $sock is longer than 107 bytes: use a shorter IMPACT_PG_RUN_DIR"
    mkdir -p "$RUN_DIR" "$SOCKET_DIR"
    if is_root; then
        chown -R "$PG_USER:" "$RUN_DIR"
        runuser -u "$PG_USER" -- test -w "$RUN_DIR" \
            || die "$PG_USER cannot write $RUN_DIR (a parent directory is not searchable): set IMPACT_PG_RUN_DIR"
    fi
    chmod 700 "$RUN_DIR" "$SOCKET_DIR"
}

utf8_locale() {   # prints C.UTF-8 if the machine has it (lower()/upper() then know accented letters)
    local all
    all="$(locale -a 2>/dev/null || true)"
    if grep -qix 'c\.utf-\?8' <<< "$all"; then echo "C.UTF-8"; fi
}

init_cluster() {
    [ -f "$DATA_DIR/PG_VERSION" ] && return 0
    rm -rf "$DATA_DIR"   # a half-made data dir of an interrupted initdb
    local locale
    locale="$(utf8_locale)"
    local -a args=(-D "$DATA_DIR" --username=postgres --auth=trust --encoding=UTF8 --data-checksums)
    if [ -n "$locale" ]; then args+=(--locale="$locale"); else args+=(--no-locale); fi
    log "initdb $DATA_DIR ($("$BIN_DIR/postgres" --version))"
    if ! as_user "$BIN_DIR/initdb" "${args[@]}" > "$RUN_DIR/initdb.log" 2>&1; then
        cat "$RUN_DIR/initdb.log" >&2
        rm -rf "$DATA_DIR"
        die "initdb failed"
    fi
    echo "include 'impact.conf'" >> "$DATA_DIR/postgresql.conf"
    if is_root; then chown "$PG_USER:" "$RUN_DIR/initdb.log"; fi
}

# Regenerated at every start (the server is stopped then), so a change here or in the env takes effect.
write_config() {
    local sockdir="${SOCKET_DIR//\'/\'\'}"
    {
        echo "# Written by scripts/pg-node.sh at each start: edit the script, not this file."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $PORT"
        echo "unix_socket_directories = '$sockdir'"
        echo "max_connections = 200"
        echo "fsync = on"
        echo "synchronous_commit = on"
        echo "full_page_writes = on"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
    } > "$DATA_DIR/impact.conf"
    {
        echo "# Written by scripts/pg-node.sh at each start: trust, loopback only."
        echo "local all all trust"
        echo "host  all all 127.0.0.1/32 trust"
    } > "$DATA_DIR/pg_hba.conf"
    if is_root; then chown "$PG_USER:" "$DATA_DIR/impact.conf" "$DATA_DIR/pg_hba.conf"; fi
}

# ---------------------------------------------------------------------------------------------------------
# Process state
# ---------------------------------------------------------------------------------------------------------

server_pid() {   # prints the postmaster's pid if postmaster.pid names a live server of this data dir
    [ -f "$DATA_DIR/postmaster.pid" ] || return 1
    local pid cmdline
    pid="$(head -n1 "$DATA_DIR/postmaster.pid" 2>/dev/null | tr -dc '0-9')"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    # Guard against pid reuse. (Read into a variable first: with pipefail, `producer | grep -q` can fail
    # when grep exits early.)
    cmdline="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null)" || return 1
    grep -qx -- "$DATA_DIR" <<< "$cmdline" || return 1
    echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# Sets BIN_DIR to the binaries of the running server $1 (its argv[0], as pg_ctl started it).
running_bindir() {
    local cmdline
    cmdline="$(tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null)" || true
    BIN_DIR="$(dirname "${cmdline%%$'\n'*}")"
    [ -x "$BIN_DIR/pg_ctl" ] || BIN_DIR="$(newest_bindir)" || die "no pg_ctl found for the running server $1"
}

# -U/-d: without them the probe logs a FATAL "role root does not exist" at each call.
ready() { "$BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -t 3; }

show_logs() {
    [ -s "$LOG_FILE" ] || return 0
    log "---- last lines of $LOG_FILE ----"
    tail -n 40 "$LOG_FILE" >&2
}

wait_ready() {   # $1 = deadline (epoch seconds)
    while :; do
        if ready; then log "accepting connections on 127.0.0.1:$PORT"; return 0; fi
        server_pid >/dev/null || { log "server process exited"; return 1; }
        [ "$(date +%s)" -lt "$1" ] || { log "not ready after ${START_TIMEOUT}s"; return 1; }
        sleep 0.5
    done
}

psql_admin() {   # $1 = SQL; prints the result unaligned
    "$BIN_DIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tA -c "$1"
}

ensure_role_and_database() {
    if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = 'impact'")" != 1 ]; then
        log "creating role impact"
        psql_admin "CREATE ROLE impact LOGIN SUPERUSER" >&2
    fi
    if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = 'impact'")" != 1 ]; then
        log "creating database impact"
        psql_admin "CREATE DATABASE impact OWNER impact" >&2
    fi
}

# ---------------------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------------------

cmd_start() {
    local t0 deadline pid
    t0="$(date +%s)"
    deadline=$((t0 + START_TIMEOUT))
    if pid="$(server_pid)"; then
        log "already running (pid $pid)"
        running_bindir "$pid"
        wait_ready "$deadline" || { show_logs; die "server pid $pid is running but not accepting connections"; }
        ensure_role_and_database
        echo "$URL"; return 0
    fi
    port_open && die "port $PORT is already in use by another process (set IMPACT_PG_PORT)"
    is_root && ! command -v runuser >/dev/null && die "runuser (util-linux) is needed to start as $PG_USER"

    find_bindir
    ensure_user
    prepare_run_dir
    init_cluster
    write_config
    if [ -f "$DATA_DIR/postmaster.pid" ]; then
        # Left by a killed server. Its pid may still exist as a zombie (nothing reaps orphans in some
        # containers), which the postmaster would take for a live server and refuse to start.
        log "removing the stale postmaster.pid of a server that is no longer running"
        rm -f "$DATA_DIR/postmaster.pid"
    fi
    log "starting $("$BIN_DIR/postgres" --version) on 127.0.0.1:$PORT (run dir $RUN_DIR)"
    # -w: pg_ctl waits for the postmaster to report itself ready (in postmaster.pid); pg_isready below then
    # checks the TCP port. 7>&-: the server must not inherit (and so hold forever) the lock of lock_node.
    if ! as_user "$BIN_DIR/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t "$START_TIMEOUT" start >&2 7>&-; then
        show_logs
        cmd_stop >/dev/null 2>&1 || true
        die "pg_ctl start failed"
    fi
    if ! wait_ready "$deadline"; then
        show_logs
        cmd_stop >/dev/null 2>&1 || true
        die "PostgreSQL did not start accepting connections"
    fi
    ensure_role_and_database
    log "started in $(( $(date +%s) - t0 ))s"
    echo "$URL"
}

cmd_stop() {
    local pid
    if ! pid="$(server_pid)"; then
        log "not running"
        return 0
    fi
    running_bindir "$pid"
    log "stopping pid $pid"
    if ! as_user "$BIN_DIR/pg_ctl" -D "$DATA_DIR" -m fast -w -t "$STOP_TIMEOUT" stop >&2; then
        log "fast stop did not finish in ${STOP_TIMEOUT}s: immediate stop"
        as_user "$BIN_DIR/pg_ctl" -D "$DATA_DIR" -m immediate -w -t 30 stop >&2 || true
    fi
    if [ -d "/proc/$pid" ] && server_pid >/dev/null; then
        log "still alive: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        local waited=0   # (not /proc/$pid: where nothing reaps orphans, a dead postmaster stays a zombie)
        while server_pid >/dev/null && [ "$waited" -lt 20 ]; do sleep 0.5; waited=$((waited + 1)); done
    fi
    log "stopped"
}

cmd_status() {
    local pid
    if ! pid="$(server_pid)"; then
        echo "stopped (127.0.0.1:$PORT, run dir $RUN_DIR)"
        return 3
    fi
    running_bindir "$pid"
    if ready; then
        echo "running pid=$pid url=$URL run_dir=$RUN_DIR"
        return 0
    fi
    echo "running pid=$pid url=$URL but not accepting connections"
    return 1
}

# One start/stop at a time per server (two test sessions starting the same port). Best effort: a lock file
# left by another user is skipped.
lock_node() {
    if { exec 7>>"$RUN_DIR.lock"; } 2>/dev/null; then flock -w "$((START_TIMEOUT + STOP_TIMEOUT))" 7 || true; fi
}

main() {
    case "${1:-}" in
        start|stop) lock_node ;;
    esac
    case "${1:-}" in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
    esac
}

main "$@"
