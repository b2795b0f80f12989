#!/usr/bin/env bash
# A throwaway single-node Ceph cluster with a RADOS Gateway (S3) on 127.0.0.1, for the
# @nori/archive integration tests. Everything (config, keyrings, data, logs, pid files) lives in
# one directory; `stop` kills only the daemons whose pid files are there and removes it.
#
#   rgw.sh start            install what is missing (Debian/Ubuntu apt, as root), start mon, mgr,
#                           OSD (memstore) and RGW, create an S3 user and a bucket
#   rgw.sh env              print the `export ...` lines for the tests (eval "$(rgw.sh env)")
#   rgw.sh stop             stop the daemons, remove the directory
#   rgw.sh stop-gateway [G]   stop only gateway G (tests: the store goes away mid-run)
#   rgw.sh start-gateway [G]  start gateway G again on the same port
#
# Two gateways serve the same cluster (same user, same bucket): `rgw` (NORI_S3_ENDPOINT), which
# every test uses, and `rgw-restart` (NORI_RGW_RESTART_ENDPOINT), which only the restart tests
# stop and start, so that tests running beside them never lose their gateway. G defaults to rgw.
#
# NORI_RGW_DIR (default ${TMPDIR:-/tmp}/nori-rgw) chooses the directory.
set -euo pipefail

dir=${NORI_RGW_DIR:-${TMPDIR:-/tmp}/nori-rgw}
conf="$dir/ceph.conf"
env_file="$dir/env"
bucket=nori-archive-test
region=us-east-1
script=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
export PATH="$PATH:/usr/sbin:/sbin"

log() { echo "rgw.sh: $*" >&2; }
die() { log "$*"; exit 1; }

install_missing() {
  local missing=()
  command -v ceph-mon >/dev/null || missing+=(ceph-mon)
  command -v ceph-osd >/dev/null || missing+=(ceph-osd)
  command -v ceph-mgr >/dev/null || missing+=(ceph-mgr)
  command -v radosgw >/dev/null || missing+=(radosgw)
  command -v ceph >/dev/null || missing+=(ceph-common)
  command -v curl >/dev/null || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  log "installing ${missing[*]} (a few minutes)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# A free TCP port on 127.0.0.1 (the kernel picks it; nothing else is listening there now).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

random_token() {
  head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c "$1"
}

# First line of our ceph.conf: `stop` removes only a directory that carries it.
marker="# written by nori rgw.sh"

write_conf() {
  local fsid=$1 mon_port=$2 rgw_port=$3 restart_port=$4
  cat >"$conf" <<EOF
$marker
[global]
fsid = $fsid
mon host = [v1:127.0.0.1:$mon_port]
public addr = 127.0.0.1
ms bind msgr2 = false
ms bind ipv6 = false
keyring = $dir/keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
crash dir = $dir/crash
# cephx stays on: with auth = none the clients get EPERM. Old clients may reclaim global ids.
auth allow insecure global id reclaim = true
mon warn on insecure global id reclaim allowed = false
mon warn on insecure global id reclaim = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0

[mon]
mon data = $dir/mon/\$name

[mgr]
mgr data = $dir/mgr/\$name

[osd]
osd data = $dir/osd/\$name
osd objectstore = memstore
memstore device bytes = 1073741824

[client.rgw]
rgw data = $dir/rgw
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw enable usage log = false

[client.rgw-restart]
rgw data = $dir/rgw-restart
rgw frontends = beast endpoint=127.0.0.1:$restart_port
rgw enable usage log = false
EOF
}

make_keyring() {
  local keyring="$dir/keyring"
  ceph-authtool --create-keyring "$keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
  local gateway
  for gateway in rgw rgw-restart; do
    ceph-authtool "$keyring" --gen-key -n "client.$gateway" --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
  done
}

start_mon() {
  local fsid=$1 mon_port=$2
  monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  mkdir -p "$dir/mon/mon.a"
  ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" --keyring "$dir/keyring"
  ceph-mon -c "$conf" -i a
}

start_osd() {
  local uuid
  uuid=$(cat /proc/sys/kernel/random/uuid)
  mkdir -p "$dir/osd/osd.0"
  ceph -c "$conf" --connect-timeout 30 osd new "$uuid" 0 >/dev/null
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$uuid" >/dev/null 2>&1
  ceph-osd -c "$conf" -i 0 2>>"$dir/log/osd.0.stderr"
}

gateway_name() {
  case "${1:-rgw}" in
    rgw | rgw-restart) echo "${1:-rgw}" ;;
    *) die "unknown gateway ${1}: rgw or rgw-restart" ;;
  esac
}

start_gateway() {
  local gateway=$1
  mkdir -p "$dir/$gateway"
  radosgw -c "$conf" -n "client.$gateway"
}

