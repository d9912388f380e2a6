# 正则化：训练–测试差距（每轮，百分点）：nnlab 由 fig7-gap-epoch.dat 画出；在本文件夹里运行 `gnuplot fig7-gap-epoch.gp` 可以重画。
if (!exists("outfile")) outfile = 'fig7-gap-epoch.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '正则化：训练–测试差距（每轮，百分点）' font 'WenQuanYi Zen Hei,15'
set xlabel '轮次'
set ylabel '训练–测试差距（评估模式）（百分点）'
set grid
set key bottom right box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set xtics 1
set xrange [1:10]
plot 'fig7-gap-epoch.dat' index 0 using 1:($2-$3):($2+$3) with filledcurves lc 1 notitle, \
     '' index 0 using 1:2 with linespoints lc 1 pt 7 ps 0.6 lw 2 title '无正则化', \
     '' index 1 using 1:($2-$3):($2+$3) with filledcurves lc 2 notitle, \
     '' index 1 using 1:2 with linespoints lc 2 pt 7 ps 0.6 lw 2 title 'Dropout 0.5', \
     '' index 2 using 1:($2-$3):($2+$3) with filledcurves lc 3 notitle, \
     '' index 2 using 1:2 with linespoints lc 3 pt 7 ps 0.6 lw 2 title 'L2 1e-3', \
     '' index 3 using 1:($2-$3):($2+$3) with filledcurves lc 4 notitle, \
     '' index 3 using 1:2 with linespoints lc 4 pt 7 ps 0.6 lw 2 title 'Dropout 0.5 + L2 1e-3'
