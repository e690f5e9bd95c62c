# TLB invalidations per invoke: one bar per strategy, stacked by kind (plots/README.md).
#   gnuplot -e "data='DIR/plot-data/tlb-per-invoke.dat'; out='x.png'; set terminal pngcairo" \
#           plots/tlb-per-invoke.gp
# Columns: strategy series invokes va vaa range asid all (the last five per invoke).
here = '.'
do for [i = strlen(ARG0):1:-1] { if (ARG0[i:i] eq '/') { here = ARG0[1:i - 1]; break } }
load here . '/common.gp'

total(dummy) = $4 + $5 + $6 + $7 + $8
# A kind that no strategy used stays out of the key.
kinds_used = ''
max_total = 0
do for [k = 4:8] {
	stats data using k nooutput
	kinds_used = kinds_used . (STATS_max > 0 ? ' 1' : ' 0')
	max_total = max_total + STATS_max
}
kind_title(k, name) = word(kinds_used, k - 3) eq '1' ? name : ''
set title 'TLB invalidations per invoke, by kind (secure TLB model)'
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.55
set ylabel 'TLBI per invoke'
# No flush at all still gets an axis to stand on.
if (max_total > 0) { set yrange [0:*] } else { set yrange [0:1] }
set offsets 0, 0, graph 0.1, 0
set xtics nomirror scale 0
set grid noxtics ytics
set key top right title 'TLBI kind' box lc rgb '#bbbbbb'
set bmargin 4
plot data using 4:xtic(sprintf("%s\n%d invokes", strcol(1), $3)) lc rgb '#1f77b4' \
		title kind_title(4, 'by VA'), \
	'' using 5 lc rgb '#aec7e8' title kind_title(5, 'by VA, all ASIDs'), \
	'' using 6 lc rgb '#ff7f0e' title kind_title(6, 'range'), \
	'' using 7 lc rgb '#9467bd' title kind_title(7, 'by ASID'), \
	'' using 8 lc rgb '#d62728' title kind_title(8, 'all'), \
	'' using 0:(total(0)):(sprintf('%.2f', total(0))) with labels offset 0, 0.8 notitle
