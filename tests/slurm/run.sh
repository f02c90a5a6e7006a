#!/usr/bin/env bash
# Runs docs/slurm/submit.sh (the recipe in docs/sharding.md) on a real,
# single-node Slurm cluster started here: Debian's slurm-wlm and munge,
# munged, slurmctld and slurmd with a minimal slurm.conf in a scratch folder.
# It submits a job array of 4 shards and the dependent merge job, waits with a
# bounded timeout, checks every job's state and exit code as Slurm recorded
# them, and compares the merged summary.json with an unsharded run's byte for
# byte. Every daemon it started is stopped on exit, pass or fail.
#
# Needs root and apt-get (it installs packages and starts daemons); anywhere
# else it prints SKIPPED with the reason and exits 0.
#
#   tests/slurm/run.sh            # builds target/debug/ibsim first
#   IBSIM=path/to/ibsim tests/slurm/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$SECONDS
limit=${IBSIM_SLURM_TIMEOUT:-240}   # seconds for the jobs to finish
deal=scenarios/bucaramanga-employment.yaml
trials=20000
seed=2024
shards=4

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "SKIPPED: the Slurm test needs root and apt-get to install slurm-wlm and munge and start their daemons"
  exit 0
fi

log() { printf '[slurm test %3ds] %s\n' "$((SECONDS - started))" "$*"; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

if [ -z "${IBSIM:-}" ]; then
  log "building ibsim"
  cargo build --locked --quiet --bin ibsim
  IBSIM=$root/target/debug/ibsim
fi
IBSIM=$(realpath "$IBSIM")
bin=$(mktemp -d)
ln -s "$IBSIM" "$bin/ibsim"

# Job steps (slurmstepd) that were already running are not ours to stop.
steps_before=" $(pgrep -x slurmstepd | tr '\n' ' ' || true) "
dir=$(mktemp -d /tmp/ibsim-slurm.XXXXXX)
chmod 755 "$dir"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge" "$dir/work"

cleanup() {
  local rc=$?
  set +e
  if [ -f "$dir/slurmctld.pid" ]; then
    SLURM_CONF=$dir/slurm.conf scancel --quiet --user=root 2>/dev/null
  fi
  # The daemons run in the foreground as this script's children, so they
  # are reaped here and no zombie outlives the test.
  for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null; done
  for _ in $(seq 50); do
    pgrep -f "$dir" >/dev/null || break
    sleep 0.2
  done
  pkill -KILL -f "$dir" 2>/dev/null
  for pid in "${daemons[@]}"; do wait "$pid" 2>/dev/null; done
  for pid in $(pgrep -x slurmstepd); do
    case "$steps_before" in *" $pid "*) ;; *) kill -KILL "$pid" 2>/dev/null ;; esac
  done
  sleep 0.2
  left=$(pgrep -f "$dir"; for pid in $(pgrep -x slurmstepd); do
    case "$steps_before" in *" $pid "*) ;; *) [ "$(ps -o stat= -p "$pid")" = Z ] || echo "$pid" ;; esac
  done)
  if [ -n "$left" ]; then
    echo "FAILED: processes left behind:"; ps -o pid,stat,args -p "$(echo $left | tr ' ' ,)"; rc=1
  fi
  if [ "$rc" != 0 ]; then
    for f in "$dir"/slurmctld.log "$dir"/slurmd.log "$dir"/munged.log "$dir"/work/logs/*; do
      [ -f "$f" ] && { echo "--- ${f#"$dir"/}"; tail -n 30 "$f"; }
    done
  fi
  rm -rf "$dir" "$bin"
  exit "$rc"
}
daemons=()
trap cleanup EXIT

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
cat >"$dir/slurm.conf" <<CONF
ClusterName=ibsim-test
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge/munge.socket
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/slurmctld.log
SlurmdLogFile=${dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=${dir}/jobcomp.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
MinJobAge=3600
SlurmdTimeout=60
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf

log "starting munged, slurmctld and slurmd"
# munged refuses a key or folders that others can read; use a private copy.
key=$dir/munge/munge.key
dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
chmod 700 "$dir/munge"; chmod 400 "$key"
munged --foreground --force --key-file="$key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" 2>/dev/null &
daemons+=($!)
for _ in $(seq 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
slurmctld -D -f "$SLURM_CONF" 2>/dev/null &
daemons+=($!)
slurmd -D -f "$SLURM_CONF" 2>/dev/null &
daemons+=($!)

for _ in $(seq 100); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.3
done
[ "$state" = idle ] || { echo "FAILED: the node is '${state}', not idle, after 30 s"; exit 1; }
log "cluster up: node ${host} idle, ${cpus} CPUs"

cd "$dir/work"
ids=$(PATH=$bin:$PATH DEAL=$root/$deal TRIALS=$trials SEED=$seed SHARDS=$shards \
  PARTS=$dir/parts RESULTS=$dir/results MERGE_MEM=512M \
  "$root/docs/slurm/submit.sh" --cpus-per-task=1 --mem=512M)
read -r array merge <<<"$ids"
log "submitted array ${array} (${shards} shards) and merge ${merge}"

# Wait until no job of ours is pending or running; a merge whose
# dependency can no longer be met (a shard failed) ends the wait too.
deadline=$((SECONDS + limit))
while [ -n "$(squeue -h -j "${array},${merge}" -o %i 2>/dev/null)" ]; do
  if [ "$(squeue -h -j "$merge" -o %r 2>/dev/null)" = DependencyNeverSatisfied ]; then
    echo "  the merge job will never run: a shard job failed"
    break
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "FAILED: jobs still queued or running after ${limit} s:"; squeue -j "${array},${merge}"; exit 1
  fi
  sleep 0.5
done

# Every job as Slurm recorded it: each array task and the merge COMPLETED, exit 0:0.
fail=0
for task in $(seq 0 $((shards - 1))) merge; do
  if [ "$task" = merge ]; then job=$merge; else job=${array}_${task}; fi
  info=$(scontrol -o show job "$job")
  state=$(grep -o 'JobState=[A-Z_]*' <<<"$info" || true)
  code=$(grep -o ' ExitCode=[0-9:]*' <<<"$info" || true)
  echo "  job ${job}: ${state} ${code# }"
  if [ "$state" != JobState=COMPLETED ] || [ "${code# }" != ExitCode=0:0 ]; then fail=1; fi
done
done_jobs=$(grep -c 'JobState=COMPLETED' "$dir/jobcomp.log" || true)
echo "  job completion log: ${done_jobs} of $((shards + 1)) jobs COMPLETED"
[ "$done_jobs" = $((shards + 1)) ] || fail=1
[ "$fail" = 0 ] || { echo "FAILED: a job did not complete with exit code 0"; exit 1; }

stem=$(basename "$deal" .yaml)
found=$(find "$dir/parts/$stem" -name '*.ibshard' | wc -l)
[ "$found" = "$shards" ] || { echo "FAILED: ${found} shard files, expected ${shards}"; exit 1; }

"$IBSIM" run "$root/$deal" --trials "$trials" --seed "$seed" --out "$dir/single" -q --no-report
if cmp "$dir/results/$stem/summary.json" "$dir/single/$stem/summary.json"; then
  log "PASSED: the merged summary.json of ${shards} Slurm shards is byte for byte the unsharded one"
else
  echo "FAILED: the merged summary.json differs from the unsharded run's"; exit 1
fi
