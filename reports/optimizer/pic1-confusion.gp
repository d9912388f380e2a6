# 混淆矩阵：Adam（测试集，3 个种子之和）：nnlab 由 pic1-confusion.dat 画出；在本文件夹里运行 `gnuplot pic1-confusion.gp` 可以重画。
if (!exists("outfile")) outfile = 'pic1-confusion.png'
set terminal pngcairo size 900,800 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '混淆矩阵：Adam（测试集，3 个种子之和）' font 'WenQuanYi Zen Hei,15'
set palette defined (0 'white', 1 '#c6dbef', 2 '#4292c6', 3 '#08306b')
set cbrange [0:2919]
set xlabel '预测类别'
set ylabel '真实类别'
set cblabel '测试样本数' offset 1.5,0
set xtics ('T-shirt/top' 0, 'Trouser' 1, 'Pullover' 2, 'Dress' 3, 'Coat' 4, 'Sandal' 5, 'Shirt' 6, 'Sneaker' 7, 'Bag' 8, 'Ankle boot' 9) rotate by 45 right font 'WenQuanYi Zen Hei,11'
set ytics ('T-shirt/top' 0, 'Trouser' 1, 'Pullover' 2, 'Dress' 3, 'Coat' 4, 'Sandal' 5, 'Shirt' 6, 'Sneaker' 7, 'Bag' 8, 'Ankle boot' 9) font 'WenQuanYi Zen Hei,11'
set rmargin 9
set size ratio -1
set xrange [-0.5:9.5]
set yrange [9.5:-0.5]
set tics scale 0
plot 'pic1-confusion.dat' matrix with image notitle, \
     '' matrix using 1:2:($3 > 0 && $3 <= 1459.5 ? sprintf("%.0f", $3) : '') with labels font 'WenQuanYi Zen Hei,10' tc rgb 'black' notitle, \
     '' matrix using 1:2:($3 > 1459.5 ? sprintf("%.0f", $3) : '') with labels font 'WenQuanYi Zen Hei,10' tc rgb 'white' notitle
