# 第 1 个 Linear 层的权重：无正则化，种子 1（共 3 个种子）：nnlab 由 pic1-weights.dat 画出；在本文件夹里运行 `gnuplot pic1-weights.gp` 可以重画。
if (!exists("outfile")) outfile = 'pic1-weights.png'
set terminal pngcairo size 732,612 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '第 1 个 Linear 层的权重：无正则化，种子 1（共 3 个种子）' font 'WenQuanYi Zen Hei,15'
set palette defined (-130 '#bdbdbd', -128 '#bdbdbd', -127 '#2166ac', 0 'white', 127 '#b2182b')
set cbrange [-130:127]
unset colorbox
set size ratio -1
set xrange [-0.5:230.5]
set yrange [230.5:-0.5]
unset border
unset xtics
unset ytics
plot 'pic1-weights.dat' matrix with image notitle
