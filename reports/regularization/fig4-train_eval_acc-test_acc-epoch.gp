# 无正则化：训练集（评估模式）与测试集的准确率：nnlab 由 fig4-train_eval_acc-test_acc-epoch.dat 画出；在本文件夹里运行 `gnuplot fig4-train_eval_acc-test_acc-epoch.gp` 可以重画。
if (!exists("outfile")) outfile = 'fig4-train_eval_acc-test_acc-epoch.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '无正则化：训练集（评估模式）与测试集的准确率' font 'WenQuanYi Zen Hei,15'
set xlabel '轮次'
set ylabel '%'
set grid
set key bottom right box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set xtics 1
set xrange [1:10]
plot 'fig4-train_eval_acc-test_acc-epoch.dat' index 0 using 1:($2-$3):($2+$3) with filledcurves lc 1 notitle, \
     '' index 0 using 1:2 with linespoints lc 1 pt 7 ps 0.6 lw 2 title '无正则化：训练准确率（评估模式）', \
     '' index 1 using 1:($2-$3):($2+$3) with filledcurves lc 2 notitle, \
     '' index 1 using 1:2 with linespoints lc 2 pt 7 ps 0.6 lw 2 title '无正则化：测试准确率'
