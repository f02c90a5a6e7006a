#!/bin/bash
# Runs a deal as a Slurm job array of SHARDS shards, then merges the shards
# in a job that starts only when every shard has succeeded. Prints the two
# job ids. Extra arguments go to both sbatch calls (e.g. --partition=long).
#
#   DEAL=deals/deal.yaml TRIALS=100000000 SHARDS=100 \
#     PARTS=/shared/ibsim/parts RESULTS=/shared/ibsim/results ./submit.sh
set -euo pipefail
: "${DEAL:?the scenario file}" "${TRIALS:?the trials of the whole run}"
: "${SHARDS:?the number of shards}" "${PARTS:?a folder every node can write}"
: "${RESULTS:?the folder for the merged results}"
export DEAL TRIALS PARTS SEED="${SEED:-2024}"
mkdir -p logs
shards=$(sbatch --parsable --array="0-$((SHARDS - 1))" "$@" \
  "$(dirname "$0")/run-shards.sbatch")
merge=$(sbatch --parsable --dependency="afterok:${shards}" "$@" \
  --job-name=ibsim-merge --mem="${MERGE_MEM:-64G}" --output=logs/merge.out \
  --wrap="ibsim merge '${PARTS}/$(basename "${DEAL}" .yaml)' --out '${RESULTS}' -q")
echo "${shards} ${merge}"
