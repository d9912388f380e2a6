-- nnlab.notebook.predictions: what the pictures need of one finished run
-- on the test set: its confusion matrix, kept in the run's cache entry
-- (nnlab.notebook.cache), and each test sample's predicted class and
-- confidence, a compact text kept in a file beside the entry (HASH.pred,
-- 3 bytes a sample: 30 000 bytes for 10 000 test samples), read only by
-- the pictures that need it, so that reading a cached run stays fast.
--
-- The text has two parts over one 64-character alphabet (digits, letters,
-- '-' and '_'): first one character per sample, its predicted class
-- (0-based, so at most 64 classes); then two per sample, its confidence
-- (softmax probability of the predicted class) in 4096 steps. Both are
-- outside input: check() validates the entry's record on every cache read
-- (shapes, ranges, sums, the diagonal against the test accuracy);
-- check_text() validates the text against the record (length, alphabet,
-- class range, a checksum kept in the record, each predicted class's count
-- against the matrix's columns) before anything uses it.
local predictions = {}

local ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
--- The most classes a run's predictions are kept for.
predictions.MAX_CLASSES = #ALPHABET
local STEPS = 64 * 64 - 1 -- confidence quantisation: 0 .. 4095
local CHAR, VALUE = {}, {}
for i = 1, #ALPHABET do
  CHAR[i - 1] = ALPHABET:sub(i, i)
  VALUE[ALPHABET:byte(i)] = i - 1
end

-- A pattern of a character outside the first n of the alphabet, written
-- with ranges ([^0-9A-F]): Lua tests a range in one comparison, a listed
-- character one by one, and this runs over every sample on every cache read.
local function outside_first(n)
  local ranges, i = {}, 1
  for _, run in ipairs { { 1, 10 }, { 11, 36 }, { 37, 62 }, { 63, 63 }, { 64, 64 } } do
    local from, to = run[1], math.min(run[2], n)
    if from <= to then
      local a, b = ALPHABET:sub(from, from), ALPHABET:sub(to, to)
      ranges[i] = (a == "-" and "%-" or a) .. (to > from and "-" .. b or "")
      i = i + 1
    end
  end
  return "[^" .. table.concat(ranges) .. "]"
end
local FOREIGN = outside_first(#ALPHABET)

--- predictions.checksum(text) -> 16 hex digits: FNV-1a's mixing over
--- 8-byte words (a word at a time: eight times fewer Lua steps than a byte
--- at a time), then the length.
local WORDS = 64
local WORD_FORMAT = "<" .. ("i8"):rep(WORDS)
function predictions.checksum(text)
  local h, PRIME = -3750763034362895579, 1099511628211
  local padded = text .. ("\0"):rep((-#text) % (8 * WORDS))
  for pos = 1, #padded, 8 * WORDS do
    local words = { string.unpack(WORD_FORMAT, padded, pos) }
    for j = 1, WORDS do h = (h ~ words[j]) * PRIME end
  end
  return ("%016x"):format(h ~ #text)
end

--- predictions.record(label, pred, confidence, classes) -> the record a
--- cache entry keeps { classes, count, confusion, checksum } and the text of
--- the predictions file, or nil when they cannot be kept (a non-finite
--- output: pred -1; more than MAX_CLASSES classes). label, pred: 0-based
--- lists (core.predict); the confusion matrix is flat, row-major: row = true
--- class, column = predicted.
function predictions.record(label, pred, confidence, classes)
  if classes > predictions.MAX_CLASSES or #pred == 0 then return nil end
  local confusion = {}
  for i = 1, classes * classes do confusion[i] = 0 end
  local cls, conf = {}, {}
  for i = 1, #pred do
    local p, y = pred[i], label[i]
    if p < 0 or p >= classes or y < 0 or y >= classes then return nil end
    local k = y * classes + p + 1
    confusion[k] = confusion[k] + 1
    local q = math.floor(math.max(0, math.min(1, confidence[i])) * STEPS + 0.5)
    cls[i] = CHAR[p]
    conf[i] = CHAR[q // 64] .. CHAR[q % 64]
  end
  local text = table.concat(cls) .. table.concat(conf)
  return { classes = classes, count = #pred, confusion = confusion, checksum = predictions.checksum(text) }, text
end

-- How far a run's test accuracy (percent) may stand from its matrix's
-- diagonal and still be the same model's: a run function's accuracy taken as
-- a float32 mean (the README's `:float():mean():item() * 100`) is off by up
-- to 100·2^-23 ≈ 1.2e-5, while one sample more or fewer moves it by 100/n,
-- over 2e-5 for every test set under 5 million samples.
local ACCURACY_SLACK = 2e-5

--- predictions.check(record [, test_acc]) -> true, or nil and what is
--- wrong: the shapes and ranges of a record read back from the cache, its
--- counts adding up, and, given the run's final test accuracy (percent),
--- the matrix's diagonal against it. A record of a model saved by a run
--- function at another epoch than the last holds that model's own accuracy
--- (record.test_acc), which the diagonal is checked against instead.
function predictions.check(r, test_acc)
  if type(r) ~= "table" then return nil, "a malformed pictures record" end
  if r.test_acc ~= nil then
    if type(r.test_acc) ~= "number" or not (r.test_acc >= 0 and r.test_acc <= 100) then
      return nil, "a malformed test accuracy of the saved model"
    end
    test_acc = r.test_acc
  end
  local C, n = r.classes, r.count
  if math.type(C) ~= "integer" or C < 1 or C > predictions.MAX_CLASSES then return nil, "a malformed class count" end
  if math.type(n) ~= "integer" or n < 1 then return nil, "a malformed prediction count" end
  if type(r.checksum) ~= "string" or not r.checksum:match("^%x+$") then return nil, "a malformed checksum" end
  if type(r.confusion) ~= "table" or #r.confusion ~= C * C then return nil, "a confusion matrix of the wrong size" end
  local total, diagonal = 0, 0
  for i = 1, C * C do
    local c = r.confusion[i]
    if math.type(c) ~= "integer" or c < 0 then return nil, "a malformed confusion count" end
    total = total + c
    if (i - 1) // C == (i - 1) % C then diagonal = diagonal + c end
  end
  if total ~= n then return nil, "confusion counts that do not add up to the predictions" end
  if test_acc ~= nil and math.abs(100 * diagonal / n - test_acc) > ACCURACY_SLACK then
    return nil, "a confusion matrix that disagrees with the test accuracy"
  end
  return true
end

--- predictions.check_text(record, text) -> true, or nil and what is wrong
--- with the predictions text read back for a record (predictions.check
--- passed): its length, alphabet, class range, checksum, and the count of
--- each predicted class against the matrix's column.
function predictions.check_text(r, text)
  local C, n = r.classes, r.count
  if type(text) ~= "string" or #text ~= 3 * n then return nil, "predictions of the wrong length" end
  if text:find(FOREIGN) then return nil, "damaged predictions (a foreign byte)" end
  local classes_part = text:sub(1, n)
  if classes_part:find(outside_first(C)) then return nil, "a predicted class out of range" end
  if r.checksum ~= predictions.checksum(text) then return nil, "damaged predictions (checksum)" end
  local predicted = {}
  for b = 1, 255 do predicted[b] = 0 end
  for i = 1, n, 4096 do
    local bytes = { classes_part:byte(i, i + 4095) }
    for j = 1, #bytes do
      local b = bytes[j]
      predicted[b] = predicted[b] + 1
    end
  end
  for p = 0, C - 1 do
    local column = 0
    for y = 0, C - 1 do column = column + r.confusion[y * C + p + 1] end
    if column ~= predicted[CHAR[p]:byte()] then
      return nil, "a confusion matrix that disagrees with the predictions"
    end
  end
  return true
end

--- predictions.decode(record, text) -> pred (0-based classes), confidence
--- (0..1): two lists of record.count entries (of a text check_text passed).
function predictions.decode(r, text)
  local n = r.count
  local pred, conf = {}, {}
  for i = 1, n do
    pred[i] = VALUE[text:byte(i)]
    local hi, lo = text:byte(n + 2 * i - 1, n + 2 * i)
    conf[i] = (VALUE[hi] * 64 + VALUE[lo]) / STEPS
  end
  return pred, conf
end

--- predictions.cell(record, true_class, predicted) -> the confusion count (0-based classes).
function predictions.cell(r, y, p)
  return r.confusion[y * r.classes + p + 1]
end

return predictions
