-- Where a chart's key goes (nnlab.notebook.gnuplot, which needs the C
-- module). Verdicts on claims, Welch's confidence interval and the gap metric
-- are tested under the stock lua5.4: tests/lua/test_stats.lua, test_runs.lua.
local T = require "testlib"
local gnuplot = require "nnlab.notebook.gnuplot"

-- the key goes to the emptiest corner when the preferred one holds data
local falling = { title = "down", points = { { 1, 90, 0 }, { 2, 50, 0 }, { 3, 10, 0 } } }

T.case("a rising line leaves the bottom right free for the key", function()
  local rising = { title = "up", points = { { 1, 10, 0 }, { 2, 50, 0 }, { 3, 90, 0 } } }
  T.eq(gnuplot.key_position { key = "bottom right", xrange = { 1, 3 }, series = { rising } }, "bottom right",
       "a rising line leaves the bottom right free")
end)

T.case("a falling line moves the key from the bottom right to an empty corner", function()
  local corner = gnuplot.key_position { key = "bottom right", xrange = { 1, 3 }, series = { falling } }
  T.truthy(corner == "bottom left" or corner == "top right", "a falling line moves the key: " .. corner)
end)

-- The grey band of the lines not drawn one by one had been left out: an
-- opaque key could cover it.
T.case("the grey band of the other lines moves the key as a line does", function()
  local band = { title = "8 others", points = { { 1, 20, 40 }, { 2, 60, 80 }, { 3, 80, 95 } } }
  T.eq(gnuplot.key_position { key = "top right", xrange = { 1, 3 }, series = { falling } }, "top right",
       "a falling line alone leaves the top right free")
  local corner = gnuplot.key_position { key = "top right", xrange = { 1, 3 }, series = { falling }, band = band }
  T.truthy(corner ~= "top right", "the band lies in the top right: the key moves, to " .. corner)
end)

T.case("without an x range the key goes where it was asked", function()
  T.eq(gnuplot.key_position { key = "top right", series = { falling } }, "top right", "no x range: as asked")
end)

T.done()
