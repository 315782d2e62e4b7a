#!/usr/bin/env bash
# pg-throwaway.sh: a throwaway PostgreSQL server for tests and CI, from the
# PostgreSQL server binaries the machine has (Debian: /usr/lib/postgresql/N/bin).
#
#   out=$(.ci/pg-throwaway.sh start) && eval "$out"   # exports REDSHIFT_INTERCEPT_TEST_POSTGRES (the DSN),
#                                        # REDSHIFT_INTERCEPT_TEST_POSTGRES_PASSWORD (a DSN for a
#                                        # password-auth role, for refused-password tests) and
#                                        # PG_THROWAWAY_DIR
#   pg-throwaway.sh stop "$PG_THROWAWAY_DIR"
#   pg-throwaway.sh run -- python -m pytest ...   # start, run with the variables set, always stop
#   pg-throwaway.sh gc [--all]           # stop and remove servers left behind by killed runs
#
# Options (environment): PG_BIN (a dir with initdb, pg_ctl, postgres, psql; default: the newest
# /usr/lib/postgresql/*/bin, else what is on PATH), PG_THROWAWAY_PARENT (where the temporary dir
# goes; default ${TMPDIR:-/tmp}, and /tmp when the postgres user cannot reach that),
# PG_THROWAWAY_PORT (try this port first; default: a free one),
# PG_THROWAWAY_DURABLE=1 (keep fsync on; default off: a throwaway server needs no crash safety).
#
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root); otherwise as
# the current user. It listens on 127.0.0.1 only, on a free port, with its unix socket in its own
# dir. Trust auth for local and 127.0.0.1 connections, except the role rsi_pw, which needs its
# password (scram-sha-256) and may do what rsi may (it is a member). Human-readable messages go to stderr; stdout carries only the exports.
set -euo pipefail
shopt -s inherit_errexit   # a failure inside $(...) stops the script too

PREFIX=pg-throwaway.
MARKER=.pg-throwaway            # a file in every dir we made: `stop` removes nothing else
DB=rsi ROLE=rsi PW_ROLE=rsi_pw PW_SECRET=rsi-secret

say() { echo "pg-throwaway: $*" >&2; }
die() { say "$*"; exit 1; }

find_bin() {
    if [ -n "${PG_BIN:-}" ]; then
        [ -x "$PG_BIN/pg_ctl" ] || die "PG_BIN=$PG_BIN has no pg_ctl"
        echo "$PG_BIN"; return
    fi
    local best="" dir
    # newest major version first (sort -V), e.g. 17 before 15
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then best=$dir; break; fi
    done
    if [ -z "$best" ] && command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        best=$(dirname "$(command -v pg_ctl)")
    fi
    [ -n "$best" ] || die "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found under \
/usr/lib/postgresql/*/bin or on PATH; install them (Debian: apt-get install postgresql) or set PG_BIN"
    echo "$best"
}

# Run a command as the server's user: `postgres` when we are root, else ourselves.
as_server_user() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    elif command -v runuser >/dev/null; then
        runuser -u postgres -- "$@"
    elif command -v setpriv >/dev/null; then
        setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    else
        su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
    fi
}

free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    else
        local port
        while :; do
            port=$((20000 + RANDOM % 40000))
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
        done
    fi
}

is_ours() { [ -d "$1" ] && [ -f "$1/$MARKER" ]; }

stop_dir() {
    local dir=$1
    if ! is_ours "$dir"; then
        [ -e "$dir" ] || { say "$dir: already gone"; return 0; }
        die "$dir was not made by pg-throwaway.sh (no $MARKER file): not touching it"
    fi
    local bin; bin=$(cat "$dir/bin" 2>/dev/null || find_bin)
    if [ -f "$dir/data/postmaster.pid" ]; then
        # immediate: no shutdown checkpoint; the data is thrown away anyway. A stale pid file
        # (server killed) makes pg_ctl say "no server running": fine.
        as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        # pg_ctl can only signal a postmaster that is still there; make sure none is left
        local pid; pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && \
           grep -q "$dir/data" "/proc/$pid/cmdline" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf -- "$dir"
    say "stopped and removed $dir"
}

