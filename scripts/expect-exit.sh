#!/usr/bin/env bash
# expect-exit.sh CODE PATTERN -- COMMAND [ARGS...]
# Runs COMMAND; passes only if it exits with CODE and its stderr contains PATTERN
# (a fixed string).  Used by ctest to check that bad input gets a clear message
# and the documented exit code, not a crash.
set -uo pipefail
[ $# -ge 4 ] && [ "$3" = "--" ] || { echo "usage: $0 CODE PATTERN -- COMMAND..." >&2; exit 2; }
want=$1 pattern=$2
shift 3
err=$(mktemp)
"$@" >/dev/null 2>"$err"
got=$?
msg=$(cat "$err")
rm -f "$err"
if [ "$got" -ne "$want" ]; then
	echo "expect-exit: '$*' exited $got, expected $want; stderr: $msg" >&2
	exit 1
fi
if ! grep -qF -- "$pattern" <<<"$msg"; then
	echo "expect-exit: '$*' stderr lacks '$pattern'; stderr: $msg" >&2
	exit 1
fi
echo "expect-exit: exit $got with '$pattern'"
