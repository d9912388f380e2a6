-- nnlab.notebook.words: every word a report generates, in the notebook's
-- language (lab.language "zh" | "en"; by default "zh" when the title, or the
-- file name without one, holds CJK characters). words.text(key, ...) is the
-- catalogue entry of the current language formatted like string.format;
-- both catalogues have the same keys with the same format specifiers (a
-- test checks it). Numbers, units (%, s), code (`epochs`), file names and
-- model/optimizer descriptions (Linear(784→64) → Sigmoid, SGD(lr=0.01)) are
-- not words: they go in as they are.
local escape = require "nnlab.notebook.escape"

local words = {}

local current = "en"

words.catalogues = {}

words.catalogues.en = {
  -- separators of the lists the report writes (parts of a row, groups)
  sep = ", ",
  sep_group = "; ",
  sep_list = ", ",
  -- header
  run = "Run",
  experiment = "Experiment",
  experiment_value = "%s, run %s",
  data = "Data",
  none = "none",
  engine = "Engine",
  engine_value = "nnlab %s, SIMD path `%s`, %s; compiled by %s",
  build_type = "%s (%s build)",
  machine = "Machine",
  machine_value = "%s; %s; %s",
  cpu_family = "%s (family %s, model %s)",
  cores = "%d CPUs this process may use",
  unknown = "unknown",
  commit = "Commit",
  commit_clean = "%s, no uncommitted changes",
  commit_modified = "%s, modified: `git status` listed changed or untracked files when the report was written",
  no_git = "unknown: `git` is not installed",
  no_repository = "none: %s is not in a `git` repository",
  git_refused = "unknown: `git` would not read the repository of %s: %s",
  no_commit = "none: the `git` repository of %s has no commit yet",
  files = "Files (SHA-256)",
  command = "Command",
  seeds = "Seeds",
  runs = "Runs",
  runs_value = "%d (variation × seed): %d trained, %d from cache; up to %d at a time",
  runs_value_cached = "%d (variation × seed): 0 trained, %d from cache",
  time = "Time",
  time_value = "%s for this run before this report was written; the runs took %s of training when they were trained",
  time_value_by_hand = "%s for this run before this report was written",
  data_by_hand = "not recorded: the file trains by hand (nnlab.fit or a loop of its own), not through lab.sweep, " ..
                 "whose runs, data and seeds this table describes",
  parameters = "Parameters",
  param_set = "%s = %s (--set; default %s)",
  sweep = "Sweep %s",
  axis_set_by = " (set by %s)",
  variations_listed = "%s listed: %s",
  sweep_value = "%s%s × %s, batch %s; first variation: %s",
  sweep_value_custom = "%s%s × up to %s, each trained by the sweep's own `run(p, ctx)`",
  seed_1 = "%d seed",
  seed_n = "%d seeds",
  epoch_1 = "%d epoch",
  epoch_n = "%d epochs",
  seed_range = "%d to %d seeds",
  epoch_range = "%d to %d epochs",
  variation_1 = "%d variation",
  variation_n = "%d variations",
  seconds = "%.1f s",
  minutes_seconds = "%d min %04.1f s",
  run_seconds_small = "%.2f s",
  schedule = "lr schedule: %s",
  schedule_after = "%s: lr %s",
  schedule_span = "%s at epoch %d to %s at epoch %d, %d changes",
  schedule_epoch = "%s (epoch %d)",
  schedule_epochs = "%s (epochs %d–%d)",
  inputs_scaled = "inputs ÷ 255",
  inputs_stored = "inputs as stored",
  not_normalized = "%s, not normalized",
  normalized = "%s, normalized with mean %s, std %s",
  transforms = "transforms: %s",
  -- data
  features_1 = "%d feature",
  features_n = "%d features",
  shape = "%dx%d %s",
  targets_1 = "%d regression target",
  targets_n = "%d regression targets",
  classes = "%d classes%s",
  classes_1 = "%d class%s",
  class_list = " (%s)",
  class_count = "%s %d",
  folder_unknown = "folder unknown",
  dataset = "%s (%s, %s): %d training / %d test samples, %s, %s",
  validation = "; %d validation samples split off the training data",
  test_unseen = "; **the test set holds classes the training set has no sample of** (the model cannot learn them): %s",
  test_from = "; the test samples: %s (%s, %s)",
  sha256 = "; SHA-256 %s",
  fallback = "%s was asked for, %s (%s) was used instead: %s.",
  data_note = "> **Data:** %s",
  reason_found = "found in %s",
  reason_downloaded = "downloaded into %s",
  reason_given = "the folder %s (given explicitly)",
  reason_instead = "%s was not available; using %s, %s",
  place_explicit = "the explicit path (%s)",
  place_system = "the system copy (%s)",
  reason_idx = "read from the IDX files %s",
  reason_csv = "read from the CSV file %s",
  reason_generated = "generated in Lua (data.generate, seed %s)",
  reason_values = "built from Lua values (data.TensorDataset)",
  reason_numpy = "read from NumPy %s (%s) and %s (%s)",
  unavailable = "%s is not available",
  unavailable_download = "%s is not available (download %s)",
  -- what nnlab.datasets says of a download (the URL and curl's own words go in as code)
  download_disabled = "disabled (%s)",
  download_failed = "failed: %s",
  download_failure = "%s: %s",
  download_remembered = " (failed earlier; not retried in this run)",
  curl_6 = "could not resolve the host (no network?)",
  curl_7 = "could not connect to the server",
  curl_22 = "the server answered with an HTTP error (file not there?)",
  curl_23 = "could not write the file",
  curl_28 = "timed out",
  curl_35 = "TLS handshake failed",
  curl_37 = "could not read the file (file:// URL)",
  curl_47 = "too many redirects",
  curl_56 = "the connection broke while receiving",
  curl_60 = "the server's certificate was not accepted",
  curl_status = "curl exited with status %s",
  normalize_values = "Normalize(%s values)",
  -- metrics (by metric name; units are added where they are needed)
  metric_test_acc = "test accuracy",
  metric_train_acc = "train accuracy",
  metric_test_loss = "test loss",
  metric_train_loss = "train loss",
  metric_seconds = "seconds per epoch",
  metric_train_eval_acc = "train accuracy (eval)",
  metric_gap = "train–test gap",
  metric_gap_eval = "train–test gap (eval)",
  metric_gap_running = "train–test gap (running)",
  metric_valid_acc = "validation accuracy",
  metric_valid_loss = "validation loss",
  metric_lr = "learning rate",
  unit_pp = "%s pp",
  -- tables
  variation = "variation",
  vs_best = "vs best %s",
  train_time = "train time / run",
  diverged = "diverged",
  diverged_some = "diverged (%d/%d seeds)",
  over_one_seed = "the value of 1 seed (no std: one seed measures no noise)",
  over_seeds = "mean ± sample std over %d seeds",
  over_seeds_on_demand = "mean ± sample std over %d to %d seeds (more where a comparison was undecided; the seeds column)",
  over_seeds_on_demand_grid = "mean ± sample std over %d to %d seeds (more where a comparison was undecided)",
  over_seeds_on_demand_none = "mean ± sample std over %d seeds (seeds on demand, up to %d: every comparison was " ..
                              "decided with these)",
  over_seeds_on_demand_max = "mean ± sample std over %d seeds (seeds on demand: every variation took the most)",
  table_caption = "_After the last epoch (%s), %s. vs best: every pair of variations is tested (paired by seed: " ..
                  "paired t; Welch's t when they share fewer than two seeds) and the p-values of all pairs are " ..
                  "Holm-adjusted together (p_adj), since the best is picked from the same data; %s. " ..
                  "\"detectable\": a difference these seeds would show at least 80 %% of the time after the " ..
                  "correction (from the t test's power under the noncentral t at 1 − level divided by the " ..
                  "number of pairs, a bar below which a p passes Holm's correction whatever the other pairs; " ..
                  "for Welch's test with its fewest possible degrees of freedom, so more than 80 %% when the " ..
                  "sides' spreads are alike; for a rank test, the t test's, an indication); " ..
                  "\"can show no difference\": the test's smallest possible p is not " ..
                  "below the correction's laxest bar (1 − level for Holm, whose last step it is; 1 − level " ..
                  "divided by the number of pairs for Bonferroni), or no pair of the table can pass the first " ..
                  "bar even at the smallest p its test can give, so no step is ever reached; " ..
                  "\"only after smaller p-values\": it is below " ..
                  "1 − level but not below the first bar, so these seeds alone cannot pass the correction's first " ..
                  "step, and a difference can pass only after smaller p-values of the other pairs have. " ..
                  "\"differs\": the seeds show a difference; \"can't tell\": these seeds could not show one, " ..
                  "which does not mean there is none. " ..
                  "Diverged seeds (%s) are left out of means._",
  diverge_rule = "loss NaN/Inf or above %s× that of all-zero outputs",
  diverge_rule_own = "as the run function's history says, or a training loss NaN/Inf",
  level_plain = "level %s %%",
  top_rows = "_The best %d of %d variations by %s, best first; the other %d are in %s._",
  top_rows_1 = "_The best %d of %d variations by %s, best first; the other %d is in %s._",
  chart_band = "%d others (range of their means)",
  heatmap_empty = "every variation diverged: no cell has a value",
  heatmap_blank = "%s (a grey cell: a seed diverged, or no such variation)",
  chart_heatmap = "%s after the last epoch by %s and %s",
  bonferroni_note = " _Here, unlike every pair above: with %d pairs, too many to test each, only the pairs " ..
                    "with the best are tested, and " ..
                    "their p-values are multiplied by the number of pairs (Bonferroni over all pairs, never " ..
                    "below Holm's value)._",
  level_looks = "level %s %% at each of %d looks of the seeds on demand (Bonferroni: %s %% over all looks)",
  gap_eval = " _Train–test gap (eval): accuracy on the training set (eval mode, after the last epoch) minus " ..
             "test accuracy, in percentage points; – where the training set was not measured in eval mode._",
  gap_running = " _Train–test gap (running): the running training accuracy of the last epoch's batches minus " ..
                "test accuracy, in percentage points, for every variation alike._",
  grid_caption = "_%s after the last epoch (%s), %s; bold: the best cell. Best %s for each %s: %s._",
  grid_caption_by = "_%s after the last epoch (%s), %s; the best is picked by %s, not by the values shown; " ..
                    "bold: the best cell. Best %s for each %s: %s._",
  -- versus-best cells and verdicts
  best = "**best**",
  differs = "differs (p %s)",
  differs_adjusted = "differs (p_adj %s)",
  cant_tell = "can't tell (p %s)",
  cant_tell_adjusted = "can't tell (p_adj %s)",
  cant_tell_detectable = "can't tell (detectable ≥ %s)",
  cant_tell_p_detectable = "can't tell (p %s; detectable ≥ %s)",
  cant_tell_adjusted_detectable = "can't tell (p_adj %s; detectable ≥ %s)",
  cant_tell_bare = "can't tell",
  cant_tell_undetectable = "can't tell (these seeds can show no difference)",
  cant_tell_beyond = "can't tell (these seeds could not reliably show even the largest difference an accuracy can have)",
  cant_tell_any = "can't tell (no spread: any difference would show)",
  cant_tell_p_any = "can't tell (p %s; no spread: any difference would show)",
  cant_tell_adjusted_any = "can't tell (p_adj %s; no spread: any difference would show)",
  cant_tell_p_undetectable = "can't tell (p %s; these seeds can show no difference)",
  cant_tell_adjusted_undetectable = "can't tell (p_adj %s; these seeds can show no difference)",
  cant_tell_p_beyond = "can't tell (p %s; these seeds could not reliably show even the largest difference an accuracy can have)",
  cant_tell_adjusted_beyond = "can't tell (p_adj %s; these seeds could not reliably show even the largest difference an "
    .. "accuracy can have)",
  cant_tell_later = "can't tell (only after smaller p-values: these seeds alone cannot show a difference past " ..
                    "the correction's first step; one can pass only after smaller p-values of the family have)",
  cant_tell_p_later = "can't tell (p %s; only after smaller p-values: these seeds alone cannot pass the " ..
                      "correction's first step)",
  cant_tell_adjusted_later = "can't tell (p_adj %s; only after smaller p-values: these seeds alone cannot pass " ..
                             "the correction's first step)",
  equivalent = "equivalent within ±%s",
  equivalent_bare = "equivalent",
  untested = "not tested",
  untested_why = "not tested (%s)",
  -- why a comparison was not tested (stats' and runs' reasons, which are English)
  reason_two_seeds = "needs at least two seeds per side to measure noise",
  reason_one_value = "needs at least one value per side",
  reason_fewer_seeds = "fewer than two seeds",
  reason_no_best = "no comparison with the best",
  supported = "supported",
  contradicted = "contradicted",
  cant_tell_effect = "can't tell (smallest detectable effect %s)",
  cant_tell_needs_margin = "can't tell: this claim needs a margin (how large a difference still counts as none)",
  amount_pp = "%s pp",
  amount_s = "%s s",
  -- charts
  chart_epoch = "epoch",
  chart_per_epoch = "%s per epoch (mean ± std over seeds)",
  chart_per_epoch_run = "%s per epoch",
  epoch_table_caption = "_Per epoch: %s (one run)._",
  history_label = "run", -- a history's default label (lab.table(history), lab.chart(history))
  epoch_gap_eval = " _Train–test gap (eval): accuracy on the training set (eval mode, after the epoch) minus " ..
                   "test accuracy, in percentage points; – in an epoch that did not measure it._",
  epoch_gap_running = " _Train–test gap (running): the running training accuracy of the epoch's batches minus " ..
                      "test accuracy, in percentage points._",
  chart_final = "final %s against %s",
  chart_over_seeds = "%s (mean ± std over %s)",
  key_diverged = "%s: diverged",
  key_not_measured = "%s: no %s measured",
  key_some_diverged = "%s (%d/%d seeds diverged)",
  key_more = "%d more without a line (diverged or no value)",
  key_no_value = "%s: no %s",
  axis_unit = "%s (%s)",
  unit_pp_axis = "pp", -- percentage points on an axis
  key_metric = "%s: %s",
  chart_not_drawn = "> **Chart not drawn** — %s: %s. Its data and script are in [%s](%s) and [%s](%s).",
  -- why gnuplot drew no chart (the report's part of chart_not_drawn; the last line gnuplot printed follows)
  gnuplot_missing = "gnuplot is not installed (Debian: apt-get install gnuplot-nox)",
  gnuplot_failed = "%s failed (exit status %s)",
  gnuplot_no_png = "%s exited 0 but wrote no PNG",
  gnuplot_cut_png = "%s wrote an incomplete PNG (a full disk?)",
  gnuplot_said = "%s; it said: %s",
  -- the bar `nnlab watch` shows above the last good report (%s: when the failed render ran)
  watch_render_failed = "The render of %s failed; below is the last good report.",
  gp_comment = "# %s: drawn by nnlab from %s.dat; re-draw with `gnuplot %s.gp` in this folder.",
  -- the report's frame
  written_by = "<!-- Written by `nnlab run %s`: edit that file, not this one. -->",
  results_links = "---\n\nEvery run, seed and epoch: %s, %s (with timings).",
  -- pictures (nnlab.notebook.pictures)
  pic_predicted = "predicted class",
  pic_true = "true class",
  pic_share = "share of the true class (%)",
  pic_count = "test samples",
  pic_confusion_dat = "confusion matrix: a row per true class, a column per predicted class",
  pic_confusion_title = "Confusion matrix: %s (test set, summed over %s)",
  pic_confusion_title_share = "Confusion matrix: %s (test set, %% of each true class, %s)",
  pic_true_predicted = "true \\ predicted",
  pic_class = "class",
  pic_verdict_column = "best vs runner-up",
  pic_verdict = "%s: %s",
  pic_class_caption = "_Per-class test accuracy after the last epoch, mean ± std over %s; the verdict compares " ..
                      "each class's best variation (never one with a diverged seed) with the runner-up, paired by " ..
                      "seed where the two share their seeds (else Welch's t), Holm-corrected over the classes._",
  pic_tie = "a tie",
  pic_class_caption_one = "_Per-class test accuracy after the last epoch, mean ± std over %s._",
  pic_class_caption_none = "_Per-class test accuracy after the last epoch, mean ± std over %s; no verdict: " ..
                           "fewer than two of the variations are free of diverged seeds._",
  pic_no_confusion = "%s confuses no two classes on the test set.",
  pic_pair = "%s taken for %s %d× (%.1f %% of its samples)",
  pic_most_confused = "Most confused in %s (true → predicted, summed over seeds): %s.",
  pic_left_out = "_Left out: %s._",
  left_old_1 = "%d run cached before nnlab kept predictions (re-run with --force to include it)",
  left_old_n = "%d runs cached before nnlab kept predictions (re-run with --force to include them)",
  left_unsaved_1 = "%d run whose run function saved no model (`ctx.save`)",
  left_unsaved_n = "%d runs whose run function saved no model (`ctx.save`)",
  left_diverged_1 = "%d diverged run",
  left_diverged_n = "%d diverged runs",
  pic_rerun = "> **Picture not drawn** — the runs of %s were cached before nnlab kept predictions and weights; " ..
              "re-run with `--force` to draw this.",
  pic_none = "> **Picture not drawn** — %s has no run with predictions (every seed diverged).",
  pic_one_class = "> **Picture not drawn** — %s was tested on one class: a confusion matrix needs two or more.",
  pic_unsaved = "> **Picture not drawn** — this sweep's run function saved no model for %s: call `ctx.save(model)` " ..
                "in `run(p, ctx)` once the model is trained (or at the epoch to show), and nnlab computes its " ..
                "test-set predictions for the pictures.",
  pic_saved_earlier = "_In %d of the %d seeds the saved model's accuracy on the test set differs from the last " ..
                      "epoch's in the tables: the run function saved its model at another epoch than the last (an " ..
                      "early stop's best, say), or its loop reads the test set otherwise than ctx.save was told " ..
                      "(give ctx.save its normalize and transform). The matrix is that model's._",
  pic_samples_title = "%d samples per class: %s",
  pic_samples_caption = "_The first samples of each class in file order, of %d samples in %d classes (%d×%d pixels)%s._",
  pic_samples_short = "; fewer in: %s",
  pic_mistakes_title = "Mistakes over seeds: %s, %s (true → predicted; mean confidence, seeds wrong)",
  pic_mistake_label = "%s → %s",
  pic_mistake_seeds = "%.0f%%, wrong in %d of %d seeds",
  pic_no_mistakes = "%s classifies every test sample correctly in each of %s: no mistakes to show.",
  pic_mistakes_caption = "_Over %s: %d of %d test samples are wrong in every seed, %d more in some; %d of the " ..
                         "%d wrong predictions have a confidence of 90 %% or more. Shown: the samples wrong in the " ..
                         "most seeds, then by the mean confidence of their commonest wrong prediction (the class " ..
                         "shown). Among the %d shown, the commonest error is %s taken for %s (%d times)._",
  pic_weights_title = "Linear layer %d weights: %s, seed %d (one of %s)",
  pic_weights_caption = "_Seed %d, one of %s with weights (units of different seeds learn in any order, so " ..
                        "their tiles are not averaged): %d of the layer's %d units, each a vector of %d weights " ..
                        "drawn as an image; red +, blue −, white 0, on one colour scale for every tile, ±%.3g at " ..
                        "full colour (the 99.5th percentile of |w|), so a unit with small weights is pale. Their L2 " ..
                        "norms: mean %.3g, std %.3g._",
  pic_damaged = "> **Picture not drawn** — the cache entry of %s, seed %d, is damaged (%s): it was deleted, " ..
                "and the next run trains it again.",
}

words.catalogues.zh = {
  sep = "，",
  sep_group = "；",
  sep_list = "，",
  run = "运行",
  experiment = "实验",
  experiment_value = "%s，运行于 %s",
  data = "数据",
  none = "无",
  engine = "引擎",
  engine_value = "nnlab %s，SIMD 路径 `%s`，%s；编译器 %s",
  build_type = "%s（%s 构建）",
  machine = "机器",
  machine_value = "%s；%s；%s",
  cpu_family = "%s（系列 %s，型号 %s）",
  cores = "本进程可用 %d 个处理器",
  unknown = "未知",
  commit = "提交",
  commit_clean = "%s，没有未提交的改动",
  commit_modified = "%s，有改动：写报告时 `git status` 列出了改动过或未跟踪的文件",
  no_git = "未知：没有安装 `git`",
  no_repository = "无：%s 不在 `git` 仓库里",
  git_refused = "未知：`git` 不肯读 %s 所在的仓库：%s",
  no_commit = "无：%s 所在的 `git` 仓库还没有提交",
  files = "文件（SHA-256）",
  command = "命令",
  seeds = "种子",
  runs = "运行次数",
  runs_value = "%d（变体 × 种子）：训练 %d 次，取自缓存 %d 次；最多同时 %d 次",
  runs_value_cached = "%d（变体 × 种子）：训练 0 次，取自缓存 %d 次",
  time = "用时",
  time_value = "本次运行（写这份报告之前）%s；这些运行当初训练共用 %s",
  time_value_by_hand = "本次运行（写这份报告之前）%s",
  data_by_hand = "未记录：这个文件自己训练（nnlab.fit 或自己写的循环），没有通过 lab.sweep；这张表记录的是 lab.sweep 的运行、数据和种子",
  parameters = "参数",
  param_set = "%s = %s（`--set`；默认 %s）",
  sweep = "扫描「%s」",
  axis_set_by = "（由 %s 设定）",
  variations_listed = "列出的 %s：%s",
  sweep_value = "%s%s × %s，批大小 %s；第一个变体：%s",
  sweep_value_custom = "%s%s × 最多 %s，每次都由该扫描自己的 `run(p, ctx)` 训练",
  seed_1 = "%d 个种子",
  seed_n = "%d 个种子",
  epoch_1 = "%d 轮",
  epoch_n = "%d 轮",
  seed_range = "%d 到 %d 个种子",
  epoch_range = "%d 到 %d 轮",
  variation_1 = "%d 个变体",
  variation_n = "%d 个变体",
  seconds = "%.1f s",
  minutes_seconds = "%d 分 %04.1f s",
  run_seconds_small = "%.2f s",
  schedule = "学习率调度：%s",
  schedule_after = "%s：学习率 %s",
  schedule_span = "从 %s（第 %d 轮）到 %s（第 %d 轮），共变化 %d 次",
  schedule_epoch = "%s（第 %d 轮）",
  schedule_epochs = "%s（第 %d–%d 轮）",
  inputs_scaled = "输入 ÷ 255",
  inputs_stored = "输入按存储值",
  not_normalized = "%s，未标准化",
  normalized = "%s，按均值 %s、标准差 %s 标准化",
  transforms = "变换：%s",
  features_1 = "%d 个特征",
  features_n = "%d 个特征",
  shape = "%dx%d `%s`",
  targets_1 = "%d 个回归目标",
  targets_n = "%d 个回归目标",
  classes = "%d 类%s",
  classes_1 = "%d 类%s",
  class_list = "（%s）",
  class_count = "%s %d",
  folder_unknown = "文件夹不明",
  dataset = "%s（%s，%s）：训练样本 %d 个 / 测试样本 %d 个，%s，%s",
  validation = "；另从训练数据中留出 %d 个样本作验证集",
  test_unseen = "；**测试集含有训练集中没有样本的类别**（模型学不到它们）：%s",
  test_from = "；测试样本：%s（%s，%s）",
  sha256 = "；SHA-256 %s",
  fallback = "要求的是 %s，实际使用 %s（%s）：%s。",
  data_note = "> **数据**：%s", -- "：**" before a letter would not close the bold (CommonMark flanking rules)
  reason_found = "见于 %s",
  reason_downloaded = "下载到 %s",
  reason_given = "明确指定的文件夹 %s",
  reason_instead = "%s 不可用，改用 %s，%s",
  place_explicit = "明确指定的路径 %s",
  place_system = "系统副本 %s",
  reason_idx = "读自 IDX 文件 %s",
  reason_csv = "读自 CSV 文件 %s",
  reason_generated = "在 Lua 中生成（`data.generate`，种子 %s）",
  reason_values = "由 Lua 值构造（`data.TensorDataset`）",
  reason_numpy = "读自 NumPy 文件 %s（%s）和 %s（%s）",
  unavailable = "%s 不可用",
  unavailable_download = "%s 不可用（下载%s）",
  download_disabled = "已关闭（%s）",
  download_failed = "失败：%s",
  download_failure = "%s：%s",
  download_remembered = "（本次运行中早先已失败，不再重试）",
  curl_6 = "无法解析主机名（没有网络？）",
  curl_7 = "连不上服务器",
  curl_22 = "服务器返回 HTTP 错误（文件不存在？）",
  curl_23 = "无法写入文件",
  curl_28 = "超时",
  curl_35 = "TLS 握手失败",
  curl_37 = "无法读取文件（`file://` 网址）",
  curl_47 = "重定向次数过多",
  curl_56 = "接收时连接中断",
  curl_60 = "服务器的证书未被接受",
  curl_status = "`curl` 以状态 %s 退出",
  normalize_values = "Normalize（%s 个特征，各用自己的均值和标准差）",
  metric_test_acc = "测试准确率",
  metric_train_acc = "训练准确率",
  metric_test_loss = "测试损失",
  metric_train_loss = "训练损失",
  metric_seconds = "每轮秒数",
  metric_train_eval_acc = "训练准确率（评估模式）",
  metric_gap = "训练–测试差距",
  metric_gap_eval = "训练–测试差距（评估模式）",
  metric_gap_running = "训练–测试差距（滚动）",
  metric_valid_acc = "验证准确率",
  metric_valid_loss = "验证损失",
  metric_lr = "学习率",
  unit_pp = "%s 个百分点",
  variation = "变体",
  vs_best = "与最佳比（%s）",
  train_time = "每次训练用时",
  diverged = "发散",
  diverged_some = "发散（%d/%d 个种子）",
  over_one_seed = "1 个种子的值（没有标准差：一个种子量不出噪声）",
  over_seeds = "%d 个种子的均值 ± 样本标准差",
  over_seeds_on_demand = "%d 到 %d 个种子的均值 ± 样本标准差（比较未定的变体加了种子；见种子数一列）",
  over_seeds_on_demand_grid = "%d 到 %d 个种子的均值 ± 样本标准差（比较未定的变体加了种子）",
  over_seeds_on_demand_none = "%d 个种子的均值 ± 样本标准差（按需加种子，最多 %d 个：这些种子已足以判定每个比较）",
  over_seeds_on_demand_max = "%d 个种子的均值 ± 样本标准差（按需加种子：每个变体都用到了最多的种子数）",
  table_caption = "_最后一轮（第 %s 轮）之后的值，%s。与最佳比：每两个变体之间都做检验（同一种子配对：配对 t 检验；" ..
                  "共同种子少于两个时用 Welch t 检验），所有配对的 p 值一起做 Holm 校正（校正后 p），因为最佳变体是从同一批数据里挑出来的；%s。" ..
                  "“可检出”：这些种子在校正之后仍至少有 80 %% 的把握显示出的差别（由 t 检验在非中心 t 分布下的功效算出，" ..
                  "按 1 − 显著性水平 除以配对数：p 低于这个界限时，无论其余配对如何都能通过 Holm 校正；" ..
                  "Welch t 检验按它最少可能的自由度计算，所以两边波动相近时把握高于 80 %%；秩检验给的是 t 检验的值，仅供参考）；" ..
                  "“检不出任何差别”：检验可能给出的最小 p 也不低于校正最宽的界限（Holm 为 1 − 显著性水平，即它最后一步的界限；" ..
                  "Bonferroni 为 1 − 显著性水平 除以配对数），或者表里没有一对能在各自最小的 p 上通过第一步的界限，" ..
                  "校正根本走不到后面的步骤；“须待更小的 p 值”：这个最小 p 低于 1 − 显著性水平，" ..
                  "但不低于第一步的界限，所以单凭这些种子过不了校正的第一步，只有其余配对更小的 p 值先通过之后，差别才可能通过。" ..
                  "“有差别”：这些种子显示出差别；“无法判断”：这些种子没能显示出差别，并不等于没有差别。" ..
                  "发散的种子（%s）不计入均值。_",
  diverge_rule = "损失为 `NaN`/`Inf` 或超过输出全为零时损失的 %s 倍",
  diverge_rule_own = "训练函数返回的历史记为发散，或训练损失为 `NaN`/`Inf`",
  level_plain = "显著性水平 %s %%",
  top_rows = "_只列出最好的 %d 个变体（共 %d 个，按%s排序，最好的在前）；其余 %d 个见 %s。_",
  top_rows_1 = "_只列出最好的 %d 个变体（共 %d 个，按%s排序，最好的在前）；其余 %d 个见 %s。_",
  chart_band = "其余 %d 个（均值的范围）",
  heatmap_empty = "每个变体都发散了：没有一格有值",
  heatmap_blank = "%s（灰色格：有种子发散，或没有这个变体）",
  chart_heatmap = "最后一轮之后的%s（按 %s 和 %s）",
  bonferroni_note = " _这里与上文“每两个变体之间都做检验”不同：共有 %d 对，逐一检验太多，" ..
                    "所以只检验各变体与最佳的配对，p 值乘以配对总数" ..
                    "（对所有配对做 Bonferroni 校正，不会小于 Holm 的值）。_",
  level_looks = "按需加种子时每次的水平为 %s %%，共看 %d 次（Bonferroni：所有次数合计 %s %%）",
  gap_eval = " _训练–测试差距（评估模式）：训练集上的准确率（评估模式，最后一轮之后）减去测试准确率，单位为百分点；" ..
             "没有在评估模式下测训练集的变体为 –。_",
  gap_running = " _训练–测试差距（滚动）：最后一轮各批次的滚动训练准确率减去测试准确率，单位为百分点，每个变体都一样。_",
  grid_caption = "_%s：最后一轮（第 %s 轮）之后，%s；粗体为最佳单元格。最佳 %s（按 %s 分列）：%s。_",
  grid_caption_by = "_%s：最后一轮（第 %s 轮）之后，%s；最佳按%s挑，不按表中的值；粗体为最佳单元格。" ..
                    "最佳 %s（按 %s 分列）：%s。_",
  best = "**最佳**",
  differs = "有差别（p %s）",
  differs_adjusted = "有差别（校正后 p %s）",
  cant_tell = "无法判断（p %s）",
  cant_tell_adjusted = "无法判断（校正后 p %s）",
  cant_tell_detectable = "无法判断（可检出 ≥ %s）",
  cant_tell_p_detectable = "无法判断（p %s；可检出 ≥ %s）",
  cant_tell_adjusted_detectable = "无法判断（校正后 p %s；可检出 ≥ %s）",
  cant_tell_bare = "无法判断",
  cant_tell_undetectable = "无法判断（这些种子检不出任何差别）",
  cant_tell_beyond = "无法判断（即使准确率相差到最大，这些种子也不能可靠地检出）",
  cant_tell_any = "无法判断（种子间无波动：任何差别都会显现）",
  cant_tell_p_any = "无法判断（p %s；种子间无波动：任何差别都会显现）",
  cant_tell_adjusted_any = "无法判断（校正后 p %s；种子间无波动：任何差别都会显现）",
  cant_tell_p_undetectable = "无法判断（p %s；这些种子检不出任何差别）",
  cant_tell_adjusted_undetectable = "无法判断（校正后 p %s；这些种子检不出任何差别）",
  cant_tell_p_beyond = "无法判断（p %s；即使准确率相差到最大，这些种子也不能可靠地检出）",
  cant_tell_adjusted_beyond = "无法判断（校正后 p %s；即使准确率相差到最大，这些种子也不能可靠地检出）",
  cant_tell_later = "无法判断（须待更小的 p 值：单凭这些种子过不了校正的第一步；只有族内更小的 p 值先通过之后，差别才可能通过）",
  cant_tell_p_later = "无法判断（p %s；须待更小的 p 值：单凭这些种子过不了校正的第一步）",
  cant_tell_adjusted_later = "无法判断（校正后 p %s；须待更小的 p 值：单凭这些种子过不了校正的第一步）",
  equivalent = "在 ±%s 内等价",
  equivalent_bare = "等价",
  untested = "未检验",
  untested_why = "未检验（%s）",
  reason_two_seeds = "每边至少要两个种子才能估计噪声",
  reason_one_value = "每边至少要有一个值",
  reason_fewer_seeds = "种子少于两个",
  reason_no_best = "没有和最佳比较",
  supported = "支持",
  contradicted = "不成立",
  cant_tell_effect = "无法判断（可检出的最小差别为 %s）",
  cant_tell_needs_margin = "无法判断：这个说法需要一个界限（差多少仍算没有差别）",
  amount_pp = "%s 个百分点",
  amount_s = "%s s",
  chart_epoch = "轮次",
  chart_per_epoch = "%s（每轮，种子间均值 ± 标准差）",
  chart_per_epoch_run = "%s（每轮）",
  epoch_table_caption = "_每一轮：%s（一次训练）。_",
  history_label = "本次训练",
  epoch_gap_eval = " _训练–测试差距（评估模式）：该轮之后训练集上的准确率（评估模式）减去测试准确率，单位为百分点；" ..
                   "没有测它的轮次为 –。_",
  epoch_gap_running = " _训练–测试差距（滚动）：该轮各批次的滚动训练准确率减去测试准确率，单位为百分点。_",
  chart_final = "最终%s随 %s 的变化",
  chart_over_seeds = "%s（%s的均值 ± 标准差）",
  key_diverged = "%s：发散",
  key_not_measured = "%s：没有测到%s",
  key_some_diverged = "%s（%d/%d 个种子发散）",
  key_more = "另有 %d 个没有曲线（发散或没有值）",
  key_no_value = "%s：没有 %s",
  axis_unit = "%s（%s）",
  unit_pp_axis = "百分点",
  key_metric = "%s：%s",
  chart_not_drawn = "> **图未画出**——%s：%s。它的数据和脚本在 [%s](%s) 和 [%s](%s)。",
  gnuplot_missing = "没有安装 `gnuplot`（安装命令：`apt-get install gnuplot-nox`）",
  gnuplot_failed = "%s 运行失败（退出状态 %s）",
  gnuplot_no_png = "%s 退出状态为 0，却没有写出图片",
  gnuplot_cut_png = "%s 写出的图片不完整（磁盘满了？）",
  gnuplot_said = "%s；它的输出：%s",
  watch_render_failed = "%s 的渲染失败了；下面是上一次成功的报告。",
  gp_comment = "# %s：nnlab 由 %s.dat 画出；在本文件夹里运行 `gnuplot %s.gp` 可以重画。",
  written_by = "<!-- 由 `nnlab run %s` 生成：请改那个文件，不要改这个。 -->",
  results_links = "---\n\n每次运行、每个种子、每一轮的数据：%s，%s（含用时）。",
  -- pictures (nnlab.notebook.pictures)
  pic_predicted = "预测类别",
  pic_true = "真实类别",
  pic_share = "占真实类别的比例（%）",
  pic_count = "测试样本数",
  pic_confusion_dat = "混淆矩阵：每行一个真实类别，每列一个预测类别",
  pic_confusion_title = "混淆矩阵：%s（测试集，%s之和）",
  pic_confusion_title_share = "混淆矩阵：%s（测试集，占每个真实类别的 %%，%s）",
  pic_true_predicted = "真实 \\ 预测",
  pic_class = "类别",
  pic_verdict_column = "最好与第二好之比",
  pic_verdict = "%s：%s",
  pic_class_caption = "_最后一轮后各类别的测试准确率，%s的均值 ± 标准差；判定比较每个类别最好的设置（有种子发散的不算）与第二好的设置，" ..
                      "两者种子相同时按种子配对（否则用 Welch t 检验），对各类别做 Holm 校正。_",
  pic_tie = "持平",
  pic_class_caption_one = "_最后一轮后各类别的测试准确率，%s的均值 ± 标准差。_",
  pic_class_caption_none = "_最后一轮后各类别的测试准确率，%s的均值 ± 标准差；没有判定：没有种子发散的设置不到两个。_",
  pic_no_confusion = "%s 在测试集上没有混淆任何两个类别。",
  pic_pair = "%s 被认成 %s %d 次（占该类 %.1f %%）",
  pic_most_confused = "%s 最常混淆的（真实 → 预测，各种子之和）：%s。",
  pic_left_out = "_未计入：%s。_",
  left_old_1 = "%d 个在 nnlab 保存预测之前缓存的运行（用 `--force` 重跑即可计入）",
  left_old_n = "%d 个在 nnlab 保存预测之前缓存的运行（用 `--force` 重跑即可计入）",
  left_unsaved_1 = "%d 个 `run` 函数没有保存模型（`ctx.save`）的运行",
  left_unsaved_n = "%d 个 `run` 函数没有保存模型（`ctx.save`）的运行",
  left_diverged_1 = "%d 个发散的运行",
  left_diverged_n = "%d 个发散的运行",
  pic_rerun = "> **图未画出**——%s 的运行是在 nnlab 保存预测和权重之前缓存的；用 `--force` 重跑即可画出。",
  pic_none = "> **图未画出**——%s 没有带预测的运行（所有种子都发散了）。",
  pic_one_class = "> **图未画出**——%s 的测试只有一个类别：混淆矩阵至少要两个类别。",
  pic_unsaved = "> **图未画出**——这个扫描的 `run` 函数没有为 %s 保存模型：在 `run(p, ctx)` 里训练好之后（或在想展示的那一轮）" ..
                "调用 `ctx.save(model)`，nnlab 就会用它算出测试集上的预测来画图。",
  pic_saved_earlier = "_%d 个种子（共 %d 个）保存的模型在测试集上的准确率与表中最后一轮的不同：`run` 函数保存的" ..
                      "不是最后一轮的模型（例如早停时最好的一轮），或者它的循环读测试集的方式与告诉 `ctx.save` 的不同" ..
                      "（把 `normalize` 和 `transform` 交给 `ctx.save`）。混淆矩阵是那个模型的。_",
  pic_samples_title = "每类 %d 个样本：%s",
  pic_samples_caption = "_每个类别按文件顺序的前几个样本；共 %d 个样本、%d 个类别（%d×%d 像素）%s。_",
  pic_samples_short = "；样本不足的类别：%s",
  pic_mistakes_title = "各种子的错误：%s，%s（真实 → 预测；平均置信度，错的种子数）",
  pic_mistake_label = "%s → %s",
  pic_mistake_seeds = "%.0f%%，错 %d 次（共 %d 个种子）",
  pic_no_mistakes = "%s 在全部 %s里把每个测试样本都分对了：没有错误可以展示。",
  pic_mistakes_caption = "_%s中：%d 个（共 %d 个）测试样本在每个种子里都分错了，另有 %d 个在部分种子里分错；" ..
                         "%d 个（共 %d 个）错误预测的置信度在 90 %% 以上。展示的是分错的种子最多的样本，其次按最常见的" ..
                         "错误预测（图中所示类别）的平均置信度排序。在展示的 %d 个中，最常见的错误是把 %s 认成 %s（%d 次）。_",
  pic_weights_title = "第 %d 个 Linear 层的权重：%s，种子 %d（共 %s）",
  pic_weights_caption = "_种子 %d（共 %s带权重；不同种子的单元以任意顺序学到特征，所以不对各种子的图块求平均）：" ..
                        "展示 %d 个单元（该层共 %d 个），每个是 %d 个权重画成的图像；红为正，蓝为负，白为 0，所有图块共用" ..
                        "一个色标，±%.3g 为最深色（|w| 的 99.5 百分位数），所以权重小的单元颜色淡。它们的 L2 范数：" ..
                        "均值 %.3g，标准差 %.3g。_",
  pic_damaged = "> **图未画出**——%s（种子 %d）的缓存条目已损坏（%s）：已删除，下次运行会重新训练。",
}

--- words.set(language): "en" or "zh"; an error for anything else.
function words.set(language)
  if not words.catalogues[language] then
    error(("unknown language '%s' (\"zh\" or \"en\")"):format(tostring(language)), 2)
  end
  current = language
end

--- words.language() -> "en" or "zh", the language words.text uses now.
function words.language() return current end

--- words.has_cjk(text) -> true when text holds a CJK character (the CJK
--- Unified Ideographs and their extension A, the CJK punctuation, kana, or
--- full-width forms).
function words.has_cjk(text)
  -- bytes that are not UTF-8 as U+FFFD (as the report shows them): a Chinese
  -- title with one Latin-1 byte is still Chinese
  for _, c in utf8.codes(escape.utf8(text), true) do
    if (c >= 0x3000 and c <= 0x30FF) or (c >= 0x3400 and c <= 0x4DBF) or (c >= 0x4E00 and c <= 0x9FFF)
       or (c >= 0xF900 and c <= 0xFAFF) or (c >= 0xFF00 and c <= 0xFFEF) then
      return true
    end
  end
  return false
end

--- words.default(title) -> "zh" when title holds CJK characters, else "en".
function words.default(title)
  local ok, cjk = pcall(words.has_cjk, title or "")
  return ok and cjk and "zh" or "en"
end

--- words.text(key, ...) -> the entry `key` of the current language,
--- formatted with the values (string.format); an unknown key is an error.
function words.text(key, ...)
  local entry = words.catalogues[current][key]
  if not entry then error(("words: no entry '%s' in the %s catalogue"):format(tostring(key), current), 2) end
  if select("#", ...) == 0 then return entry end
  return entry:format(...)
end

--- words.count(noun, n) -> "1 seed", "3 seeds", "3 个种子" (noun: seed,
--- epoch, variation, targets).
function words.count(noun, n)
  return words.text(n == 1 and noun .. "_1" or noun .. "_n", n)
end

--- words.metric(name) -> a metric's name for people ("test accuracy",
--- "测试准确率"); a metric without an entry reads as its key.
function words.metric(name)
  return words.catalogues[current]["metric_" .. tostring(name)] or tostring(name)
end

--- words.p(p) -> a p value with its relation, as runs:compare writes it:
--- "= 0.45", "= 0.003", "< 0.001". Two significant digits, cut rather than
--- rounded, so that a p shown below a level of two digits (0.05, 0.01) is
--- below it: 0.0496 shows as 0.049 beside "differs", 0.0504 as 0.05 beside
--- "can't tell" (rounded, both read 0.05).
function words.p(p)
  if p == nil then return "= –" end
  if p ~= p then return "= NaN" end
  if p < 0.001 then return "< 0.001" end
  if p >= 1 then return "= 1" end
  local unit = 10 ^ (math.floor(math.log(p, 10)) - 1) -- the second significant digit's
  return ("= %.2g"):format(math.floor(p / unit * (1 + 1e-12)) * unit)
end

--- words.amount(x, unit) -> a difference in a metric's units: "0.8 pp" /
--- "0.8 个百分点" for % and pp, "0.8 s" (two significant digits, whole
--- numbers from 99.5 up: "120 pp", not "1.2e+02 pp"), "0.0123" without a
--- unit; a string goes in as it is.
function words.amount(x, unit)
  if x == nil or x ~= x then return nil end -- NaN (of a NaN mean): no amount to say
  if type(x) == "string" then return x end
  local function two_digits(v)
    if math.abs(v) >= 99.5 and math.abs(v) < 1e15 then return ("%.0f"):format(v) end
    return ("%.2g"):format(v)
  end
  if unit == "%" or unit == "pp" then return words.text("amount_pp", two_digits(x)) end
  if unit == "s" then return words.text("amount_s", two_digits(x)) end
  return ("%.3g"):format(x)
end

-- The two verdict words a table's cell and a claim share.
local function equivalent_text(margin, unit)
  local amount = words.amount(margin, unit)
  return amount and words.text("equivalent", amount) or words.text("equivalent_bare")
end

-- The reasons stats and runs give (in English), by their words key.
local REASON_KEYS = {}
for _, key in ipairs { "reason_two_seeds", "reason_one_value", "reason_fewer_seeds", "reason_no_best" } do
  REASON_KEYS[words.catalogues.en[key]] = key
end

local function untested_text(reason)
  if reason and REASON_KEYS[reason] then reason = words.text(REASON_KEYS[reason]) end
  return reason and words.text("untested_why", reason) or words.text("untested")
end

-- Whether a detectable effect is more than two accuracies can differ
-- ("detectable ≥ 307 pp"): no amount to name.
local function beyond_any_accuracy(detectable, unit)
  return (unit == "%" or unit == "pp") and type(detectable) == "number" and detectable > 100
end

--- words.versus_best(cell, unit) -> a table's "vs best" cell. cell = { code
--- = "best" | "differs" | "cant_tell" | "equivalent" | "diverged" |
--- "untested", p (raw), p_adjusted (Holm-adjusted), detectable (the smallest
--- effect these seeds could detect at 80 % power after the correction, in
--- the metric's units; math.huge: none, as stats.compare gives when the
--- test's smallest possible p is not below the correction's laxest bar),
--- later_step (true: that p is below it but not below the first step's
--- bar, so the cell can pass only after smaller p-values of the family),
--- margin (of an equivalence), reason (why untested), test ("paired t",
--- "Welch t", ...) }; unit: the metric's unit ("%", "pp", "s" or nil).
--- The adjusted p is shown when there is one, else the raw p.
function words.versus_best(cell, unit)
  local code = cell.code
  local adjusted = cell.p_adjusted ~= nil
  local p = words.p(adjusted and cell.p_adjusted or cell.p)
  if code == "best" then return words.text("best") end
  if code == "diverged" then return words.text("diverged") end
  if code == "differs" then return words.text(adjusted and "differs_adjusted" or "differs", p) end
  if code == "cant_tell" then
    if cell.later_step or cell.detectable == math.huge or cell.detectable == 0 then
      -- an exact or rank test: all or nothing, or only after smaller p-values
      local kind = cell.later_step and "later" or cell.detectable == 0 and "any" or "undetectable"
      if cell.p == nil and not adjusted then return words.text("cant_tell_" .. kind) end
      return words.text((adjusted and "cant_tell_adjusted_" or "cant_tell_p_") .. kind, p)
    end
    if beyond_any_accuracy(cell.detectable, unit) then
      if cell.p == nil and not adjusted then return words.text("cant_tell_beyond") end
      return words.text(adjusted and "cant_tell_adjusted_beyond" or "cant_tell_p_beyond", p)
    end
    local detectable = words.amount(cell.detectable, unit)
    if detectable then
      if cell.p == nil and not adjusted then return words.text("cant_tell_detectable", detectable) end
      return words.text(adjusted and "cant_tell_adjusted_detectable" or "cant_tell_p_detectable", p, detectable)
    end
    if cell.p == nil and not adjusted then return words.text("cant_tell_bare") end
    return words.text(adjusted and "cant_tell_adjusted" or "cant_tell", p)
  end
  if code == "equivalent" then return equivalent_text(cell.margin, unit) end
  if code == "untested" then return untested_text(cell.reason) end
  error(("words.versus_best: unknown code '%s'"):format(tostring(code)), 2)