start_server() {   # prints the dir on stdout
    local bin parent dir port
    bin=$(find_bin)
    parent=${PG_THROWAWAY_PARENT:-${TMPDIR:-/tmp}}
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root, and there is no postgres user to run \
the server as (PostgreSQL refuses to run as root); create one (useradd -r postgres) or run as another user"
        # the postgres user must be able to reach the parent (e.g. TMPDIR=/root/tmp is mode 700)
        as_server_user test -x "$parent" -a -w "$parent" 2>/dev/null || parent=/tmp
    fi
    dir=$(mktemp -d "$parent/${PREFIX}XXXXXX")
    touch "$dir/$MARKER"
    echo "$bin" > "$dir/bin"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir"; fi

    # --no-sync: skip fsync of the new cluster; C locale: same sorting everywhere
    if ! as_server_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync \
            -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2; rm -rf -- "$dir"; die "initdb failed"
    fi
    # pg_hba is first-match: the password role's line goes before the trust lines
    as_server_user sh -c "{ echo 'host all $PW_ROLE 127.0.0.1/32 scram-sha-256'; \
        echo 'local all all trust'; echo 'host all all 127.0.0.1/32 trust'; } > '$dir/data/pg_hba.conf'"
    local durable=off
    [ "${PG_THROWAWAY_DURABLE:-0}" = 1 ] && durable=on
    as_server_user sh -c "cat >> '$dir/data/postgresql.conf'" <<EOF
# pg-throwaway.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = $durable
synchronous_commit = $durable
full_page_writes = $durable
max_connections = 200
logging_collector = off
EOF
    # The port is free when we look but may be taken before postgres binds it: retry.
    local try ok=0
    for try in 1 2 3 4 5; do
        if [ "$try" = 1 ] && [ -n "${PG_THROWAWAY_PORT:-}" ]; then port=$PG_THROWAWAY_PORT; else port=$(free_port); fi
        if as_server_user "$bin/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/server.log" \
                -w -t 60 start >/dev/null 2>&1; then
            ok=1; break
        fi
        say "start on port $port failed (try $try): $(tail -n 3 "$dir/server.log" 2>/dev/null | tr '\n' ' ')"
    done
    if [ "$ok" != 1 ]; then stop_dir "$dir"; die "could not start PostgreSQL; log was in $dir/server.log"; fi
    echo "$port" > "$dir/port"

    if ! "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres >/dev/null <<EOF
CREATE ROLE $ROLE LOGIN CREATEDB;
CREATE DATABASE $DB OWNER $ROLE;
SET password_encryption = 'scram-sha-256';
CREATE ROLE $PW_ROLE LOGIN PASSWORD '$PW_SECRET';
GRANT ALL ON DATABASE $DB TO $PW_ROLE;
GRANT $ROLE TO $PW_ROLE;
EOF
    then
        stop_dir "$dir"; die "could not create the role and database"
    fi
    echo "$dir"
}

exports() {   # the eval-able lines for a started dir
    local dir=$1 port; port=$(cat "$dir/port")
    printf "export REDSHIFT_INTERCEPT_TEST_POSTGRES=%q\n" "postgresql://$ROLE@127.0.0.1:$port/$DB"
    printf "export REDSHIFT_INTERCEPT_TEST_POSTGRES_PASSWORD=%q\n" \
        "postgresql://$PW_ROLE:$PW_SECRET@127.0.0.1:$port/$DB"
    printf "export PG_THROWAWAY_DIR=%q\n" "$dir"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    start)
        t0=$(date +%s%N)
        dir=$(start_server)
        echo "$PPID" > "$dir/owner"   # the shell that evals us; `gc` leaves the dir while it lives
        say "PostgreSQL $("$(cat "$dir/bin")/postgres" --version | awk "{print \$3}") on 127.0.0.1:$(cat "$dir/port") \
in $dir, ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms; stop it with: $0 stop $dir"
        exports "$dir"
        ;;
    dsn)
        if [ $# -ne 1 ] || ! is_ours "$1"; then die "usage: $0 dsn DIR (a dir that start made)"; fi
        echo "postgresql://$ROLE@127.0.0.1:$(cat "$1/port")/$DB"
        ;;
    stop)
        [ $# -eq 1 ] || die "usage: $0 stop DIR"
        stop_dir "$1"
        ;;
    run)
        [ "${1:-}" = "--" ] && shift
        [ $# -gt 0 ] || die "usage: $0 run -- COMMAND [ARGS...]"
        t0=$(date +%s%N)
        dir=$(start_server)
        echo "$$" > "$dir/owner"
        # from here on the server is always stopped, whatever happens to the command
        child=""
        trap 'stop_dir "$dir"' EXIT
        # A TERM/INT/HUP to this script goes on to the command; once it has ended, the EXIT trap
        # stops the server. (SIGKILL cannot be caught: `gc` cleans up after that.)
        # shellcheck disable=SC2317  # called from the traps below
        forward() {
            if [ -n "$child" ]; then kill "-$1" "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
            exit "$2"
        }
        trap 'forward INT 130' INT
        trap 'forward TERM 143' TERM
        trap 'forward HUP 129' HUP
        say "PostgreSQL on 127.0.0.1:$(cat "$dir/port") ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
        eval "$(exports "$dir")"
        # in the background so that the traps run at once; <&0 keeps our stdin (else /dev/null)
        "$@" <&0 &
        child=$!
        status=0
        wait "$child" || status=$?
        exit "$status"
        ;;
    gc)
        # Dirs left behind by runs that were SIGKILLed (no trap ran) or never stopped: stop their
        # servers and remove them, unless the process that started them is still alive
        # (`gc --all`: every one).
        shopt -s nullglob
        for dir in "${PG_THROWAWAY_PARENT:-${TMPDIR:-/tmp}}/$PREFIX"* /tmp/"$PREFIX"*; do
            is_ours "$dir" || continue
            owner=$(cat "$dir/owner" 2>/dev/null || true)
            if [ "${1:-}" != --all ] && [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then
                say "$dir: its owner (pid $owner) is alive; leaving it (gc --all removes it)"
                continue
            fi
            stop_dir "$dir"
        done
        ;;
    *)
        sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
