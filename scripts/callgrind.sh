#!/usr/bin/env bash
# Instruction counts of the secure core's hot paths, per strategy, under one workload
# (valgrind --tool=callgrind): a noise-free figure for map and unmap cost next to the
# host timings of `teeshm.result/1`, which vary run to run.  Prints a markdown table.
#
#   scripts/callgrind.sh [BUILD_DIR] [WORKLOAD]      (defaults: build gp-xtest)
#
# Inclusive instructions of core_mm_map_shm / core_mm_unmap_shm (the memory manager:
# VA allocation, page tables, PA index, TLB maintenance) are divided by the number of
# calls the secure world counted (map.count / unmap.count in the replay's JSON).
set -euo pipefail

build=${1:-build}
workload=${2:-gp-xtest}
teeshm="$build/teeshm"
[ -x "$teeshm" ] || { echo "callgrind.sh: $teeshm not built (make build)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind missing (scripts/install-deps.sh)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Inclusive instructions of one function in an annotated profile (0 if absent).
ir_of() {
	awk -v fn=":$2 " 'index($0, fn) && index($0, "[") { gsub(",", "", $1); print $1; found=1; exit }
		END { if (!found) print 0 }' "$1"
}
# A number from the result JSON: "key": N inside the "map" or "unmap" object.
count_of() {
	tr -d ' \n' < "$1" | grep -o "\"$2\":{\"count\":[0-9]*" | grep -o '[0-9]*$'
}

echo "callgrind: workload $workload, binary $teeshm"
echo
echo "| strategy | total Ir | map calls | Ir per map | unmap calls | Ir per unmap | core_mm_read Ir |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for s in carveout dynamic cached rpc; do
	valgrind --tool=callgrind --callgrind-out-file="$out/$s.cg" \
		"$teeshm" replay --strategy "$s" --json "$out/$s.json" "$workload" >/dev/null 2>"$out/$s.err" || true
	[ -s "$out/$s.json" ] || { echo "| $s | (replay failed: $(tail -1 "$out/$s.err")) |"; continue; }
	callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$out/$s.cg" >"$out/$s.txt" 2>/dev/null
	total=$(grep -m1 "PROGRAM TOTALS" "$out/$s.txt" | awk '{ gsub(",", "", $1); print $1 }')
	map_ir=$(ir_of "$out/$s.txt" core_mm_map_shm)
	unmap_ir=$(ir_of "$out/$s.txt" core_mm_unmap_shm)
	read_ir=$(ir_of "$out/$s.txt" core_mm_read)
	maps=$(count_of "$out/$s.json" map)
	unmaps=$(count_of "$out/$s.json" unmap)
	per_map=$([ "${maps:-0}" -gt 0 ] && echo $((map_ir / maps)) || echo -)
	per_unmap=$([ "${unmaps:-0}" -gt 0 ] && echo $((unmap_ir / unmaps)) || echo -)
	echo "| $s | $total | $maps | $per_map | $unmaps | $per_unmap | $read_ir |"
done
