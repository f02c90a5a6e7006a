#!/usr/bin/env bash
# Instructions per trial of the reference scenario at BASE_REV against the
# working tree (or against HEAD_REV), counted by callgrind; exits 1 when the
# change is above +5% (IBSIM_COMPARE_LIMIT to change the percentage).
#
#   benches/compare.sh BASE_REV [HEAD_REV]
#   benches/compare.sh main            # this working tree against main
#
# Each revision is built in its own git worktree (bench profile: about two
# minutes per build). BASE_REV must contain benches/instructions.rs (any
# revision since the instruction-count bench was added). Needs valgrind.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: benches/compare.sh BASE_REV [HEAD_REV]" >&2
  exit 2
fi
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
limit=${IBSIM_COMPARE_LIMIT:-5}
tmp=$(mktemp -d)
cleanup() {
  for w in "$tmp"/base "$tmp"/head; do
    [ -d "$w" ] && git -C "$root" worktree remove --force "$w" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

count_at() { # REV DIR -> instructions per trial
  git -C "$root" worktree add --detach "$2" "$1" >/dev/null 2>&1 \
    || { echo "compare.sh: unknown revision $1" >&2; exit 2; }
  [ -f "$2/benches/instructions.rs" ] \
    || { echo "compare.sh: $1 has no benches/instructions.rs" >&2; exit 2; }
  # Build in the worktree with the current scripts, sharing one target folder per side.
  cp "$root/benches/instructions.sh" "$2/benches/instructions.sh"
  CARGO_TARGET_DIR="$root/target/compare-$3" "$2/benches/instructions.sh" --total
}

echo "counting instructions per trial at $1 ..." >&2
base=$(count_at "$1" "$tmp/base" base)
if [ $# -eq 2 ]; then
  echo "counting instructions per trial at $2 ..." >&2
  head=$(count_at "$2" "$tmp/head" head)
  head_name=$2
else
  echo "counting instructions per trial in the working tree ..." >&2
  head=$("$root/benches/instructions.sh" --total)
  head_name="working tree"
fi
change=$(awk "BEGIN {printf \"%+.2f\", 100 * ($head - $base) / $base}")
echo "instructions per trial: $1 $base, $head_name $head, change $change% (limit +$limit%)"
if awk "BEGIN {exit !(100 * ($head - $base) / $base > $limit)}"; then
  echo "FAILED: more than +$limit% instructions per trial" >&2
  exit 1
fi
