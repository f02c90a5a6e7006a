#!/usr/bin/env bash
# Instructions per trial of scenarios/bench/reference.yaml, and their split by
# stage, counted by valgrind's callgrind (stable on a noisy shared machine).
#
#   benches/instructions.sh            # this working tree
#   benches/instructions.sh --total    # print only the instructions per trial
#   IBSIM_IC_SCENARIO=mechanics benches/instructions.sh   # another scenario of scenarios/bench/
#
# Runs the `instructions` bench target at 12,000 and 22,000 trials and takes the
# difference, so start-up (reading and compiling the scenario) cancels out and
# the trials counted are past the first 10,240, whose deal account the run
# keeps month by month for the reports (as in a long run).
# Needs valgrind (and callgrind_annotate for the split).
set -euo pipefail
cd "$(dirname "$0")/.."
LOW=${IBSIM_IC_LOW:-12000}
HIGH=${IBSIM_IC_HIGH:-22000}
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed" >&2; exit 2; }
exe=$(cargo bench --bench instructions --no-run 2>&1 | sed -n 's/.*Executable benches\/instructions.rs (\(.*\))/\1/p' | tail -1)
[ -n "$exe" ] || { echo "instructions.sh: could not build the instructions bench" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() {
  IBSIM_IC_TRIALS=$1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" "$exe" 2>"$tmp/log.$1" >/dev/null
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/log.$1"
}
lo=$(count "$LOW")
hi=$(count "$HIGH")
per_trial=$(( (hi - lo) / (HIGH - LOW) ))
if [ "${1:-}" = "--total" ]; then
  echo "$per_trial"
  exit 0
fi
echo "instructions per trial (${IBSIM_IC_SCENARIO:-reference} scenario, one thread, simulate + summarise): $per_trial"
command -v callgrind_annotate >/dev/null || exit 0
# Inclusive cost of each stage function, per trial (difference of the two
# runs): callgrind_annotate lists a function once per source file its
# inlined code comes from; the largest entry is the function's whole cost.
stage() {
  callgrind_annotate --inclusive=yes --threshold=100 "$tmp/cg.$1" 2>/dev/null \
    | grep -E "[: ]$2( \[.*)?$" | awk '{gsub(",", "", $1); if ($1 + 0 > m) m = $1 + 0} END {print m + 0}' || true
}
printf '%-22s %12s %8s\n' "stage" "instr/trial" "share"
while IFS='|' read -r label regex; do
  a=$(stage "$LOW" "$regex"); b=$(stage "$HIGH" "$regex")
  d=$(( (b - a) / (HIGH - LOW) ))
  printf '%-22s %12d %7.1f%%\n' "$label" "$d" "$(awk "BEGIN {print 100 * $d / $per_trial}")"
done <<'STAGES'
parameters|ibsim::engine::params::draw_params
funnel|ibsim::engine::funnel::funnel
payments + waterfall|ibsim::engine::waterfall::waterfall
metrics (with IRR)|ibsim::engine::metrics::metrics
  of which IRR|ibsim::engine::irr::IrrSolver::solve
summary|ibsim::summary::(summarize|stats::stats)
STAGES
echo "(the rest is the runner: seeding, copying rows into columns, the thread pool)"
