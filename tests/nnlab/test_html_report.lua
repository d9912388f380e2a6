-- `--html` (lua/nnlab/notebook/html.lua, bridge/lua_html.c): the report as
-- one web page. What the file holds (cmark-gfm's tables with their
-- alignment, charts embedded as data: URIs or linked, raw HTML in prose
-- omitted, the title escaped, phone and print CSS, a CJK font), that it is
-- written inside the report's atomic staging (a fault at any write or
-- rename leaves the old .md and .html together, or the new ones together),
-- a later run without --html keeps an embedded page and drops a linked one,
-- and what a real browser makes of it: Debian's chromium, headless, loads
-- the page, unchanged, in an iframe of a probe page that records what it
-- finds (the title, the tables, whether each image was drawn whole, the
-- horizontal overflow at a phone's width) into the DOM that --dump-dom
-- prints. A screenshot goes to the test folder (desktop.png) for people to
-- look at. Without chromium the browser case
-- fails (scripts/setup.sh --tests installs it); under ASan it is skipped,
-- as the browser runs no nnlab code (the page's rendering is checked above).
local T = require "testlib"

local dir = T.tmpdir("html_report")
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data")
local script = dir .. "/页面.lua"
T.write(script, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local prose = lab.param("prose", "A")
lab.title "中文标题 <b>&"
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { 4, 8 }, lr = { 0.1, 0.05 } }, seeds = 1, epochs = 2, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end,
}
lab.md("prose %%s: <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))", prose)
lab.table(runs)
lab.table(runs, { rows = "hidden", columns = "lr" })
lab.chart(runs, { title = "测试准确率" })
lab.chart(runs, { x = "hidden", title = "最终准确率" })
]]):format(data, data))

local env = { NNLAB_CACHE = dir .. "/cache" }
local function run(out, extra, more_env)
  local argv = { "run", script, "--out", out, "--quiet" }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  local e = {}
  for k, v in pairs(env) do e[k] = v end
  for k, v in pairs(more_env or {}) do e[k] = v end
  return T.nnlab_run(argv, e)
end

local embedded = dir .. "/embedded/页面.html"
local linked = dir .. "/linked/页面.html"

local function count(text, pattern)
  local n = 0
  for _ in text:gmatch(pattern) do n = n + 1 end
  return n
end

T.case("--html writes one self-contained page", function()
  local text, status = run(dir .. "/embedded", { "--html" })
  T.eq(status, 0, "run\n" .. text)
  local page = T.truthy(T.read(embedded), "the page exists")
  T.contains(page, '<meta name="viewport" content="width=device-width, initial-scale=1">', "viewport")
  T.contains(page, '<html lang="zh-CN">', "language")
  T.contains(page, "<title>中文标题 &lt;b&gt;&amp;</title>", "the title, escaped")
  T.contains(page, "<h1>中文标题 &lt;b&gt;&amp;</h1>", "the heading, escaped by the Markdown and cmark")
  T.contains(page, "@media print", "print styles")
  T.contains(page, '"WenQuanYi Zen Hei"', "a font with Chinese glyphs")
  T.eq(count(page, '<img src="data:image/png;base64,[%w+/=]+"'), 2, "charts embedded as data: URIs")
  T.truthy(count(page, "<table>") >= 3, "the header, list and grid tables")
  T.contains(page, '<th align="right">', "right-aligned number columns")
  T.truthy(page:find('<td align="right" class="value">%d+%.%d+ %%</td>'),
           "a number cell kept on one line (class value)")
  T.truthy(not page:find("<script>alert", 1, true), "raw HTML in prose does not pass through")
  T.truthy(not page:find("onerror", 1, true), "no onerror attribute")
  T.truthy(not page:find('href="javascript:', 1, true), "no javascript: link")
  T.truthy(not page:find("<script", 1, true), "no script in a page not watched")
  T.contains(page, 'href="%E9%A1%B5%E9%9D%A2/results.csv"', "links relative to the page")
end)

