-- Every shipped experiment (experiments/*.lua) runs to its end on a small
-- subset with 1 epoch and 1 seed (--set overrides), writing its report into
-- a test folder with its own cache, so none of them can rot. The sections
-- run first and the review last: the review's sweeps are the sections'
-- (experiments/lib/setup.lua), so it must train nothing. Two seeds, so that
-- the verdicts are tested; the reports are then read against their own
-- results.json: what the prose says is what the numbers say.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"

local dir = T.tmpdir("experiments")
local experiments = T.source .. "/experiments"
local SMALL = { epochs = 1, seeds = 2, train_size = 600, test_size = 300 }
-- parameters only some files declare
local EXTRA = { regularization = { reg_train_size = 300 }, review = { reg_train_size = 300, demo_size = 200 } }
-- files whose data is not the image datasets: their own small set (no
-- train_size / test_size), and the name their report gives the data
local OWN = { tabular = { sets = { epochs = 1, seeds = 2 }, dataset = "Iris" } }

local names = {}
local ls = io.popen("ls " .. T.quote(experiments) .. "/*.lua")
for path in ls:lines() do names[#names + 1] = path:match("([^/]+)%.lua$") end
ls:close()
table.sort(names, function(a, b)
  if (a == "review") ~= (b == "review") then return b == "review" end
  return a < b
end)

T.case("experiments/ holds the shipped experiments", function()
  T.truthy(#names >= 8, "experiments found: " .. table.concat(names, ", "))
end)

for _, name in ipairs(names) do
  -- The review's case relies on the sections' cases having run first (their
  -- cache is what it reads), which the order of `names` ensures.
  T.case(("experiment %s runs to its end and writes its report"):format(name), function()
    local args = { "run", experiments .. "/" .. name .. ".lua", "--out", dir .. "/reports" }
    local sets = {}
    for k, v in pairs(OWN[name] and OWN[name].sets or SMALL) do sets[k] = v end
    for k, v in pairs(EXTRA[name] or {}) do sets[k] = v end
    for k, v in pairs(sets) do args[#args + 1] = "--set" args[#args + 1] = ("%s=%s"):format(k, v) end
    local out, status = T.nnlab_run(args, { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
    T.eq(status, 0, name .. ": exit status\n" .. out)
    local runs, trained = H.counts(out)
    T.truthy(runs > 0, name .. ": has sweeps")
    if name == "review" then T.eq(trained, 0, "review: every run comes from the sections' cache\n" .. out) end
    local md = T.read(("%s/reports/%s.md"):format(dir, name))
    T.truthy(md, name .. ": report written")
    T.truthy(md:find("`epochs` = 1 (--set; default ", 1, true) or md:find("`epochs` = 1（`--set`；默认 ", 1, true),
             name .. ": epochs overridden")
    T.contains(md, OWN[name] and OWN[name].dataset or "Fashion-MNIST", name .. ": says which dataset ran")
    T.truthy(md:find("| 笔记的说法 | 判定 | 依据（实测） |", 1, true), name .. ": claims with verdicts")
    local png = md:match("%]%(([^)]+%.png)%)")
    T.truthy(png, name .. ": has a chart")
    H.expect_png(dir .. "/reports/" .. png, 5000)
  end)
end

-- ---- the reports read against their numbers -------------------------------

local function report(name) return T.read(("%s/reports/%s.md"):format(dir, name)) end

-- One CSV line's fields ("a,\"b, c\",d": quotes around a field with a comma, "" inside).
local function csv_fields(line)
  local fields, i = {}, 1
  while i <= #line + 1 do
    if line:sub(i, i) == '"' then
      local j, text = i + 1, {}
      while true do
        local q = line:find('"', j, true)
        text[#text + 1] = line:sub(j, q - 1)
        if line:sub(q + 1, q + 1) == '"' then text[#text + 1] = '"' j = q + 2 else i = q + 2 break end
      end
      fields[#fields + 1] = table.concat(text)
    else
      local c = line:find(",", i, true) or #line + 1
      fields[#fields + 1] = line:sub(i, c - 1)
      i = c + 1
    end
  end
  return fields
end

-- results.csv as { rows = { { field = value } } } (numbers as numbers).
local function results(name)
  local text = T.read(("%s/reports/%s/results.csv"):format(dir, name))
  local head, rows = nil, {}
  for line in text:gmatch("([^\n]*)\n") do
    local fields = csv_fields(line)
    if not head then head = fields
    else
      local row = {}
      for k, field in ipairs(head) do row[field] = tonumber(fields[k]) or fields[k] end
      rows[#rows + 1] = row
    end
  end
  return { rows = rows }
end

-- Mean over seeds of a metric after the last epoch, per variation of one
-- sweep of results.json: { [variation label] = mean }.
local function final_means(doc, sweep, metric)
  local last, sums, counts = {}, {}, {}
  for _, row in ipairs(doc.rows) do
    if row.sweep == sweep then
      local key = row.variation .. "\0" .. row.seed
      if not last[key] or row.epoch > last[key].epoch then last[key] = row end
    end
  end
  for _, row in pairs(last) do
    if row[metric] and row[metric] ~= "" then
      sums[row.variation] = (sums[row.variation] or 0) + row[metric]
      counts[row.variation] = (counts[row.variation] or 0) + 1
    end
  end
  local out = {}
  for v, sum in pairs(sums) do out[v] = sum / counts[v] end
  return out
end
local function best_of(means)
  local best
  for v, m in pairs(means) do if not best or m > means[best] then best = v end end
  return best
end

-- Prose outside code, link targets, HTML comments and quotations ("…": the
-- notes' own words, quoted as they stand), each left out as "·".
local function prose(md)
  return (md:gsub("```.-```", "·"):gsub("`[^`\n]*`", "·"):gsub("%]%([^)]*%)", "]·"):gsub("<!%-%-.-%-%->", "·"):gsub("<br>", "·")
            :gsub('"[^"\n]*"', "·"))
end

-- Names and terms that stay as they are in a Chinese report: methods, tests,
-- layers, optimizers, datasets and their classes, the sweeps' parameter names
-- and values, file and tool names.
local NAMES = {}
for w in ([[Holm TOST Welch Wilcoxon Mann Whitney Bonferroni Fisher Iris setosa versicolor virginica Fashion MNIST
  KMNIST IDX CSV NaN Inf Sigmoid ReLU LeakyReLU Tanh Linear Dropout Normalize Adam AdamW SGD MLP PyTorch Lua nnlab SIMD
  SHA HTTP TLS MB MD cm LR ln fashion mnist shirt top Trouser Pullover Dress Coat Sandal Shirt Sneaker Bag Ankle boot batch Batch Size log softmax
  logits momentum beta eps results csv json act relu sigmoid tanh leaky_relu hidden layers opt sgd adam lr dropout
  weight_decay batch_size aug none shift crop noise shift_noise cross_entropy petal_length petal_width sepal_length
  sepal_width activation augmentation depth neurons optimizer regularization review tabular learning_rate]]):gmatch("%S+") do
  NAMES[w] = true
end

T.case("the Chinese reports hold no English words of nnlab's or the experiments' own (epoch, eval, failed ...)", function()
  for _, name in ipairs(names) do
    local found, seen = {}, {}
    for w in prose(report(name)):gmatch("%a[%a_]+") do
      if not NAMES[w] and not seen[w] then seen[w] = true found[#found + 1] = w end
    end
    T.eq(#found, 0, name .. ": English words: " .. table.concat(found, ", "))
  end
  -- the charts' axes too: a gap's unit had read （pp）
  local labels = T.run("cat " .. T.quote(dir .. "/reports") .. "/*/*.gp | grep -h '^set [xy]label' || true")
  T.truthy(labels:find("set ylabel", 1, true), "the charts' axis labels\n" .. labels)
  T.eq(labels:find("pp", 1, true), nil, "no English unit on an axis\n" .. labels)
end)

