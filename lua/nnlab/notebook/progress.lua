-- nnlab.notebook.progress: what a sweep shows while it trains. On a terminal, a live
-- block with one line per running job (a bar, epoch, accuracy so far, ETA),
-- redrawn in place, and one permanent line per finished job. Elsewhere (CI
-- logs, pipes), one plain line when a job starts and one when it ends.
-- With --quiet, nothing. Under `nnlab watch` (only_training), a sweep that
-- trains nothing says nothing either: the watcher's line per render counts it.
-- Every text shown (sweep names, labels, outcomes) may hold --set values: it
-- is written as escape.line makes it, C1 controls replaced too, so that no
-- escape sequence reaches the terminal.
local escape = require "nnlab.notebook.escape"
local proc = require("nnlab.core").proc

local progress = {}
progress.__index = progress

local BAR_WIDTH = 12

--- progress.shown(s) -> s as one line safe for a terminal: escape.line, and
--- the C1 controls (U+0080 to U+009F, CSI among them) as U+FFFD.
function progress.shown(s)
  return (escape.line(s):gsub("\194[\128-\159]", "\u{FFFD}"))
end

--- progress.new(mode [, out [, only_training]]): mode "tty", "plain" or
--- "quiet"; out defaults to io.stdout; only_training: no line for a sweep
--- whose runs all come from the cache.
function progress.new(mode, out, only_training)
  return setmetatable({ mode = mode, out = out or io.stdout, live = {}, drawn = 0,
                        done = 0, total = 0, only_training = only_training == true }, progress)
end

--- The mode for a run's options: quiet with --quiet, tty when stdout is a
--- terminal that takes cursor movements ($TERM set and not "dumb": Emacs'
--- shell, `script` without a terminal type), else plain lines.
function progress.mode_for(options)
  if options and options.quiet then return "quiet" end
  local term = os.getenv("TERM")
  return proc.isatty(1) and term ~= nil and term ~= "" and term ~= "dumb" and "tty" or "plain"
end

local function seconds_text(s)
  if s < 60 then return ("%.0f s"):format(s) end
  return ("%d min %02d s"):format(s // 60, math.floor(s % 60))
end

function progress:write(text)
  self.out:write(text)
  self.out:flush()
end

-- A running job's live line: its bar, epochs and ETA; or, when a run
-- function leaves its epochs to itself, the epoch it has reached.
local function live_line(e, now)
  if not e.epochs then return ("  %-24s training, epoch %d"):format(e.label, e.epoch) end
  local filled = math.floor(BAR_WIDTH * e.epoch / e.epochs + 0.5)
  local line = ("  %-24s |%s%s| %d/%d epochs"):format(e.label, ("█"):rep(filled), ("░"):rep(BAR_WIDTH - filled),
                                                   e.epoch, e.epochs)
  if e.acc then line = line .. ("  acc %.2f %%"):format(e.acc) end
  if e.epoch > 0 then
    local per_epoch = (now - e.started) / e.epoch
    line = line .. ("  ETA %s"):format(seconds_text(per_epoch * (e.epochs - e.epoch)))
  end
  return line
end

-- The live block, one line per running job in start order.
function progress:live_lines()
  local now = proc.clock()
  local lines = { ("  [%d/%d done]"):format(self.done, self.total) }
  for _, e in ipairs(self.live) do lines[#lines + 1] = live_line(e, now) end
  return lines
end

-- Replaces the live block by `permanent` (may be nil) and a fresh block.
function progress:redraw(permanent)
  local parts = {}
  if self.drawn > 0 then parts[#parts + 1] = ("\27[%dA\27[J"):format(self.drawn) end
  if permanent then parts[#parts + 1] = permanent .. "\n" end
  local lines = #self.live > 0 and self:live_lines() or {}
  for _, line in ipairs(lines) do parts[#parts + 1] = line .. "\n" end
  self.drawn = #lines
  self.drawn_at = proc.clock()
  self:write(table.concat(parts))
end

-- Redraws unless the block was drawn less than `seconds` ago.
function progress:refresh(seconds)
  if proc.clock() - (self.drawn_at or 0) >= seconds then self:redraw() end
end

--- A sweep begins: `total` jobs of which `to_train` need training, `parallel` at a time.
function progress:begin(title, total, to_train, parallel)
  self.done, self.total = 0, to_train
  title = progress.shown(title)
  if self.mode == "quiet" or (to_train == 0 and self.only_training) then return end
  local text
  if to_train == 0 then
    text = ("nnlab: %s: %d runs, all from cache\n"):format(title, total)
  else
    text = ("nnlab: %s: %d runs, %d to train (%d at a time), %d from cache\n"):format(
      title, total, to_train, math.min(parallel, to_train), total - to_train)
  end
  self:write(text)
end

--- A job (with .label, and .epochs unless a run function leaves them to itself) starts training.
function progress:started(job)
  if self.mode == "quiet" then return end
  if self.mode == "plain" then
    if not job.epochs then return self:write(("  %s: training\n"):format(progress.shown(job.label))) end
    return self:write(("  %s: training %d epoch%s\n"):format(progress.shown(job.label), job.epochs,
                                                              job.epochs == 1 and "" or "s"))
  end
  self.live[#self.live + 1] = { job = job, label = progress.shown(job.label), epoch = 0, epochs = job.epochs,
                                started = proc.clock() }
  self:redraw()
end

--- A job finished an epoch: stats { epoch, test_acc }.
function progress:epoch(job, stats)
  if self.mode ~= "tty" then return end
  for _, e in ipairs(self.live) do
    if e.job == job then e.epoch, e.acc = stats.epoch, stats.test_acc end
  end
  self:refresh(0.1)
end

--- A job ended; summary is one line about its outcome.
function progress:finished(job, summary)
  self.done = self.done + 1
  if self.mode == "quiet" then return end
  local line = ("  %s: %s"):format(progress.shown(job.label), progress.shown(summary))
  if self.mode == "plain" then return self:write(line .. "\n") end
  for i, e in ipairs(self.live) do
    if e.job == job then table.remove(self.live, i) break end
  end
  self:redraw(line)
end

--- Time passes: refresh the ETAs of a live block.
function progress:tick()
  if self.mode == "tty" and #self.live > 0 then self:refresh(0.5) end
end

--- The sweep is over: the live block goes away.
function progress:close()
  if self.mode == "tty" then
    self.live = {}
    self:redraw()
  end
end

return progress
