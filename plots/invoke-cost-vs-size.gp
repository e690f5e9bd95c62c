# Modeled time of one invoke against the size of the buffer it passes (the optee_os #6142
# curve), log-log, one line per strategy (plots/README.md).
#   gnuplot -e "data='DIR/plot-data/invoke-cost-vs-size.dat'; out='x.png'; set terminal pngcairo" \
#           plots/invoke-cost-vs-size.gp
# Columns: strategy series buffer_bytes modeled_ns_per_invoke invokes failed_calls
# waste_peak_bytes; a block per strategy.
here = '.'
do for [i = strlen(ARG0):1:-1] { if (ARG0[i:i] eq '/') { here = ARG0[1:i - 1]; break } }
load here . '/common.gp'

stats data using 6 nooutput
any_failed = STATS_max > 0
set title 'Modeled cost of an invoke vs the size of its buffer (optee_os #6142)'
set logscale x 2
set logscale y 10
set format x '%.0b %BB'
set xlabel 'buffer size (log scale)'
set ylabel 'modeled time per invoke, µs (log scale)'
set key top left
# A run with failed calls did less work than asked: its point is a cross, off the line.
plot for [i = 1:n_blocks] data index (i - 1) using 3:($6 == 0 ? $4 / 1000 : NaN) \
		with linespoints lt (word(colours, i) + 0) title word(names, i), \
	for [i = 1:n_blocks] data index (i - 1) using 3:($6 > 0 ? $4 / 1000 : NaN) \
		with points lt (word(colours, i) + 0) pt 2 ps 2 notitle, \
	NaN with points lc rgb '#333333' pt 2 ps 2 \
		title (any_failed ? 'run with failed calls' : '')
