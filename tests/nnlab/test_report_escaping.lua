-- Strings from the user (a --set value varied in a sweep, a chart title, the
-- experiment's file name) reach a report's gnuplot scripts, .dat files,
-- Markdown and CSV only through that format's escaping function
-- (nnlab.notebook.escape): a line break never ends a gnuplot string, runs a
-- gnuplot command (`!` is its shell escape) or adds a .dat row, a title
-- never becomes Markdown, a file name with spaces still links. These runs
-- draw their charts with the real gnuplot.
local T = require "testlib"

local dir = T.tmpdir("report_escaping")
local reports = dir .. "/reports"

-- The issue's reproducer: a string parameter varied in a sweep and a chart
-- title, both from --set; the report's title too.
local path = T.marked_script(dir, "inject", [[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local tag = lab.param("tag", "relu")
local title = lab.param("title", "plain")
lab.title(title)
local train = lab.data.load("fashion-mnist", { subset = 200 })
local test = lab.data.load("fashion-mnist", { train = false, subset = 100 })
local runs = lab.sweep { vary = { tag = { "base", tag } }, seeds = 2, epochs = 2, batch_size = 50,
  train = train, test = test,
  model = function(p)
    local hidden = p.tag == "base" and 8 or 16
    return nn.Sequential { nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10) }
  end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
lab.chart(runs, { title = title })
lab.chart(runs, { x = "tag", title = title })
]])

local marker = dir .. "/touched"
local tag = "zz\n!touch " .. marker .. " #\n1 99.5 0 1"
local title = "T\n!touch " .. marker .. "-title\n# Raw heading `touch " .. marker .. "-backquote` | *x*"

local function run(script, args)
  local argv = { "run", script, "--out", reports, "--quiet" }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  return T.nnlab_run(argv, { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
end

local out, status = run(path, { "--set", "tag=" .. tag, "--set", "title=" .. title })
local md = T.read(reports .. "/inject.md") or ""

-- The data rows of a .dat file (lines that are neither comments nor blank).
local function data_rows(text)
  local rows = {}
  for line in text:gmatch("([^\n]*)\n") do
    if line:find("%S") and not line:find("^%s*#") then rows[#rows + 1] = line end
  end
  return rows
end

T.case("the run succeeds and gnuplot draws both charts", function()
  T.eq(status, 0, "status\n" .. out)
  T.truthy(not out:find("not drawn", 1, true), "every chart drawn:\n" .. out)
  for _, fig in ipairs { "fig1-test_acc-epoch", "fig2-test_acc-tag" } do
    T.eq((T.read(("%s/inject/%s.png"):format(reports, fig)) or ""):sub(1, 8), "\137PNG\r\n\26\n", fig .. ".png")
  end
end)

-- gnuplot reads a tic label of `set xtics ("label" pos)` as a format for
-- the tic's value: "50%" failed the chart (Bad format character) and "p%g"
-- was drawn as p2. What gnuplot draws is read back on its dumb terminal.
T.case("a value with % is drawn as written on the x axis", function()
  local own = dir .. "/percent-reports" -- the other cases read the first run's report
  local text, code = T.nnlab_run({ "run", path, "--out", own, "--quiet", "--set", "tag=p%g 50%" },
                                 { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
  T.eq(code, 0, "status\n" .. text)
  T.truthy(not text:find("not drawn", 1, true), "every chart drawn:\n" .. text)
  local gp = T.read(own .. "/inject/fig2-test_acc-tag.gp") or ""
  local xtics = gp:match("\n(set xtics %([^\n]*)")
  T.truthy(xtics, "the tic line\n" .. gp)
  local drawn = T.run(("gnuplot -e %s 2>&1"):format(T.quote(
    "set terminal dumb 100 12; set xrange [0:3]; " .. xtics .. "; plot x notitle")))
  T.contains(drawn, "p%g 50%", "gnuplot draws the label as written:\n" .. drawn)
end)

T.case("no shell command ran: not through a label, a title, nor a backquote", function()
  for _, suffix in ipairs { "", "-title", "-backquote" } do
    T.eq(T.read(marker .. suffix), nil, "file created by gnuplot: " .. marker .. suffix)
  end
end)

T.case("each .dat row holds the 4 numbers of one point: a label adds none", function()
  local epoch = data_rows(T.read(reports .. "/inject/fig1-test_acc-epoch.dat") or "")
  T.eq(#epoch, 4, "rows of the per-epoch chart (2 variations x 2 epochs)")
  local final = data_rows(T.read(reports .. "/inject/fig2-test_acc-tag.dat") or "")
  T.eq(#final, 2, "rows of the chart against tag (2 variations)")
  for _, row in ipairs(epoch) do T.truthy(row:find("^%S+ %S+ %S+ %d+$"), "4 fields: " .. row) end
  for _, row in ipairs(final) do T.truthy(row:find("^%S+ %S+ %S+ %d+$"), "4 fields: " .. row) end
  T.truthy(not (T.read(reports .. "/inject/fig2-test_acc-tag.dat") or ""):find("99.5", 1, true), "no fake point")
end)

T.case("every gnuplot string stays on its line: no line of a .gp starts a command from a label", function()
  for _, fig in ipairs { "fig1-test_acc-epoch", "fig2-test_acc-tag" } do
    local gp = T.read(("%s/inject/%s.gp"):format(reports, fig)) or ""
    for line in gp:gmatch("[^\n]+") do
      T.truthy(not line:find("^%s*!") and not line:find("^%s*1 99") and not line:find("^# Raw"),
               fig .. ".gp line from a label: " .. line)
    end
  end
end)

T.case("the title is text in the Markdown: no heading, command or code span of its own", function()
  T.truthy(md ~= "", "report written")
  for line in md:gmatch("[^\n]+") do
    T.truthy(not line:find("^# Raw") and not line:find("^!touch") and not line:find("^1 99"),
             "a line of the .md from a title or label: " .. line)
  end
  local first = md:match("^[^\n]*")
  T.truthy(first:find("^# T "), "the title is one heading line: " .. first)
  T.contains(first, "\\`touch", "the backquote is escaped")
  T.contains(first, "\\| \\*x\\*", "the pipe and the stars are escaped")
  T.contains(first, "Raw heading", "the title's words are kept")
end)

T.case("a label with a line break and a pipe stays in its table cell", function()
  local rows = 0
  for line in md:gmatch("[^\n]+") do
    if line:find("^| tag=") or line:find("^| zz") or line:find("^| base") then rows = rows + 1 end
  end
  T.eq(rows, 2, "two table rows, one per variation:\n" .. md)
end)

T.case("results.csv quotes a label with a line break: one record per row", function()
  local csv = T.read(reports .. "/inject/results.csv") or ""
  local quoted = csv:find('"zz\n!touch', 1, true)
  T.truthy(quoted, "the label is one quoted field:\n" .. csv)
end)

-- An experiment file whose name has spaces and Markdown characters.
local spaced = T.marked_script(dir, "my [first] exp", [[
local lab = require "nnlab"
local train = lab.data.load("fashion-mnist", { subset = 200 })
local test = lab.data.load("fashion-mnist", { train = false, subset = 100 })
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 50,
  train = train, test = test,
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(784, p.hidden), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
lab.chart(runs)
]])

T.case("a file name with spaces: every link of the report leads to its file", function()
  local spaced_out, spaced_status = run(spaced)
  T.eq(spaced_status, 0, "status\n" .. spaced_out)
  local text = T.read(reports .. "/my [first] exp.md") or ""
  local links = 0
  for target in text:gmatch("%]%(([^)]*)%)") do
    links = links + 1
    T.truthy(not target:find("[%s%[%]<>]"), "a link target without spaces or brackets: " .. target)
    local file = target:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end)
    T.truthy(T.read(reports .. "/" .. file), "the link leads to a file: " .. target)
  end
  T.eq(links, 3, "links to the chart, results.csv and results.json:\n" .. text)
end)

-- What reaches the terminal: a --set value in a variation's label and in a
-- sweep's name is shown on one line, with no control character (C0 or C1)
-- that a terminal would read as an escape sequence.
T.case("progress lines show a --set value's control characters escaped", function()
  local data = require("fixtures.bad.inputs").write_dataset(dir .. "/tiny") -- 4x4 images: runs take milliseconds
  local keys = T.marked_script(dir, "keys", ([[
local lab = require "nnlab"
local key = lab.param("key", "k")
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { name = key, vary = { key = { "base", key } }, seeds = 1, epochs = 1, batch_size = 10,
  train = train, test = test,
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(16, #p.key %% 3 + 2), lab.nn.Linear(#p.key %% 3 + 2, 10) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
]]):format(data, data))
  local value = "K\27[31mRED\r\27]0;title\7\194\155" .. "31mC1\nnext"
  local text, status = T.nnlab_run({ "run", keys, "--out", reports, "--set", "key=" .. value },
                                   { NNLAB_CACHE = dir .. "/cache" })
  T.eq(status, 0, "status\n" .. text)
  T.contains(text, "RED", "the label is shown")
  T.truthy(not text:find("[\0-\8\11-\31\127]"), "no control character but line feeds:\n" .. text)
  T.truthy(not text:find("\194[\128-\159]"), "no C1 control")
  T.truthy(not text:find("\nnext", 1, true), "the value stays on its line")
end)

T.done()
