-- nnlab.notebook.gnuplot: charts through the gnuplot program (pngcairo
-- terminal, a font with Chinese glyphs). A chart is a .gp script and a .dat
-- file written beside the PNG, so anyone can re-draw it with `gnuplot
-- NAME.gp` in that folder. Its comment is in the report's language
-- (nnlab.notebook.words); the caller gives title, labels and keys in it. $NNLAB_GNUPLOT names another program; without
-- gnuplot, or when it fails, draw() says why and the caller decides what to do.
local escape = require "nnlab.notebook.escape"
local files = require "nnlab.files"
local hash = require "nnlab.notebook.hash"
local proc = require("nnlab.core").proc
local words = require "nnlab.notebook.words"

local gnuplot = {}

gnuplot.font = "WenQuanYi Zen Hei"
local PNG_SIGNATURE = "\137PNG\r\n\26\n"

local gp_quote = escape.gnuplot_string

--- The gnuplot command to run, or nil, why there is none, and the same in
--- the report's language (nnlab.notebook.words).
function gnuplot.program()
  local env = os.getenv("NNLAB_GNUPLOT")
  if env and env ~= "" then return env end
  local p = io.popen("command -v gnuplot 2>/dev/null")
  local path = p and p:read("l")
  if p then p:close() end
  if path and path ~= "" then return path end
  return nil, "gnuplot is not installed (Debian: apt-get install gnuplot-nox)", words.text("gnuplot_missing")
end

--- True when bytes are a whole PNG: the 8-byte signature, then chunks
--- (length, type, data, CRC) that walk to an IEND chunk ending exactly at
--- the end. gnuplot's pngcairo exits 0 when a full disk cut its PNG short;
--- such a file starts like a PNG but never reaches its IEND.
function gnuplot.is_png(bytes)
  if type(bytes) ~= "string" or bytes:sub(1, 8) ~= PNG_SIGNATURE then return false end
  local at, size = 9, #bytes
  while at + 11 <= size do
    local length, kind = string.unpack(">I4c4", bytes, at)
    local next_at = at + 12 + length
    if next_at > size + 1 then return false end
    if kind == "IEND" then return next_at == size + 1 end
    at = next_at
  end
  return false
end

local number = escape.gnuplot_number

