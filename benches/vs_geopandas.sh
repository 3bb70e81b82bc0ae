#!/usr/bin/env bash
# One-shot assignment, side by side in one run: `turfmap assign --accounts
# … --territories … --out` against benches/geopandas_assign.py (pandas +
# geopandas sjoin), on N random US points (default 1,000,000) and the 3,233
# bundled counties. Prints both wall times (whole process, as a user runs
# it), both peak memories, the ratio and whether the outputs agree.
#
#   cargo build --release
#   pip install geopandas
#   bash benches/vs_geopandas.sh [N]
#
# TURFMAP=path/to/turfmap picks another binary; WORK=dir keeps the files.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
TURFMAP=${TURFMAP:-target/release/turfmap}
WORK=${WORK:-$(mktemp -d)}
COUNTIES=assets/us-counties.geojson

if ! python3 -c 'import geopandas' 2>/dev/null; then
    echo "geopandas is not installed (pip install geopandas): nothing to compare" >&2
    exit 2
fi
if [ ! -x "$TURFMAP" ]; then
    echo "$TURFMAP not found: run cargo build --release first" >&2
    exit 2
fi
ACCOUNTS=$WORK/accounts-$N.csv
[ -f "$ACCOUNTS" ] || python3 benches/random_points.py "$N" "$ACCOUNTS"
echo "machine: $(nproc) cores; $(uptime | sed 's/.*load/load/')"
echo "input: $N accounts ($(du -m "$ACCOUNTS" | cut -f1) MB) x $(grep -o '"fips"' "$COUNTIES" | wc -l) counties"

# Runs "$@" under /usr/bin/time; prints "SECONDS PEAK_MB".
measure() {
    local t
    t=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>"$WORK/last.err" || {
        cat "$WORK/last.err" >&2
        exit 1
    }
    awk '{printf "%s %.0f\n", $1, $2 / 1024}' "$t"
    rm -f "$t"
}

read -r ts tm < <(measure "$TURFMAP" assign --accounts "$ACCOUNTS" \
    --territories "$COUNTIES" --name-prop fips --out "$WORK/turfmap.csv")
read -r gs gm < <(measure python3 benches/geopandas_assign.py "$ACCOUNTS" \
    "$COUNTIES" fips "$WORK/geopandas.csv")
inner=$(grep -o '[0-9.]* s after imports' "$WORK/last.err" | cut -d' ' -f1)
echo "turfmap assign (one-shot): ${ts} s, peak ${tm} MB"
echo "geopandas script:          ${gs} s, peak ${gm} MB (${inner} s after its imports)"
awk -v t="$ts" -v g="$gs" -v i="$inner" 'BEGIN {
    printf "ratio: %.1fx faster (%.1fx against the script without its imports)\n", g / t, i / t }'
python3 benches/compare_assignments.py "$WORK/turfmap.csv" "$WORK/geopandas.csv"
echo "files kept in $WORK"
