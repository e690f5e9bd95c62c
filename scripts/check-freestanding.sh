#!/usr/bin/env bash
# Fails if a freestanding static library needs any external symbol other than the
# string.h functions (and sanitizer/compiler runtime hooks in sanitizer builds).
# This is what keeps the secure core liftable into a real TEE.
set -euo pipefail
allowed='^(memcpy|memmove|memset|memcmp|strlen|__stack_chk_fail|__(a|ub)san_.*|__sanitizer_.*|_GLOBAL_OFFSET_TABLE_)$'
status=0
for lib in "$@"; do
	# Symbols defined anywhere in the archive satisfy references from its other members.
	defined=$(nm --defined-only "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u)
	undefined=$(nm -u "$lib" | awk '{print $NF}' | grep -v ':$' | sort -u)
	for sym in $undefined; do
		if grep -qxF "$sym" <<<"$defined"; then continue; fi
		if [[ "$sym" =~ $allowed ]]; then continue; fi
		echo "check-freestanding: $(basename "$lib") needs host symbol '$sym'" >&2
		status=1
	done
done
[ $status -eq 0 ] && echo "check-freestanding: $# librar$([ $# -eq 1 ] && echo y || echo ies) use only string.h"
exit $status
