#!/usr/bin/env bash
# same-twice.sh PATTERN -- COMMAND...
# Runs COMMAND twice and passes only if the output lines matching PATTERN (a
# grep -E expression) are non-empty and identical: the modeled figures a
# regression gate compares exactly must not depend on the host.
set -uo pipefail
[ $# -ge 3 ] && [ "$2" = "--" ] || { echo "usage: $0 PATTERN -- COMMAND..." >&2; exit 2; }
pattern=$1
shift 2
a=$("$@" | grep -E -- "$pattern") || { echo "same-twice: first run failed or matched nothing" >&2; exit 1; }
b=$("$@" | grep -E -- "$pattern") || { echo "same-twice: second run failed or matched nothing" >&2; exit 1; }
if [ "$a" != "$b" ]; then
	printf 'same-twice: runs differ\n--- first\n%s\n--- second\n%s\n' "$a" "$b" >&2
	exit 1
fi
echo "same-twice: $(wc -l <<<"$a") matching line(s) identical"
