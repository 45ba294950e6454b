#!/usr/bin/env bash
# Starts or stops a single-node Slurm cluster on this machine, by hand and
# without systemd, as in ../shared/spec/DATA.md §3: munged + slurmctld +
# slurmd, everything of the cluster (slurm.conf, state, spool, logs, pid
# files) under one scratch directory DIR.
#
#   scripts/slurm-local.sh start DIR   # prints: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-local.sh stop DIR    # stops the daemons it started, by PID
#   scripts/slurm-local.sh status DIR  # sinfo of the cluster
#
# start returns once the node is idle (usually in under a second) and
# fails, with the daemons' log tails, if it is not idle within 30 s. The
# node is "localhost" with this machine's CPUs and 90% of its memory as
# RealMemory, so `sbatch --mem` works (memory is not enforced: no cgroups).
# munged is started only if none is running; stop kills it only if start
# started it. Needs root and the Debian packages slurmctld slurmd
# slurm-client munge (scripts/setup.sh installs them when CI or
# EIGENLAB_SLURM=1 is set). Ports 6817/6818 are Slurm's defaults, so only
# one such cluster can run on a machine at a time.
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# = 2 ] || usage
cmd=$1
mkdir -p "$2"
D=$(cd "$2" && pwd)   # slurmctld needs absolute paths (it chdirs)
conf=$D/slurm.conf

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

logs() {
  for f in "$D"/slurmctld.log "$D"/slurmd.log; do
    [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 20 "$f"; }
  done >&2
}

start() {
  for b in munged slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || {
      echo "slurm-local: $b not found: apt-get install slurmctld slurmd slurm-client munge (or EIGENLAB_SLURM=1 scripts/setup.sh)" >&2
      exit 1
    }
  done
  [ "$(id -u)" = 0 ] || { echo "slurm-local: must run as root (slurmd runs jobs as their user)" >&2; exit 1; }
  if alive "$D/slurmctld.pid" || alive "$D/slurmd.pid"; then
    echo "slurm-local: a cluster is already running in $D (stop it first)" >&2
    exit 1
  fi
  local port
  for port in 6817 6818; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "slurm-local: port $port is in use: another Slurm is running on this machine (stop it first)" >&2
      exit 1
    fi
  done
  mkdir -p "$D/state" "$D/spool"
  local mem
  mem=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  cat >"$conf" <<EOF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
SchedulerParameters=batch_sched_delay=0
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  install -d -o munge -g munge -m 0755 /run/munge
  if ! alive /run/munge/munged.pid; then
    [ -s /etc/munge/munge.key ] || { mungekey -c; chown munge:munge /etc/munge/munge.key; }
    runuser -u munge -- /usr/sbin/munged
    cp /run/munge/munged.pid "$D/munged.pid"   # ours: stop kills it
  fi
  /usr/sbin/slurmctld -c -f "$conf"
  /usr/sbin/slurmd -f "$conf" -N localhost
  export SLURM_CONF=$conf
  local i=0
  until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; do
    i=$((i + 1))
    if [ $i -gt 120 ]; then
      echo "slurm-local: node not idle after 30 s (sinfo: $(sinfo -h -o %T 2>&1))" >&2
      logs
      stop
      exit 1
    fi
    sleep 0.25
  done
  echo "export SLURM_CONF=$conf"
}

# stop kills, by PID, the daemons whose pid files are in DIR, waits up to
# 10 s for them to exit and then kills what is left with SIGKILL.
stop() {
  local pids=() f
  for f in "$D/slurmd.pid" "$D/slurmctld.pid" "$D/munged.pid"; do
    if alive "$f"; then pids+=("$(cat "$f")"); fi
  done
  [ ${#pids[@]} = 0 ] && return 0
  kill "${pids[@]}" 2>/dev/null || true
  local left p
  for _ in $(seq 100); do
    left=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left+=("$p"); done
    [ ${#left[@]} = 0 ] && break
    sleep 0.1
  done
  [ ${#left[@]} = 0 ] || kill -9 "${left[@]}" 2>/dev/null || true
  rm -f "$D/munged.pid"
}

case $cmd in
start) start ;;
stop) stop ;;
status) SLURM_CONF=$conf sinfo ;;
*) usage ;;
esac
