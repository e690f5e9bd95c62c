# Modeled time per invoke (left) and waste peak (right) against the number of guest VMs,
# one line per strategy (plots/README.md).
#   gnuplot -e "data='DIR/plot-data/scaling-vms.dat'; out='x.png'; set terminal pngcairo" \
#           plots/scaling-vms.gp
# Columns: strategy series vms modeled_ns_per_invoke invokes failed_calls waste_peak_bytes;
# a block per strategy.
here = '.'
do for [i = strlen(ARG0):1:-1] { if (ARG0[i:i] eq '/') { here = ARG0[1:i - 1]; break } }
load here . '/common.gp'

stats data using 6 nooutput
any_failed = STATS_max > 0
stats data using 7 nooutput
max_waste = STATS_max
unit = unit_bytes(max_waste)
waste_unit = unit_name(max_waste)
set multiplot layout 1, 2 title 'Scaling with the number of guest VMs'
set xlabel 'guest VMs (log scale)'
set logscale x 2
set format x '%.0f'
set offsets graph 0.03, graph 0.03, graph 0.05, 0
set yrange [0:*]
set key top left

# A run with failed calls did less work than asked: its point is a cross, off the line.
set title 'modeled time per invoke'
set ylabel 'modeled time per invoke, µs'
plot for [i = 1:n_blocks] data index (i - 1) using 3:($6 == 0 ? $4 / 1000 : NaN) \
		with linespoints lt (word(colours, i) + 0) title word(names, i), \
	for [i = 1:n_blocks] data index (i - 1) using 3:($6 > 0 ? $4 / 1000 : NaN) \
		with points lt (word(colours, i) + 0) pt 2 ps 2 notitle, \
	NaN with points lc rgb '#333333' pt 2 ps 2 \
		title (any_failed ? 'run with failed calls' : '')

set title 'waste peak'
set ylabel sprintf('waste peak, %s', waste_unit)
if (max_waste == 0) { set yrange [0:1] }
plot for [i = 1:n_blocks] data index (i - 1) using 3:($6 == 0 ? $7 / unit : NaN) \
		with linespoints lt (word(colours, i) + 0) title word(names, i), \
	for [i = 1:n_blocks] data index (i - 1) using 3:($6 > 0 ? $7 / unit : NaN) \
		with points lt (word(colours, i) + 0) pt 2 ps 2 notitle, \
	NaN with points lc rgb '#333333' pt 2 ps 2 \
		title (any_failed ? 'run with failed calls' : '')
unset multiplot
