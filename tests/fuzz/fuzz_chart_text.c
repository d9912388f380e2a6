/* libFuzzer target: arbitrary bytes as chart titles, series labels and x
 * tick labels through nnlab.notebook.gnuplot.chart, and through every
 * escaping function of nnlab.notebook.escape, in embedded Lua; the
 * properties (the script holds exactly the intended commands, every .dat row
 * 4 numbers, each escaped text reads back) are in fuzz_chart_text.lua. */
#include "fuzz_lua.h"

FUZZ_LUA_TARGET("fuzz_chart_text.lua")
