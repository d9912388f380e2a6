# 同样的轮数：最终测试准确率与批次大小（每条线一个学习率）：nnlab 由 fig1-test_acc-batch_size.dat 画出；在本文件夹里运行 `gnuplot fig1-test_acc-batch_size.gp` 可以重画。
if (!exists("outfile")) outfile = 'fig1-test_acc-batch_size.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '同样的轮数：最终测试准确率与批次大小（每条线一个学习率）' font 'WenQuanYi Zen Hei,15'
set xlabel 'batch_size'
set ylabel '测试准确率（%）'
set grid
set key bottom left box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set logscale x
set xtics ('32' 32, '64' 64, '128' 128)
set xrange [27.09585:151.1670607]
plot 'fig1-test_acc-batch_size.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 7 ps 0.8 lw 2 title 'lr=0.3', \
     '' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 ps 0.8 lw 2 title 'lr=0.1', \
     '' index 2 using 1:2:3 with yerrorlines lc 3 pt 7 ps 0.8 lw 2 title 'lr=0.01', \
     '' index 3 using 1:2:3 with yerrorlines lc 4 pt 7 ps 0.8 lw 2 title 'lr=0.001'
