-- nnlab.notebook.pictures: the pictures of a report that are not curves: a
-- confusion matrix with per-class accuracy, a grid of samples per class, the
-- most confident mistakes, first-layer weights. Each is a PNG drawn by
-- gnuplot (nnlab.notebook.gnuplot.draw: its .gp and .dat beside it, re-used
-- only with proof) plus the numbers as CSV, and Markdown with a sentence
-- computed from those numbers. lab.confusion/samples/mistakes/weights
-- (nnlab.notebook) check their arguments at the user's line and record a
-- block; report.lua calls pictures.render(block, ...) when writing.
--
-- A run's predictions and weights come from its cache entry
-- (nnlab.notebook.predictions, the .model file beside it); runs cached
-- before nnlab kept them have none, nor do the runs of a sweep whose own
-- run function saved no model (ctx.save), and their pictures say so.
local cache = require "nnlab.notebook.cache"
local core = require "nnlab.core"
local data = require "nnlab.data"
local errors = require "nnlab.errors"
local escape = require "nnlab.notebook.escape"
local files = require "nnlab.files"
local gnuplot = require "nnlab.notebook.gnuplot"
local options = require "nnlab.options"
local predictions = require "nnlab.notebook.predictions"
local runs_lib = require "nnlab.notebook.runs"
local stats = require "nnlab.notebook.stats"
local words = require "nnlab.notebook.words"

local pictures = {}

local W = words.text
local raise = errors.raise
local gp_quote, number = escape.gnuplot_string, escape.gnuplot_number
local md_text, csv_field = escape.md_text, escape.csv_field

-- Pixel sizes of the pictures (the tests read them back from the PNGs).
pictures.TILE = 64            -- one image tile of a grid, in PNG pixels
pictures.CONFUSION = { 900, 800 }

---------------------------------------------------------------------------
-- Checks at the user's line (lab.confusion, lab.samples, ...)

local Runs = runs_lib.Runs
local Dataset = core.metatable("nnlab.Dataset")

-- A sweep keeps the test predictions and final weights these pictures draw
-- only for classifiers of up to predictions.MAX_CLASSES classes.
local function check_runs(where, runs)
  if getmetatable(runs) ~= Runs then raise("%s: expected the result of lab.sweep", where) end
  local info = runs.datasets.test:info()
  if info.targets > 0 then
    raise("%s: the test data has regression targets; sweeps keep predictions and weights for classifiers only",
          where)
  end
  if info.classes > predictions.MAX_CLASSES then
    raise("%s: the test data has %d classes; sweeps keep predictions and weights for at most %d", where,
          info.classes, predictions.MAX_CLASSES)
  end
end

-- The variations `where` selects (all without it), checked like lab.chart's.
local function selected(where_name, runs, where)
  if where == nil then return runs.variations end
  return runs_lib.checked_selection(runs, where_name, "the selection", where)
end

-- The one variation a picture of one variation shows: the best by test
-- accuracy among those where selects (the first when all diverged).
local function one_variation(where_name, runs, where)
  local list = selected(where_name, runs, where)
  if #list == 1 then return list[1] end
  local chosen, rows = {}, {}
  for _, v in ipairs(list) do chosen[v] = true end
  for _, row in ipairs(runs:summary("test_acc")) do
    if chosen[row.variation] then rows[#rows + 1] = row end
  end
  local best = runs_lib.best_row(rows, "test_acc")
  return best and best.variation or list[1]
end

-- How far from square a picture's images may be (the longer side over the
-- shorter): a tile is sized for the image's width, and a 1000×2 one would
-- be a hairline in a picture tens of thousands of pixels tall.
local MAX_ASPECT = 8

-- Image data, or an error at the user's line naming what it is.
local function check_images(where, ds)
  local info = ds:info()
  if info.rows <= 1 then
    raise("%s: the data are not images (%d features a sample, not rows × columns); " ..
          "use lab.confusion and lab.table for tabular data", where, info.features)
  end
  if math.max(info.rows, info.cols) > MAX_ASPECT * math.min(info.rows, info.cols) then
    raise("%s: images of %d×%d pixels are too far from square to draw (more than %d:1); reshape them, or "
          .. "use lab.confusion and lab.table", where, info.rows, info.cols, MAX_ASPECT)
  end
  return info
end

local CONFUSION = { where = options.optional "table", show = options.optional "table", normalize = false,
                    title = options.optional "string" }
local SAMPLES = { per_class = 8, title = options.optional "string" }
local MISTAKES = { n = 24, where = options.optional "table", title = options.optional "string" }
local WEIGHTS = { layer = 1, n = 64, where = options.optional "table", title = options.optional "string" }

local function check_count(where, name, v, most)
  if math.type(v) ~= "integer" or v < 1 or v > most then
    raise("%s: %s must be an integer from 1 to %d, got %s", where, name, most, tostring(v))
  end
end

-- opts checked against spec (options.check), and a title, when given, not blank.
local function check_options(where, opts, spec)
  opts = options.check(where, opts, spec)
  options.not_blank(where, "title", opts.title, "leave it out for the default title")
  return opts
end

--- pictures.block(kind, target, opts) -> the report block of lab.<kind>
--- (confusion, samples, mistakes, weights) after checking its arguments;
--- errors are raised at the user's line.
function pictures.block(kind, target, opts)
  local where = "lab." .. kind
  if kind == "samples" then
    if getmetatable(target) ~= Dataset then raise("lab.samples: expected a dataset (lab.data.load, data.idx, ...)") end
    opts = check_options(where, opts, SAMPLES)
    local info = check_images(where, target)
    if info.targets > 0 then raise("lab.samples: the data has regression targets; a grid per class needs class labels") end
    check_count(where, "per_class", opts.per_class, 32)
    if info.classes > predictions.MAX_CLASSES then
      raise("lab.samples: %d classes; a grid shows at most %d", info.classes, predictions.MAX_CLASSES)
    end
    return { kind = "picture", picture = kind, dataset = target, options = opts }
  end
  check_runs(where, target)
  if kind == "confusion" then
    opts = check_options(where, opts, CONFUSION)
  elseif kind == "mistakes" then
    opts = check_options(where, opts, MISTAKES)
    check_images(where, target.datasets.test)
    check_count(where, "n", opts.n, 100)
  elseif kind == "weights" then
    opts = check_options(where, opts, WEIGHTS)
    check_images(where, target.datasets.test)
    check_count(where, "n", opts.n, 256)
    if math.type(opts.layer) ~= "integer" or opts.layer < 1 then
      raise("lab.weights: layer must be a positive integer (1: the first Linear layer), got %s", tostring(opts.layer))
    end
  end
  local variation = one_variation(where, target, opts.where)
  if opts.show then -- the heatmap's variation, one of where's
    variation = one_variation(where .. ": show", target, opts.show)
    local listed = false
    for _, v in ipairs(selected(where, target, opts.where)) do listed = listed or v == variation end
    if not listed then raise("lab.confusion: show selects %s, which where leaves out", variation.label) end
  end
  local block = { kind = "picture", picture = kind, runs = target, variation = variation,
                  variations = kind == "confusion" and selected(where, target, opts.where) or { variation },
                  options = opts }
  if kind == "confusion" then
    block.numbers, block.note = pictures.confusion_numbers(block)
    return block, block.numbers and pictures.confusion_summary(block.numbers, variation)
  elseif kind == "weights" then
    block.numbers, block.note = pictures.weights_numbers(block)
    return block, block.numbers and block.numbers.summary
  end
  return block