# The port in the `rgw frontends` line of the gateway's own section of ceph.conf.
rgw_port() {
  awk -v section="[client.$1]" '$0 == section { inside = 1; next } /^\[/ { inside = 0 }
    inside && /^rgw frontends = / { sub(/.*127\.0\.0\.1:/, ""); print }' "$conf"
}

wait_for_gateway() {
  local gateway=$1 port i
  port=$(rgw_port "$gateway")
  for i in $(seq 1 120); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  die "RGW did not answer on 127.0.0.1:$port within 60 s; see $dir/log/client.$gateway.log"
}

create_user_and_bucket() {
  local access secret port
  access=$(random_token 20 | tr 'a-f' 'A-F')
  secret=$(random_token 40)
  port=$(rgw_port rgw)
  radosgw-admin -c "$conf" -n client.admin user create --uid=nori --display-name=nori \
    --access-key="$access" --secret-key="$secret" >/dev/null
  curl -fsS -X PUT -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --aws-sigv4 "aws:amz:$region:s3" --user "$access:$secret" "http://127.0.0.1:$port/$bucket" >/dev/null
  umask 077
  cat >"$env_file" <<EOF
export NORI_S3_ENDPOINT=http://127.0.0.1:$port
export NORI_RGW_RESTART_ENDPOINT=http://127.0.0.1:$(rgw_port rgw-restart)
export NORI_S3_BUCKET=$bucket
export NORI_S3_REGION=$region
export NORI_S3_FORCE_PATH_STYLE=1
export AWS_ACCESS_KEY_ID=$access
export AWS_SECRET_ACCESS_KEY=$secret
export NORI_RGW_CTL=$script
export NORI_RGW_DIR=$dir
EOF
}

# Sends TERM to the daemon of one pid file (only if it is still ours: its command line names our
# ceph.conf), waits for it to go, then KILLs it.
stop_pidfile() {
  local pidfile=$1 pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$conf"; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# On a failed start, show the daemons' last log lines and stop whatever did start.
fail_start() {
  local logfile
  for logfile in "$dir"/log/*.log; do
    [ -f "$logfile" ] && { log "--- $logfile"; tail -n 20 "$logfile" >&2; }
  done
  cmd_stop
}

cmd_start() {
  if [ -f "$dir/run/client.rgw.pid" ] && kill -0 "$(cat "$dir/run/client.rgw.pid")" 2>/dev/null; then
    die "already running in $dir (rgw.sh stop first)"
  fi
  cmd_stop # leftovers of a run that was killed
  install_missing
  trap 'status=$?; [ "$status" -eq 0 ] || fail_start' EXIT
  rm -rf "$dir"
  mkdir -p "$dir/run" "$dir/log" "$dir/crash"
  local fsid mon_port rgw_port restart_port
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(free_port)
  rgw_port=$(free_port)
  restart_port=$(free_port)
  # Three separate probes: make sure they did not hand out the same port twice.
  while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(free_port); done
  while [ "$restart_port" = "$mon_port" ] || [ "$restart_port" = "$rgw_port" ]; do restart_port=$(free_port); done
  write_conf "$fsid" "$mon_port" "$rgw_port" "$restart_port"
  make_keyring
  start_mon "$fsid" "$mon_port"
  ceph-mgr -c "$conf" -i x
  start_osd
  start_gateway rgw
  start_gateway rgw-restart
  wait_for_gateway rgw
  wait_for_gateway rgw-restart
  create_user_and_bucket
  log "RGW at http://127.0.0.1:$(rgw_port rgw) (restart tests: $(rgw_port rgw-restart)), bucket $bucket; eval \"\$($script env)\""
}

# True when $dir is absent, empty, or ours (its ceph.conf starts with the marker): never
# delete a directory someone pointed NORI_RGW_DIR at by mistake.
removable_dir() {
  [ ! -e "$dir" ] && return 0
  [ -d "$dir" ] || return 1
  [ -z "$(ls -A "$dir")" ] && return 0
  [ "$(head -n 1 "$conf" 2>/dev/null)" = "$marker" ]
}

cmd_stop() {
  [ -d "$dir" ] || return 0
  removable_dir || die "$dir was not made by rgw.sh; not touching it"
  local pidfile
  for pidfile in "$dir"/run/client.rgw.pid "$dir"/run/client.rgw-restart.pid "$dir"/run/osd.0.pid "$dir"/run/mgr.x.pid "$dir"/run/mon.a.pid; do
    stop_pidfile "$pidfile"
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) [ -f "$env_file" ] || die "not running (rgw.sh start)"; cat "$env_file" ;;
  stop-gateway) stop_pidfile "$dir/run/client.$(gateway_name "${2:-}").pid" ;;
  start-gateway) gateway=$(gateway_name "${2:-}") && start_gateway "$gateway" && wait_for_gateway "$gateway" ;;
  *) die "usage: rgw.sh start|stop|env|stop-gateway [gateway]|start-gateway [gateway]" ;;
esac
