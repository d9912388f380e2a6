# 最终测试准确率与隐藏层数（Sigmoid / ReLU）：nnlab 由 fig1-test_acc-layers.dat 画出；在本文件夹里运行 `gnuplot fig1-test_acc-layers.gp` 可以重画。
if (!exists("outfile")) outfile = 'fig1-test_acc-layers.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '最终测试准确率与隐藏层数（Sigmoid / ReLU）' font 'WenQuanYi Zen Hei,15'
set xlabel 'layers'
set ylabel '测试准确率（%）'
set grid
set key bottom left box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set xtics ('1' 1, '2' 2, '3' 3)
set xrange [0.84:3.16]
plot 'fig1-test_acc-layers.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 7 ps 0.8 lw 2 title 'act=sigmoid', \
     '' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 ps 0.8 lw 2 title 'act=relu'
