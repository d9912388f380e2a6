-- nnlab.notebook.html: a report as one web page, OUT/NAME.html (`--html`).
-- The report's Markdown goes through cmark-gfm (core.html.from_markdown:
-- CommonMark + GitHub tables, raw HTML in prose omitted, never passed
-- through) into a self-contained page: CSS inline, charts embedded as data:
-- URIs ("embed", the default) or linked relative to the page ("linked",
-- `--html=linked`, a smaller file that needs the folder NAME/ beside it).
-- Readable on a phone (viewport, a column of limited width, tables that
-- scroll sideways), printable (@media print), and set in a font stack that
-- has Chinese glyphs on Windows, macOS and Linux (fonts-wqy-zenhei).
-- Under `nnlab watch` the page also reloads itself when a newer report is
-- written: it loads NAME/watch.js (a one-line script the report folder holds)
-- every second, which works from file://, where fetch() is refused; and it
-- loads OUT/.NAME.watch.js, which the watcher rewrites after each render, to
-- show a failed render's error above the last good report.
local core = require "nnlab.core"
local escape = require "nnlab.notebook.escape"
local json = require "nnlab.notebook.json"
local words = require "nnlab.notebook.words"

local html = {}

--- html.MODES: the values of `--html=MODE`.
html.MODES = { embed = true, linked = true }

--- html.VERSION_FILE: the script beside the charts that a watched page polls.
html.VERSION_FILE = "watch.js"

local FONTS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC", '
              .. '"Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
              .. '"WenQuanYi Zen Hei", "Droid Sans Fallback", sans-serif'
local MONO = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "WenQuanYi Zen Hei Mono", monospace'

