-- One language per report (issue 18): every word a report generates
-- (header rows, column names, verdicts, captions, axis labels, keys, the
-- data note) is in the notebook's language, lab.language "zh" or "en", by
-- default "zh" when the title holds CJK characters. A Chinese experiment
-- with a sweep, list and grid tables and charts writes a report (and .gp
-- scripts) with no English word outside code, file names and numbers; the
-- same experiment with lab.language "en" writes no CJK character outside
-- its own prose; runs:compare's text, made while the file runs, too. The
-- catalogues have the same keys and format specifiers.
local T = require "testlib"
local words = require "nnlab.notebook.words"

local dir = T.tmpdir("report_language")
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data") -- 4x4 images: runs take milliseconds

-- The user's own prose (stripped before the English report is checked).
local PROSE = { "语言测试：隐藏层与学习率", "这是一个很小的实验，只看报告用的是哪种语言。", "隐藏层扫描",
                "测试准确率随轮次的变化", "结论：看表。" }
-- The user's own paths, all under dir, are theirs too, CJK or not (a clone
-- at a Chinese path): dir as it is, as Markdown text, and inside a
-- shell-quoted word (the Command row's), where each ' is '\''.
local escape = require "nnlab.notebook.escape"
local USER_PATHS = { dir, escape.md_text(dir), (dir:gsub("'", "'\\''")) }
for _, path in ipairs(USER_PATHS) do PROSE[#PROSE + 1] = path end

local function experiment(language_line)
  return ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
lab.title "语言测试：隐藏层与学习率"
%s
local epochs = lab.param("epochs", 2)
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
lab.md "这是一个很小的实验，只看报告用的是哪种语言。"
local runs = lab.sweep { name = "隐藏层扫描", vary = { hidden = { 4, 8 }, lr = { 0.05, 0.1 } }, seeds = 2,
  epochs = epochs, batch_size = 10, eval_train = true, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
lab.table(runs)
lab.table(runs, { metrics = { "test_acc", "gap", "test_loss" } })
lab.table(runs, { rows = "hidden", columns = "lr" })
lab.chart(runs)
lab.chart(runs, { y = "train_loss", title = "测试准确率随轮次的变化" })
lab.chart(runs, { x = "lr" })
lab.md("%%s", runs:compare({ hidden = 4, lr = 0.05 }, { hidden = 8, lr = 0.1 }).text) -- the words, as the file runs
lab.md "结论：看表。"
]]):format(language_line, data, data)
end

