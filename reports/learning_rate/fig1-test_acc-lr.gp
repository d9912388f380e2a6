# 最终测试准确率与学习率（SGD / Adam）：nnlab 由 fig1-test_acc-lr.dat 画出；在本文件夹里运行 `gnuplot fig1-test_acc-lr.gp` 可以重画。
if (!exists("outfile")) outfile = 'fig1-test_acc-lr.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '最终测试准确率与学习率（SGD / Adam）' font 'WenQuanYi Zen Hei,15'
set xlabel 'lr'
set ylabel '测试准确率（%）'
set grid
set key bottom right box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set logscale x
set xtics ('0.0001' 0.0001, '0.001' 0.001, '0.01' 0.01, '0.1' 0.1, '0.3' 0.3, '1' 1)
set xrange [3.311311215e-05:3.01995172]
plot 'fig1-test_acc-lr.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 7 ps 0.8 lw 2 title 'opt=sgd', \
     '' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 ps 0.8 lw 2 title 'opt=adam'
