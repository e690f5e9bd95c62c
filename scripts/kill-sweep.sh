#!/usr/bin/env bash
# kill-sweep.sh TEESHM [RUNS] [SEED]: kill -9 a guest as its Nth SMC arrives, for RUNS
# seeded values of N, under the strategies in turn; every run must end clean (the hypervisor
# reclaims the dead guest, the secure world checks clean, nothing leaks).  Fault injection
# over the real processes, bounded and reproducible.
set -uo pipefail
teeshm=${1:?usage: kill-sweep.sh TEESHM [RUNS] [SEED]}
runs=${2:-8}
seed=${3:-12345}
strategies=(dynamic cached rpc)
fail=0
for ((i = 0; i < runs; i++)); do
	seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
	n=$(( seed % 120 + 1 ))
	s=${strategies[i % 3]}
	if ! out=$("$teeshm" run --vms 2 --iterations 3 --strategy "$s" --kill-guest 1 --kill-at-smc "$n" 2>&1); then
		echo "kill-sweep: run $i ($s, kill at SMC $n) failed:" >&2
		tail -5 <<<"$out" >&2
		fail=1
	else
		echo "kill-sweep: run $i ($s, kill at SMC $n): $(tail -1 <<<"$out")"
	fi
done
exit $fail
