# 最终测试准确率与隐藏层神经元数：nnlab 由 fig3-test_acc-hidden.dat 画出；在本文件夹里运行 `gnuplot fig3-test_acc-hidden.gp` 可以重画。
if (!exists("outfile")) outfile = 'fig3-test_acc-hidden.png'
set terminal pngcairo size 960,600 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '最终测试准确率与隐藏层神经元数' font 'WenQuanYi Zen Hei,15'
set xlabel 'hidden'
set ylabel '测试准确率（%）'
set grid
set key bottom right box opaque
set style fill transparent solid 0.18 noborder
set offsets 0, 0, graph 0.05, graph 0.05
set logscale x
set xtics ('64' 64, '128' 128, '256' 256)
set xrange [54.19169999:302.3341213]
plot 'fig3-test_acc-hidden.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 7 ps 0.8 lw 2 title '测试准确率（3 个种子的均值 ± 标准差）'
