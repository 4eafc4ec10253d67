#!/usr/bin/env bash
# Throwaway single-node Ceph cluster (1 mon, 1 bluestore OSD on a sparse file,
# no mgr) plus a radosgw (beast) on 127.0.0.1, used as a REAL S3 server by the
# tests (request signatures are verified, unlike in-process fakes).
#
# Usage:
#   ceph_rgw.sh start DIR   build + start everything under DIR; on success prints
#                           ONE line to stdout:
#                             S3_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
#                           and writes DIR/s3.json
#                             {"endpoint_url": ..., "access_key": ..., "secret_key": ..., "region": "us-east-1"}
#                           Everything else goes to stderr.
#   ceph_rgw.sh stop DIR    stop the daemons of DIR (by pid file / by their
#                           "-c DIR/ceph.conf" command line only); idempotent.
#   ceph_rgw.sh rgw-stop DIR
#                           stop only the radosgw of DIR (TERM by its pid file,
#                           KILL after a bounded wait); mon and OSD keep running,
#                           so the S3 endpoint goes away as in a gateway outage.
#                           Idempotent.
#   ceph_rgw.sh rgw-start DIR
#                           start that radosgw again with the same ceph.conf
#                           (same port, same users and keys, same data) and wait
#                           until it answers HTTP; a no-op if it is running.
#
# Nothing is read from or written to /etc/ceph or /var/run/ceph: every command
# gets "-c DIR/ceph.conf", and run dir, admin sockets, pid files, logs, keyring
# and data all live in DIR.  Several clusters may run at once in different
# DIRs: the mon and rgw ports are picked free, OSDs bind any free port.
set -euo pipefail

START_TIMEOUT="${CEPH_RGW_START_TIMEOUT:-120}"   # seconds, whole start
STOP_TIMEOUT="${CEPH_RGW_STOP_TIMEOUT:-10}"      # per shutdown phase, then SIGKILL

log() { printf '[ceph_rgw %s] %s\n' "$(date +%T)" "$*" >&2; }

