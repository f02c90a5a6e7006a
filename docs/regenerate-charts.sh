#!/usr/bin/env bash
# Regenerates the chart images shown in the README from the bundled Bucaramanga scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
cargo run --release --quiet -- run scenarios/bucaramanga-employment.yaml --out "$out" --quiet
cp "$out/bucaramanga-employment/charts/funding_fan.png" docs/funding_fan.png
cp "$out/bucaramanga-employment/charts/irr_histogram.png" docs/irr_histogram.png
cp "$out/bucaramanga-employment/charts/deal_account.png" docs/deal_account.png
rm -rf "$out"
echo "updated docs/funding_fan.png, docs/irr_histogram.png and docs/deal_account.png"
