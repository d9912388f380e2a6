# 训练–测试差距（百分点，每轮）：nnlab 由 fig2-gap-epoch.dat 画出；在本文件夹里运行 `gnuplot fig2-gap-epoch.gp` 可以重画。
if (!exists("outfile")) outfile = 'fig2-gap-epoch.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '训练–测试差距（百分点，每轮）' font 'WenQuanYi Zen Hei,15'
set xlabel '轮次'
set ylabel '训练–测试差距（评估模式）（百分点）'
set grid
set key top left box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set xtics 1
set xrange [1:20]
plot 'fig2-gap-epoch.dat' index 0 using 1:($2-$3):($2+$3) with filledcurves lc 1 notitle, \
     '' index 0 using 1:2 with linespoints lc 1 pt 7 ps 0.6 lw 2 title '无增强', \
     '' index 1 using 1:($2-$3):($2+$3) with filledcurves lc 2 notitle, \
     '' index 1 using 1:2 with linespoints lc 2 pt 7 ps 0.6 lw 2 title '平移', \
     '' index 2 using 1:($2-$3):($2+$3) with filledcurves lc 3 notitle, \
     '' index 2 using 1:2 with linespoints lc 3 pt 7 ps 0.6 lw 2 title '裁剪', \
     '' index 3 using 1:($2-$3):($2+$3) with filledcurves lc 4 notitle, \
     '' index 3 using 1:2 with linespoints lc 4 pt 7 ps 0.6 lw 2 title '噪声', \
     '' index 4 using 1:($2-$3):($2+$3) with filledcurves lc 5 notitle, \
     '' index 4 using 1:2 with linespoints lc 5 pt 7 ps 0.6 lw 2 title '平移 + 噪声'
