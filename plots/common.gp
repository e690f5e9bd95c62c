# Shared by the teeshm plot scripts, which load it from their own directory.  Sets the
# output, one colour per series (the second column of every data file: a strategy keeps
# its colour in every plot) and reads the blocks of `data`: block i (1-based) is series
# word(names, i) drawn in colour word(colours, i) + 0.
set encoding utf8
set output out

set linetype 1 lc rgb '#7f7f7f' lw 2 pt 7 ps 1.1   # carveout
set linetype 2 lc rgb '#1f77b4' lw 2 pt 5 ps 1.1   # dynamic
set linetype 3 lc rgb '#d62728' lw 2 pt 9 ps 1.3   # cached
set linetype 4 lc rgb '#2ca02c' lw 2 pt 13 ps 1.3 dt 2  # rpc: dashed, as it often overlays dynamic
set linetype 5 lc rgb '#9467bd' lw 2 pt 11 ps 1.3
set linetype 6 lc rgb '#ff7f0e' lw 2 pt 15 ps 1.3
set linetype 7 lc rgb '#8c564b' lw 2 pt 4 ps 1.1
set linetype 8 lc rgb '#17becf' lw 2 pt 6 ps 1.1
set linetype cycle 8
set grid lc rgb '#d8d8d8' lw 1
set key samplen 2 spacing 1.1

stats data using 2 nooutput
n_blocks = STATS_blocks
names = ''
colours = ''
do for [i = 0:n_blocks - 1] {
	stats data index i using (block_name = strcol(1), block_colour = $2) nooutput
	names = names . ' ' . block_name
	colours = colours . ' ' . sprintf('%d', block_colour)
}

# A byte count's unit for an axis whose largest value is max_bytes.
unit_bytes(max_bytes) = max_bytes >= 1048576 ? 1048576.0 : max_bytes >= 1024 ? 1024.0 : 1.0
unit_name(max_bytes) = max_bytes >= 1048576 ? 'MiB' : max_bytes >= 1024 ? 'KiB' : 'bytes'
# A byte count in its own unit, for keys and labels.
fmt_bytes(b) = b >= 1048576 ? sprintf('%.2f MiB', b / 1048576.0) : \
	b >= 1024 ? sprintf('%.1f KiB', b / 1024.0) : sprintf('%.0f bytes', b)