end

--- words.verdict(v [, unit]) -> a claim's verdict: v = { verdict =
--- "supported" | "contradicted" | "equivalent" | "cant_tell" | "not_tested",
--- margin (equivalent: ±margin), detectable (cant_tell: the smallest
--- detectable effect), later_step (cant_tell: it can pass only after
--- smaller p-values of the family: stats.compare), reason (not_tested:
--- why) }; margin and detectable
--- are numbers in the metric's units (unit) or text.
function words.verdict(v, unit)
  local kind = v.verdict
  if kind == "supported" then return words.text("supported") end
  if kind == "contradicted" then return words.text("contradicted") end
  if kind == "equivalent" then return equivalent_text(v.margin, unit) end
  if kind == "cant_tell" then
    if v.needs_margin then return words.text("cant_tell_needs_margin") end
    if v.later_step then return words.text("cant_tell_later") end
    if v.detectable == math.huge then return words.text("cant_tell_undetectable") end
    if v.detectable == 0 then return words.text("cant_tell_any") end
    if beyond_any_accuracy(v.detectable, unit) then return words.text("cant_tell_beyond") end
    local detectable = words.amount(v.detectable, unit)
    return detectable and words.text("cant_tell_effect", detectable) or words.text("cant_tell_bare")
  end
  if kind == "not_tested" then return untested_text(v.reason) end
  error(("words.verdict: unknown verdict '%s'"):format(tostring(kind)), 2)
end

--- words.specifiers(text) -> the string.format specifiers of text in order
--- ("%d%s%.1f"), %% left out: both catalogues' entries must agree on them.
function words.specifiers(text)
  local out = {}
  for spec in text:gsub("%%%%", ""):gmatch("%%[-+ #0]*%d*%.?%d*[a-zA-Z]") do out[#out + 1] = spec end
  return table.concat(out)
end

return words