end

---------------------------------------------------------------------------
-- Shared drawing

-- Class names of a dataset for C classes: its own, else "0", "1", ...
local function class_names(ds, C)
  local names = ds:info().class_names or {}
  local out = {}
  for k = 1, C do out[k] = names[k] ~= nil and tostring(names[k]) or tostring(k - 1) end
  return out
end

-- The seeds of a variation with stored predictions, and a note on the others.
local function seeds_with_pictures(v)
  local with, old, diverged = {}, 0, 0
  for _, s in ipairs(v.seeds) do
    if s.diverged then diverged = diverged + 1
    elseif s.pictures then with[#with + 1] = s
    else old = old + 1 end
  end
  return with, old, diverged
end

-- The note under a picture that left seeds out (`old`: without
-- predictions, `diverged`), or nil when it left none out.
local function left_out_note(runs, old, diverged)
  if old == 0 and diverged == 0 then return nil end
  local left = {}
  if old > 0 then left[#left + 1] = words.count(runs.custom and "left_unsaved" or "left_old", old) end
  if diverged > 0 then left[#left + 1] = words.count("left_diverged", diverged) end
  return W("pic_left_out", table.concat(left, W("sep_list")))
end

-- The note a picture of variation v shows when none of its seeds has
-- predictions (`old`: seeds without them that did not diverge): a sweep
-- with its own run function keeps them only for a model its function saved
-- (ctx.save), which re-running does not change; a built-in run cached
-- before nnlab kept them has them once trained again.
local function not_drawn(runs, v, old)
  if old == 0 then return W("pic_none", md_text(v.label)) end
  return W(runs.custom and "pic_unsaved" or "pic_rerun", md_text(v.label))
end

-- Deletes seed record s's cache entry, damaged for `why` (a warning; the next
-- run trains it again), once: a later picture of the same seed finds
-- s.damaged and says the same, instead of a missing file.
local function discard_seed(s, why)
  if not s.damaged then
    s.damaged = why
    cache.discard(s.stored.path, why)
  end
  return s.damaged
end

-- The predictions kept beside a seed's cache entry: pred, conf (lists), or
-- nil and why not; a damaged file makes the entry a damaged one (deleted
-- with a warning: the next run trains it again).
local function stored_predictions(s)
  if s.damaged then return nil, s.damaged end
  local path = cache.beside_path(s.stored.path, "pred")
  local text, err, _, code = files.read(path, 3 * s.pictures.count)
  -- a file that is there but cannot be read is no damage: an error, nothing deleted
  if text == nil and not cache.read_is_damage(path, code) then error(("cannot read %s: %s"):format(path, err), 0) end
  local ok, why = predictions.check_text(s.pictures, text)
  if text == nil then why = err end
  if not ok then return nil, discard_seed(s, why) end
  return predictions.decode(s.pictures, text)
end

-- A CSV text from rows of values (escape.csv_field each), the first the
-- header; a nil value is an empty field.
local function csv(rows)
  local lines = {}
  for i, row in ipairs(rows) do
    local fields = {}
    for j = 1, math.max(#row, #rows[1]) do fields[j] = csv_field(row[j]) end -- as wide as the header: nil is empty
    lines[i] = table.concat(fields, ",")
  end
  return table.concat(lines, "\n") .. "\n"
end

-- The title's font size: 15 points, less for a title wider than the
-- picture (a mistakes grid of 2 tiles is 720 pixels across, and its English
-- title 800 at 15 points, cut at both edges). The width is estimated high:
-- at 15 points WenQuanYi Zen Hei draws a letter or digit 5-16 pixels wide
-- (English text averages 9.3), a CJK character 20.
local function title_points(title, width)
  local estimate = 0
  for _, code in utf8.codes(escape.utf8(title)) do estimate = estimate + (code >= 0x2E80 and 20 or 10.5) end
  local room = width - 30
  if estimate <= room then return 15 end
  return math.max(8, math.floor(15 * room / estimate))
end

-- The head of every picture script: where the PNG goes, its size and font.
local function script_head(file, title, width, height)
  return {
    words.text("gp_comment", escape.gnuplot_comment(title), escape.gnuplot_comment(file),
               escape.gnuplot_comment(file)),
    ("if (!exists(\"outfile\")) outfile = %s"):format(gp_quote(file .. ".png")),
    ("set terminal pngcairo size %d,%d noenhanced font %s"):format(width, height, gp_quote(gnuplot.font .. ",12")),
    "set output outfile",
    ("set title %s font %s"):format(gp_quote(title), gp_quote(("%s,%d"):format(gnuplot.font, title_points(title, width)))),
  }
end

-- Draws one picture: the PNG from script and dat, the CSV files beside it
-- ({ { suffix, text } }); returns its Markdown image line or the not-drawn note.
local function draw(ctx, file, title, script, dat, csvs)
  for _, c in ipairs(csvs) do ctx.write(("%s%s.csv"):format(file, c[1]), c[2]) end
  local ok, proof, reported = gnuplot.draw(ctx.folder, file, script, dat, ctx.previous)
  local function link(ext) return escape.md_link(("%s/%s.%s"):format(ctx.name, file, ext)) end
  if ok then
    ctx.proofs[#ctx.proofs + 1] = proof
    return ("![%s](%s)"):format(md_text(title), link("png"))
  end
  ctx.problems[#ctx.problems + 1] = ("picture %s not drawn: %s"):format(file, ctx.public(proof))
  local function name(ext) return md_text(("%s/%s.%s"):format(ctx.name, file, ext)) end
  return W("chart_not_drawn", md_text(title), md_text(ctx.public(reported)), name("dat"), link("dat"), name("gp"),
           link("gp"))
end

-- Tiles (lists of values, rows × cols each, already scaled) laid out in a
-- grid of `per_row` columns with a gap of one pixel of value `gap`: the
-- text of a gnuplot `matrix` .dat, and its width and height in pixels.
-- slots: the tiles the grid has room for (default #tiles); open_from: the
-- row of each tile from which it is a caption band, white across the gaps.
local function tile_matrix(tiles, per_row, rows, cols, gap, slots, open_from)
  local n = slots or #tiles
  local grid_rows = math.max(1, math.ceil(n / per_row))
  local width, height = per_row * (cols + 1) - 1, grid_rows * (rows + 1) - 1
  local lines = {}
  for y = 0, height - 1 do
    local tile_row, r = y // (rows + 1), y % (rows + 1)
    local line = {}
    for x = 0, width - 1 do
      local tile_col, c = x // (cols + 1), x % (cols + 1)
      local tile = tiles[tile_row * per_row + tile_col + 1]
      if open_from and r >= open_from and r < rows then line[#line + 1] = 0 -- a caption band: no gaps
      elseif r == rows or c == cols or not tile then line[#line + 1] = gap
      else line[#line + 1] = tile[r * cols + c + 1] end
    end
    lines[#lines + 1] = table.concat(line, " ")
  end
  return table.concat(lines, "\n") .. "\n", width, height
end

-- Image tiles as integers 0..255 (uint8 data as stored; other data scaled
-- from each tile's own minimum to maximum).
local function pixel_tile(values, dtype)
  local out = {}
  if dtype == "uint8" then
    for i, v in ipairs(values) do out[i] = math.floor(v * 255 + 0.5) end
    return out
  end
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(values) do lo, hi = math.min(lo, v), math.max(hi, v) end
  local span = hi > lo and hi - lo or 1
  for i, v in ipairs(values) do out[i] = math.floor((v - lo) / span * 255 + 0.5) end
  return out
end

-- The samples of ds at the given 0-based positions (a set: pos -> true) and
-- every label, in one pass over an unshuffled loader: pixels[pos] (floats)
-- and labels (0-based, by 1-based position). want(pos, label), when given,
-- decides per sample instead, and the pass stops once done() is true.
local function read_samples(ds, wanted, want, done)
  local loader <close> = data.DataLoader(ds, { batch_size = 1000 })
  local pixels, labels, pos = {}, {}, 0
  for x, y in loader:batches() do
    local ys = y:totable()
    for i, label in ipairs(ys) do
      labels[pos + 1] = label
      if (wanted and wanted[pos]) or (want and want(pos, label)) then pixels[pos] = x[i]:totable() end
      pos = pos + 1
    end
    if done and done() then break end
  end
  return pixels, labels
end

-- Image grid settings of a script: the palette (default: gray ink on white,
-- a light gray for the gaps, value -1) and its range, square pixels, rows
-- from the top, no border or x tics.
local GRAY = { "set palette defined (-1 '#c8c8c8', 0 'white', 255 'black')", "set cbrange [-1:255]" }
local function image_lines(lines, width, height, palette)
  for _, line in ipairs(palette or GRAY) do lines[#lines + 1] = line end
  lines[#lines + 1] = "unset colorbox"
  lines[#lines + 1] = "set size ratio -1"
  lines[#lines + 1] = ("set xrange [-0.5:%s]"):format(number(width - 0.5))
  lines[#lines + 1] = ("set yrange [%s:-0.5]"):format(number(height - 0.5))
  lines[#lines + 1] = "unset border"
  lines[#lines + 1] = "unset xtics"
end

---------------------------------------------------------------------------
-- lab.confusion

-- Per seed and class: correct / count of that class (from the confusion
-- matrix's row), in percent; nil for a class absent from the test set.
local function class_accuracies(seed_runs, C)
  local per_class = {}
  for k = 0, C - 1 do
    local values = {}
    for _, s in ipairs(seed_runs) do
      local row = 0
      for p = 0, C - 1 do row = row + predictions.cell(s.pictures, k, p) end
      if row > 0 then values[#values + 1] = 100 * predictions.cell(s.pictures, k, k) / row end
    end
    per_class[k + 1] = values
  end
  return per_class
end

--- pictures.class_accuracy(variation) -> per class (1-based) the list of
--- per-seed accuracies (percent) of the seeds with stored predictions.
function pictures.class_accuracy(variation)
  local with = seeds_with_pictures(variation)
  if #with == 0 then return nil end
  return class_accuracies(with, with[1].pictures.classes)
end

-- Per class: which variation is best and whether the runner-up differs by
-- more than noise (paired by seed when they share their seeds; Holm over
-- the classes). A variation with a diverged seed is never the best, as in
-- the tables; a tie names no best.
local function class_verdicts(columns, C)
  local tests, out = {}, {}
  for k = 1, C do
    local order = {}
    for i, col in ipairs(columns) do
      if #col.per_class[k] > 0 and col.diverged == 0 then order[#order + 1] = i end
    end
    table.sort(order, function(a, b)
      local ma, mb = stats.mean(columns[a].per_class[k]), stats.mean(columns[b].per_class[k])
      if ma ~= mb then return ma > mb end
      return a < b
    end)
    if #order >= 2 then
      local a, b = columns[order[1]], columns[order[2]]
      local xs, ys = a.per_class[k], b.per_class[k]
      local paired = #xs == #ys and a.seed_list == b.seed_list
      local test = stats.compare(xs, ys, { paired = paired, exact = false })
      out[k] = { best = a.label, other = b.label, test = test, tie = stats.mean(xs) == stats.mean(ys) }
      if test then tests[#tests + 1] = k end
    end
  end
  local ps = {}
  for i, k in ipairs(tests) do ps[i] = out[k].test.p end
  local adjusted = stats.holm(ps)
  for i, k in ipairs(tests) do out[k].p_adjusted = adjusted[i] end
  return out
end

local function verdict_text(v)
  if not v then return "–" end
  local best = v.tie and W("pic_tie") or md_text(v.best)
  if not v.test then return W("pic_verdict", best, W("untested")) end
  local differs = v.p_adjusted < 0.05
  return W("pic_verdict", best, words.versus_best({ code = differs and "differs" or "cant_tell",
                                                   p = v.test.p, p_adjusted = v.p_adjusted }, "pp"))
end

-- The most-confused pairs (off the diagonal) of a summed matrix: up to 3,
-- largest first; { y, p, count, share of class y }.
local function confused_pairs(sum, C)
  local pairs_list = {}
  for y = 0, C - 1 do
    local row = 0
    for p = 0, C - 1 do row = row + sum[y * C + p + 1] end
    for p = 0, C - 1 do
      local n = sum[y * C + p + 1]
      if p ~= y and n > 0 then pairs_list[#pairs_list + 1] = { y = y, p = p, count = n, share = 100 * n / row } end
    end
  end
  table.sort(pairs_list, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    if a.y ~= b.y then return a.y < b.y end
    return a.p < b.p
  end)
  return { table.unpack(pairs_list, 1, math.min(3, #pairs_list)) }
end

-- The character cells a code point takes: a wide CJK character two.
local function cells_of(code) return code >= 0x1100 and 2 or 1 end

-- The width of a name in character cells.
local function display_width(name)
  local units = 0
  for _, code in utf8.codes(escape.utf8(name), true) do units = units + cells_of(code) end
  return units
end

-- A class name for an axis of a confusion matrix: at most NAME_CELLS
-- character cells, cut with "…" (a name of 55 characters pushed the matrix
-- off the picture's right edge); the CSV files keep it whole.
local NAME_CELLS = 32
local function axis_name(name)
  name = escape.utf8(name)
  if display_width(name) <= NAME_CELLS then return name end
  local out, cells = {}, 1 -- (the "…")
  for _, code in utf8.codes(name, true) do
    cells = cells + cells_of(code)
    if cells > NAME_CELLS then break end
    out[#out + 1] = utf8.char(code)
  end
  return (table.concat(out):gsub("%s+$", "")) .. "…"
end

-- Whether class names under the columns need turning to fit: their width
-- against the cell's, at font size pt in a plot about 600 pixels wide. Only
-- when needed: gnuplot's cairo terminal then also turns single kana on the
-- other axis on their side.
local function turn_column_names(names, C, pt)
  local widest = 0
  for _, name in ipairs(names) do widest = math.max(widest, display_width(name)) end
  return widest * pt * 0.6 > 600 / C
end

local function confusion_script(file, title, names, sum, C, normalize)
  local lines = script_head(file, title, pictures.CONFUSION[1], pictures.CONFUSION[2])
  local values, top = {}, 0
  for y = 0, C - 1 do
    local row = 0
    for p = 0, C - 1 do row = row + sum[y * C + p + 1] end
    local line = {}
    for p = 0, C - 1 do
      local n = sum[y * C + p + 1]
      local v = normalize and (row > 0 and 100 * n / row or 0) or n
      top = math.max(top, v)
      line[#line + 1] = normalize and ("%.1f"):format(v) or tostring(v)
    end
    values[#values + 1] = table.concat(line, " ")
  end
  local tics, shown = {}, {}
  for k = 1, C do
    shown[k] = axis_name(names[k])
    tics[k] = ("%s %d"):format(escape.gnuplot_tic_label(shown[k]), k - 1)
  end
  local font = C > 20 and 7 or C > 12 and 9 or 11
  lines[#lines + 1] = "set palette defined (0 'white', 1 '#c6dbef', 2 '#4292c6', 3 '#08306b')"
  lines[#lines + 1] = ("set cbrange [0:%s]"):format(normalize and "100" or number(math.max(top, 1)))
  lines[#lines + 1] = ("set xlabel %s"):format(gp_quote(W("pic_predicted")))
  lines[#lines + 1] = ("set ylabel %s"):format(gp_quote(W("pic_true")))
  -- off the tic labels of the colour box, which a 4-digit count reaches
  lines[#lines + 1] = ("set cblabel %s offset 1.5,0"):format(gp_quote(normalize and W("pic_share") or W("pic_count")))
  lines[#lines + 1] = ("set xtics (%s)%s font %s"):format(table.concat(tics, ", "),
                                                          turn_column_names(shown, C, font) and " rotate by 45 right" or "",
                                                          gp_quote(("%s,%d"):format(gnuplot.font, font)))
  lines[#lines + 1] = ("set ytics (%s) font %s"):format(table.concat(tics, ", "),
                                                        gp_quote(("%s,%d"):format(gnuplot.font, font)))
  -- room right of the matrix for the colour box, its tic labels and its
  -- label: gnuplot's own margin left the label's last column of ink on the
  -- PNG's edge, cut (measured on a 900-pixel matrix of 4-digit counts)
  lines[#lines + 1] = "set rmargin 9"
  lines[#lines + 1] = "set size ratio -1"
  lines[#lines + 1] = ("set xrange [-0.5:%s]"):format(number(C - 0.5))
  lines[#lines + 1] = ("set yrange [%s:-0.5]"):format(number(C - 0.5))
  lines[#lines + 1] = "set tics scale 0"
  local fmt = normalize and '"%.1f"' or '"%.0f"'
  local cell_font = gp_quote(("%s,%d"):format(gnuplot.font, C > 20 and 6 or C > 12 and 8 or 10))
  -- white text on the darker half of the colour scale: its middle (the scale runs to 100 normalised)
  local half = number((normalize and 100 or math.max(top, 1)) / 2)
  lines[#lines + 1] = ("plot %s matrix with image notitle, \\"):format(gp_quote(file .. ".dat"))
  lines[#lines + 1] = ("     '' matrix using 1:2:($3 > 0 && $3 <= %s ? sprintf(%s, $3) : '') with labels font %s tc rgb 'black' notitle, \\")
                      :format(half, fmt, cell_font)
  lines[#lines + 1] = ("     '' matrix using 1:2:($3 > %s ? sprintf(%s, $3) : '') with labels font %s tc rgb 'white' notitle")
                      :format(half, fmt, cell_font)
  local dat = ("# %s\n"):format(escape.gnuplot_comment(W("pic_confusion_dat"))) .. table.concat(values, "\n") .. "\n"
  return table.concat(lines, "\n") .. "\n", dat
end

-- The numbers of a confusion block: the shown variation's matrix summed
-- over seeds, per-class accuracy columns, the most-confused pairs; or nil
-- and the note to show instead.
function pictures.confusion_numbers(block)
  local r, shown = block.runs, block.variation
  local with, old, diverged = seeds_with_pictures(shown)
  if #with == 0 then return nil, not_drawn(r, shown, old) end
  local C = with[1].pictures.classes
  -- (a one-cell grid draws nothing in gnuplot's image: white on white; lab.sweep refuses a
  -- training set of one class, so this is a guard)
  if C < 2 then return nil, W("pic_one_class", md_text(shown.label)) end
  local names = class_names(r.datasets.test, C)
  local sum = {}
  for i = 1, C * C do sum[i] = 0 end
  for _, s in ipairs(with) do
    for i = 1, C * C do sum[i] = sum[i] + s.pictures.confusion[i] end
  end
  -- per-class accuracy: one column per variation with predictions
  local columns = {}
  local left_old, left_diverged = 0, 0 -- over every variation of the table, the shown one's included
  local shown_listed = false
  for _, v in ipairs(block.variations) do shown_listed = shown_listed or v == shown end
  if not shown_listed then left_old, left_diverged = old, diverged end
  for _, v in ipairs(block.variations) do
    local vw, v_old, v_diverged = seeds_with_pictures(v)
    left_old, left_diverged = left_old + v_old, left_diverged + v_diverged
    if #vw > 0 and vw[1].pictures.classes == C then
      local seeds = {}
      for _, s in ipairs(vw) do seeds[#seeds + 1] = s.seed end
      columns[#columns + 1] = { label = v.label, variation = v, per_class = class_accuracies(vw, C), n = #vw,
                                seed_list = table.concat(seeds, ","), diverged = v_diverged }
    end
  end
  return { C = C, names = names, sum = sum, with = with, old = old, diverged = diverged, columns = columns,
           pairs = confused_pairs(sum, C), left_old = left_old, left_diverged = left_diverged }
end

--- The summary lab.confusion returns (nil for runs without predictions):
--- { variation (the label drawn), seeds, pairs = { { true_class, predicted,
--- count, share (% of the true class) } ... } (up to 3, most first),
--- predicted = { { class, count, share (% of all predictions) } ... } (every
--- class, most predicted first), classes_predicted = { n per seed } (how
--- many classes each seed predicts at all), class_accuracy = { [label] = {
--- { class, mean, std } ... } } }.
function pictures.confusion_summary(n, shown)
  local out = { variation = shown.label, seeds = #n.with, pairs = {}, class_accuracy = {}, predicted = {} }
  local total = 0
  for i = 1, n.C * n.C do total = total + n.sum[i] end
  for p = 0, n.C - 1 do
    local column = 0
    for y = 0, n.C - 1 do column = column + n.sum[y * n.C + p + 1] end
    out.predicted[p + 1] = { class = n.names[p + 1], count = column, share = 100 * column / total }
  end
  table.sort(out.predicted, function(a, b) return a.count > b.count end)
  out.classes_predicted = {}
  for i, s in ipairs(n.with) do
    local used = 0
    for p = 0, n.C - 1 do
      local column = 0
      for y = 0, n.C - 1 do column = column + predictions.cell(s.pictures, y, p) end
      if column > 0 then used = used + 1 end
    end
    out.classes_predicted[i] = used
  end
  for i, pr in ipairs(n.pairs) do
    out.pairs[i] = { true_class = n.names[pr.y + 1], predicted = n.names[pr.p + 1], count = pr.count, share = pr.share }
  end
  for _, col in ipairs(n.columns) do
    local list = {}
    for k = 1, n.C do
      local xs = col.per_class[k]
      list[k] = { class = n.names[k], mean = stats.mean(xs), std = stats.std(xs) }
    end
    out.class_accuracy[col.label] = list
  end
  return out
end

local function render_confusion(block, ctx)
  local opts, shown, n = block.options, block.variation, block.numbers
  if not n then return block.note end
  local C, names, sum, with, columns = n.C, n.names, n.sum, n.with, n.columns
  local parts = {}
  local file = ("pic%d-confusion"):format(ctx.number)
  local title = opts.title or W(opts.normalize and "pic_confusion_title_share" or "pic_confusion_title",
                                shown.label, words.count("seed", #with))
  local script, dat = confusion_script(file, title, names, sum, C, opts.normalize)
  local matrix_rows = { { W("pic_true_predicted"), table.unpack(names) } }
  for y = 0, C - 1 do
    local row = { names[y + 1] }
    for p = 0, C - 1 do row[#row + 1] = sum[y * C + p + 1] end
    matrix_rows[#matrix_rows + 1] = row
  end
  local per_class_rows = { { "class", "variation", "seed", "correct", "count", "accuracy" } }
  for _, v in ipairs(block.variations) do
    for _, s in ipairs((seeds_with_pictures(v))) do
      for k = 0, C - 1 do
        local row = 0
        for p = 0, C - 1 do row = row + predictions.cell(s.pictures, k, p) end
        local hit = predictions.cell(s.pictures, k, k)
        per_class_rows[#per_class_rows + 1] = { names[k + 1], v.label, s.seed, hit, row,
                                                row > 0 and 100 * hit / row or nil }
      end
    end
  end
  parts[#parts + 1] = draw(ctx, file, title, script, dat, { { "", csv(matrix_rows) },
                                                             { "-per-class", csv(per_class_rows) } })
  -- the table: class, one column per variation, a verdict when there are several
  local header = { W("pic_class") }
  for _, col in ipairs(columns) do header[#header + 1] = md_text(col.label) end
  local verdicts = #columns > 1 and class_verdicts(columns, C) or {}
  if #columns > 1 then header[#header + 1] = W("pic_verdict_column") end
  local rows = {}
  for k = 1, C do
    local row = { md_text(names[k]) }
    for _, col in ipairs(columns) do
      local xs = col.per_class[k]
      row[#row + 1] = #xs > 0 and runs_lib.format("test_acc", stats.mean(xs), stats.std(xs)) or "–"
    end
    if #columns > 1 then row[#row + 1] = verdict_text(verdicts[k]) end
    rows[#rows + 1] = row
  end
  parts[#parts + 1] = ctx.markdown_table(header, rows)
  -- the seeds each column's means are over (a diverged seed left out)
  local fewest, most = math.huge, 0
  for _, col in ipairs(columns) do fewest, most = math.min(fewest, col.n), math.max(most, col.n) end
  local over = fewest == most and words.count("seed", most) or W("seed_range", fewest, most)
  -- with fewer than two columns free of diverged seeds no class has a verdict:
  -- the caption says why the column holds only "–"
  local caption = #columns == 1 and "pic_class_caption_one"
                  or next(verdicts) == nil and "pic_class_caption_none" or "pic_class_caption"
  parts[#parts + 1] = W(caption, over)
  -- the sentence: the most-confused pairs, from the summed matrix
  local pairs_list = n.pairs
  if #pairs_list == 0 then
    parts[#parts + 1] = W("pic_no_confusion", md_text(shown.label))
  else
    local texts = {}
    for i, pr in ipairs(pairs_list) do
      texts[i] = W("pic_pair", md_text(names[pr.y + 1]), md_text(names[pr.p + 1]), pr.count, pr.share)
    end
    parts[#parts + 1] = W("pic_most_confused", md_text(shown.label), table.concat(texts, W("sep_group")))
  end
  parts[#parts + 1] = left_out_note(block.runs, n.left_old, n.left_diverged)
  local earlier = 0 -- seeds whose run function saved the model at another epoch than the last
  for _, s in ipairs(with) do if s.pictures.test_acc then earlier = earlier + 1 end end
  if earlier > 0 then parts[#parts + 1] = W("pic_saved_earlier", earlier, #with) end
  return table.concat(parts, "\n\n")
end

---------------------------------------------------------------------------
-- lab.samples

local function render_samples(block, ctx)
  local ds, per_class = block.dataset, block.options.per_class
  local info = ds:info()
  local C = info.classes
  local names = class_names(ds, C)
  local chosen, found, need = {}, 0, C * per_class
  for k = 1, C do chosen[k] = {} end
  local counts = ds:label_counts()
  need = 0
  for k = 1, C do need = need + math.min(per_class, counts[k] or 0) end
  local pixels = read_samples(ds, nil, function(pos, label)
    local list = chosen[label + 1]
    if list and #list < per_class then
      list[#list + 1] = pos
      found = found + 1
      return true
    end
    return false
  end, function() return found >= need end)
  local tiles, slots = {}, C * per_class
  for k = 1, C do
    for j, pos in ipairs(chosen[k]) do tiles[(k - 1) * per_class + j] = pixel_tile(pixels[pos], info.dtype) end
  end
  local file = ("pic%d-samples"):format(ctx.number)
  local title = block.options.title or W("pic_samples_title", per_class, info.name or "")
  local dat, width, height = tile_matrix(tiles, per_class, info.rows, info.cols, -1, slots)
  local png_w, png_h = pictures.grid_size(per_class, C)
  local lines = script_head(file, title, png_w, png_h)
  image_lines(lines, width, height)
  local tics = {}
  for k = 1, C do
    tics[k] = ("%s %s"):format(escape.gnuplot_tic_label(names[k]), number((k - 1) * (info.rows + 1) + info.rows / 2))
  end
  lines[#lines + 1] = ("set ytics (%s) scale 0 font %s"):format(table.concat(tics, ", "),
                                                                gp_quote(gnuplot.font .. (C > 20 and ",8" or ",12")))
  local longest = 0 -- in character cells: a CJK name of 8 characters takes 16
  for _, name in ipairs(names) do longest = math.max(longest, display_width(name)) end
  lines[#lines + 1] = ("set lmargin %d"):format(math.min(32, 3 + longest))
  lines[#lines + 1] = ("plot %s matrix with image notitle"):format(gp_quote(file .. ".dat"))
  local rows = { { "class", "class_name", "sample" } }
  for k = 1, C do
    for _, pos in ipairs(chosen[k]) do rows[#rows + 1] = { k - 1, names[k], pos } end
  end
  local parts = { draw(ctx, file, title, table.concat(lines, "\n") .. "\n", dat, { { "", csv(rows) } }) }
  local short = {}
  for k = 1, C do
    if #chosen[k] < per_class then short[#short + 1] = ("%s (%d)"):format(md_text(names[k]), #chosen[k]) end
  end
  parts[#parts + 1] = W("pic_samples_caption", info.count, C, info.rows, info.cols,
                        #short > 0 and W("pic_samples_short", table.concat(short, W("sep"))) or "")
  return table.concat(parts, "\n\n")
end

--- pictures.grid_size(per_row, grid_rows) -> the PNG width and height of a
--- grid of image tiles (lab.samples: per_class × classes).
function pictures.grid_size(per_row, grid_rows)
  return math.max(720, 220 + per_row * pictures.TILE), 100 + grid_rows * pictures.TILE
end

---------------------------------------------------------------------------
-- lab.mistakes

--- pictures.mistakes_size(per_row, grid_rows, tile_h, tile_w) -> the PNG
--- size of lab.mistakes: 170 pixels a tile across (room for its caption),
--- 720 at least,
--- its height in proportion (tile_h × tile_w data pixels with the caption).
function pictures.mistakes_size(per_row, grid_rows, tile_h, tile_w)
  -- at least 720 across, as the other pictures: the title needs the room
  return math.max(720, 100 + per_row * 170), 110 + grid_rows * math.floor(170 * tile_h / tile_w + 0.5)
end

-- The mistakes of a variation over its seeds with predictions (`with`):
-- per test sample (1-based) wrong in at least one seed, { i, wrong = seeds
-- wrong, pred = the wrong class most seeds predict (ties: the more confident,
-- then the lower class), conf = the mean confidence of those seeds' wrong
-- prediction }, ranked by seeds wrong, then that confidence, then position;
-- and how many wrong predictions, over all seeds, had a confidence of 90 %
-- or more. Or nil, the first seed whose predictions are damaged, and why
-- (every damaged seed's entry is discarded: the next run trains them all).
local function mistakes_over_seeds(with, labels)
  local by_sample, confident, damaged, why = {}, 0, nil, nil
  for _, s in ipairs(with) do
    local pred, conf = stored_predictions(s)
    if not pred then damaged, why = damaged or s, why or conf end
    if damaged then goto next_seed end
    for i = 1, #pred do
      local y, p = labels[i], pred[i]
      if y ~= nil and p ~= y then
        local m = by_sample[i] or { i = i, wrong = 0, classes = {} }
        by_sample[i] = m
        m.wrong = m.wrong + 1
        local c = m.classes[p] or { p = p, n = 0, sum = 0 }
        m.classes[p] = c
        c.n, c.sum = c.n + 1, c.sum + conf[i]
        if conf[i] >= 0.9 then confident = confident + 1 end
      end
    end
    ::next_seed::
  end
  if damaged then return nil, damaged, why end
  local list = {}
  for _, m in pairs(by_sample) do
    local top
    for _, c in pairs(m.classes) do
      if not top or c.n > top.n or (c.n == top.n and (c.sum / c.n > top.sum / top.n
                                                      or (c.sum / c.n == top.sum / top.n and c.p < top.p))) then
        top = c
      end
    end
    list[#list + 1] = { i = m.i, wrong = m.wrong, pred = top.p, conf = top.sum / top.n }
  end
  table.sort(list, function(a, b)
    if a.wrong ~= b.wrong then return a.wrong > b.wrong end
    if a.conf ~= b.conf then return a.conf > b.conf end
    return a.i < b.i
  end)
  return list, confident
end

--- pictures.caption_width(text) -> about how many PNG pixels text takes in
--- a mistakes caption (WenQuanYi Zen Hei at 9 points, pngcairo), from
--- above: measured, a capital W 10, lower case 5.7, digits 7, a CJK
--- character 12; here 9 a capital, 6 other ASCII, 12 anything else.
function pictures.caption_width(text)
  local w = 0
  for _, c in utf8.codes(escape.utf8(text)) do
    w = w + (c >= 0x80 and 12 or (c >= 65 and c <= 90) and 9 or 6)
  end
  return w
end

-- The room a caption line has in its 170-pixel tile.
local CAPTION_ROOM = 160

-- text cut to at most `room` pixels (caption_width), ending in "…" when cut
-- (without the spaces before it).
local function cut_to(text, room)
  text = escape.utf8(text)
  if pictures.caption_width(text) <= room then return text end
  local out, w = {}, pictures.caption_width("…")
  for _, c in utf8.codes(text) do
    local ch = utf8.char(c)
    w = w + pictures.caption_width(ch)
    if w > room then break end
    out[#out + 1] = ch
  end
  return (table.concat(out):gsub("%s+$", "")) .. "…"
end

--- pictures.mistake_label(true_name, predicted_name) -> the caption's first
--- line, "true → predicted", within its tile: names too long to share the
--- room are cut with "…", the longer first, neither below half the room
--- unless it needs less (the CSV and the sentence keep them whole).
function pictures.mistake_label(true_name, predicted_name)
  local room = CAPTION_ROOM - pictures.caption_width(W("pic_mistake_label", "", ""))
  local a, b = pictures.caption_width(true_name), pictures.caption_width(predicted_name)
  if a + b > room then
    local half = room // 2
    if a <= half then
      predicted_name = cut_to(predicted_name, room - a)
    elseif b <= half then
      true_name = cut_to(true_name, room - b)
    else
      true_name, predicted_name = cut_to(true_name, half), cut_to(predicted_name, room - half)
    end
  end
  return W("pic_mistake_label", true_name, predicted_name)
end

local function render_mistakes(block, ctx)
  local r, n, v = block.runs, block.options.n, block.variation
  local with, old, diverged = seeds_with_pictures(v)
  if #with == 0 then return not_drawn(r, v, old) end
  local ds = r.datasets.test
  local info = ds:info()
  local C = with[1].pictures.classes
  local names = class_names(ds, C)
  local _, labels = read_samples(ds, {})
  local wrong, confident, why = mistakes_over_seeds(with, labels)
  if not wrong then return W("pic_damaged", md_text(v.label), confident.seed, md_text(why)) end
  local seeds_text = words.count("seed", #with)
  local shown = { table.unpack(wrong, 1, math.min(n, #wrong)) }
  if #shown == 0 then return W("pic_no_mistakes", md_text(v.label), seeds_text) end
  local wanted = {}
  for _, m in ipairs(shown) do wanted[m.i - 1] = true end
  local pixels = read_samples(ds, wanted)
  local tiles = {}
  for j, m in ipairs(shown) do tiles[j] = pixel_tile(pixels[m.i - 1], info.dtype) end
  local per_row = math.min(6, #shown)
  local file = ("pic%d-mistakes"):format(ctx.number)
  local title = block.options.title or W("pic_mistakes_title", v.label, seeds_text)
  -- a caption band under each image: tiles are rows + 1 + caption pixels high;
  -- a data pixel is 170 / (cols + 1) PNG pixels (mistakes_size), and the two
  -- lines of 9-point text need about 30 of them (wide, short images)
  local caption = math.max(3, info.rows // 2, math.ceil(30 * (info.cols + 1) / 170))
  local grid_rows = math.ceil(#shown / per_row)
  local padded = {}
  for j, t in ipairs(tiles) do
    local p = table.move(t, 1, #t, 1, {})
    for _ = 1, caption * info.cols do p[#p + 1] = 0 end -- white under the image: its caption
    padded[j] = p
  end
  local dat, width, height = tile_matrix(padded, per_row, info.rows + caption, info.cols, -1, nil, info.rows)
  local png_w, png_h = pictures.mistakes_size(per_row, grid_rows, info.rows + caption + 1, info.cols + 1)
  local lines = script_head(file, title, png_w, png_h)
  image_lines(lines, width, height)
  lines[#lines + 1] = "unset ytics"
  local rows = { { "rank", "sample", "true", "true_name", "predicted", "predicted_name", "confidence", "seeds_wrong",
                   "seeds" } }
  local label_font = gp_quote(gnuplot.font .. ",9")
  for j, m in ipairs(shown) do
    local i, col, row = m.i, (j - 1) % per_row, (j - 1) // per_row
    local x = col * (info.cols + 1) + (info.cols - 1) / 2
    local y = row * (info.rows + caption + 1) + info.rows + caption / 2
    -- two lines in the band: the classes, then the confidence and the seeds
    local texts = { pictures.mistake_label(names[labels[i] + 1], names[m.pred + 1]),
                    W("pic_mistake_seeds", 100 * m.conf, m.wrong, #with) }
    for k, text in ipairs(texts) do
      lines[#lines + 1] = ("set label %d %s at %s,%s center front font %s"):format(
        2 * j - 2 + k, gp_quote(text), number(x), number(y + (k == 1 and -1 or 1) * caption / 4), label_font)
    end
    rows[#rows + 1] = { j, i - 1, labels[i], names[labels[i] + 1], m.pred, names[m.pred + 1], m.conf, m.wrong, #with }
  end
  lines[#lines + 1] = ("plot %s matrix with image notitle"):format(gp_quote(file .. ".dat"))
  local parts = { draw(ctx, file, title, table.concat(lines, "\n") .. "\n", dat, { { "", csv(rows) } }) }
  -- the sentence: how many wrong in every seed and in some, how confident, which pair leads among those shown
  local pair_count, top_pair = {}, nil
  for _, m in ipairs(shown) do
    local key = labels[m.i] * C + m.pred
    pair_count[key] = (pair_count[key] or 0) + 1
    if not top_pair or pair_count[key] > pair_count[top_pair] then top_pair = key end
  end
  local always, predictions_wrong = 0, 0
  for _, m in ipairs(wrong) do
    if m.wrong == #with then always = always + 1 end
    predictions_wrong = predictions_wrong + m.wrong
  end
  parts[#parts + 1] = W("pic_mistakes_caption", seeds_text, always, #labels, #wrong - always, confident,
                        predictions_wrong, #shown, md_text(names[top_pair // C + 1]), md_text(names[top_pair % C + 1]),
                        pair_count[top_pair])
  parts[#parts + 1] = left_out_note(r, old, diverged) -- the seeds left out, as lab.confusion says
  return table.concat(parts, "\n\n")
end

---------------------------------------------------------------------------
-- lab.weights

-- The colour scale of weight tiles: the 99.5th percentile of |w| over all
-- their values (nearest rank), so that one outlier does not pale the rest;
-- 1 when every weight is 0.
local function weight_scale(vectors)
  local all = {}
  for _, w in ipairs(vectors) do
    for _, x in ipairs(w) do all[#all + 1] = math.abs(x) end
  end
  table.sort(all)
  local top = all[math.max(1, math.ceil(0.995 * #all))] or 0
  return top > 0 and top or 1
end

--- The numbers of a weights block (tiles, norms and the summary lab.weights
--- returns: { variation, seed, seeds, layer, units, shown, inputs, scale,
--- norm_mean, norm_std }), or nil and the note to show instead. One seed is
--- drawn, the first with weights (seeds: how many have them): units of
--- different seeds learn in any order, so their tiles cannot be averaged.
--- Every tile shares one colour scale (scale: |w| at full colour), so that
--- a unit whose weights decay shows pale, as it is.
function pictures.weights_numbers(block)
  local r, opts, v = block.runs, block.options, block.variation
  local with, old = seeds_with_pictures(v)
  if #with == 0 then return nil, not_drawn(r, v, old) end
  local s = with[1]
  -- planning's pass on the cached results (nnlab cache gc) has seed records
  -- without their entries' paths: it draws nothing, and needs no numbers
  if not s.stored then return nil, not_drawn(r, v, old) end
  local loaded, err
  if not s.damaged then loaded, err = core.net_load(cache.beside_path(s.stored.path, "model")) end
  if not loaded then
    return nil, W("pic_damaged", md_text(v.label), s.seed, md_text(discard_seed(s, tostring(err))))
  end
  local model <close> = loaded
  local info = r.datasets.test:info()
  local linear = 0
  local index -- the layer's weight among the parameters (W then b per Linear)
  for _, l in ipairs(model:layers()) do
    if l.kind == "Linear" then
      linear = linear + 1
      if linear == opts.layer then index = 2 * linear - 1 end
    end
  end
  -- the model is known now, so a layer it lacks is the call's error, as any bad option is
  if not index then
    raise("lab.weights: layer %d: the model of %s has %d Linear layer%s", opts.layer, v.label, linear,
          linear == 1 and "" or "s")
  end
  -- only the first Linear layer takes the pixels; a later one of as many inputs takes units
  if opts.layer > 1 then
    raise("lab.weights: layer %d takes the outputs of Linear layer %d, not an image's pixels: only layer 1's "
          .. "weights can be drawn as images", opts.layer, opts.layer - 1)
  end
  local weight = model:parameter_copy(index, "data")
  local units, inputs = weight:size(0), weight:size(1)
  if inputs ~= info.rows * info.cols then
    raise("lab.weights: layer 1 of %s takes %d inputs, not the %d×%d pixels of the test images (a crop "
          .. "changes them): its weights cannot be drawn as images", v.label, inputs, info.rows, info.cols)
  end
  local n = math.min(opts.n, units)
  local vectors, rows, norms = {}, { { "unit", "max_abs", "l2_norm" } }, {}
  for u = 1, n do
    local w = weight[u]:totable()
    local top, sq = 0, 0
    for _, x in ipairs(w) do top, sq = math.max(top, math.abs(x)), sq + x * x end
    vectors[u] = w
    rows[#rows + 1] = { u, top, math.sqrt(sq) }
    norms[u] = math.sqrt(sq)
  end
  local scale = weight_scale(vectors)
  local tiles = {}
  for u, w in ipairs(vectors) do
    local t = {}
    for i, x in ipairs(w) do t[i] = math.max(-127, math.min(127, math.floor(x / scale * 127 + 0.5))) end
    tiles[u] = t
  end
  return { tiles = tiles, rows = rows, seed = s.seed, seeds = #with, info = info, units = units, inputs = inputs,
           n = n, scale = scale,
           summary = { variation = v.label, seed = s.seed, seeds = #with, layer = opts.layer, units = units, shown = n,
                       inputs = inputs, scale = scale, norm_mean = stats.mean(norms), norm_std = stats.std(norms) or 0 } }
end

local function render_weights(block, ctx)
  local opts, v, nums = block.options, block.variation, block.numbers
  if not nums then return block.note end
  local info, n = nums.info, nums.n
  local per_row = math.min(n, math.ceil(math.sqrt(n)))
  local file = ("pic%d-weights"):format(ctx.number)
  local title = opts.title or W("pic_weights_title", opts.layer, v.label, nums.seed, words.count("seed", nums.seeds))
  local dat, width, height = tile_matrix(nums.tiles, per_row, info.rows, info.cols, -130)
  local png_w, png_h = pictures.grid_size(per_row, math.ceil(n / per_row))
  local lines = script_head(file, title, png_w, png_h)
  -- diverging: blue −, white 0, red +; the gaps (value -130) a light gray
  image_lines(lines, width, height, { "set palette defined (-130 '#bdbdbd', -128 '#bdbdbd', -127 '#2166ac', " ..
                                      "0 'white', 127 '#b2182b')", "set cbrange [-130:127]" })
  lines[#lines + 1] = "unset ytics"
  lines[#lines + 1] = ("plot %s matrix with image notitle"):format(gp_quote(file .. ".dat"))
  local parts = { draw(ctx, file, title, table.concat(lines, "\n") .. "\n", dat, { { "", csv(nums.rows) } }) }
  local sm = nums.summary
  parts[#parts + 1] = W("pic_weights_caption", nums.seed, words.count("seed", nums.seeds), n, nums.units, nums.inputs,
                        nums.scale, sm.norm_mean, sm.norm_std)
  return table.concat(parts, "\n\n")
end

local RENDER = { confusion = render_confusion, samples = render_samples, mistakes = render_mistakes,
                 weights = render_weights }

--- pictures.render(block, ctx) -> the Markdown of a picture block. ctx:
--- number (the picture's number in the report, for file names), folder,
--- previous, proofs (as report.lua's drawing), name (the report's folder
--- name, for links), write(file, text) (a staged file), public(msg),
--- problems (a list to add "not drawn" lines to), markdown_table(header, rows).
function pictures.render(block, ctx)
  return RENDER[block.picture](block, ctx)
end

return pictures
