#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, so that the SLURM launch path (hydra/launcher=slurm
# and population_submitit_slurm: job arrays, time limits, requeue) runs for real: .ci/run starts it
# before the tests, and tests/test_slurm.py uses it (docs/sweeps.md, "Testing on a real SLURM").
#
#   scripts/slurm-local.sh start    # as root: install if missing, write slurm.conf, start daemons
#   scripts/slurm-local.sh status   # daemons, sinfo, squeue (any user)
#   scripts/slurm-local.sh stop     # as root: stop the daemons this script started (pid files)
#   scripts/slurm-local.sh restart  # as root: stop, then start
#
# Debian or Ubuntu (apt-get: slurmctld slurmd slurm-client munge); no systemd: the daemons start
# directly. `start` is idempotent: with the daemons up and slurm.conf unchanged it only prints
# sinfo. One partition, "debug" (the default): this machine, all its CPUs, 90% of its memory. No
# accounting daemon, so `sacct` fails and submitit logs "Bypassing sacct error" (harmless).
#
# Tuned for tests, not for a shared cluster (each can be set through the environment, e.g.
# CRED_EXPIRE=120 scripts/slurm-local.sh start; a changed setting restarts slurmctld and slurmd,
# keeping job state):
#   CRED_EXPIRE (AuthInfo=cred_expire, default here 5, SLURM's 120, its minimum 5): a requeued
#       job waits cred_expire + 1 seconds before it may start again (slurm.conf(5), AuthInfo).
#   SCHED_INTERVAL, BF_INTERVAL (SchedulerParameters, default here 1 s each, SLURM's 60 and 30):
#       the periodic scheduler passes, which start a job once its begin time has passed.
#   MIN_JOB_AGE (MinJobAge, 300 s): how long a finished job stays visible to squeue.
#   KILL_WAIT (KillWait, 30 s): from SIGTERM to SIGKILL at a time limit, scancel or requeue.
# A requeued job thus starts again ~6 s after it left, against 2-3 minutes with SLURM's defaults.
set -euo pipefail

CONF=/etc/slurm/slurm.conf
PIDS=(/run/munge/munged.pid /run/slurmctld.pid /run/slurmd.pid)
CRED_EXPIRE=${CRED_EXPIRE:-5}
SCHED_INTERVAL=${SCHED_INTERVAL:-1}
BF_INTERVAL=${BF_INTERVAL:-1}
MIN_JOB_AGE=${MIN_JOB_AGE:-300}
KILL_WAIT=${KILL_WAIT:-30}

alive() {  # alive PID: the process exists and is not a zombie waiting to be reaped
  local state
  state=$(awk '{sub(/.*\) /, ""); print $1}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

running() {  # running PIDFILE: the process named in PIDFILE is alive
  [[ -s $1 ]] && alive "$(<"$1")"
}

need_root() {
  [[ $(id -u) == 0 ]] || { echo "slurm-local: '$1' needs root" >&2; exit 1; }
}

install_packages() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
    && command -v sinfo >/dev/null && command -v munged >/dev/null && return
  echo "slurm-local: installing slurmctld slurmd slurm-client munge" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
}

write_conf() {  # writes slurm.conf; returns 0 when it changed
  local host cpus mem new
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
  new=$(cat <<EOF
# written by scripts/slurm-local.sh; rewritten on every start
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=$CRED_EXPIRE
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=$SCHED_INTERVAL,bf_interval=$BF_INTERVAL
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
MinJobAge=$MIN_JOB_AGE
KillWait=$KILL_WAIT
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
)
  [[ -f $CONF && $(<"$CONF") == "$new" ]] && return 1
  mkdir -p "$(dirname "$CONF")"
  printf '%s\n' "$new" >"$CONF"
  return 0
}

wait_idle() {  # until the node accepts jobs (idle, mixed or allocated)
  local state=
  for _ in $(seq 60); do
    state=$(sinfo -h -N -o %T 2>/dev/null | head -1) || true
    case $state in
      idle* | mix* | alloc*) return 0 ;;
      down* | drain*) scontrol update nodename="$(hostname -s)" state=resume 2>/dev/null || true ;;
    esac
    sleep 0.5
  done
  echo "slurm-local: node not ready after 30 s (state: ${state:-none}); see /var/log/slurm/" >&2
  return 1
}

start() {
  need_root start
  local changed=0
  install_packages
  write_conf && changed=1
  if ((!changed)) && running /run/munge/munged.pid && running /run/slurmctld.pid \
    && running /run/slurmd.pid; then
    sinfo
    return
  fi
  mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/log/munge \
    /var/lib/munge
  [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile /etc/munge/munge.key
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
  chmod 0700 /etc/munge
  chmod 0400 /etc/munge/munge.key
  running /run/munge/munged.pid || su -s /bin/sh munge -c /usr/sbin/munged
  if ((changed)); then  # new settings: restart whatever runs with the old ones
    for f in /run/slurmd.pid /run/slurmctld.pid; do stop_one "$f"; done
  fi
  running /run/slurmctld.pid || /usr/sbin/slurmctld
  running /run/slurmd.pid || /usr/sbin/slurmd
  wait_idle
  sinfo
}

stop_one() {  # stop_one PIDFILE: TERM the process, wait up to 10 s for it to go
  local pid
  running "$1" || { rm -f "$1"; return 0; }
  pid=$(<"$1")
  kill "$pid"
  for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then
    echo "slurm-local: pid $pid ($1) still running after 10 s" >&2
    return 1
  fi
  rm -f "$1"
}

stop() {
  need_root stop
  stop_one /run/slurmd.pid
  stop_one /run/slurmctld.pid
  stop_one /run/munge/munged.pid
}

status() {
  local f rc=0
  for f in "${PIDS[@]}"; do
    if running "$f"; then echo "$(basename "$f" .pid): running (pid $(<"$f"))"
    else echo "$(basename "$f" .pid): stopped"; rc=3; fi
  done
  if ((rc == 0)); then sinfo; squeue; fi
  return $rc
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart) stop; start ;;
  *) echo "usage: $0 start|status|stop|restart" >&2; exit 2 ;;
esac