local function run(name, language_line)
  local path = T.marked_script(dir, name, experiment(language_line))
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet", "-j", "1",
                                    "--set", "epochs=2" }, { NNLAB_CACHE = dir .. "/cache" })
  T.eq(status, 0, name .. " runs\n" .. out)
  local md = T.read(("%s/reports/%s.md"):format(dir, name))
  local gp = {}
  local p = io.popen(("ls %s/reports/%s/*.gp"):format(T.quote(dir), name))
  for file in p:lines() do gp[#gp + 1] = T.read(file) end
  p:close()
  return md, gp
end

-- Words that are not English prose: code and names that stay as they are
-- in any language. Parameter names (hidden, lr, epochs) are the
-- experiment's own code; the model, optimizer and loss descriptions
-- (Linear(16→4) → ReLU, SGD(lr=0.05), cross_entropy) are names of
-- nnlab's classes; nnlab, Lua, SIMD, SHA, IDX, CSV, NumPy, NaN, Inf, and the names of the methods (Welch, Holm, Bonferroni) are
-- names. Identifiers with "_" (metric keys, cross_entropy, p_adj), inline
-- code, link targets and paths are stripped before the check.
local ALLOWED = {}
for w in ([[hidden lr epochs Linear ReLU SGD nnlab Lua SIMD SHA IDX CSV NumPy NaN Inf Welch Holm Bonferroni]]):gmatch("%S+") do
  ALLOWED[w] = true
end

-- The English words of text: ASCII words of two letters or more outside
-- inline code, links' targets, paths, file names and the allow-list.
local function english_words(text)
  -- the user's paths first: a clone at "/tmp/ci check/..." is not English of the report's
  for _, path in ipairs(USER_PATHS) do text = text:gsub(path:gsub("%p", "%%%0"), " ") end
  text = text:gsub("`[^`\n]*`", " ")              -- inline code (and the <!-- --> comment's command)
             :gsub("%]%([^)]*%)", "] ")            -- link targets
             :gsub("[%w_%.%-]*/[^%s|,;)）（(]*", " ") -- paths and relative file names
             :gsub("[%w_%-]+%.%a+", " ")            -- file names with an extension
             :gsub("[%a_][%w_]*_[%w_]*", " ")       -- identifiers with an underscore
  local found = {}
  for w in text:gmatch("%a%a+") do
    if not ALLOWED[w] then found[#found + 1] = w end
  end
  return found
end

-- The CJK characters' context in text (each hit with a few bytes around).
local function cjk_hits(text)
  local hits = {}
  for line in text:gmatch("[^\n]+") do
    if words.has_cjk(line) then hits[#hits + 1] = line end
  end
  return hits
end

-- The label strings of a .gp script: title, xlabel, ylabel and each key's title.
local function gp_labels(script)
  local out = {}
  for kind, s in script:gmatch("set (%a+) '([^']*)'") do
    if kind == "title" or kind == "xlabel" or kind == "ylabel" then out[#out + 1] = s end
  end
  for s in script:gmatch("title '([^']*)'") do out[#out + 1] = s end
  return table.concat(out, "\n")
end

T.case("every key is in both catalogues, with the same format specifiers", function()
  local en, zh = words.catalogues.en, words.catalogues.zh
  for key, text in pairs(en) do
    T.truthy(zh[key], "zh has " .. key)
    T.eq(words.specifiers(zh[key]), words.specifiers(text), "specifiers of " .. key)
  end
  for key in pairs(zh) do T.truthy(en[key], "en has " .. key) end
  T.eq(words.specifiers("%d%% and %.1f s, %s"), "%d%.1f%s", "specifiers leave %% out")
end)

T.case("the Chinese catalogue: no English word outside code", function()
  for key, text in pairs(words.catalogues.zh) do
    local filled = text:gsub("%%%%", "%%"):gsub("%%[-+ #0]*%d*%.?%d*[dfgxs]", "1")
    local found = english_words((filled:gsub("_", " ")))
    for i = #found, 1, -1 do
      -- names: nnlab's own Normalize, curl's protocols
      if ({ HTTP = true, TLS = true, Normalize = true })[found[i]] then table.remove(found, i) end
    end
    T.eq(#found, 0, key .. ": English words " .. table.concat(found, ", ") .. " in " .. text)
  end
end)

T.case("verdict words: vs-best cells and claims in both languages", function()
  words.set("en")
  T.eq(words.versus_best({ code = "differs", p = 0.004, p_adjusted = 0.01 }, "%"), "differs (p_adj = 0.01)", "en differs")
  T.eq(words.versus_best({ code = "cant_tell", detectable = 0.8 }, "%"), "can't tell (detectable ≥ 0.8 pp)", "en can't tell")
  T.eq(words.versus_best({ code = "cant_tell", p = 0.45 }, "%"), "can't tell (p = 0.45)", "en can't tell with p")
  T.eq(words.verdict({ verdict = "equivalent", margin = 1 }, "%"), "equivalent within ±1 pp", "en equivalent")
  T.eq(words.verdict({ verdict = "not_tested", reason = "one seed" }), "not tested (one seed)", "en not tested")
  -- a detectable accuracy difference beyond 100 pp is no amount to name
  T.eq(words.versus_best({ code = "cant_tell", p = 0.9, p_adjusted = 1, detectable = 307 }, "%"),
       "can't tell (p_adj = 1; these seeds could not reliably show even the largest difference an accuracy can have)",
       "en beyond")
  T.eq(words.verdict({ verdict = "cant_tell", detectable = 150 }, "pp"),
       "can't tell (these seeds could not reliably show even the largest difference an accuracy can have)", "en claim")
  T.eq(words.versus_best({ code = "cant_tell", detectable = 150 }, "s"), "can't tell (detectable ≥ 150 s)", "not for seconds")
  words.set("zh")
  T.eq(words.versus_best({ code = "cant_tell", p = 0.9, p_adjusted = 1, detectable = 307 }, "%"),
       "无法判断（校正后 p = 1；即使准确率相差到最大，这些种子也不能可靠地检出）", "zh beyond")
  T.eq(words.versus_best({ code = "differs", p = 0.004, p_adjusted = 0.01 }, "%"), "有差别（校正后 p = 0.01）", "zh differs")
  T.eq(words.versus_best({ code = "cant_tell", detectable = 0.8 }, "%"), "无法判断（可检出 ≥ 0.8 个百分点）", "zh can't tell")
  T.eq(words.versus_best({ code = "best" }), "**最佳**", "zh best")
  T.eq(words.verdict({ verdict = "supported" }), "支持", "zh supported")
  T.eq(words.verdict({ verdict = "contradicted" }), "不成立", "zh contradicted")
  T.eq(words.verdict({ verdict = "equivalent", margin = 1 }, "pp"), "在 ±1 个百分点 内等价", "zh equivalent")
  T.eq(words.verdict({ verdict = "cant_tell", detectable = 0.5 }, "%"), "无法判断（可检出的最小差别为 0.5 个百分点）",
       "zh can't tell")
  T.eq(words.verdict({ verdict = "not_tested", reason = "只有一个种子" }), "未检验（只有一个种子）", "zh not tested")
  -- the arguments come in one order for every language: confidence, seeds wrong, seeds
  T.eq(words.text("pic_mistake_seeds", 34, 1, 2), "34%，错 1 次（共 2 个种子）", "zh: wrong in 1 of 2 seeds")
  words.set("en")
  T.eq(words.text("pic_mistake_seeds", 34, 1, 2), "34%, wrong in 1 of 2 seeds", "en: the same numbers")
  T.fails(function() words.set("fr") end, "unknown language 'fr'")
  T.eq(words.default("神经元数量"), "zh", "a Chinese title")
  T.eq(words.default("neurons"), "en", "an English title")
  T.eq(words.default("实验 caf\xe9"), "zh", "a Chinese title with a byte that is not UTF-8")
end)

local zh_md, zh_gp = run("zh_report", "")

T.case("a Chinese title makes a Chinese report: no English word outside code, file names and numbers", function()
  T.contains(zh_md, "| 运行 |", "the header table in Chinese")
  T.contains(zh_md, "| 实验 |", "header rows in Chinese")
  T.contains(zh_md, "| 测试准确率 |", "column names in Chinese")
  T.contains(zh_md, "与最佳比（测试准确率）", "the vs-best column in Chinese")
  T.contains(zh_md, "**最佳**", "best in Chinese")
  T.truthy(zh_md:find("无法判断（校正后 p ", 1, true) or zh_md:find("有差别（校正后 p ", 1, true), "a Chinese verdict")
  T.contains(zh_md, "并不等于没有差别", "the caption says can't tell is not no difference")
  T.contains(zh_md, "个百分点", "the gap in percentage points, in Chinese")
  T.contains(zh_md, "`--set`；默认 2", "a --set parameter in Chinese")
  local found = english_words(zh_md)
  T.eq(#found, 0, "English words in the Chinese report: " .. table.concat(found, ", ") .. "\n" .. zh_md)
  T.eq(#zh_gp, 3, "three chart scripts")
  for _, script in ipairs(zh_gp) do
    local labels = gp_labels(script)
    T.truthy(words.has_cjk(labels), "Chinese labels")
    found = english_words(labels)
    T.eq(#found, 0, "English words in a chart's labels: " .. table.concat(found, ", ") .. "\n" .. labels)
  end
end)

-- A chart gnuplot did not draw gets a note in the report's language: the
-- reasons nnlab gives were English in a Chinese report (gnuplot's own
-- output, quoted after them, stays as it printed it).
T.case("a chart not drawn is explained in Chinese in a Chinese report", function()
  local fake = dir .. "/fake-gnuplot"
  T.write(fake, "#!/bin/sh\nexit 3\n")
  os.execute("chmod +x " .. T.quote(fake))
  local path = T.marked_script(dir, "zh_not_drawn", experiment(""))
  for _, case in ipairs { { fake, "运行失败（退出状态 3）" }, { "/bin/true", "退出状态为 0，却没有写出图片" } } do
    local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet", "-j", "1", "--set", "epochs=2" },
                                    { NNLAB_CACHE = dir .. "/cache", NNLAB_GNUPLOT = case[1] })
    T.eq(status, 0, "runs\n" .. out)
    T.contains(out, "not drawn", "the terminal keeps English")
    local md = T.read(dir .. "/reports/zh_not_drawn.md")
    T.contains(md, "**图未画出**", "the note")
    T.contains(md, case[2], "its reason in Chinese")
    local found = english_words(md)
    T.eq(#found, 0, "English words in the Chinese report: " .. table.concat(found, ", ") .. "\n" .. md)
  end
end)

-- A history's table and chart without a label name it in the report's
-- language (the default was the English "run" in every report).
T.case("a history's default label is Chinese in a Chinese report", function()
  local path = T.marked_script(dir, "zh_history", [[
local lab = require "nnlab"
lab.title "一次训练的记录"
local history = { { epoch = 1, test_acc = 50, train_loss = 1.5 }, { epoch = 2, test_acc = 60, train_loss = 1.2 } }
lab.table(history)
lab.chart(history)
]])
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = dir .. "/cache" })
  T.eq(status, 0, "runs\n" .. out)
  local md = T.read(dir .. "/reports/zh_history.md")
  T.contains(md, "_每一轮：本次训练（一次训练）。_", "the caption")
  local found = english_words(md)
  T.eq(#found, 0, "English words in the Chinese report: " .. table.concat(found, ", ") .. "\n" .. md)
  local script = T.read(dir .. "/reports/zh_history/fig1-test_acc-epoch.gp")
  T.contains(gp_labels(script), "本次训练", "the chart's key")
end)

local en_md, en_gp = run("en_report", 'lab.language "en"')

T.case("lab.language \"en\" makes the same experiment's report English: no CJK outside its own prose", function()
  T.contains(en_md, "| Run |", "the header table in English")
  T.contains(en_md, "vs best test accuracy", "the vs-best column in English")
  T.contains(en_md, "**best**", "best in English")
  T.contains(en_md, "does not mean there is none", "the caption")
  local text = en_md
  for _, prose in ipairs(PROSE) do text = text:gsub(prose:gsub("%p", "%%%0"), "") end
  local hits = cjk_hits(text)
  T.eq(#hits, 0, "CJK outside the prose:\n" .. table.concat(hits, "\n"))
  for _, script in ipairs(en_gp) do
    local labels = gp_labels(script)
    for _, prose in ipairs(PROSE) do labels = labels:gsub(prose:gsub("%p", "%%%0"), "") end
    hits = cjk_hits(labels)
    T.eq(#hits, 0, "CJK in a chart's labels:\n" .. table.concat(hits, "\n"))
  end
end)

T.case("lab.language takes \"zh\" or \"en\": anything else is an error at the user's line", function()
  local path, line = T.marked_script(dir, "bad_language", [[
local lab = require "nnlab"
lab.language "fr" --<
]])
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet" })
  T.eq(status, 1, "exit status\n" .. out)
  T.contains(out:match("^[^\n]*"), ("%s:%d: lab.language: expected \"zh\" or \"en\", got 'fr'"):format(path, line),
             "names the line and the choices")
end)

T.case("data read from NumPy files is described in Chinese too", function()
  local write_npy = T.write_npy
  local x, y = {}, {}
  for i = 1, 20 do x[i] = ("\0\255"):rep(8) y[i] = string.char((i - 1) % 2) end
  write_npy(dir .. "/img_x.npy", "|u1", "(20, 4, 4)", table.concat(x))
  write_npy(dir .. "/img_y.npy", "|u1", "(20,)", table.concat(y))
  local path = T.marked_script(dir, "numpy_zh", ([[
local lab = require "nnlab"
lab.title "数组数据"
local ds = lab.data.npy(%q, %q)
local runs = lab.sweep { seeds = 1, epochs = 1, batch_size = 10, train = ds, test = ds,
  model = function() return lab.nn.Sequential { lab.nn.Linear(16, 2) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
]]):format(dir .. "/img_x.npy", dir .. "/img_y.npy"))
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = dir .. "/cache" })
  T.eq(status, 0, out)
  local row = T.read(dir .. "/reports/numpy_zh.md"):match("\n| 数据 |[^\n]*")
  T.contains(row or "", "读自 NumPy 文件", "the source in Chinese")
  local found = english_words(row or "")
  T.eq(#found, 0, "English words in the data row: " .. table.concat(found, ", ") .. "\n" .. tostring(row))
end)

T.done()