T.case("a run with --html names the page it wrote; --out DIR/ prints no double slash", function()
  local out = dir .. "/named"
  local text, status = T.nnlab_run({ "run", script, "--out", out .. "/", "--html" }, env)
  T.eq(status, 0, "run\n" .. text)
  T.contains(text, ("nnlab: wrote %s/页面.md and %s/页面.html\n"):format(out, out), "both files named")
  T.truthy(T.read(out .. "/页面.html"), "the page exists")
end)

T.case("--html=linked links the charts beside the page", function()
  local text, status = run(dir .. "/linked", { "--html=linked" })
  T.eq(status, 0, "run\n" .. text)
  local page = T.read(linked)
  T.eq(count(page, "data:image"), 0, "nothing embedded")
  local n = 0
  for src in page:gmatch('<img src="([^"]+)"') do
    n = n + 1
    local file = src:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    T.truthy(T.read(dir .. "/linked/" .. file), "the linked chart exists: " .. file)
  end
  T.eq(n, 2, "charts")
  T.contains(T.read(embedded), "中文标题", "the embedded page is larger")
  T.truthy(#T.read(embedded) > #page + 1000, "the embedded page holds the charts")
end)

T.case("a bad --html mode is refused", function()
  local text, status = run(dir .. "/bad", { "--html=pdf" })
  T.eq(status, 1, "status")
  T.contains(text, "--html=pdf: expected --html, --html=embed", "message")
end)

T.case("the page is written in the report's staging: a fault at its points leaves the old pair or the new", function()
  local out, saved = dir .. "/atomic", dir .. "/atomic-old"
  local text, status = run(saved, { "--html", "--set", "prose=OLD" })
  T.eq(status, 0, "old report\n" .. text)
  local old_md, old_page = T.read(saved .. "/页面.md"), T.read(saved .. "/页面.html")
  local function faulted(k, kind)
    os.execute(("rm -rf %s && cp -a %s %s"):format(T.quote(out), T.quote(saved), T.quote(out)))
    return run(out, { "--html", "--set", "prose=NEW" }, { NNLAB_FAULT_AT = tostring(k), NNLAB_FAULT_KIND = kind })
  end
  local function check(k, kind, status_text)
    local md, page = T.read(out .. "/页面.md"), T.read(out .. "/页面.html")
    local md_new, page_new = md:find("prose NEW", 1, true) ~= nil, page:find("prose NEW", 1, true) ~= nil
    T.eq(page_new, md_new, ("%s at %d: the .md and the page agree\n%s"):format(kind, k, status_text))
    if not md_new then
      T.eq(md, old_md, kind .. " at " .. k .. ": the old .md")
      T.eq(page, old_page, kind .. " at " .. k .. ": the old page")
    end
  end
  -- the last fault point; the last 9 are the page's write (write, rename),
  -- the journal's (write, rename) and the commit's renames (the folder out
  -- and in, the page out and in, the .md); test_report_atomic covers the
  -- points before them
  local lo, hi = 1, 128 -- lo faults, hi does not
  while hi - lo > 1 do
    local mid = (lo + hi) // 2
    if faulted(mid, "fail"):find("injected fault", 1, true) then lo = mid else hi = mid end
  end
  local points = lo
  T.truthy(points >= 10, "fault points: " .. points)
  for k = points - 8, points do
    local fault_text = faulted(k, "fail")
    T.contains(fault_text, "injected fault", "fault " .. k)
    check(k, "fault", fault_text)
  end
  -- SIGKILL at the commit's renames, then the next run's recovery
  for k = points - 4, points do
    local kill_text, kill_status = faulted(k, "kill")
    T.eq(kill_status, 137, "SIGKILL at " .. k .. "\n" .. kill_text)
    run(out, { "--html", "--set", "prose=NEW" }, { NNLAB_FAULT_AT = "1" }) -- recovers, then fails at once
    check(k, "SIGKILL", kill_text)
    T.eq(T.run("ls -A " .. T.quote(out)):gsub("%s+", " "), ".页面.lock 页面 页面.html 页面.md ", "nothing left over")
  end
end)

-- Under `nnlab watch` a failed render's error shows in a bar above the last
-- good report: in the report's language (it was English on Chinese pages).
T.case("the watch page's error bar speaks the report's language", function()
  local html, words = require "nnlab.notebook.html", require "nnlab.notebook.words"
  local function bar(language)
    words.set(language)
    local page = html.page { markdown = "# t\n", title = "t", name = "t", language = language, images = "embed",
                             folder = dir, read = function() end, version = "1-2-3" }
    return page:match("bar%.textContent = [^\n]*")
  end
  local zh, en = bar("zh"), bar("en")
  words.set("en")
  T.contains(zh, '" 的渲染失败了；下面是上一次成功的报告。"', "Chinese")
  T.eq(zh:find("render", 1, true), nil, "no English words in the Chinese bar: " .. zh)
  T.contains(en, '"The render of " + status.at + " failed; below is the last good report."', "English")
end)

T.case("every bold phrase the report's words hold renders bold (CJK punctuation and CommonMark)", function()
  local words, core = require "nnlab.notebook.words", require "nnlab.core"
  for language, catalogue in pairs(words.catalogues) do
    for key, text in pairs(catalogue) do
      local _, marks = text:gsub("%*%*", "")
      if type(text) == "string" and marks > 0 then
        local page = core.html.from_markdown((text:gsub("%%[%-%d%.]*[sdfgq]", "x")))
        local _, strong = page:gsub("<strong>", "")
        T.eq(strong, marks // 2, ("%s.%s: bold phrases in %q"):format(language, key, text))
      end
    end
  end
end)

-- chromium, headless: its output and exit status. File pages may read each
-- other (--allow-file-access-from-files), so the probe page below can look
-- into the report's page in its iframe; virtual time lets the loads finish.
local function chromium(args)
  return T.run("timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
               .. "--allow-file-access-from-files --virtual-time-budget=5000 " .. args .. " 2>/dev/null")
end

-- The probe: the report's page, unchanged, in an iframe WIDTH px wide (a
-- window narrower than 500 px is not possible headless); once it has loaded,
-- what the browser made of it goes into data-* attributes of the probe's body,
-- which --dump-dom prints. An image counts as whole when its last row of
-- pixels was drawn (a truncated PNG has its header's naturalWidth, decodes
-- "successfully" and leaves the rows it lacks transparent; gnuplot's charts
-- are opaque).
local PROBE = [[
<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" style="border:0; width:WIDTHpx; height:900px" src="PAGE"></iframe>
<script>
var frame = document.getElementById("page");
frame.addEventListener("load", function () {
  var d = frame.contentDocument, w = frame.contentWindow, images = Array.prototype.slice.call(d.images);
  var whole = images.map(function (img) {
    if (!img.complete || img.naturalWidth === 0) return 0;
    var c = d.createElement("canvas"), g = c.getContext("2d");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    g.drawImage(img, 0, 0);
    var row = g.getImageData(0, c.height - 1, c.width, 1).data, opaque = 0;
    for (var i = 3; i < row.length; i += 4) if (row[i] > 0) opaque++;
    return opaque > 0 ? 1 : 0;
  });
  var b = document.body;
  b.setAttribute("data-title", d.title);
  b.setAttribute("data-h1", d.querySelector("h1").textContent);
  b.setAttribute("data-tables", d.querySelectorAll("table").length);
  b.setAttribute("data-aligned", d.querySelectorAll('th[align="right"]').length);
  b.setAttribute("data-images", images.length);
  b.setAttribute("data-whole", whole.reduce(function (a, x) { return a + x; }, 0));
  b.setAttribute("data-widths", images.map(function (img) { return img.naturalWidth; }).join(" "));
  b.setAttribute("data-overflow", d.documentElement.scrollWidth - w.innerWidth);
  b.setAttribute("data-viewport", w.innerWidth);
});
</script></body></html>
]]

if os.getenv("NNLAB_SANITIZED") == "1" then
  T.skip("chromium loads the page", "ASan build: the browser runs no nnlab code (the Release build runs this case)")
else
  T.case("chromium loads the page: tables, whole images, the Chinese title, no sideways page on a phone", function()
    local where = T.run("command -v chromium")
    T.truthy(where:find("chromium", 1, true),
             "chromium is not installed: scripts/setup.sh --tests installs it (apt-get install chromium)")
    -- the embedded page at a phone's width, the linked one at a desktop's (each chromium start costs seconds)
    for _, view in ipairs { { "embedded", embedded, 390 }, { "linked", linked, 1000 } } do
      local probe = dir .. "/probe-" .. view[1] .. ".html"
      T.write(probe, (PROBE:gsub("WIDTH", tostring(view[3])):gsub("PAGE", function() return "file://" .. view[2] end)))
      local dom, status = chromium(("--window-size=1100,950 --dump-dom %s"):format(T.quote("file://" .. probe)))
      local what = ("%s page at %d px"):format(view[1], view[3])
      local function attribute(name) return dom:match(("data%%-%s=\"([^\"]*)\""):format(name)) end
      T.eq(status, 0, what .. ": chromium ran\n" .. dom:sub(1, 2000))
      T.eq(attribute("h1"), "中文标题 &lt;b&gt;&amp;", what .. ": the Chinese title, as text")
      T.eq(attribute("title"), "中文标题 &lt;b&gt;&amp;", what .. ": the page's title")
      T.truthy(tonumber(attribute("tables") or "") and tonumber(attribute("tables")) >= 3, what .. ": tables")
      T.truthy(tonumber(attribute("aligned") or "") and tonumber(attribute("aligned")) >= 3,
               what .. ": right-aligned number columns")
      T.eq(attribute("images"), "2", what .. ": images")
      T.eq(attribute("whole"), "2", what .. ": images loaded and drawn whole (natural widths "
           .. tostring(attribute("widths")) .. ")")
      T.eq(attribute("viewport"), tostring(view[3]), what .. ": the width asked")
      local overflow = tonumber(attribute("overflow") or "")
      T.truthy(overflow and overflow <= 0, what .. ": the page does not scroll sideways (overflow "
               .. tostring(overflow) .. " px)")
    end
    -- a screenshot for people (not compared): a PNG of the asked size
    local png = dir .. "/desktop.png"
    os.remove(png)
    local text, status = chromium(("--window-size=1280,1600 --screenshot=%s %s"):format(T.quote(png),
                                                                                     T.quote("file://" .. embedded)))
    T.eq(status, 0, "screenshot\n" .. text)
    local shot = T.truthy(T.read(png), "screenshot written")
    T.eq(shot:sub(1, 8), "\137PNG\r\n\26\n", "a PNG")
    T.eq(string.unpack(">I4", shot, 17), 1280, "its width")
  end)
end

-- (after the browser's case, which loads the linked page)
T.case("a run without --html keeps an embedded page and removes a linked one, whose pictures it replaced", function()
  local embedded_page = T.read(embedded)
  local text, status = run(dir .. "/embedded", nil, nil)
  T.eq(status, 0, "run\n" .. text)
  T.eq(T.read(embedded), embedded_page, "the embedded page stays as it was")
  text, status = run(dir .. "/linked", nil, nil)
  T.eq(status, 0, "run\n" .. text)
  T.eq(T.read(linked), nil, "the linked page is gone")
  T.eq(T.run("ls -A " .. T.quote(dir .. "/linked") .. " | grep -v lock"), "页面\n页面.md\n", "and nothing is left of it")
  -- an embedded page whose prose links an image of its own is still embedded: the page says so
  local own = dir .. "/own/own.lua"
  os.execute("mkdir -p " .. T.quote(dir .. "/own"))
  T.write(own, 'local lab = require "nnlab"\nlab.md("A diagram: ![diagram](diagram.png)")\n')
  for _, argv in ipairs { { "--html" }, {} } do
    text, status = T.nnlab_run({ "run", own, "--out", dir .. "/own/out", "--quiet", table.unpack(argv) })
    T.eq(status, 0, "run\n" .. text)
  end
  T.truthy(T.read(dir .. "/own/out/own.html"), "the embedded page with a linked image of the prose stays")
end)

T.done()
