-- nnlab.notebook.escape: one escaping function per format a report writes.
-- Every string that reaches a gnuplot script, a .dat file, the Markdown, the
-- HTML page or results.csv goes through the function of its format, and nowhere else is
-- quoting done by hand. Labels, titles and parameter values are outside
-- input (a `--set` value, a file name): whatever bytes they hold, a line
-- break never ends a gnuplot string, starts a gnuplot command (`!` is
-- gnuplot's shell escape), adds a .dat row or starts a Markdown block.
-- Control characters (C0 and DEL) become a space (tab, line breaks) or
-- U+FFFD (the others) wherever a format has no way to carry them, and bytes
-- that are not UTF-8 (a Latin-1 class name, a lone surrogate) U+FFFD in
-- every format: the report, results.csv and results.json are UTF-8.
local errors = require "nnlab.errors"
local serialize = require "nnlab.notebook.serialize"

local escape = {}

local REPLACEMENT = "\u{FFFD}"

--- escape.utf8(s) -> s with every byte that does not belong to a valid UTF-8
--- sequence (surrogates and code points past U+10FFFF are not valid) as
--- U+FFFD; s itself when it is valid.
function escape.utf8(s)
  if utf8.len(s) then return s end
  local out, at = {}, 1
  while true do
    local _, bad = utf8.len(s, at)
    if not bad then
      out[#out + 1] = s:sub(at)
      return table.concat(out)
    end
    out[#out + 1] = s:sub(at, bad - 1)
    out[#out + 1] = REPLACEMENT
    at = bad + 1
  end
end

--- escape.line(s) -> tostring(s) on one line: tab, line feed, vertical tab,
--- form feed and carriage return become a space, other control characters
--- (C0 and DEL) U+FFFD, and so does every byte that is not UTF-8
--- (escape.utf8). The plain text every other function starts from.
function escape.line(s)
  return (escape.utf8(tostring(s)):gsub("[%c]", function(c)
    return (c == "\t" or c == "\n" or c == "\v" or c == "\f" or c == "\r") and " " or REPLACEMENT
  end))
end

-- ---- gnuplot ------------------------------------------------------------------

--- escape.gnuplot_string(s) -> a gnuplot string literal that reads as s on
--- one line: single-quoted (gnuplot expands backquotes and backslashes only
--- inside double quotes), a quote doubled (a single-quoted string ends only
--- at a lone '), control characters replaced (escape.line).
function escape.gnuplot_string(s)
  return "'" .. escape.line(s):gsub("'", "''") .. "'"
end

--- escape.gnuplot_tic_label(s) -> s as a tic label of `set xtics ("label"
--- pos, ...)`, which gnuplot reads as a format for the tic's value: a
--- gnuplot string (above) with each % doubled, so "50%" is not a bad format
--- and "p%g" is not drawn as "p1".
function escape.gnuplot_tic_label(s)
  return escape.gnuplot_string((escape.line(s):gsub("%%", "%%%%")))
end

--- escape.gnuplot_comment(s) -> s as the text of a `#` comment line of a .gp
--- or .dat file: on one line, and not ending in a backslash (which would
--- continue the comment onto the next line of a script).
function escape.gnuplot_comment(s)
  return (escape.line(s):gsub("\\$", "\\ "))
end

--- escape.gnuplot_number(x) -> a number as a gnuplot script or .dat file
--- reads it: "%.10g", or NaN (gnuplot's undefined value) for NaN and ±inf.
function escape.gnuplot_number(x)
  if type(x) ~= "number" then errors.raise("gnuplot_number: expected a number, got %s", type(x)) end
  if x ~= x or x == math.huge or x == -math.huge then return "NaN" end
  return ("%.10g"):format(x)
end

-- ---- Markdown -------------------------------------------------------------------

-- Characters with a meaning inside a Markdown line (CommonMark and GitHub's
-- additions: tables, strikethrough, math): a backslash makes each literal.
local MD_INLINE = "[\\`*_%[%]<>#|~$&]"

--- escape.md_text(s) -> inline Markdown that reads as the plain text s: one
--- line, every character with a meaning inside a Markdown line
--- backslash-escaped (also `|`, so the result can go into a table cell as it
--- is), except `_` between two letters or digits, which never emphasizes
--- (batch_size stays readable). For titles, labels and values after a
--- heading's `#`, in a table cell or within a sentence: never at the start
--- of a line, where `-` or `1.` would start a list.
function escape.md_text(s)
  local text = escape.line(s)
  return (text:gsub("()(" .. MD_INLINE .. ")", function(at, c)
    if c == "_" and text:sub(at - 1, at - 1):find("^%w$") and text:sub(at + 1, at + 1):find("^%w$") then return c end
    return "\\" .. c
  end))
end

--- escape.md_code(s) -> a Markdown code span that reads as s (one line): a
--- fence of backticks longer than any run inside, padded with spaces when s
--- starts or ends with a backtick or a space.
function escape.md_code(s)
  local text = escape.line(s)
  if text == "" then return "` `" end
  local longest = 0
  for run in text:gmatch("`+") do longest = math.max(longest, #run) end
  local fence = ("`"):rep(longest + 1)
  local pad = (text:find("^[` ]") or text:find("[` ]$")) and " " or ""
  return fence .. pad .. text .. pad .. fence
end

--- escape.md_cell(markdown) -> inline Markdown (from md_text, md_code or
--- nnlab's own text) made safe as a table cell: on one line, and every `|`
--- not already escaped gets its backslash (GitHub splits cells at every
--- unescaped `|`, code spans included, and drops the backslash of `\|`).
function escape.md_cell(markdown)
  local out, i, text = {}, 1, escape.line(markdown)
  while i <= #text do
    local c = text:sub(i, i)
    if c == "\\" then
      out[#out + 1] = text:sub(i, i + 1) -- an escape pair stays whole
      i = i + 2
    else
      out[#out + 1] = c == "|" and "\\|" or c
      i = i + 1
    end
  end
  return table.concat(out)
end

--- escape.md_link(path) -> a relative path as a Markdown link target: every
--- byte but letters, digits, `-._~` and `/` percent-encoded, so spaces,
--- parentheses and brackets in file names keep the link whole.
function escape.md_link(path)
  return (tostring(path):gsub("[^%w%-%._~/]", function(c) return ("%%%02X"):format(c:byte()) end))
end

-- ---- HTML ------------------------------------------------------------------------

local HTML_ENTITIES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

--- escape.html_text(s) -> s as HTML text or an attribute value (in either
--- quotes): on one line (escape.line), & < > " ' as entities. The report's
--- Markdown reaches HTML through cmark-gfm (nnlab.notebook.html), not here.
function escape.html_text(s)
  return (escape.line(s):gsub("[&<>\"']", HTML_ENTITIES))
end

-- ---- file names and CSV ---------------------------------------------------------

--- escape.file_name(s) -> s as part of a file name inside a report's
--- folder: letters, digits, `-` and `_` kept, every other byte (`/`, `.`,
--- spaces, quotes, control characters, non-ASCII) becomes `_`.
function escape.file_name(s)
  return (tostring(s):gsub("[^%w%-_]", "_"))
end

--- escape.csv_field(v) -> one field of results.csv (RFC 4180): nil is
--- empty; numbers in full precision (nan, inf, -inf); booleans true/false;
--- a string in double quotes (quotes doubled) when it holds a comma, a
--- quote or a control character, which stay as they are inside the quotes;
--- bytes that are not UTF-8 as U+FFFD (escape.utf8).
function escape.csv_field(v)
  if v == nil then return "" end
  if type(v) == "number" then
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" end
    if v == -math.huge then return "-inf" end
    return serialize.number(v)
  end
  v = escape.utf8(tostring(v))
  if v:find('[,"%c]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

return escape
