# 训练损失（每轮，5 个种子的均值 ± 标准差）：nnlab 由 fig2-train_loss-epoch.dat 画出；在本文件夹里运行 `gnuplot fig2-train_loss-epoch.gp` 可以重画。
if (!exists("outfile")) outfile = 'fig2-train_loss-epoch.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '训练损失（每轮，5 个种子的均值 ± 标准差）' font 'WenQuanYi Zen Hei,15'
set xlabel '轮次'
set ylabel '训练损失'
set grid
set key top right box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set xrange [1:100]
plot 'fig2-train_loss-epoch.dat' index 0 using 1:($2-$3):($2+$3) with filledcurves lc 1 notitle, \
     '' index 0 using 1:2 with linespoints lc 1 pt 7 ps 0.6 lw 2 title 'act=sigmoid', \
     '' index 1 using 1:($2-$3):($2+$3) with filledcurves lc 2 notitle, \
     '' index 1 using 1:2 with linespoints lc 2 pt 7 ps 0.6 lw 2 title 'act=relu', \
     '' index 2 using 1:($2-$3):($2+$3) with filledcurves lc 3 notitle, \
     '' index 2 using 1:2 with linespoints lc 3 pt 7 ps 0.6 lw 2 title 'act=leaky_relu', \
     '' index 3 using 1:($2-$3):($2+$3) with filledcurves lc 4 notitle, \
     '' index 3 using 1:2 with linespoints lc 4 pt 7 ps 0.6 lw 2 title 'act=tanh'
