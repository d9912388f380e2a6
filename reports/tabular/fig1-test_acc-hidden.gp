# 最终测试准确率与隐藏层神经元数（Sigmoid，SGD lr 0.01）：nnlab 由 fig1-test_acc-hidden.dat 画出；在本文件夹里运行 `gnuplot fig1-test_acc-hidden.gp` 可以重画。
if (!exists("outfile")) outfile = 'fig1-test_acc-hidden.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '最终测试准确率与隐藏层神经元数（Sigmoid，SGD lr 0.01）' font 'WenQuanYi Zen Hei,15'
set xlabel 'hidden'
set ylabel '测试准确率（%）'
set grid
set key bottom right box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set logscale x
set xtics ('4' 4, '16' 16, '64' 64, '256' 256)
set xrange [2.428389769:421.6786008]
plot 'fig1-test_acc-hidden.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 7 ps 0.8 lw 2 title '测试准确率（5 个种子的均值 ± 标准差）'
