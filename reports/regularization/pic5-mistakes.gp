# 各种子的错误：无正则化，3 个种子（真实 → 预测；平均置信度，错的种子数）：nnlab 由 pic5-mistakes.dat 画出；在本文件夹里运行 `gnuplot pic5-mistakes.gp` 可以重画。
if (!exists("outfile")) outfile = 'pic5-mistakes.png'
set terminal pngcairo size 1120,1118 noenhanced font 'WenQuanYi Zen Hei,12'
set output outfile
set title '各种子的错误：无正则化，3 个种子（真实 → 预测；平均置信度，错的种子数）' font 'WenQuanYi Zen Hei,15'
set palette defined (-1 '#c8c8c8', 0 'white', 255 'black')
set cbrange [-1:255]
unset colorbox
set size ratio -1
set xrange [-0.5:172.5]
set yrange [170.5:-0.5]
unset border
unset xtics
unset ytics
set label 1 'Sandal → Sneaker' at 13.5,31.5 center front font 'WenQuanYi Zen Hei,9'
set label 2 '100%，错 3 次（共 3 个种子）' at 13.5,38.5 center front font 'WenQuanYi Zen Hei,9'
set label 3 'Sneaker → Ankle boot' at 42.5,31.5 center front font 'WenQuanYi Zen Hei,9'
set label 4 '100%，错 3 次（共 3 个种子）' at 42.5,38.5 center front font 'WenQuanYi Zen Hei,9'
set label 5 'Trouser → Dress' at 71.5,31.5 center front font 'WenQuanYi Zen Hei,9'
set label 6 '100%，错 3 次（共 3 个种子）' at 71.5,38.5 center front font 'WenQuanYi Zen Hei,9'
set label 7 'T-shirt/top → Dress' at 100.5,31.5 center front font 'WenQuanYi Zen Hei,9'
set label 8 '100%，错 3 次（共 3 个种子）' at 100.5,38.5 center front font 'WenQuanYi Zen Hei,9'
set label 9 'Sneaker → Sandal' at 129.5,31.5 center front font 'WenQuanYi Zen Hei,9'
set label 10 '100%，错 3 次（共 3 个种子）' at 129.5,38.5 center front font 'WenQuanYi Zen Hei,9'
set label 11 'Trouser → Dress' at 158.5,31.5 center front font 'WenQuanYi Zen Hei,9'
set label 12 '100%，错 3 次（共 3 个种子）' at 158.5,38.5 center front font 'WenQuanYi Zen Hei,9'
set label 13 'Sandal → Sneaker' at 13.5,74.5 center front font 'WenQuanYi Zen Hei,9'
set label 14 '100%，错 3 次（共 3 个种子）' at 13.5,81.5 center front font 'WenQuanYi Zen Hei,9'
set label 15 'Sandal → Sneaker' at 42.5,74.5 center front font 'WenQuanYi Zen Hei,9'
set label 16 '100%，错 3 次（共 3 个种子）' at 42.5,81.5 center front font 'WenQuanYi Zen Hei,9'
set label 17 'Bag → Sneaker' at 71.5,74.5 center front font 'WenQuanYi Zen Hei,9'
set label 18 '100%，错 3 次（共 3 个种子）' at 71.5,81.5 center front font 'WenQuanYi Zen Hei,9'
set label 19 'T-shirt/top → Bag' at 100.5,74.5 center front font 'WenQuanYi Zen Hei,9'
set label 20 '100%，错 3 次（共 3 个种子）' at 100.5,81.5 center front font 'WenQuanYi Zen Hei,9'
set label 21 'Ankle boot → Sneaker' at 129.5,74.5 center front font 'WenQuanYi Zen Hei,9'
set label 22 '100%，错 3 次（共 3 个种子）' at 129.5,81.5 center front font 'WenQuanYi Zen Hei,9'
set label 23 'Sandal → Ankle boot' at 158.5,74.5 center front font 'WenQuanYi Zen Hei,9'
set label 24 '100%，错 3 次（共 3 个种子）' at 158.5,81.5 center front font 'WenQuanYi Zen Hei,9'
set label 25 'Sneaker → Sandal' at 13.5,117.5 center front font 'WenQuanYi Zen Hei,9'
set label 26 '100%，错 3 次（共 3 个种子）' at 13.5,124.5 center front font 'WenQuanYi Zen Hei,9'
set label 27 'Coat → Bag' at 42.5,117.5 center front font 'WenQuanYi Zen Hei,9'
set label 28 '100%，错 3 次（共 3 个种子）' at 42.5,124.5 center front font 'WenQuanYi Zen Hei,9'
set label 29 'Sneaker → Ankle boot' at 71.5,117.5 center front font 'WenQuanYi Zen Hei,9'
set label 30 '100%，错 3 次（共 3 个种子）' at 71.5,124.5 center front font 'WenQuanYi Zen Hei,9'
set label 31 'Sandal → Sneaker' at 100.5,117.5 center front font 'WenQuanYi Zen Hei,9'
set label 32 '100%，错 3 次（共 3 个种子）' at 100.5,124.5 center front font 'WenQuanYi Zen Hei,9'
set label 33 'Sandal → Sneaker' at 129.5,117.5 center front font 'WenQuanYi Zen Hei,9'
set label 34 '100%，错 3 次（共 3 个种子）' at 129.5,124.5 center front font 'WenQuanYi Zen Hei,9'
set label 35 'Shirt → T-shirt/top' at 158.5,117.5 center front font 'WenQuanYi Zen Hei,9'
set label 36 '100%，错 3 次（共 3 个种子）' at 158.5,124.5 center front font 'WenQuanYi Zen Hei,9'
set label 37 'T-shirt/top → Dress' at 13.5,160.5 center front font 'WenQuanYi Zen Hei,9'
set label 38 '100%，错 3 次（共 3 个种子）' at 13.5,167.5 center front font 'WenQuanYi Zen Hei,9'
set label 39 'Dress → T-shirt/top' at 42.5,160.5 center front font 'WenQuanYi Zen Hei,9'
set label 40 '100%，错 3 次（共 3 个种子）' at 42.5,167.5 center front font 'WenQuanYi Zen Hei,9'
set label 41 'Shirt → T-shirt/top' at 71.5,160.5 center front font 'WenQuanYi Zen Hei,9'
set label 42 '99%，错 3 次（共 3 个种子）' at 71.5,167.5 center front font 'WenQuanYi Zen Hei,9'
set label 43 'Shirt → T-shirt/top' at 100.5,160.5 center front font 'WenQuanYi Zen Hei,9'
set label 44 '99%，错 3 次（共 3 个种子）' at 100.5,167.5 center front font 'WenQuanYi Zen Hei,9'
set label 45 'Shirt → T-shirt/top' at 129.5,160.5 center front font 'WenQuanYi Zen Hei,9'
set label 46 '99%，错 3 次（共 3 个种子）' at 129.5,167.5 center front font 'WenQuanYi Zen Hei,9'
set label 47 'Trouser → Dress' at 158.5,160.5 center front font 'WenQuanYi Zen Hei,9'
set label 48 '99%，错 3 次（共 3 个种子）' at 158.5,167.5 center front font 'WenQuanYi Zen Hei,9'
plot 'pic5-mistakes.dat' matrix with image notitle
