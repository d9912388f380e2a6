-- Tensors shaped and printed like PyTorch's (issue 19): t:size()/t.shape/
-- t:shape() as torch.Size, t:dim(); print(t) in PyTorch's layout; t:tolist();
-- indexing t[i] (row views sharing memory, stale once their owner moves on),
-- t:narrow, t:index_select, nnlab.cat and nnlab.stack; errors at the user's line.
--
-- The expected print strings are written by hand from torch/_tensor_str.py
-- (PyTorch 2.x) with the default print options (precision 4, threshold 1000,
-- edgeitems 3, linewidth 80, sci_mode auto); torch is not installed here. Its
-- rules, which each case's comment applies: the format is chosen from the
-- non-zero finite values (of the summarised data when numel > 1000): all
-- whole -> "1." style, width = widest "%.0f" + 1, unless max/min > 1000 or
-- max > 1e8 -> scientific; otherwise fixed "%.4f" unless max/min > 1000, max >
-- 1e8 or min < 1e-4 -> scientific "%.4e"; width = widest formatted value, every
-- value right-aligned to it. A row holds floor((80 - indent) / (width + 2))
-- values, continued lines indented by indent + 1 (indent 7 for "tensor(", 8
-- inside a 2-D tensor). Summarising keeps the first and last 3 along each dim
-- longer than 6, with " ..." (a vector element) or "..." (a row) between.
-- Integer tensors print as torch.int64 does (no dtype suffix).
local T = require "testlib"
local lab = require "nnlab"
local nn, data = lab.nn, lab.data

-- f() must fail at the caller's line of this file, in one line with every fragment.
local refused = T.refused