usage() {
    echo "usage: $0 {start|stop|rgw-stop|rgw-start} DIR" >&2
    exit 2
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

rand_str() {  # rand_str LENGTH CHARSET
    python3 -c 'import secrets, sys
n, cs = int(sys.argv[1]), sys.argv[2]
print("".join(secrets.choice(cs) for _ in range(n)))' "$1" "$2"
}

# PIDs of this DIR's processes: those whose command line has "-c DIR/ceph.conf"
# (every daemon/CLI this script starts gets it), plus pid-file PIDs whose
# command line mentions DIR/ceph.conf (a stale pid file is never trusted).
alive_pids() {  # alive_pids DIR
    local dir="$1" f pid
    {
        for f in "$dir"/run/*.pid; do
            [ -f "$f" ] || continue
            pid=$(cat "$f" 2>/dev/null || true)
            [[ "$pid" =~ ^[0-9]+$ ]] && echo "pidfile $pid"
        done
        # zombies (exited, not yet reaped by their parent, e.g. PID 1) count as gone
        ps -ww -eo pid=,stat=,args= 2>/dev/null | awk '$2 !~ /^Z/ { $2 = ""; print "ps", $0 }'
    } | awk -v conf="$dir/ceph.conf" -v self="$$" '
        $1 == "pidfile" { want[$2] = 1; next }
        {
            pid = $2; $1 = ""; $2 = ""; args = $0 " "
            if (pid == self) next
            if (index(args, " -c " conf " ") > 0 || (pid in want && index(args, conf) > 0)) print pid
        }' | sort -u
}

is_running() {  # is_running PID: exists and is not a zombie
    local st
    st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

term_and_wait() {  # term_and_wait SECONDS PID... : TERM, wait up to SECONDS
    local secs="$1" deadline p left
    shift
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    deadline=$((SECONDS + secs))
    while :; do
        left=""
        for p in "$@"; do
            if is_running "$p"; then left=1; break; fi
        done
        [ -z "$left" ] && return 0
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}

do_stop() {
    local dir="$1" pids mon_pid="" osd_pid="" p others=() deadline
    [ -d "$dir" ] || return 0
    dir=$(cd "$dir" && pwd -P)
    pids=$(alive_pids "$dir")
    [ -n "$pids" ] || return 0
    log "stopping pids: $(echo $pids)"
    # Order matters: radosgw (and any CLI) first while OSD+mon still answer
    # (a radosgw whose OSD is gone hangs ~20 s in shutdown), then the OSD
    # while the mon still acks its "going down" message, then the mon.
    [ -f "$dir/run/mon.a.pid" ] && mon_pid=$(cat "$dir/run/mon.a.pid" 2>/dev/null || true)
    [ -f "$dir/run/osd.0.pid" ] && osd_pid=$(cat "$dir/run/osd.0.pid" 2>/dev/null || true)
    for p in $pids; do
        [ "$p" = "$mon_pid" ] || [ "$p" = "$osd_pid" ] || others+=("$p")
    done
    term_and_wait "$STOP_TIMEOUT" "${others[@]}" || true
    # shellcheck disable=SC2046
    term_and_wait "$STOP_TIMEOUT" $(alive_pids "$dir" | grep -vx "$mon_pid") || true
    # shellcheck disable=SC2046
    term_and_wait "$STOP_TIMEOUT" $(alive_pids "$dir") || true
    pids=$(alive_pids "$dir")
    if [ -n "$pids" ]; then
        log "SIGKILL pids: $(echo $pids)"
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
        deadline=$((SECONDS + 5))
        while [ $SECONDS -lt $deadline ] && [ -n "$(alive_pids "$dir")" ]; do
            sleep 0.1
        done
    fi
    rm -f "$dir"/run/*.pid "$dir"/run/*.asok 2>/dev/null || true
    pids=$(alive_pids "$dir")
    if [ -n "$pids" ]; then
        log "ERROR: processes still alive: $(echo $pids)"
        return 1
    fi
    return 0
}

dump_logs() {
    local dir="$1" f
    for f in "$dir"/log/*.log "$dir"/log/*.out; do
        [ -s "$f" ] || continue
        echo "----- tail -n 40 $f -----" >&2
        tail -n 40 "$f" >&2 || true
    done
}

# The running radosgw of DIR, from its pid file, only if that PID's command
# line really is "-c DIR/ceph.conf ... client.rgw.gw" (a stale file is ignored).
rgw_pid() {  # rgw_pid DIR
    local dir="$1" pid args
    [ -f "$dir/run/client.rgw.gw.pid" ] || return 0
    pid=$(cat "$dir/run/client.rgw.gw.pid" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    is_running "$pid" || return 0
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    case "$args" in
        *" -c $dir/ceph.conf "*client.rgw.gw*) echo "$pid" ;;
    esac
}

rgw_port() {  # rgw_port DIR: the port radosgw was configured with at start
    sed -n 's/^rgw_frontends = beast endpoint=127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$1/ceph.conf"
}

do_rgw_stop() {
    local dir="$1" pid
    [ -d "$dir" ] || { echo "ceph_rgw: no cluster in $dir" >&2; exit 1; }
    dir=$(cd "$dir" && pwd -P)
    pid=$(rgw_pid "$dir")
    if [ -z "$pid" ]; then
        log "radosgw of $dir is not running"
        return 0
    fi
    log "stopping radosgw (pid $pid); mon and osd keep running"
    if ! term_and_wait "$STOP_TIMEOUT" "$pid"; then
        log "SIGKILL radosgw (pid $pid)"
        kill -KILL "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + 5))
        while is_running "$pid"; do
            if [ $SECONDS -ge $deadline ]; then
                log "ERROR: radosgw (pid $pid) still alive"
                return 1
            fi
            sleep 0.1
        done
    fi
    rm -f "$dir/run/client.rgw.gw.pid" "$dir/run/ceph-client.rgw.gw.asok" 2>/dev/null || true
    return 0
}

do_rgw_start() {
    local dir="$1" port code deadline
    [ -f "$dir/ceph.conf" ] || { echo "ceph_rgw: no cluster in $dir (ceph.conf missing)" >&2; exit 1; }
    dir=$(cd "$dir" && pwd -P)
    port=$(rgw_port "$dir")
    [ -n "$port" ] || { echo "ceph_rgw: no radosgw port in $dir/ceph.conf" >&2; exit 1; }
    deadline=$((SECONDS + START_TIMEOUT))
    if [ -z "$(rgw_pid "$dir")" ]; then
        log "starting radosgw again on 127.0.0.1:$port"
        radosgw -c "$dir/ceph.conf" --setuser root --setgroup root -n client.rgw.gw \
            >>"$dir/log/rgw.out" 2>&1
    fi
    while :; do
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null || true)
        case "$code" in 2??|3??|4??) break ;; esac
        if [ $SECONDS -ge $deadline ]; then
            log "radosgw did not answer HTTP on 127.0.0.1:$port within ${START_TIMEOUT}s"
            dump_logs "$dir"
            exit 1
        fi
        if ! ps -ww -eo stat=,args= 2>/dev/null | awk -v conf="$dir/ceph.conf" \
            '$1 !~ /^Z/ && $2 ~ /radosgw$/ && index($0 " ", " -c " conf " ") > 0 { found = 1 } END { exit !found }'
        then
            log "radosgw died while starting"
            dump_logs "$dir"
            exit 1
        fi
        sleep 0.2
    done
    log "radosgw answers HTTP $code on 127.0.0.1:$port"
}

do_start() {
    local dir="$1"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if [ -e "$dir/ceph.conf" ]; then
        echo "ceph_rgw: $dir already holds a cluster (ceph.conf exists); use a fresh DIR" >&2
        exit 1
    fi
    for b in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool python3 curl; do
        command -v "$b" >/dev/null || { echo "ceph_rgw: missing $b" >&2; exit 1; }
    done

    local t0=$SECONDS
    local deadline=$((SECONDS + START_TIMEOUT))
    local conf="$dir/ceph.conf" keyring="$dir/keyring"
    local fsid osd_uuid mon_port rgw_port access_key secret_key
    fsid=$(cat /proc/sys/kernel/random/uuid)
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    mon_port=$(free_port)
    rgw_port=$(free_port)
    while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(free_port); done
    access_key=$(rand_str 20 ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789)
    secret_key=$(rand_str 40 ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789)

    mkdir -p "$dir/run" "$dir/log" "$dir/mon/a" "$dir/osd0" "$dir/rgw" "$dir/tmp"

    # On any failure: show logs, kill what we started, leave DIR for inspection.
    trap 'rc=$?; if [ $rc -ne 0 ]; then log "start FAILED (rc=$rc)"; dump_logs "'"$dir"'"; do_stop "'"$dir"'" || true; fi' EXIT

    cat >"$conf" <<EOF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$mon_port]
ms_bind_msgr1 = false
ms_bind_msgr2 = true
ms_bind_ipv4 = true
ms_bind_ipv6 = false
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = true
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_warn_on_insecure_global_id_reclaim = false
keyring = $keyring
run_dir = $dir/run
admin_socket = $dir/run/\$cluster-\$name.asok
pid_file = $dir/run/\$name.pid
log_file = $dir/log/\$name.log
mon_cluster_log_file = $dir/log/cluster.log
crash_dir = $dir/tmp
log_to_stderr = false
err_to_stderr = false
log_to_journald = false
err_to_journald = false
log_to_syslog = false
debug_ms = 0/0
debug_mon = 1/5
debug_osd = 1/5
debug_rgw = 1/5
debug_bluestore = 1/5
debug_bluefs = 1/5
debug_rocksdb = 1/5
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_max_pg_per_osd = 1000
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0
# one osdmap epoch per pool rgw creates: default 1 s each -> make it fast
paxos_propose_interval = 0.05
paxos_min_wait = 0.01

[mon]
mon_data = $dir/mon/\$id
mon_initial_members = a
mon_osd_reporter_subtree_level = osd
mon_osd_down_out_interval = 0
mon_compact_on_start = false

[osd]
osd_data = $dir/osd\$id
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = 4294967296
bluestore_block_db_create = false
bluestore_block_wal_create = false
bluestore_fsck_on_mount = false
bluestore_fsck_on_mkfs = false
bluestore_cache_autotune = false
bluestore_cache_size = 134217728
osd_memory_target = 939524096
osd_memory_cache_min = 134217728
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2
osd_crush_update_on_start = true
osd_scrub_during_recovery = false
osd_scrub_begin_hour = 0
osd_scrub_end_hour = 0
osd_class_update_on_start = false
osd_check_max_object_name_len_on_startup = false
osd_heartbeat_grace = 60

[client.rgw.gw]
rgw_data = $dir/rgw
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_thread_pool_size = 64
rgw_enable_usage_log = false
rgw_enable_ops_log = false
rgw_dynamic_resharding = false
rgw_init_timeout = $START_TIMEOUT
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
rgw_lc_debug_interval = -1
log_file = $dir/log/rgw.log
EOF

    # --- keys: one keyring for all entities; mon --mkfs imports them all ---
    log "creating keys"
    ceph-authtool --create-keyring "$keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool "$keyring" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
    ceph-authtool "$keyring" --gen-key -n osd.0 \
        --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
    ceph-authtool "$keyring" --gen-key -n client.rgw.gw \
        --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null

    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" \
        "$dir/tmp/monmap" >/dev/null 2>"$dir/log/monmaptool.out"

    # mon mkfs and OSD mkfs (local only, --no-mon-config) run in parallel.
    log "mkfs mon + osd"
    ceph-osd -c "$conf" --no-mon-config --setuser root --setgroup root -i 0 \
        --mkfs --osd-uuid "$osd_uuid" --osd-data "$dir/osd0" \
        >"$dir/log/osd-mkfs.out" 2>&1 &
    local osd_mkfs_pid=$!
    ceph-mon -c "$conf" --setuser root --setgroup root -i a --mkfs \
        --monmap "$dir/tmp/monmap" --keyring "$keyring" \
        >"$dir/log/mon-mkfs.out" 2>&1
    log "starting mon on 127.0.0.1:$mon_port"
    ceph-mon -c "$conf" --setuser root --setgroup root -i a \
        >"$dir/log/mon.out" 2>&1
    if ! wait "$osd_mkfs_pid"; then
        log "ceph-osd --mkfs failed"
        exit 1
    fi

    local ceph=(ceph -c "$conf" --connect-timeout 30)
    "${ceph[@]}" osd new "$osd_uuid" 0 >/dev/null 2>"$dir/log/osd-new.out"
    log "starting osd.0"
    ceph-osd -c "$conf" --setuser root --setgroup root -i 0 \
        >"$dir/log/osd.out" 2>&1

    log "starting radosgw on 127.0.0.1:$rgw_port"
    radosgw -c "$conf" --setuser root --setgroup root -n client.rgw.gw \
        >"$dir/log/rgw.out" 2>&1

    local code=""
    while :; do
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$rgw_port/" 2>/dev/null || true)
        case "$code" in 2??|3??|4??) break ;; esac
        if [ $SECONDS -ge $deadline ]; then
            log "radosgw did not answer HTTP on 127.0.0.1:$rgw_port within ${START_TIMEOUT}s"
            exit 1
        fi
        if [ -z "$(alive_pids "$dir")" ]; then
            log "all ceph daemons died"
            exit 1
        fi
        sleep 0.2
    done
    log "radosgw answers HTTP $code after $((SECONDS - t0))s"

    radosgw-admin -c "$conf" user create --uid=tests --display-name="tests" \
        --access-key="$access_key" --secret="$secret_key" \
        >"$dir/log/user-create.out" 2>&1

    python3 - "$dir/s3.json" "http://127.0.0.1:$rgw_port" "$access_key" "$secret_key" <<'EOF'
import json, sys
path, url, ak, sk = sys.argv[1:5]
with open(path + ".tmp", "w") as f:
    json.dump({"endpoint_url": url, "access_key": ak, "secret_key": sk, "region": "us-east-1"}, f)
import os
os.replace(path + ".tmp", path)
EOF
    trap - EXIT
    log "ready in $((SECONDS - t0))s"
    echo "S3_ENDPOINT_URL=http://127.0.0.1:$rgw_port AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key"
}

[ $# -eq 2 ] || usage
case "$1" in
    start) do_start "$2" ;;
    stop) do_stop "$2" ;;
    rgw-stop) do_rgw_stop "$2" ;;
    rgw-start) do_rgw_start "$2" ;;
    *) usage ;;
esac
