#!/usr/bin/env bash
# The HTML report in a real browser: `teeshm compare` + `teeshm report` on the
# bundled gp-xtest workload, then headless Chromium loads the page and we read
# back what its own figure check marked (report.h): every figure must have
# decoded and drawn ink, and the page must load nothing from outside itself.
# A page with a broken figure is loaded too, and must be marked as broken, so
# the check is seen to fail when it should.  Screenshots go to OUT_DIR.
#
# usage: report-in-chromium.sh TEESHM OUT_DIR
set -euo pipefail

teeshm=$1
out=$2
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
	echo "report-in-chromium: chromium is not installed (scripts/install-deps.sh installs it)" >&2
	exit 1
fi

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
run="$out/compare"
profile="$out/chromium-profile"

"$teeshm" compare --workload gp-xtest --out "$run" >"$out/compare.txt"
"$teeshm" report "$run" >"$out/report.txt"
page="$run/report.html"
test -s "$page"

fail() {
	echo "report-in-chromium: $*" >&2
	exit 1
}

# Self-contained: no reference a browser would fetch (only data: URIs and #fragments), and the
# page is browsed alone in an empty directory, so a relative reference could not resolve either.
if { grep -Eno '(src|href|srcset|data|action)="[^"]*"' "$page" | grep -Ev '="(data:|#)' ||
	grep -Eno '<link[ >]|@import|url\(' "$page"; } >"$out/external.txt"; then
	cat "$out/external.txt" >&2
	fail "$page refers to something outside itself"
fi
grep -q 'Content-Security-Policy' "$page" || fail "$page has no Content-Security-Policy"
alone="$out/alone"
mkdir -p "$alone"
cp "$page" "$alone/report.html"
# Every figure teeshm plot drew for a compare run is on the page.
for fig in latency-cdf tlb-per-invoke waste-over-time; do
	grep -q "id=\"fig-$fig\"" "$page" || fail "$page lacks the figure $fig"
done
grep -q '<td class="best"' "$page" || fail "$page marks no best value"

browse() { # browse PAGE SCREENSHOT: the DOM after load on stdout
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--hide-scrollbars --user-data-dir="$profile" --window-size=1280,2400 \
		--virtual-time-budget=10000 --screenshot="$2" "file://$1" >/dev/null 2>&1
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--user-data-dir="$profile" --virtual-time-budget=10000 --dump-dom "file://$1" \
		2>>"$out/chromium.log"
}

browse "$alone/report.html" "$out/report.png" >"$out/report.dom.html"
grep -o '<figure[^>]*>' "$out/report.dom.html" >"$out/figures.txt" || true
cat "$out/figures.txt"
n_figures=$(grep -c 'class="plot"' "$out/figures.txt" || true)
n_drawn=$(grep -c 'data-rendered="yes"' "$out/figures.txt" || true)
[ "$n_figures" -eq 3 ] || fail "Chromium saw $n_figures figures on the page, expected 3"
[ "$n_drawn" -eq 3 ] || fail "only $n_drawn of $n_figures figures rendered in Chromium"
grep -q 'data-figures="3 3"' "$out/report.dom.html" || fail "the page's own check did not run"

# PNG signature and a real size (IHDR width and height).
head -c 8 "$out/report.png" | od -An -tx1 | tr -d ' \n' | grep -q '^89504e470d0a1a0a$' ||
	fail "$out/report.png is not a PNG"
dims=$(od -An -tu1 -j16 -N8 "$out/report.png" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}')
[ "$dims" = "1280 2400" ] || fail "$out/report.png is $dims, expected 1280 2400"

# The control: one SVG replaced by one that cannot decode.  The page must say so.
broken="$out/broken"
cp -r "$run" "$broken"
printf '<svg xmlns="http://www.w3.org/2000/svg"><g></svg' >"$broken/tlb-per-invoke.svg"
"$teeshm" report --no-plot "$broken" >/dev/null
mkdir -p "$out/broken-alone"
cp "$broken/report.html" "$out/broken-alone/report.html"
browse "$out/broken-alone/report.html" "$out/broken.png" >"$out/broken.dom.html"
grep -o '<figure[^>]*>' "$out/broken.dom.html" | grep 'fig-tlb-per-invoke' | grep -q 'data-rendered="no"' ||
	fail "a figure that cannot decode was not marked as broken"
grep -q 'data-figures="3 2"' "$out/broken.dom.html" || fail "the broken page did not count 2 of 3 figures"

rm -rf "$profile"
echo "report-in-chromium: 3 of 3 figures rendered; the broken control was caught; screenshots in $out"