T.case("the Chinese reports follow one spacing rule: a space between CJK and digits, none before ）", function()
  for _, name in ipairs(names) do
    local text, bad = prose(report(name)), {}
    for line in text:gmatch("[^\n]+") do
      local prev
      for _, c in utf8.codes(line) do
        local kind = (c >= 0x4E00 and c <= 0x9FFF) and "cjk" or (c >= 48 and c <= 57) and "digit" or "other"
        if (prev == "cjk" and kind == "digit") or (prev == "digit" and kind == "cjk") then bad[#bad + 1] = line break end
        prev = kind
      end
      if line:find(" ）", 1, true) then bad[#bad + 1] = line end
    end
    T.eq(#bad, 0, name .. ": spacing\n" .. table.concat(bad, "\n"))
  end
end)

T.case("each report's footnote states the Holm family it used: the tested verdicts, not the untested", function()
  for _, name in ipairs(names) do
    local md = report(name)
    local section = md:match(".*\n(## [^\n]*\n.*)$")
    local tested, untested = 0, 0
    for line in section:gmatch("[^\n]+") do
      local verdict = line:match("^| .- | ([^|]+) | [^|]* |$")
      if verdict and line:find("<br>检验：", 1, true) then
        if verdict:find("^未检验") then untested = untested + 1 else tested = tested + 1 end
      end
    end
    local said = tonumber(section:match("本报告做了检验的 (%d+) 条判定算作一个族"))
    T.eq(said, tested, name .. ": the family size the footnote states (" .. untested .. " untested)")
  end
end)

T.case("activation: Sigmoid's gap to the best is test accuracy against test accuracy", function()
  local md, doc = report("activation"), results("activation")
  local test = final_means(doc, "激活函数", "test_acc")
  local names_of = { ReLU = "act=relu", LeakyReLU = "act=leaky_relu", Tanh = "act=tanh", Sigmoid = "act=sigmoid" }
  local best, gap = md:match("Sigmoid 的测试准确率比.-(%a+) 低 (%-?[%d.]+) 个百分点")
  T.truthy(best, "the sentence")
  T.close(tonumber(gap), test[names_of[best]] - test["act=sigmoid"], 0.006, "the gap in test accuracy")
  T.eq(names_of[best], best_of(final_means(doc, "激活函数", "valid_acc")), "the best on validation")
end)

T.case("review: the best activation, picked on validation, reports its test accuracy", function()
  local md, doc = report("review"), results("review")
  local act, text = md:match("验证集上 (%S+) 最好（测试 ([%d.]+) ")
  T.truthy(act, "the §四 activation row")
  T.eq(text, ("%.2f"):format(final_means(doc, "激活函数", "test_acc")["act=" .. act]), "its test accuracy")
  T.eq("act=" .. act, best_of(final_means(doc, "激活函数", "valid_acc")), "the best on validation")
end)

T.case("depth and review: the grid's best cells are picked on validation, and the caption says so", function()
  for _, name in ipairs { "depth", "review" } do
    local md, doc = report(name), results(name)
    local valid = final_means(doc, "隐藏层数量 × 激活函数", "valid_acc")
    local caption = md:match("\n(_测试准确率：[^\n]*最佳 layers（按 act 分列）[^\n]*)")
    T.truthy(caption, name .. ": the grid's caption")
    T.contains(caption, "最佳按验证准确率挑", name .. ": picked by validation accuracy")
    for _, act in ipairs { "sigmoid", "relu" } do
      local best, layers
      for l = 1, 3 do
        local m = valid[("act=%s, layers=%d"):format(act, l)] or valid[("layers=%d, act=%s"):format(l, act)]
        if m and (not best or m > best) then best, layers = m, l end
      end
      T.contains(caption, ("act = %s → layers = %d"):format(act, layers), name .. ": " .. act)
    end
  end
end)

T.case("tabular: each ranking line says what the table's cell says (one p formatter, one no-spread wording)", function()
  local md = report("tabular")
  local cells = {}
  for label, cell in md:gmatch("\n| ([^|]-) | [^\n]-| ([^|]-) | [%d.]+ s |") do cells[label] = cell end
  local checked = 0
  for label, rest in md:gmatch("\n%- ([^：\n]+)：([^\n]+)") do
    local cell = cells[label]
    if cell and (cell:find("^无法判断") or cell:find("^有差别")) then
      T.contains(rest, cell, label .. ": the table's words")
      checked = checked + 1
    end
  end
  T.truthy(checked > 0, "ranking lines checked")
end)

-- The conclusions had claimed what the runs could not show: with one
-- seed, "every difference detected" beside a table of untested cells, a
-- list of variations "not told apart" that held only the best, a spread of
-- 0.00 between seeds; after one epoch, "training has converged".
T.case("the conclusions claim nothing one epoch or one seed cannot show", function()
  local neurons = report("neurons")
  T.contains(neurons, "只训练了一轮，看不出训练损失是否还在下降", "neurons, one epoch: no word on convergence")
  T.truthy(not neurons:find("训练基本收敛", 1, true), "neurons: not converged after one epoch")
  local out_dir = dir .. "/one-seed"
  for _, name in ipairs { "neurons", "activation", "review" } do
    local args = { "run", experiments .. "/" .. name .. ".lua", "--out", out_dir, "--quiet" }
    local sets = { epochs = 1, seeds = 1, train_size = 600, test_size = 300 }
    for k, v in pairs(EXTRA[name] or {}) do sets[k] = v end
    for k, v in pairs(sets) do args[#args + 1] = "--set" args[#args + 1] = ("%s=%s"):format(k, v) end
    local out, status = T.nnlab_run(args, { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
    T.eq(status, 0, name .. ", one seed\n" .. out)
  end
  local one = T.read(out_dir .. "/neurons.md")
  T.contains(one, "这里只有一个种子，量不出种子之间的标准差", "neurons, one seed: no spread measured")
  local activation = T.read(out_dir .. "/activation.md")
  T.truthy(not activation:find("都检出了", 1, true), "activation, one seed: nothing detected\n" .. activation)
  T.contains(activation, "与它的差别未检验的有：", "activation, one seed: the untested named")
  T.contains(activation, "同样会饱和的 Tanh 与 ReLU 相比：未检验（每边至少要两个种子）", "activation, one seed: the claim's evidence")
  local review = T.read(out_dir .. "/review.md")
  T.truthy(not review:find("验证集上与它分不出差别的", 1, true), "review, one seed: no list of variations not told apart")
  T.contains(review, "验证集上与它的差别未检验的（不足两个种子，或有种子发散）：", "review, one seed: the untested named")
end)

T.case("the validation metrics are in results.csv and results.json", function()
  local csv = T.read(dir .. "/reports/neurons/results.csv")
  T.truthy(csv:match("^[^\n]*,valid_loss,valid_acc,diverged\n"), "CSV header: " .. csv:match("^[^\n]*"))
  T.truthy(T.read(dir .. "/reports/neurons/results.json"):find('"valid_acc": [%d.]+'), "JSON rows hold valid_acc")
end)

T.case("the review quotes the notes as they stand and claims nothing they do not say", function()
  local review, neurons = report("review"), report("neurons")
  T.contains(review, "\"激活函数（Sigmoid）梯度消失问题，或模型复杂度不足\"", "§3.1's reasons, quoted exactly")
  T.truthy(not neurons:find("各只跑了一次", 1, true), "the notes do not say how often they ran")
  T.truthy(not review:find("两表的基线本是同一组设置", 1, true), "the notes do not state file 03's settings")
  T.truthy(not review:find("| Adam | 与 SGD 对比 |", 1, true), "the notes recommend no optimizer")
  T.contains(review, '"测试Adam与SGD的性能差异。"', "§五's words on the optimizer")
end)

-- valid_size past a twelfth of the training samples was cut without a word
-- (the Parameters row still said 5000), and 0 held out one sample.
T.case("a cut validation split is said in the report, and valid_size 0 is refused", function()
  T.contains(T.read(dir .. "/reports/neurons.md"),
             "**验证集说明**：`valid_size` = 5000 超过了 600 个训练样本的十二分之一，实际留出 50 个样本作验证集。",
             "the note of the small runs above")
  local out, status = T.nnlab_run({ "run", experiments .. "/neurons.lua", "--out", dir .. "/reports", "--set",
                                    "valid_size=0" }, { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
  T.eq(status, 1, out)
  T.contains(out:match("^[^\n]*"), "neurons.lua:11: valid_size must be at least 1", "at setup.begin's line")
end)

T.done()
