# 最终测试准确率与隐藏层神经元数（Sigmoid，SGD lr 0.01）: drawn by nnlab from fig1-test_acc-hidden.dat; re-draw with `gnuplot fig1-test_acc-hidden.gp` in this folder.
if (!exists("outfile")) outfile = 'fig1-test_acc-hidden.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '最终测试准确率与隐藏层神经元数（Sigmoid，SGD lr 0.01）' font 'WenQuanYi Zen Hei,15'
set xlabel 'hidden'
set ylabel 'test accuracy (%)'
set grid
set key bottom right box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set logscale x
set xtics ('4' 4, '16' 16, '64' 64, '256' 256)
set xrange [2.428389769:421.6786008]
plot 'fig1-test_acc-hidden.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 7 ps 0.8 lw 2 title 'test accuracy (mean ± std over 5 seeds)'