local CSS = ([[
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1f2328; font: 16px/1.65 FONTS;
       -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; overflow-wrap: break-word; }
h1 { font-size: 1.85rem; line-height: 1.3; margin: .6rem 0 1rem; padding-bottom: .3rem;
     border-bottom: 1px solid #d1d9e0; }
h2 { font-size: 1.4rem; line-height: 1.3; margin: 2rem 0 .8rem; padding-bottom: .2rem;
     border-bottom: 1px solid #d1d9e0; }
h3 { font-size: 1.15rem; margin: 1.5rem 0 .6rem; }
a { color: #0969da; }
/* Chinese has no italics: a slanted Latin font's fake oblique of CJK glyphs reads badly */
em:lang(zh) { font-style: normal; color: #4b5563; }
/* WenQuanYi Zen Hei has one weight; Chromium emboldens it only from 800 up */
h1:lang(zh), h2:lang(zh), h3:lang(zh), strong:lang(zh), b:lang(zh) { font-weight: 900; }
code { font-family: MONO; font-size: .88em; background: #f3f4f6; border-radius: 4px; padding: .1em .3em; }
pre { background: #f6f8fa; padding: .8rem 1rem; overflow-x: auto; border-radius: 6px; line-height: 1.45; }
pre code { background: none; padding: 0; font-size: .85em; }
table { display: block; width: max-content; max-width: 100%; overflow-x: auto; border-collapse: collapse;
        margin: 1rem 0; font-variant-numeric: tabular-nums; font-size: .92em; }
th, td { border: 1px solid #d1d9e0; padding: .3rem .65rem; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.value { white-space: nowrap; }
td.words { min-width: 10em; }
tbody tr:nth-child(2n) td { background: #fafbfc; }
img { display: block; max-width: 100%; height: auto; margin: 1rem auto; }
blockquote { margin: 1rem 0; padding: 0 1rem; color: #59636e; border-left: .25rem solid #d1d9e0; }
hr { border: 0; border-top: 1px solid #d1d9e0; margin: 2rem 0; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  main { padding: .75rem .85rem 2rem; }
  h1 { font-size: 1.5rem; }
  th, td { padding: .25rem .45rem; }
}
@media print {
  @page { margin: 1.6cm 1.4cm; }
  body { font-size: 10.5pt; color: #000; }
  main { max-width: none; padding: 0; }
  table { display: table; width: auto; max-width: 100%; overflow: visible; font-size: 9pt; }
  tr, img, pre, blockquote { break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
  img { max-width: 85%; }
  a { color: inherit; text-decoration: none; }
  tbody tr:nth-child(2n) td { background: none; }
  #nnlab-render-error { display: none; }
}
#nnlab-render-error { position: sticky; top: 0; z-index: 1; margin: 0; padding: .6rem 1.25rem;
                      background: #b42318; color: #fff; font: .85rem/1.5 MONO; white-space: pre-wrap; }
]]):gsub("FONTS", FONTS):gsub("MONO", MONO)

-- The reload script of a watched page: loads NAME/watch.js, which calls
-- nnlabReportVersion("V") with the version of the newest report; a version
-- other than this page's reloads it (the browser keeps the scroll position).
-- A missing file (a report written since without `watch`) does nothing.
-- STATUS (.NAME.watch.js) calls nnlabWatchStatus({ ok, at, message }): a
-- failed render's error is shown in a bar at the top (as text), until the
-- next good render reloads the page.
local RELOAD = [[
<script>
(function () {
  var version = "VERSION", sources = ["SOURCE", "STATUS"];
  window.nnlabReportVersion = function (latest) { if (latest !== version) location.reload(); };
  window.nnlabWatchStatus = function (status) {
    var bar = document.getElementById("nnlab-render-error");
    if (status.ok) { if (bar) bar.remove(); return; }
    if (!bar) {
      bar = document.createElement("pre");
      bar.id = "nnlab-render-error";
      document.body.insertBefore(bar, document.body.firstChild);
    }
    bar.textContent = FAILED_BEFORE + status.at + FAILED_AFTER + "\n" + status.message;
  };
  setInterval(function () {
    sources.forEach(function (source) {
      var s = document.createElement("script");
      s.src = source + "?" + Date.now();
      s.onload = s.onerror = function () { s.remove(); };
      document.head.appendChild(s);
    });
  }, 1000);
})();
</script>
]]

-- "%41b%20c" -> "Ab c"
local function percent_decoded(url)
  return (url:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- The image rewriter for embedded charts: a URL NAME/FILE.png (as the
-- Markdown links it, escape.md_link) whose file the folder holds becomes a
-- data: URI; any other URL is kept.
local function embedder(name, folder, read)
  return function(url)
    local path = percent_decoded(url)
    local file = path:sub(#name + 2)
    if path:sub(1, #name + 1) ~= name .. "/" or file == "" or file:find("/", 1, true) or not file:match("%.png$") then
      return nil
    end
    local bytes = read(folder .. "/" .. file)
    if not bytes then return nil end
    return "data:image/png;base64," .. core.html.base64(bytes)
  end
end

-- A report version (letters, digits, - and .: safe in a JS string in HTML).
local function checked(version)
  if type(version) ~= "string" or not version:match("^[%w%-%.]+$") then
    error(("html: a report version is letters, digits, - and ., got %s"):format(tostring(version)), 2)
  end
  return version
end

-- A short cell of a number column (right-aligned: "80.91 ± 0.10 %", "7.3 s")
-- gets class="value", which keeps it on one line; a longer one (a verdict
-- in words) class="words", which keeps it wide enough to read when the
-- numbers beside it take the room of a phone's screen.
local SHORT_CELL = 24 -- characters
local function mark_values(body)
  return (body:gsub('<td align="right">(.-)</td>', function(cell)
    local text = cell:gsub("<[^>]*>", ""):gsub("&%w+;", "x")
    local n = utf8.len(text) or #text
    return ('<td align="right" class="%s">%s</td>'):format(n > SHORT_CELL and "words" or "value", cell)
  end))
end

--- html.version_script(version) -> the text of NAME/watch.js for a report
--- whose page has this version.
function html.version_script(version)
  return ('nnlabReportVersion("%s");\n'):format(checked(version))
end

--- html.status_file(name) -> ".NAME.watch.js": the watcher's last render,
--- beside the page.
function html.status_file(name)
  return "." .. name .. ".watch.js"
end

--- html.status_script { ok, at = "HH:MM:SS", message } -> the text of the
--- status file: a failed render's time and error, or ok.
function html.status_script(status)
  return ("nnlabWatchStatus(%s);\n"):format(json.encode { ok = status.ok == true, at = status.at or "",
                                                          message = status.message or "" })
end

--- html.page { markdown, title, name, language = "zh" | "en", images =
--- "embed" | "linked", folder (where the charts are now, for embedding),
--- read = function(path) -> bytes | nil, version (under watch: the page
--- polls NAME/watch.js for a newer one) } -> the page's text.
function html.page(p)
  local rewrite = p.images ~= "linked" and embedder(p.name, p.folder, p.read) or nil
  local body = mark_values(core.html.from_markdown(p.markdown, rewrite))
  local out = {
    "<!DOCTYPE html>\n",
    ('<html lang="%s">\n<head>\n'):format(p.language == "zh" and "zh-CN" or "en"),
    '<meta charset="utf-8">\n',
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    '<meta name="generator" content="nnlab">\n',
    -- how its charts are shown: a later run without --html drops a linked page (staging.lua)
    ('<meta name="nnlab-images" content="%s">\n'):format(p.images == "linked" and "linked" or "embed"),
    ("<title>%s</title>\n"):format(escape.html_text(p.title)),
    "<style>\n", CSS, "</style>\n</head>\n<body>\n<main>\n", body, "</main>\n",
  }
  if p.version then
    -- md_link leaves only letters, digits, -._~/ and %XX: safe in a JS string in HTML
    local source, status = escape.md_link(p.name .. "/" .. html.VERSION_FILE), escape.md_link(html.status_file(p.name))
    -- the error bar's words in the report's language, around the time of the failed render
    local before, after = words.text("watch_render_failed", "\0"):match("^(.-)\0(.*)$")
    local function js_string(text)
      return '"' .. text:gsub('[\\"]', "\\%0"):gsub("\n", "\\n"):gsub("</", "<\\/") .. '"'
    end
    out[#out + 1] = (RELOAD:gsub("VERSION", checked(p.version)):gsub("SOURCE", function() return source end)
                           :gsub("STATUS", function() return status end)
                           :gsub("FAILED_BEFORE", function() return js_string(before) end)
                           :gsub("FAILED_AFTER", function() return js_string(after) end))
  end
  out[#out + 1] = "</body>\n</html>\n"
  return table.concat(out)
end

return html
