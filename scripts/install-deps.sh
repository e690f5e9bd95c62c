#!/usr/bin/env bash
# Installs every Debian package teeshm needs to build, test, benchmark and plot.
# Idempotent: when everything is present it only asks dpkg and exits (well under a second).
set -euo pipefail

packages=(
	build-essential cmake pkg-config       # toolchain
	clang libclang-rt-14-dev               # libFuzzer and clang's sanitizer runtimes
	libuv1-dev                             # process orchestration, event loops
	libjemalloc-dev                        # allocator and mallctl statistics
	libbenchmark-dev                       # Google Benchmark (C++ library, wrapped in bench/)
	libcmocka-dev                          # unit and integration tests
	libunicorn-dev                         # QEMU's MMU as a page-table oracle
	libinih-dev                            # platform profile INI files
	libjansson-dev                         # reading result JSON (run, compare, gate)
	gnuplot-nox                            # plots (pngcairo and svg terminals)
	valgrind                               # callgrind instruction counts, memcheck
	chromium fonts-dejavu-core             # the HTML report's browser test (headless)
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
