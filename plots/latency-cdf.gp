# Host latency of the secure world's map and unmap calls, as CDFs: one line per strategy,
# one panel per operation (plots/README.md).  Run by `teeshm plot DIR`, or by hand:
#   gnuplot -e "data='DIR/plot-data/latency-cdf.dat'; out='x.png'; set terminal pngcairo" \
#           plots/latency-cdf.gp
# Columns: strategy series op host_ns_at_most fraction_of_calls; a block per strategy and op.
here = '.'
do for [i = strlen(ARG0):1:-1] { if (ARG0[i:i] eq '/') { here = ARG0[1:i - 1]; break } }
load here . '/common.gp'

ops = ''
do for [i = 0:n_blocks - 1] {
	stats data index i using (block_op = strcol(3), 0) nooutput
	ops = ops . ' ' . block_op
}

set multiplot layout 1, 2 title "Host latency of the secure world's map and unmap calls (CDF)"
set logscale x 10
set format x '%.0s%c'
set xlabel 'host latency, ns (log scale)'
set ylabel 'fraction of calls taking at most x'
set yrange [0:1]
set ytics 0.1
set key bottom right
do for [op in 'map unmap'] {
	set title op
	blocks = ''
	do for [i = 1:n_blocks] {
		if (word(ops, i) eq op) { blocks = blocks . ' ' . i }
	}
	if (words(blocks) == 0) {
		set xrange [10:100000]
		set label 1 'no samples' at graph 0.5, 0.5 center
		plot 1/0 notitle
		unset label 1
		set autoscale x
	} else {
		plot for [b in blocks] data index (b - 1) using 4:5 with steps \
			lt (word(colours, b + 0) + 0) title word(names, b + 0)
	}
}
unset multiplot