local function same(got, want, what)
  if type(want) == "table" then
    T.eq(type(got), "table", what .. ": a table")
    T.eq(#got, #want, what .. ": length")
    for i = 1, #want do same(got[i], want[i], ("%s[%d]"):format(what, i)) end
  else
    T.eq(got, want, what)
  end
end

-- 1..n as floats, in rows of cols.
local function counting(rows, cols)
  local v = {}
  for i = 1, rows * cols do v[i] = i end
  return lab.tensor(v, { rows = rows, cols = cols })
end

T.case("size, shape and dim: torch.Size, t:size(dim), #, indexing, equality", function()
  local t = lab.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  T.eq(tostring(t:size()), "torch.Size([2, 3])", "size prints")
  T.eq(tostring(t.shape), "torch.Size([2, 3])", "t.shape")
  T.eq(tostring(t:shape()), "torch.Size([2, 3])", "t:shape()")
  T.eq(#t:size(), 2, "#size")
  T.eq(t:size()[1], 2, "size[1]")
  T.eq(t:size()[2], 3, "size[2]")
  T.eq(t:size(0), 2, "size(0)")
  T.eq(t:size(1), 3, "size(1)")
  T.eq(t:size(-1), 3, "size(-1)")
  T.eq(t:size(-2), 2, "size(-2)")
  T.eq(math.type(t:size(0)), "integer", "size(dim) is an integer")
  T.eq(t:dim(), 2, "dim")
  T.eq(t:numel(), 6, "numel")
  T.eq(t:size():numel(), 6, "Size:numel")
  T.eq(#t, 2, "#t is the first dim, as len(t)")
  T.truthy(t:size() == { 2, 3 }, "Size == { 2, 3 }")
  T.truthy(t:size() == t.shape, "Size == Size")
  T.truthy(t:size() ~= { 3, 2 }, "Size ~= { 3, 2 }")
  local flat = lab.tensor { 1, 2, 3, 4 }
  T.eq(tostring(flat:size()), "torch.Size([4])", "a flat list is 1-D, as torch.tensor([...])")
  T.eq(flat:dim(), 1, "1-D dim")
  T.eq(tostring(lab.tensor({ 1, 2, 3, 4 }, { rows = 2, cols = 2 }):size()), "torch.Size([2, 2])",
       "a shape makes it 2-D")
  local y = lab.labels { 3, 1, 4 }
  T.eq(tostring(y:size()), "torch.Size([3])", "labels are 1-D")
  T.eq(y:dim(), 1, "labels dim")
  refused(function() return t:size(2) end, "dim 2 out of range for a 2-D tensor")
  refused(function() return y:size(1) end, "dim 1 out of range for a 1-D tensor")
  refused(function() return t:size(-3) end, "dim -3 out of range")
end)

T.case("a loader's batch is (B, features) and its labels (B,); a model's output (B, out)", function()
  local ds = data.TensorDataset(lab.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } }, lab.labels { 0, 1, 0 })
  local loader = data.DataLoader(ds, { batch_size = 2 })
  for x, y in loader:batches() do
    T.eq(tostring(x:size()), "torch.Size([2, 2])", "x size")
    T.eq(tostring(y:size()), "torch.Size([2])", "y size")
    T.eq(tostring(y), "tensor([0, 1])", "y prints as a 1-D integer tensor")
    local model = nn.Sequential { nn.Linear(2, 5) }
    T.eq(tostring(model(x):size()), "torch.Size([2, 5])", "output size")
    break
  end
end)

T.case("printing: small float tensors in fixed and whole-number styles", function()
  -- |values| 0.1..4: not all whole, ratio 40, min >= 1e-4 -> fixed; widest "-0.2000" (7)
  T.eq(tostring(lab.tensor { { 0.1, -0.2 }, { 3, 4 } }),
       "tensor([[ 0.1000, -0.2000],\n        [ 3.0000,  4.0000]])", "2-D fixed")
  -- all whole, ratio 2 -> "1." style, width len("2") + 1 = 2
  T.eq(tostring(lab.tensor { 1, 2 }), "tensor([1., 2.])", "1-D whole")
  T.eq(tostring(lab.tensor { { 1 }, { 2 } }), "tensor([[1.],\n        [2.]])", "a column")
  -- widths "1.5000" 6, "-2.2500" 7, "10.0000" 7 -> 7
  T.eq(tostring(lab.tensor { 1.5, -2.25, 10 }), "tensor([ 1.5000, -2.2500, 10.0000])", "1-D fixed")
  -- no non-zero finite value: whole style, width 1
  T.eq(tostring(lab.tensor { 0, 0 }), "tensor([0., 0.])", "zeros")
  -- the finite value 1 sets width 2; inf and nan have no dot (glibc's "-nan" never shows)
  T.eq(tostring(lab.tensor { 1, math.huge, 0 / 0, -math.huge }), "tensor([1., inf, nan, -inf])",
       "non-finite")
  -- twelve values of width 7 ("11.5000"): (80 - 7) // 9 = 8 a line, the rest at indent 8
  local v = {}
  for i = 0, 11 do v[#v + 1] = i + 0.5 end
  T.eq(tostring(lab.tensor(v)),
       "tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,\n" ..
       "         8.5000,  9.5000, 10.5000, 11.5000])", "a long row wraps at 80 columns")
end)

T.case("printing: scientific notation when PyTorch switches to it", function()
  -- max/min = 2e5 > 1000 -> sci; every value 10 wide
  T.eq(tostring(lab.tensor { 1e5, 1, 0.5 }), "tensor([1.0000e+05, 1.0000e+00, 5.0000e-01])",
       "ratio > 1000")
  -- not all whole and min 1e-5 < 1e-4 -> sci (float32 1e-5 is 9.99999975e-06, "1.0000e-05")
  T.eq(tostring(lab.tensor { 0.00001, 1.5 }), "tensor([1.0000e-05, 1.5000e+00])", "min < 1e-4")
  -- "-1.0000e-05" is 11 wide: the other value is padded to it
  T.eq(tostring(lab.tensor { -0.00001, 2 }), "tensor([-1.0000e-05,  2.0000e+00])", "sci widths")
  -- whole numbers with max/min 2000 > 1000 -> sci too
  T.eq(tostring(lab.tensor { 1, 2000 }), "tensor([1.0000e+00, 2.0000e+03])", "whole, ratio > 1000")
  -- whole, max 2e9 > 1e8 (ratio 1) -> sci
  T.eq(tostring(lab.tensor { 2e9 }), "tensor([2.0000e+09])", "max > 1e8")
  -- whole numbers 1..1000: ratio exactly 1000 is not > 1000 -> whole style, width 5
  T.eq(tostring(lab.tensor { 1, 1000 }), "tensor([   1., 1000.])", "ratio 1000 stays whole")
end)

T.case("printing: a loss is a 0-d tensor as PyTorch prints it (it was Lua's %.14g)", function()
  -- the strings torch 1.13 prints (its grad_fn left out)
  local out = lab.tensor { { 2, 0.5, -1 }, { 0.1, 0.2, 0.3 } }
  T.eq(tostring(nn.CrossEntropyLoss()(out, lab.labels { 0, 2 })), "tensor(0.6216)", "cross entropy")
  T.eq(tostring(nn.MSELoss()(lab.tensor { { 1 } }, lab.tensor { { 3 } })), "tensor(4.)", "whole")
  T.eq(tostring(nn.MSELoss()(lab.tensor { { 1 } }, lab.tensor { { 1.001 } })), "tensor(1.0001e-06)", "small")
  T.eq(tostring(nn.MSELoss()(lab.tensor { { 1e5 } }, lab.tensor { { 1 } })), "tensor(9.9998e+09)", "large")
  T.eq(tostring(nn.MSELoss()(lab.tensor { { 0 / 0 } }, lab.tensor { { 1 } })), "tensor(nan)", "nan")
end)

T.case("printing: integer tensors", function()
  T.eq(tostring(lab.labels { 3, 1, 4 }), "tensor([3, 1, 4])", "1-D")
  -- width of "10" is 2: "2" is padded
  T.eq(tostring(lab.labels { 10, 2 }), "tensor([10,  2])", "padded")
  T.eq(tostring(lab.stack { lab.labels { 1, 2 }, lab.labels { 30, 4 } }),
       "tensor([[ 1,  2],\n        [30,  4]])", "2-D integers")
end)

T.case("printing: summarised past 1000 elements", function()
  -- 2000 values 1 + i/4: summarised data 1, 1.25, 1.5, 500.25, 500.5, 500.75 (ratio
  -- 500.75, not whole -> fixed, width 8 "500.7500"); (80 - 7) // 10 = 7 a line, so
  -- the 7 items (3, " ...", 3) fit on one
  local v = {}
  for i = 0, 1999 do v[#v + 1] = 1 + i / 4 end
  T.eq(tostring(lab.tensor(v)),
       "tensor([  1.0000,   1.2500,   1.5000,  ..., 500.2500, 500.5000, 500.7500])", "1-D")
  -- 2 x 600, row r col c = 1 + 100 r + c/8: rows not summarised (2 <= 6), columns
  -- are; max 175.875, min 1 -> fixed, width 8; at indent 8, (80 - 8) // 10 = 7 a line
  local w = {}
  for r = 0, 1 do for c = 0, 599 do w[#w + 1] = 1 + 100 * r + c / 8 end end
  T.eq(tostring(lab.tensor(w, { rows = 2, cols = 600 })),
       "tensor([[  1.0000,   1.1250,   1.2500,  ...,  75.6250,  75.7500,  75.8750],\n" ..
       "        [101.0000, 101.1250, 101.2500,  ..., 175.6250, 175.7500, 175.8750]])", "2-D, columns")
  -- 40 x 40 of 0..1599 (torch.arange(1600.).reshape(40, 40)): summarised data are
  -- whole with max/min 1599 > 1000 -> sci, width 10; at indent 8, (80 - 8) // 12 = 6 a
  -- line, so each row's 7th item wraps to indent 9; rows summarised with "..."
  local u = {}
  for i = 0, 1599 do u[#u + 1] = i end
  local function row(a)
    local function f(x) return ("%.4e"):format(x) end
    return ("[%s, %s, %s,  ..., %s, %s,\n         %s]"):format(f(a), f(a + 1), f(a + 2), f(a + 37),
                                                             f(a + 38), f(a + 39))
  end
  local want = "tensor([" .. table.concat({ row(0), row(40), row(80), "...", row(1480), row(1520), row(1560) },
                                          ",\n        ") .. "])"
  T.eq(tostring(lab.tensor(u, { rows = 40, cols = 40 })), want, "2-D, both dims, sci")
  -- the same rows written out, for a reader checking the helper above
  T.contains(want, "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 3.7000e+01, 3.8000e+01,\n" ..
                   "         3.9000e+01],\n        [4.0000e+01,", "first row as torch prints it")
  -- 2000 labels i % 10: summarised 0, 1, 2 ... 7, 8, 9, width 1
  local l = {}
  for i = 0, 1999 do l[#l + 1] = i % 10 end
  T.eq(tostring(lab.labels(l)), "tensor([0, 1, 2,  ..., 7, 8, 9])", "integers")
  -- exactly 1000 elements are not summarised: 1000 whole values 1..1000 (width 5)
  local k = {}
  for i = 1, 1000 do k[i] = i end
  local s = tostring(lab.tensor(k))
  T.truthy(not s:find("...", 1, true), "1000 elements print whole")
  T.truthy(s:find("1000.])", 1, true), "down to the last")
end)

T.case("tolist gives nested tables; totable stays flat", function()
  local t = lab.tensor { { 1, 2 }, { 3, 4.5 } }
  same(t:tolist(), { { 1, 2 }, { 3, 4.5 } }, "2-D tolist")
  same(t:totable(), { 1, 2, 3, 4.5 }, "totable")
  local y = lab.labels { 3, 1, 4 }
  same(y:tolist(), { 3, 1, 4 }, "1-D tolist")
  T.eq(math.type(y:tolist()[1]), "integer", "integers stay integers")
  same(lab.tensor { 0.5, 2 }:tolist(), { 0.5, 2 }, "1-D float tolist")
end)

T.case("t[i]: a row view of a 2-D tensor sharing its memory; a number of a 1-D one", function()
  local t = counting(2, 3)
  local r = t[2]
  T.eq(tostring(r:size()), "torch.Size([3])", "a row is 1-D")
  same(r:tolist(), { 4, 5, 6 }, "row 2")
  T.eq(t[2][3], 6.0, "t[2][3]")
  T.eq(t[-1][-1], 6.0, "negative from the end")
  r[2] = 50
  T.eq(t:get(2, 2), 50.0, "writing the row view writes the tensor")
  t:set(2, 3, 60)
  T.eq(r[3], 60.0, "and the other way")
  t[1] = 7
  same(t[1]:tolist(), { 7, 7, 7 }, "t[i] = number fills the row")
  t[1] = lab.tensor { 1, 2, 3 }
  same(t:tolist(), { { 1, 2, 3 }, { 4, 50, 60 } }, "t[i] = tensor copies a row")
  local y = lab.labels { 3, 1, 4 }
  T.eq(y[2], 1, "1-D index")
  T.eq(math.type(y[2]), "integer", "an integer for an integer tensor")
  y[3] = 9
  same(y:tolist(), { 3, 1, 9 }, "1-D assignment")
  T.eq(t.nosuchmethod, nil, "unknown names are nil, as for any method table")
  refused(function() return t[3] end, "index 3 out of range for a dimension of size 2")
  refused(function() return t[0] end, "index 0 out of range")
  refused(function() return y[4] end, "index 4 out of range for a dimension of size 3")
  refused(function() return t[1.5] end, "tensor index 1.5 is not an integer")
  refused(function() t[1] = { 1, 2, 3 } end, "can only assign a number or a tensor")
  refused(function() t[1] = lab.tensor { 1, 2 } end, "cannot assign a (2,) tensor to 3 elements")
  -- as PyTorch's t[i] = value: one value broadcasts, the row's shape or (1, n) copies, any other
  -- shape of as many elements is refused (it was written row-major)
  t[1] = lab.tensor { 8 }
  same(t[1]:tolist(), { 8, 8, 8 }, "a one-element tensor fills the row")
  t[2] = lab.tensor { { 1, 2, 3 } }
  same(t[2]:tolist(), { 1, 2, 3 }, "a (1, 3) tensor copies into a row of 3")
  local wide = lab.tensor { { 1, 2, 3, 4 }, { 5, 6, 7, 8 } }
  refused(function() wide[1] = lab.tensor { { 10, 20 }, { 30, 40 } } end, "cannot assign a (2, 2) tensor to 4 elements")
  refused(function() wide[1] = lab.tensor { { 1 }, { 2 }, { 3 }, { 4 } } end, "cannot assign a (4, 1) tensor")
  same(wide[1]:tolist(), { 1, 2, 3, 4 }, "a refused write changes nothing")
  -- integer tensors refuse what int32 cannot hold, as PyTorch's int32 ones; they wrapped
  refused(function() y[2] = 2147483648 end, "2147483648 is out of range for an integer (int32) tensor")
  refused(function() y:set(3, 1, 4294967297) end, "t:set: 4294967297 is out of range for an integer (int32) tensor")
  refused(function() y[1] = lab.tensor { 0 / 0 } end, "nan is out of range for an integer (int32) tensor")
  refused(function() y[1] = lab.tensor { 3e9 } end, "is out of range for an integer (int32) tensor")
  -- a refused row changes nothing: every value is checked before any is written
  local rows = lab.stack { lab.labels { 1, 2, 3 }, lab.labels { 4, 5, 6 } }
  refused(function() rows[1] = lab.tensor { 7, 0 / 0, 8 } end, "nan is out of range")
  same(rows:tolist(), { { 1, 2, 3 }, { 4, 5, 6 } }, "the row as it was")
  y[1] = lab.tensor { -2.7 }
  T.eq(y[1], -2, "a float written to an integer tensor truncates, as PyTorch's")
  -- a float number too, by t[i] = x and t:set (it was "bad argument #3 to 'newindex'")
  y[1] = 1.5
  T.eq(y[1], 1, "t[i] = 1.5 truncates")
  y:set(1, 1, -2.7)
  T.eq(y[1], -2, "t:set truncates")
  refused(function() y[1] = 0 / 0 end, "nan is out of range for an integer (int32) tensor")
  refused(function() y:set(1, 1, "x") end, "t:set: an integer tensor takes numbers, not string")
  y[2] = -2147483648
  T.eq(y[2], -2147483648, "the smallest int32 fits")
end)

T.case("a model refuses a 1-D input, which PyTorch reads as one sample and nnlab read as a column", function()
  local model = nn.Sequential({ nn.Linear(1, 2) }, { seed = 1 })
  refused(function() return model(lab.tensor { 1, 2, 3 }) end,
          "model input must be 2-D (batch, features = 1), got a 1-D (3,) tensor")
  T.eq(#model(lab.tensor { { 1 }, { 2 }, { 3 } }), 3, "three samples of one feature, as rows")
  local two = nn.Sequential({ nn.Linear(2, 3) }, { seed = 1 })
  refused(function() return two(lab.tensor { 1, 2 }) end, "got a 1-D (2,) tensor")
end)

T.case("views of views go stale with the root: a model's next forward", function()
  local model = nn.Sequential { nn.Linear(2, 3) }
  local x = lab.tensor { { 1, 2 }, { 3, 4 } }
  local out = model(x)
  local row = out[1]
  local part = out:narrow(0, 2, 1)
  local row_of_part = part[1]
  local values = row:tolist()
  T.eq(#values, 3, "a fresh row reads")
  model(x)
  refused(function() return row:tolist() end, "stale tensor")
  refused(function() return row[1] end, "stale tensor")
  refused(function() return part:tolist() end, "stale tensor")
  refused(function() return row_of_part[1] end, "stale tensor")
  refused(function() return tostring(row) end, "cannot print a stale tensor")
  refused(function() return out[1] end, "stale tensor")
  refused(function() return lab.cat { row, row } end, "cat: item 1 is a stale tensor")
end)

T.case("views go stale with a loader's next batch", function()
  local ds = data.TensorDataset(lab.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } }, lab.labels { 0, 1, 0, 1 })
  local loader = data.DataLoader(ds, { batch_size = 2 })
  local first_row, first_y, n = nil, nil, 0
  for x, y in loader:batches() do
    n = n + 1
    if n == 1 then
      first_row, first_y = x[2], y:narrow(0, 1, 1)
      same(first_row:tolist(), { 3, 4 }, "row 2 of batch 1")
      same(first_y:tolist(), { 0 }, "label 1 of batch 1")
    else
      refused(function() return first_row:tolist() end, "stale tensor")
      refused(function() return first_y[1] end, "stale tensor")
      same(x[1]:tolist(), { 5, 6 }, "row 1 of batch 2")
    end
  end
  T.eq(n, 2, "two batches")
end)

T.case("a data.Lambda's batch goes stale at the next batch: in fit as in loader:batches()", function()
  local ds = data.TensorDataset(lab.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } }, lab.labels { 0, 1, 0, 1 })
  local first, later
  local loader = data.DataLoader(ds, { batch_size = 2, transform = data.Lambda(function(x)
    if not first then
      first = x
      T.eq(first:get(1, 1), 1.0, "batch 1 as it comes")
    else
      later = { pcall(first.get, first, 1, 1) }
    end
  end) })
  local function expect_stale(how)
    T.eq(later[1], false, how .. ": batch 1's view read during batch 2 (it read " .. tostring(later[2]) .. ")")
    T.contains(later[2], "stale tensor", how)
    refused(function() return first:tolist() end, "stale tensor")
  end
  for _ in loader:batches() do end
  expect_stale("loader:batches()")
  first, later = nil, nil
  local model = nn.Sequential { nn.Linear(2, 2) }
  lab.fit { model = model, loss = nn.CrossEntropyLoss(), optimizer = lab.optim.SGD(model:parameters()), train = loader }
  expect_stale("fit")
end)

T.case("views of an owned tensor go stale once it is closed", function()
  local row
  do
    local t <close> = lab.tensor { { 1, 2 }, { 3, 4 } }
    row = t[2]
    T.eq(row[1], 3.0, "fresh")
  end
  refused(function() return row[1] end, "stale tensor")
end)

T.case("narrow: a view along dim 0, a copy along dim 1", function()
  local t = counting(3, 4)
  local rows = t:narrow(0, 2, 2)
  same(rows:tolist(), { { 5, 6, 7, 8 }, { 9, 10, 11, 12 } }, "rows 2-3")
  rows[1][1] = 50
  T.eq(t:get(2, 1), 50.0, "the row narrow is a view")
  local cols = t:narrow(1, 2, 2)
  same(cols:tolist(), { { 2, 3 }, { 6, 7 }, { 10, 11 } }, "columns 2-3")
  cols[1][1] = 99
  T.eq(t:get(1, 2), 2.0, "the column narrow is a copy")
  same(t:narrow(-1, -2, 2):tolist(), { { 3, 4 }, { 7, 8 }, { 11, 12 } }, "negative dim and start")
  same(lab.labels { 5, 6, 7, 8 }:narrow(0, 2, 3):tolist(), { 6, 7, 8 }, "1-D")
  T.eq(tostring(lab.labels { 5, 6, 7, 8 }:narrow(0, 2, 3):size()), "torch.Size([3])", "1-D stays 1-D")
  refused(function() return t:narrow(2, 1, 1) end, "dim 2 out of range for a 2-D tensor")
  refused(function() return t:narrow(0, 3, 2) end, "narrow: length 2 from start 3 goes past the end")
  refused(function() return t:narrow(0, 4, 1) end, "start 4 out of range for a dimension of size 3")
  refused(function() return t:narrow(0, 1, 0) end, "narrow: length 0")
  -- start + length overflowed: a view of -1 rows, and a segfault reading it
  refused(function() return t:narrow(0, 2, math.maxinteger) end, "narrow: length 9223372036854775807 from start 2")
  refused(function() return t:narrow(1, 1, math.maxinteger) end, "goes past the end")
end)

T.case("index_select: 0-based integer tensors as PyTorch's, 1-based Lua lists", function()
  local t = counting(3, 2)
  same(t:index_select(0, lab.labels { 2, 0 }):tolist(), { { 5, 6 }, { 1, 2 } }, "rows by tensor")
  same(t:index_select(1, lab.labels { 1, 1, 0 }):tolist(), { { 2, 2, 1 }, { 4, 4, 3 }, { 6, 6, 5 } },
       "columns by tensor")
  same(t:index_select(0, { 3, 1 }):tolist(), { { 5, 6 }, { 1, 2 } }, "rows by Lua list (1-based)")
  same(t:index_select(-1, { 2 }):tolist(), { { 2 }, { 4 }, { 6 } }, "columns by Lua list")
  local y = lab.labels { 3, 1, 4 }
  local picked = y:index_select(0, lab.labels { 2, 2, 0 })
  same(picked:tolist(), { 4, 4, 3 }, "1-D")
  T.eq(picked:dim(), 1, "1-D result")
  picked[1] = 0
  T.eq(y[3], 4, "index_select copies")
  refused(function() return t:index_select(0, lab.labels { 3 }) end,
          "index[1] (0-based, from a tensor) is 3, out of range for a dimension of size 3 (0 to 2)")
  refused(function() return t:index_select(0, { 0 }) end, "index 0 out of range")
  refused(function() return t:index_select(0, lab.tensor { 1 }) end, "must be a 1-D integer tensor")
  refused(function() return t:index_select(2, { 1 }) end, "dim 2 out of range")
  refused(function() return t:index_select(0, "1") end, "must be an integer tensor or a Lua list")
end)

T.case("nnlab.cat and nnlab.stack", function()
  local a, b = lab.tensor { { 1, 2 } }, lab.tensor { { 3, 4 }, { 5, 6 } }
  same(lab.cat({ a, b }):tolist(), { { 1, 2 }, { 3, 4 }, { 5, 6 } }, "cat along dim 0 (default)")
  same(lab.cat({ b, b }, 1):tolist(), { { 3, 4, 3, 4 }, { 5, 6, 5, 6 } }, "cat along dim 1")
  same(lab.cat({ b, b }, -1):tolist(), { { 3, 4, 3, 4 }, { 5, 6, 5, 6 } }, "cat along dim -1")
  local c = lab.cat { lab.labels { 1, 2 }, lab.labels { 3 } }
  same(c:tolist(), { 1, 2, 3 }, "1-D cat")
  T.eq(c:is_labels(), true, "integers stay integers")
  local mixed = lab.cat { lab.labels { 1 }, lab.tensor { 0.5 } }
  T.eq(mixed:is_labels(), false, "an integer and a float tensor give floats, as torch.cat promotes")
  same(mixed:tolist(), { 1, 0.5 }, "promoted values")
  local s = lab.stack { lab.tensor { 1, 2, 3 }, lab.tensor { 4, 5, 6 } }
  T.eq(tostring(s:size()), "torch.Size([2, 3])", "stack along dim 0")
  same(s:tolist(), { { 1, 2, 3 }, { 4, 5, 6 } }, "rows")
  local sc = lab.stack({ lab.tensor { 1, 2, 3 }, lab.tensor { 4, 5, 6 } }, 1)
  same(sc:tolist(), { { 1, 4 }, { 2, 5 }, { 3, 6 } }, "stack along dim 1: columns")
  same(lab.stack({ lab.tensor { 1, 2 }, lab.tensor { 4, 5 } }, -1):tolist(), { { 1, 4 }, { 2, 5 } }, "dim -1")
  local rows = {}
  for i = 1, #b do rows[i] = b[i] end
  same(lab.stack(rows):tolist(), b:tolist(), "stacking a tensor's rows rebuilds it")
  refused(function() return lab.cat { a, lab.tensor { { 1, 2, 3 } } } end,
          "cat: sizes must match except in dim 0: item 2 has 3 in dim 1, item 1 has 2")
  refused(function() return lab.cat { a, lab.tensor { 1 } } end, "cat: item 2 is 1-D, item 1 is 2-D")
  refused(function() return lab.cat({ a, b }, 2) end, "dim 2 out of range")
  refused(function() return lab.cat {} end, "cat: expected a non-empty list of tensors")
  refused(function() return lab.cat { a, 3 } end, "cat: item 2 is number, not a tensor")
  refused(function() return lab.stack { a, a } end, "stack: item 1 is 2-D")
  refused(function() return lab.stack { lab.tensor { 1 }, lab.tensor { 1, 2 } } end,
          "stack expects each tensor to be equal size, but item 1 has size 1 and item 2 has size 2")
  refused(function() return lab.stack({ lab.tensor { 1 } }, 2) end, "dim 2 out of range for a 2-D tensor")
end)

-- A list read through __len and __index (a proxy) is read once per item: cat
-- and stack size and copy the tensors they checked. They read each item
-- again for each step, so an __index that gave a small tensor to the checks
-- and the sizing (the first five reads) and a large one to the copy made them
-- write past the end of the result.
T.case("nnlab.cat and nnlab.stack read each item of a proxy list once", function()
  local rows, values = {}, {}
  for i = 1, 1000 do rows[i], values[i] = { i, i }, i end
  local function proxy(first, later)
    local reads = 0
    local list = setmetatable({}, {
      __len = function() return 2 end,
      __index = function() reads = reads + 1 return reads <= 5 and first or later end,
    })
    return list, function() return reads end
  end
  local list, reads = proxy(lab.tensor { { 1, 2 } }, lab.tensor(rows))
  same(lab.cat(list):tolist(), { { 1, 2 }, { 1, 2 } }, "cat of the tensors the first reads gave")
  T.eq(reads(), 2, "cat reads each item once")
  list, reads = proxy(lab.tensor { 1, 2 }, lab.tensor(values))
  same(lab.stack(list):tolist(), { { 1, 2 }, { 1, 2 } }, "stack of the tensors the first reads gave")
  T.eq(reads(), 2, "stack reads each item once")
  -- items that only __index holds live until the copy
  local made = setmetatable({}, {
    __len = function() return 3 end,
    __index = function(_, k) collectgarbage() return lab.tensor { { k, -k } } end,
  })
  same(lab.cat(made):tolist(), { { 1, -1 }, { 2, -2 }, { 3, -3 } }, "cat of tensors made by __index")
  refused(function() return lab.cat(setmetatable({}, { __len = function() return 2 end })) end,
          "cat: item 1 is nil, not a tensor")
end)

-- Before: { rows = 6, col = 3 } gave a (6, 1) tensor, { row = 2, cols = 3 }
-- "wrong number of values", and { { 1, 2 }, 3 } Lua's "attempt to get
-- length of a number value" at init.lua's line.
T.case("nnlab.tensor: the shape is option-checked, a side left out is inferred, a bad row or value is named", function()
  local six = { 1, 2, 3, 4, 5, 6 }
  refused(function() lab.tensor(six, { rows = 6, col = 3 }) end,
          "nnlab.tensor: unknown option 'col' (did you mean 'cols'?)")
  refused(function() lab.tensor(six, { row = 2, cols = 3 }) end,
          "nnlab.tensor: unknown option 'row' (did you mean 'rows'?)")
  refused(function() lab.tensor(six, { rows = 1.5 }) end, "nnlab.tensor: option 'rows' must be an integer, got 1.5")
  refused(function() lab.tensor(six, { rows = 0, cols = 6 }) end, "nnlab.tensor: rows must be at least 1, got 0")
  refused(function() lab.tensor(six, { rows = 2, cols = 4 }) end,
          "nnlab.tensor: 6 values do not make a 2 x 4 tensor (8 values)")
  refused(function() lab.tensor(six, { cols = 4 }) end, "nnlab.tensor: 6 values do not make rows of 4")
  refused(function() lab.tensor(six, { rows = 4 }) end, "nnlab.tensor: 6 values do not make 4 rows of one length")
  T.eq(tostring(lab.tensor(six, { cols = 3 }):size()), "torch.Size([2, 3])", "rows inferred from cols")
  T.eq(tostring(lab.tensor(six, { rows = 3 }):size()), "torch.Size([3, 2])", "cols inferred from rows")
  T.eq(tostring(lab.tensor(six, { rows = 6 }):size()), "torch.Size([6, 1])", "a column")
  refused(function() lab.tensor { { 1, 2 }, 3 } end,
          "nnlab.tensor: row 2 is 3, not a table of numbers (row 1 is a table: every row must be)")
  refused(function() lab.tensor { { 1, 2 }, { 3, "x" } } end, "nnlab.tensor: row 2, column 2 is 'x', not a number")
  refused(function() lab.tensor { 1, true } end, "nnlab.tensor: value 2 is true, not a number")
  refused(function() lab.tensor({ { 1, 2 } }, { rows = 2 }) end,
          "nnlab.tensor: a shape goes with a flat list of values; a table of rows gives its own")
  refused(function() lab.tensor {} end, "nnlab.tensor: no values (nnlab has no empty tensors)")
  refused(function() lab.tensor { {}, {} } end, "nnlab.tensor: row 1 is empty")
  refused(function() lab.tensor("1, 2") end, "nnlab.tensor: expected a table of numbers or of rows, got '1, 2'")
end)

T.done()
