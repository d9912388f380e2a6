# 每类 8 个样本：fashion-mnist：nnlab 由 pic1-samples.dat 画出；在本文件夹里运行 `gnuplot pic1-samples.gp` 可以重画。
if (!exists("outfile")) outfile = 'pic1-samples.png'
set terminal pngcairo size 732,740 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '每类 8 个样本：fashion-mnist' font 'WenQuanYi Zen Hei,15'
set palette defined (-1 '#c8c8c8', 0 'white', 255 'black')
set cbrange [-1:255]
unset colorbox
set size ratio -1
set xrange [-0.5:230.5]
set yrange [288.5:-0.5]
unset border
unset xtics
set ytics ('T-shirt/top' 14, 'Trouser' 43, 'Pullover' 72, 'Dress' 101, 'Coat' 130, 'Sandal' 159, 'Shirt' 188, 'Sneaker' 217, 'Bag' 246, 'Ankle boot' 275) scale 0 font 'WenQuanYi Zen Hei,12'
set lmargin 14
plot 'pic1-samples.dat' matrix with image notitle