-- How much of the data lies in each corner where a key may go: the key box
-- is taken as a fraction of the plot (w wide, h high, h growing with the
-- number of series); every point, the ends of its error bar or band, and
-- samples along the lines between points count.
local CORNERS = { "bottom right", "top right", "top left", "bottom left" }
local function crowding(c)
  -- the grey band of the lines not drawn one by one counts as a line with
  -- its range as the error bar: the key must not hide it either
  local all = { table.unpack(c.series) }
  if c.band and #c.band.points > 0 then
    local points = {}
    for i, pt in ipairs(c.band.points) do points[i] = { pt[1], (pt[2] + pt[3]) / 2, (pt[3] - pt[2]) / 2 } end
    all[#all + 1] = { points = points }
  end
  local lo, hi = math.huge, -math.huge
  for _, s in ipairs(all) do
    for _, pt in ipairs(s.points) do
      local std = pt[3] or 0
      if pt[2] == pt[2] then lo, hi = math.min(lo, pt[2] - std), math.max(hi, pt[2] + std) end
    end
  end
  if lo >= hi then return nil end
  local pad = (hi - lo) * 0.05
  lo, hi = lo - pad, hi + pad
  local x0, x1 = c.xrange and c.xrange[1], c.xrange and c.xrange[2]
  local function fx(x)
    if c.logx then return (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0)) end
    return (x - x0) / (x1 - x0)
  end
  local w, h = 0.38, math.min(0.6, 0.05 + 0.055 * #all)
  local counts = {}
  for _, corner in ipairs(CORNERS) do
    local right, top = corner:find("right") ~= nil, corner:find("top") ~= nil
    local n = 0
    local function count(x, y)
      if x == x and y == y and ((right and x >= 1 - w) or (not right and x <= w))
         and ((top and y >= 1 - h) or (not top and y <= h)) then n = n + 1 end
    end
    for _, s in ipairs(all) do
      local prev
      for _, pt in ipairs(s.points) do
        local x, y, std = fx(pt[1]), (pt[2] - lo) / (hi - lo), (pt[3] or 0) / (hi - lo)
        count(x, y) count(x, y + std) count(x, y - std)
        if prev then
          for k = 1, 9 do count(prev[1] + (x - prev[1]) * k / 10, prev[2] + (y - prev[2]) * k / 10) end
        end
        prev = { x, y }
      end
    end
    counts[corner] = n
  end
  return counts
end

--- gnuplot.key_position(c) -> where the key goes: c.key (the preferred
--- corner) unless data lies under it and another corner is emptier.
function gnuplot.key_position(c)
  local preferred = c.key or "bottom right"
  if not c.xrange then return preferred end
  local counts = crowding(c)
  if not counts or (counts[preferred] or 0) == 0 then return preferred end
  local best = preferred
  for _, corner in ipairs(CORNERS) do
    if counts[corner] < (counts[best] or math.huge) then best = corner end
  end
  return best
end

--- gnuplot.chart(c) -> script, data: the text of NAME.gp and NAME.dat.
--- c: file (NAME), title, xlabel, ylabel, style ("band": mean line and a shaded
--- mean ± std band; "errorbars": points with error bars), key (gnuplot key
--- position, e.g. "bottom right"; another corner when data lies under it
--- and that one is emptier), logx (bool), xtics ({ { x, "label" } }),
--- percent (bool: y is a percentage, 0 to 100 on a chart with no points),
--- series = { { title, points = { { x, mean, std, n } } } }; a series
--- without points (e.g. diverged) appears in the key only. band (optional):
--- { title, points = { { x, low, high } } }, a grey range drawn first (the
--- series of a crowded chart that are not drawn one by one).
function gnuplot.chart(c)
  local data, clauses, index = {}, {}, 0
  if c.band then -- the series not drawn one by one: the grey range of their means
    data[#data + 1] = ("# %s\n# x low high\n"):format(escape.gnuplot_comment(c.band.title))
    for _, pt in ipairs(c.band.points) do
      data[#data + 1] = ("%s %s %s\n"):format(number(pt[1]), number(pt[2]), number(pt[3]))
    end
    data[#data + 1] = "\n\n"
    clauses[#clauses + 1] = ("%s index 0 using 1:2:3 with filledcurves fc rgb '#b0b0b0' fs solid 0.45 title %s")
                            :format(gp_quote(c.file .. ".dat"), gp_quote(c.band.title))
    index = 1
  end
  for i, s in ipairs(c.series) do
    if #s.points == 0 then
      clauses[#clauses + 1] = ("keyentry with lines lc %d dt 2 title %s"):format(i, gp_quote(s.title))
    else
      data[#data + 1] = ("# %s\n# x mean std n\n"):format(escape.gnuplot_comment(s.title))
      for _, pt in ipairs(s.points) do
        data[#data + 1] = ("%s %s %s %d\n"):format(number(pt[1]), number(pt[2]), number(pt[3] or 0), pt[4] or 1)
      end
      data[#data + 1] = "\n\n"
      local source = ("%s index %d"):format(index == 0 and gp_quote(c.file .. ".dat") or "''", index)
      if c.style == "band" then
        clauses[#clauses + 1] = ("%s using 1:($2-$3):($2+$3) with filledcurves lc %d notitle"):format(source, i)
        clauses[#clauses + 1] = ("'' index %d using 1:2 with linespoints lc %d pt 7 ps 0.6 lw 2 title %s")
                                :format(index, i, gp_quote(s.title))
      else
        clauses[#clauses + 1] = ("%s using 1:2:3 with yerrorlines lc %d pt 7 ps 0.8 lw 2 title %s")
                                :format(source, i, gp_quote(s.title))
      end
      index = index + 1
    end
  end
  local lines = {
    words.text("gp_comment",
      escape.gnuplot_comment(c.title), escape.gnuplot_comment(c.file), escape.gnuplot_comment(c.file)),
    ("if (!exists(\"outfile\")) outfile = %s"):format(gp_quote(c.file .. ".png")),
    ("set terminal pngcairo size 960,600 noenhanced font %s"):format(gp_quote(gnuplot.font .. ",12")),
    "set output outfile",
    ("set title %s font %s"):format(gp_quote(c.title), gp_quote(gnuplot.font .. ",15")),
    ("set xlabel %s"):format(gp_quote(c.xlabel)),
    ("set ylabel %s"):format(gp_quote(c.ylabel)),
    "set grid",
    ("set key %s box opaque"):format(gnuplot.key_position(c)),
    "set style fill transparent solid 0.18 noborder",
  }
  lines[#lines + 1] = "set offsets 0, 0, graph 0.05, graph 0.05"
  if c.logx then lines[#lines + 1] = "set logscale x" end
  if c.xtics then
    local tics = {}
    for _, t in ipairs(c.xtics) do tics[#tics + 1] = ("%s %s"):format(escape.gnuplot_tic_label(t[2]), number(t[1])) end
    lines[#lines + 1] = ("set xtics (%s)"):format(table.concat(tics, ", "))
  elseif c.integer_x then
    lines[#lines + 1] = "set xtics 1"
  end
  if c.xrange then lines[#lines + 1] = ("set xrange [%s:%s]"):format(number(c.xrange[1]), number(c.xrange[2])) end
  if index == 0 then -- every series diverged: key entries alone, on which gnuplot 5.4 asserts
    if not c.xrange then lines[#lines + 1] = c.logx and "set xrange [1:10]" or "set xrange [0:1]" end
    lines[#lines + 1] = c.percent and "set yrange [0:100]" or "set yrange [0:1]"
    table.insert(clauses, 1, "NaN notitle") -- something plotted, nothing drawn
  end
  lines[#lines + 1] = "plot " .. table.concat(clauses, ", \\\n     ")
  return table.concat(lines, "\n") .. "\n", table.concat(data)
end

--- gnuplot.heatmap(c) -> script, data: a grid of coloured cells (gnuplot
--- `with image`). c: file, title, xlabel, ylabel, xtics and ytics (lists of
--- labels, cell i at position i), cells = { { xi, yi, value } } (the whole
--- grid: a NaN value is drawn grey), label (the colour box's), values (print each cell's
--- value in it), higher_is_better (the palette's bright end is the best),
--- empty_note (written across the plot when no cell has a value).
function gnuplot.heatmap(c)
  local data = { ("# %s\n# x y value\n"):format(escape.gnuplot_comment(c.title)) }
  for _, cell in ipairs(c.cells) do
    data[#data + 1] = ("%d %d %s\n"):format(cell[1], cell[2], number(cell[3]))
  end
  local function tics(list)
    local out = {}
    for i, label in ipairs(list) do out[i] = ("%s %d"):format(escape.gnuplot_tic_label(label), i) end
    return table.concat(out, ", ")
  end
  local width = math.max(640, math.min(1600, 240 + 40 * #c.xtics))
  local height = math.max(480, math.min(1600, 200 + 28 * #c.ytics))
  local lines = {
    words.text("gp_comment",
      escape.gnuplot_comment(c.title), escape.gnuplot_comment(c.file), escape.gnuplot_comment(c.file)),
    ("if (!exists(\"outfile\")) outfile = %s"):format(gp_quote(c.file .. ".png")),
    ("set terminal pngcairo size %d,%d noenhanced font %s"):format(width, height, gp_quote(gnuplot.font .. ",12")),
    "set output outfile",
    ("set title %s font %s"):format(gp_quote(c.title), gp_quote(gnuplot.font .. ",15")),
    ("set xlabel %s"):format(gp_quote(c.xlabel)),
    ("set ylabel %s"):format(gp_quote(c.ylabel)),
    ("set cblabel %s"):format(gp_quote(c.label)),
    ("set xtics (%s)%s"):format(tics(c.xtics), #c.xtics > 12 and " rotate by 60 right" or ""),
    ("set ytics (%s)"):format(tics(c.ytics)),
    ("set xrange [0.5:%s]"):format(number(#c.xtics + 0.5)),
    ("set yrange [0.5:%s]"):format(number(#c.ytics + 0.5)),
    "set tics out nomirror",
    c.higher_is_better and "set palette rgb 30,31,32" or "set palette rgb 32,31,30 negative",
    "unset key",
  }
  local valued = 0
  for _, cell in ipairs(c.cells) do if cell[3] == cell[3] then valued = valued + 1 end end
  if valued > 0 and valued < #c.cells then -- a NaN cell lets this grey show: no colour of the palette's
    lines[#lines + 1] = "set object 1 rectangle from graph 0,0 to graph 1,1 behind fillcolor rgb '#c8c8c8' "
                        .. "fillstyle solid noborder"
  end
  if valued == 0 then -- nothing to colour (every variation diverged): no scale of nothing, a note instead
    lines[#lines + 1] = "unset colorbox"
    lines[#lines + 1] = ("set label 1 %s at graph 0.5, 0.5 center font %s"):format(gp_quote(c.empty_note or ""),
                                                                                 gp_quote(gnuplot.font .. ",13"))
  end
  if c.values then
    -- a label per cell with a value (a blank cell, NaN, gets none: a label
    -- column would print its "NaN"), white on the dark half of the palette,
    -- black on the bright half
    local lo, hi = math.huge, -math.huge
    for _, cell in ipairs(c.cells) do
      if cell[3] == cell[3] then lo, hi = math.min(lo, cell[3]), math.max(hi, cell[3]) end
    end
    local mid, n = (lo + hi) / 2, 1
    for _, cell in ipairs(c.cells) do
      if cell[3] == cell[3] then
        local dark = c.higher_is_better and cell[3] < mid or not c.higher_is_better and cell[3] >= mid
        n = n + 1
        lines[#lines + 1] = ("set label %d %s at %d,%d center front font %s tc rgb '%s'"):format(n,
          gp_quote(("%.4g"):format(cell[3])), cell[1], cell[2], gp_quote(gnuplot.font .. ",9"), dark and "white" or "black")
      end
    end
  end
  lines[#lines + 1] = ("plot %s using 1:2:3 with image"):format(gp_quote(c.file .. ".dat"))
  return table.concat(lines, "\n") .. "\n", table.concat(data)
end

-- "<inputs> <png>": the proof that a PNG was drawn from exactly these
-- .gp and .dat texts (hashes of both inputs, and of the PNG's bytes).
local function proof(script, data, png_bytes)
  local inputs = hash.fnv1a64(data, hash.fnv1a64(script .. "\0"))
  return ("%s %s"):format(hash.hex(inputs), hash.hex(hash.fnv1a64(png_bytes)))
end

-- Runs gnuplot on dir/NAME.gp, drawing dir/NAME.png through a temporary
-- file, accepted only when it is a whole PNG (gnuplot.is_png); its bytes, or
-- nil, why not, and why in the report's language (gnuplot's own words kept).
local function run_gnuplot(dir, name)
  local program, why, reported = gnuplot.program()
  if not program then return nil, why, reported end
  local ok, err = files.fault_point("gnuplot")
  if not ok then return nil, err end
  local tmp_name = (".%s.png.tmp%d"):format(name, proc.getpid())
  local command = ("cd -- %s && %s -e %s %s 2>&1"):format(files.shell_quote(dir), files.shell_quote(program),
    files.shell_quote(("outfile=%s"):format(gp_quote(tmp_name))), files.shell_quote(name .. ".gp"))
  local pipe = io.popen(command)
  local output = pipe:read("a")
  local exited_ok, _, code = pipe:close()
  local tmp = dir .. "/" .. tmp_name
  local bytes = exited_ok and files.read(tmp)
  if not gnuplot.is_png(bytes) then
    os.remove(tmp)
    local last = ""
    for line in output:gmatch("[^\n]*%S[^\n]*") do last = line end
    local function said(text) return last ~= "" and words.text("gnuplot_said", text, last) or text end
    if exited_ok then -- it said it succeeded: what it wrote is missing or cut short
      local why = bytes and "wrote an incomplete PNG (a full disk?)" or "exited 0 but wrote no PNG"
      return nil, ("%s %s%s"):format(program, why, last ~= "" and "; " .. last or ""),
             said(words.text(bytes and "gnuplot_cut_png" or "gnuplot_no_png", program))
    end
    return nil, ("%s failed (exit status %s)%s"):format(program, tostring(code), last ~= "" and ": " .. last or ""),
           said(words.text("gnuplot_failed", program, tostring(code)))
  end
  ok, err = files.rename(tmp, ("%s/%s.png"):format(dir, name))
  if not ok then
    os.remove(tmp)
    error(("cannot write %s/%s.png: %s"):format(dir, name, err), 0)
  end
  return bytes
end

--- gnuplot.draw(dir, name, script, data [, previous]) writes dir/NAME.gp
--- and dir/NAME.dat and draws dir/NAME.png (through a temporary file).
--- Returns true and the PNG's proof line ("NAME <inputs hash> <png hash>"),
--- or nil, why gnuplot did not draw it, and why in the report's language
--- (for the report's note; the first is for the terminal); a file that cannot be written
--- raises "cannot write PATH: cause". previous = { folder, proofs = { NAME = proof } }:
--- a PNG of an earlier report is copied instead of re-drawn, but only when
--- its proof shows it was drawn from exactly this script and data, its
--- bytes are the ones drawn then, and it is a whole PNG.
function gnuplot.draw(dir, name, script, data, previous)
  local function write(path, text)
    local written, why = files.write_atomic(path, text)
    if not written then error(("cannot write %s: %s"):format(path, why), 0) end
  end
  write(("%s/%s.dat"):format(dir, name), data)
  write(("%s/%s.gp"):format(dir, name), script)
  local png = ("%s/%s.png"):format(dir, name)
  local recorded = previous and previous.proofs[name]
  if recorded then
    local bytes = files.read(("%s/%s.png"):format(previous.folder, name))
    if gnuplot.is_png(bytes) and proof(script, data, bytes) == recorded then
      write(png, bytes)
      return true, ("%s %s"):format(name, recorded)
    end
  end
  local bytes, err, reported = run_gnuplot(dir, name)
  if not bytes then return nil, err, reported or err end
  return true, ("%s %s"):format(name, proof(script, data, bytes))
end

--- gnuplot.read_proofs(text) -> { NAME = "<inputs hash> <png hash>" } from
--- the proof lines gnuplot.draw returned (a report keeps them in its folder).
function gnuplot.read_proofs(text)
  local proofs = {}
  for name, inputs, png in (text or ""):gmatch("([^%s]+) (%x+) (%x+)\n") do proofs[name] = inputs .. " " .. png end
  return proofs
end

return gnuplot
