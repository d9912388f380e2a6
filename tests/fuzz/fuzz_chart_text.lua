-- Fuzz target script (see fuzz_lua.h, fuzz_chart_text.c): arbitrary bytes as
-- a chart's title, a series label (also the x axis label) and an x tick
-- label, through gnuplot.chart in both styles; and through every escaping
-- function of nnlab.notebook.escape. The input: byte 1 and byte 2 give the
-- lengths of the title and the label, the bytes after them are the title,
-- the label and the tick label; bytes 17 to 24 (when there) are also read as
-- a double, drawn as a point's x, mean and std.
-- Properties, checked in Lua without running gnuplot:
--   - the .gp script has as many lines as the one drawn with plain labels,
--     and, read as gnuplot reads it (continuation lines joined, comments
--     dropped, split into commands at `;`), the same commands once each
--     string is replaced by a placeholder: no command starts with `!` or
--     `system`, nothing is expanded by backquotes;
--   - every string token is well-formed (closed on its line; '' for a
--     quote inside single quotes) and reads as the text that was given, its
--     control characters replaced (escape.line); a tic label as gnuplot
--     formats it (each % doubled, %% drawn as %);
--   - the .dat file has the same lines as with plain labels but for its
--     comments, and each data row exactly 4 numeric fields;
--   - md_text, md_cell, md_code, md_link, csv_field and file_name give text
--     that reads back as the input (bytes that are not UTF-8 as U+FFFD, as
--     escape.utf8 gives them, where the format is text) and cannot leave its
--     place.
local escape = require "nnlab.notebook.escape"
local gnuplot = require "nnlab.notebook.gnuplot"

local function check(cond, what, detail)
  if not cond then error(what .. (detail and (": " .. ("%q"):format(detail)) or ""), 0) end
end

-- ---- gnuplot scripts, read as gnuplot reads them -----------------------------

-- Physical lines of a text (it ends with a newline).
local function physical_lines(text)
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  return lines
end

