# Waste (reserved minus in-use shared memory) over the modeled clock, one line per strategy
# (plots/README.md).
#   gnuplot -e "data='DIR/plot-data/waste-over-time.dat'; out='x.png'; set terminal pngcairo" \
#           plots/waste-over-time.gp
# Columns: strategy series modeled_ns waste_bytes reserved_bytes in_use_bytes waste_mean_bytes
# (the run's time-weighted mean, the same on every row of a block); a block per strategy.
here = '.'
do for [i = strlen(ARG0):1:-1] { if (ARG0[i:i] eq '/') { here = ARG0[1:i - 1]; break } }
load here . '/common.gp'

means = ''
do for [i = 0:n_blocks - 1] {
	stats data index i using 7 nooutput
	means = means . ' ' . sprintf('%.0f', STATS_max)
}
stats data using 4 nooutput
unit = unit_bytes(STATS_max)
unit_label = unit_name(STATS_max)
set title 'Waste: shared memory reserved but not in use, over the modeled clock'
set xlabel 'modeled time, ms'
set ylabel sprintf('waste, %s', unit_label)
if (STATS_max > 0) { set yrange [0:*] } else { set yrange [0:1] }
set key outside right top vertical
# Sample and hold: a value lasts until the next sample.
plot for [i = 1:n_blocks] data index (i - 1) using ($3 / 1e6):($4 / unit) with steps \
	lt (word(colours, i) + 0) \
	title sprintf('%s (mean %s)', word(names, i), fmt_bytes(word(means, i) + 0))