-- The logical lines gnuplot reads: a line ending in a backslash continues
-- on the next (comment lines too).
local function logical_lines(text)
  local out, pending = {}, nil
  for _, line in ipairs(physical_lines(text)) do
    line = (pending or "") .. line
    if line:sub(-1) == "\\" then pending = line:sub(1, -2)
    else out[#out + 1] = line pending = nil end
  end
  check(pending == nil, "the script ends inside a continued line")
  return out
end

-- Splits one logical line into commands (at `;` outside strings), each a
-- skeleton (strings replaced by S) and its decoded string tokens; a `#`
-- outside strings ends the line. Raises when a string is not closed on its
-- line or a backquote is outside single quotes.
local function commands_of(line, commands, strings)
  local skeleton, i = {}, 1
  local function finish()
    local text = table.concat(skeleton):gsub("^%s+", ""):gsub("%s+$", "")
    if text ~= "" then commands[#commands + 1] = text end
    skeleton = {}
  end
  while i <= #line do
    local at = line:find("[#;`'\"]", i)
    skeleton[#skeleton + 1] = line:sub(i, (at or #line + 1) - 1)
    if not at then break end
    local c = line:sub(at, at)
    if c == "#" then break
    elseif c == ";" then finish() i = at + 1
    elseif c == "`" then check(false, "a backquote outside single quotes", line)
    elseif c == "'" then
      local value, j = {}, at + 1
      while true do
        local close = line:find("'", j, true)
        check(close, "a single-quoted string not closed on its line", line)
        value[#value + 1] = line:sub(j, close - 1)
        if line:sub(close + 1, close + 1) ~= "'" then j = close break end
        value[#value + 1] = "'" -- '' is a quote inside the string
        j = close + 2
      end
      strings[#strings + 1] = table.concat(value)
      skeleton[#skeleton + 1] = "S"
      i = j + 1
    else -- a double-quoted string: backslash escapes; backquotes would run commands
      local j = at + 1
      while true do
        local stop = line:find('[\\"`]', j)
        check(stop, "a double-quoted string not closed on its line", line)
        local d = line:sub(stop, stop)
        check(d ~= "`", "a backquote in a double-quoted string", line)
        if d == '"' then j = stop break end
        j = stop + 2
      end
      strings[#strings + 1] = line:sub(at + 1, j - 1)
      skeleton[#skeleton + 1] = "S"
      i = j + 1
    end
  end
  finish()
end

-- A script's commands (skeletons), string tokens and physical line count.
local function parse_script(script)
  check(script:sub(-1) == "\n", "the script ends with a newline")
  local commands, strings = {}, {}
  for _, line in ipairs(logical_lines(script)) do commands_of(line, commands, strings) end
  for _, command in ipairs(commands) do
    check(not command:find("^!") and not command:find("^system") and not command:find("^shell"),
          "a shell command", command)
  end
  return { commands = commands, strings = strings, lines = #physical_lines(script) }
end

-- The 4 fields of a .dat row: numbers (or NaN, gnuplot's undefined value).
local function data_row_ok(row)
  local fields = {}
  for field in row:gmatch("%S+") do fields[#fields + 1] = field end
  if #fields ~= 4 or row:find("^%s") or row:find("%s%s") or row:find("%s$") then return false end
  for _, field in ipairs(fields) do
    if field ~= "NaN" and not tonumber(field) then return false end
  end
  return true
end

-- ---- the chart ------------------------------------------------------------------

local function chart(style, title, label, tick)
  return {
    file = "fig1-test_acc-x", title = title, xlabel = label, ylabel = "test accuracy (%)", style = style,
    key = "bottom right", logx = false, xtics = { { 1, tick }, { 2, "b" } }, xrange = { 0.5, 2.5 },
    series = {
      { title = label, points = { { 1, 50, 1, 3 }, { 2, 60, 0.5, 3 } } },
      { title = tick .. " / " .. label, points = {} }, -- in the key only (diverged)
      { title = title, points = { { 1, 0 / 0, 0, 3 } } },
    },
  }
end

-- Per style, the chart drawn with plain labels (one word each): its script
-- parsed, and its .dat file.
local PLAIN = {}
for _, style in ipairs { "errorbars", "band" } do
  local script, data = gnuplot.chart(chart(style, "TITLE", "LABEL", "TICK"))
  PLAIN[style] = { parsed = parse_script(script), data = data }
end

local function check_chart(style, title, label, tick)
  local script, data = gnuplot.chart(chart(style, title, label, tick))
  local plain, plain_data, got = PLAIN[style].parsed, PLAIN[style].data, parse_script(script)
  check(got.lines == plain.lines, "the script has another number of lines", script)
  check(#got.commands == #plain.commands, "the script has another number of commands", script)
  for i, command in ipairs(plain.commands) do
    check(got.commands[i] == command, "a command changed", got.commands[i])
  end
  check(#got.strings == #plain.strings, "another number of strings", script)
  local given = { TITLE = escape.line(title), LABEL = escape.line(label), TICK = escape.line(tick) }
  for i, s in ipairs(plain.strings) do
    local want, read = s:gsub("%u+", function(word) return given[word] end), got.strings[i]
    if s == "TICK" then
      -- a tic label is a format for the tic's value (escape.gnuplot_tic_label):
      -- every % doubled, none left to start a conversion, %% drawn as %
      check(not read:gsub("%%%%", ""):find("%", 1, true), "a tic label with a lone %", read)
      read = read:gsub("%%%%", "%%")
    end
    check(read == want, "a string does not read as the text given", got.strings[i])
  end
  -- the .dat: the same rows as with plain labels, only comments differ
  local plain_lines, lines = physical_lines(plain_data), physical_lines(data)
  check(#lines == #plain_lines, "the .dat has another number of lines", data)
  for i, line in ipairs(lines) do
    if plain_lines[i]:find("^#") then check(line:find("^#"), "a comment line became data", line)
    else
      check(line == plain_lines[i], "a data line changed", line)
      check(line == "" or data_row_ok(line), "a data row without exactly 4 numeric fields", line)
    end
  end
end

-- ---- Markdown, CSV, file names ------------------------------------------------

local SPECIAL = "[\\`*_%[%]<>#|~$&]"

-- The text of an inline Markdown string with backslash escapes, or an error
-- when a special character stands unescaped (but `_` inside a word).
local function unescape_md(text)
  local out, i = {}, 1
  while i <= #text do
    local c = text:sub(i, i)
    if c == "\\" then
      local d = text:sub(i + 1, i + 1)
      check(d:find(SPECIAL) ~= nil, "a backslash that escapes nothing", text)
      out[#out + 1] = d
      i = i + 2
    else
      local intraword = c == "_" and text:sub(i - 1, i - 1):find("^%w$") and text:sub(i + 1, i + 1):find("^%w$")
      check(intraword or not c:find(SPECIAL), "an unescaped Markdown character", text)
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

-- True when a cell has no unescaped `|` (escape pairs read whole).
local function cell_ok(text)
  local i = 1
  while i <= #text do
    local c = text:sub(i, i)
    if c == "|" then return false end
    i = i + (c == "\\" and 2 or 1)
  end
  return true
end

-- One RFC 4180 field back to its text.
local function csv_read(field)
  if field:sub(1, 1) ~= '"' then
    check(not field:find('[,"%c]'), "an unquoted CSV field with a separator", field)
    return field
  end
  check(#field >= 2 and field:sub(-1) == '"', "an unclosed CSV field", field)
  local inner = field:sub(2, -2)
  check(not inner:gsub('""', ""):find('"'), "a lone quote in a CSV field", field)
  return (inner:gsub('""', '"'))
end

local function check_formats(s)
  local line = escape.line(s)
  check(not line:find("%c"), "a control character after escape.line", line)
  local text = escape.md_text(s)
  check(not text:find("%c"), "a control character in Markdown text", text)
  check(unescape_md(text) == line, "Markdown text does not read back", text)
  check(escape.md_cell(text) == text, "Markdown text is not cell-safe as it is", text)
  local cell = escape.md_cell(s)
  check(not cell:find("%c") and cell_ok(cell), "a cell with a line break or an unescaped pipe", cell)
  local code = escape.md_code(s)
  local fence = code:match("^`+")
  check(fence and code:sub(-#fence) == fence and #code > 2 * #fence, "a code span without its fences", code)
  local inner = code:sub(#fence + 1, -#fence - 1)
  for run in inner:gmatch("`+") do check(#run ~= #fence, "a backtick run that closes the code span", code) end
  check(not code:find("%c"), "a control character in a code span", code)
  local link = escape.md_link(s)
  check(not link:find("[^%w%-%._~/%%]"), "a link target with a bare special character", link)
  local decoded = link:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  check(decoded == s, "a link target that does not decode", link)
  check(csv_read(escape.csv_field(s)) == escape.utf8(s), "a CSV field that does not read back", escape.csv_field(s))
  local name = escape.file_name(s)
  check(#name == #s and not name:find("[^%w%-_]"), "a file name with a separator", name)
end

-- Any double as a point's x, mean and std: each .dat row still holds 4 numbers.
local function check_numbers(x)
  local _, data = gnuplot.chart { file = "n", title = "n", xlabel = "x", ylabel = "y", style = "band",
                                  series = { { title = "s", points = { { x, x, x, 3 }, { 1, 2, 0, 3 } } } } }
  local rows = 0
  for _, line in ipairs(physical_lines(data)) do
    if line ~= "" and not line:find("^#") then
      rows = rows + 1
      check(data_row_ok(line), "a data row without exactly 4 numeric fields", line)
    end
  end
  check(rows == 2, "another number of data rows", data)
end

return function(bytes)
  local a, b = bytes:byte(1) or 0, bytes:byte(2) or 0
  local rest = bytes:sub(3)
  local title, label, tick = rest:sub(1, a), rest:sub(a + 1, a + b), rest:sub(a + b + 1)
  for _, style in ipairs { "errorbars", "band" } do check_chart(style, title, label, tick) end
  for _, s in ipairs { title, label, tick } do check_formats(s) end
  if #bytes >= 24 then check_numbers(string.unpack("<d", bytes, 17)) end
end
