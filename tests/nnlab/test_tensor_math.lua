-- Tensor math (bridge/lua_tensor_math.c) against values computed independently:
-- numpy 1.24 in float32, whose semantics match torch's for these ops, recorded
-- below as literals (E) by the script in the comment that follows. Dims are
-- 0-based as PyTorch's (dim 0 = along the rows, 1 = along the columns, -1 the
-- last); a reduction without dim gives a 1-element 1-D tensor where PyTorch
-- gives a 0-D one, hence the np.array([...]) in the script.
--
-- The script (/usr/bin/python3, numpy 1.24), its output pasted as E:
--   import numpy as np
--   f = np.float32
--   A = np.array([[1.5, -2.25, 3.0, 0.1], [4.0, 0.5, -1.0, 2.7], [-0.3, 8.0, 2.5, -6.0]], f)
--   B = np.array([[0.5, 2.0, -3.0, 0.1], [1.0, 0.5, 4.0, -2.0], [-0.3, 1.0, 2.5, 3.0]], f)
--   r = np.array([0.5, -1.0, 2.0, 10.0], f)          # 1-D (4,)
--   R1 = r.reshape(1, 4)                               # 2-D (1, 4)
--   c = np.array([[2.0], [-0.5], [4.0]], f)            # (3, 1)
--   P = np.array([[0.25, 1.0, 4.0, 9.0], [2.0, 0.5, 16.0, 0.01]], f)
--   I = np.array([3, 0, 7, 2], np.int32)
--   J = np.array([1, 5, 2, 2], np.int32)
--   F4 = np.array([[3.0, 0.5, 7.0, 2.5]], f)           # (1, 4)
--   K = (A > 0).astype(np.int32)
--   s = lambda x: f(x)  # a Lua number meets a float32 tensor as float32 (as in torch)
--   E = {
--    "A+B": A + B, "A-B": A - B, "A*B": A * B, "A/B": A / B,
--    "A+2.5": A + s(2.5), "2.5+A": s(2.5) + A, "A-1": A - s(1), "1-A": s(1) - A,
--    "A*0.1": A * s(0.1), "0.1*A": s(0.1) * A, "A/3": A / s(3), "3/A": (f(1) / A) * s(3),  # torch's __rtruediv__: reciprocal, then *
--    "A+r": A + r, "r+A": r + A, "A-R1": A - R1, "A*c": A * c, "c*A": c * A, "A/c": A / c,
--    "c-A": c - A, "r+c": r + c, "r*2": r * s(2), "-A": -A,
--    "I+J": I + J, "I-J": I - J, "I*J": I * J, "I/J": I.astype(f) / J.astype(f), "I+2": I + np.int32(2),
--    "I+0.5": I.astype(f) + s(0.5), "I*A": I.astype(f) * A, "I/2": I.astype(f) / s(2), "-I": -I,
--    "exp(A)": np.exp(A), "log(P)": np.log(P), "sqrt(P)": np.sqrt(P), "abs(A)": np.abs(A), "abs(I-J)": np.abs(I - J),
--    "clamp(A,-1,2)": np.minimum(np.maximum(A, s(-1)), s(2)), "clamp(A,nil,0)": np.minimum(A, s(0)),
--    "clamp(A,0,nil)": np.maximum(A, s(0)), "clamp(I,1,5)": np.clip(I, 1, 5),
--    "clamp(I,0.5,nil)": np.maximum(I.astype(f), s(0.5)),
--    "eq(A,B)": A == B, "ne(A,B)": A != B, "gt(A,0)": A > 0, "ge(A,B)": A >= B, "lt(A,r)": A < r,
--    "le(A,c)": A <= c, "eq(I,J)": I == J, "gt(I,2)": I > 2, "eq(I,F4)": I.astype(f) == F4,
--    "lt(I,F4)": I.astype(f) < F4, "ge(2.5,A)": s(2.5) >= A,
--    "sum(A)": np.array([A.sum()]), "sum(A,0)": A.sum(0), "sum(A,1)": A.sum(1), "sum(A,-1)": A.sum(-1),
--    "sum(A,0,keep)": A.sum(0, keepdims=True), "sum(A,1,keep)": A.sum(1, keepdims=True),
--    "mean(A)": np.array([A.mean()]), "mean(A,0)": A.mean(0), "mean(A,1)": A.mean(1), "mean(A,-2)": A.mean(-2),
--    "max(A)": np.array([A.max()]), "max(A,0)": A.max(0), "max(A,0).i": A.argmax(0),
--    "max(A,1)": A.max(1), "max(A,1).i": A.argmax(1), "argmax(A)": np.array([A.argmax()], np.int32),
--    "argmax(A,0)": A.argmax(0), "argmax(A,1)": A.argmax(1), "argmax(A,1,keep)": A.argmax(1).reshape(3, 1),
--    "sum(I)": np.array([I.sum()], np.int32), "mean(I)": np.array([I.astype(f).mean()]),
--    "sum(K,0)": K.sum(0).astype(np.int32), "sum(K,1)": K.sum(1).astype(np.int32),
--    "mean(K,1)": K.astype(f).mean(1), "max(I)": np.array([I.max()]), "argmax(I)": np.array([I.argmax()], np.int32),
--    "sum(r,0)": np.array([r.sum()]), "float(I)": I.astype(f),
--   }
--   def shape(a):
--       return "(%d,)" % a.shape if a.ndim == 1 else "(%d, %d)" % a.shape
--   print("local E = {")
--   for k, a in E.items():
--       integer = a.dtype.kind in "biu"
--       vals = ", ".join(str(int(v)) if integer else repr(float(v)) for v in a.astype(np.int64 if integer else f).ravel())
--       print('  ["%s"] = { "%s", %s, { %s } },' % (k, shape(a), "true" if integer else "false", vals))
--   print("}")
local T = require "testlib"
local nnlab = require "nnlab"
local nn, data = nnlab.nn, nnlab.data

local E = {
  ["A+B"] = { "(3, 4)", false, { 2.0, -0.25, 0.0, 0.20000000298023224, 5.0, 1.0, 3.0, 0.7000000476837158, -0.6000000238418579, 9.0, 5.0, -3.0 } },
  ["A-B"] = { "(3, 4)", false, { 1.0, -4.25, 6.0, 0.0, 3.0, 0.0, -5.0, 4.699999809265137, 0.0, 7.0, 0.0, -9.0 } },
  ["A*B"] = { "(3, 4)", false, { 0.75, -4.5, -9.0, 0.010000000707805157, 4.0, 0.25, -4.0, -5.400000095367432, 0.09000000357627869, 8.0, 6.25, -18.0 } },
  ["A/B"] = { "(3, 4)", false, { 3.0, -1.125, -1.0, 1.0, 4.0, 1.0, -0.25, -1.350000023841858, 1.0, 8.0, 1.0, -2.0 } },
  ["A+2.5"] = { "(3, 4)", false, { 4.0, 0.25, 5.5, 2.5999999046325684, 6.5, 3.0, 1.5, 5.199999809265137, 2.200000047683716, 10.5, 5.0, -3.5 } },
  ["2.5+A"] = { "(3, 4)", false, { 4.0, 0.25, 5.5, 2.5999999046325684, 6.5, 3.0, 1.5, 5.199999809265137, 2.200000047683716, 10.5, 5.0, -3.5 } },
  ["A-1"] = { "(3, 4)", false, { 0.5, -3.25, 2.0, -0.8999999761581421, 3.0, -0.5, -2.0, 1.7000000476837158, -1.2999999523162842, 7.0, 1.5, -7.0 } },
  ["1-A"] = { "(3, 4)", false, { -0.5, 3.25, -2.0, 0.8999999761581421, -3.0, 0.5, 2.0, -1.7000000476837158, 1.2999999523162842, -7.0, -1.5, 7.0 } },
  ["A*0.1"] = { "(3, 4)", false, { 0.15000000596046448, -0.22500000894069672, 0.30000001192092896, 0.010000000707805157, 0.4000000059604645, 0.05000000074505806, -0.10000000149011612, 0.27000001072883606, -0.030000001192092896, 0.800000011920929, 0.25, -0.6000000238418579 } },
  ["0.1*A"] = { "(3, 4)", false, { 0.15000000596046448, -0.22500000894069672, 0.30000001192092896, 0.010000000707805157, 0.4000000059604645, 0.05000000074505806, -0.10000000149011612, 0.27000001072883606, -0.030000001192092896, 0.800000011920929, 0.25, -0.6000000238418579 } },
  ["A/3"] = { "(3, 4)", false, { 0.5, -0.75, 1.0, 0.03333333507180214, 1.3333333730697632, 0.1666666716337204, -0.3333333432674408, 0.9000000357627869, -0.10000000149011612, 2.6666667461395264, 0.8333333134651184, -2.0 } },
  ["3/A"] = { "(3, 4)", false, { 2.0, -1.3333333730697632, 1.0, 30.0, 0.75, 6.0, -3.0, 1.111111044883728, -10.0, 0.375, 1.2000000476837158, -0.5 } },
  ["A+r"] = { "(3, 4)", false, { 2.0, -3.25, 5.0, 10.100000381469727, 4.5, -0.5, 1.0, 12.699999809265137, 0.19999998807907104, 7.0, 4.5, 4.0 } },
  ["r+A"] = { "(3, 4)", false, { 2.0, -3.25, 5.0, 10.100000381469727, 4.5, -0.5, 1.0, 12.699999809265137, 0.19999998807907104, 7.0, 4.5, 4.0 } },
  ["A-R1"] = { "(3, 4)", false, { 1.0, -1.25, 1.0, -9.899999618530273, 3.5, 1.5, -3.0, -7.300000190734863, -0.800000011920929, 9.0, 0.5, -16.0 } },
  ["A*c"] = { "(3, 4)", false, { 3.0, -4.5, 6.0, 0.20000000298023224, -2.0, -0.25, 0.5, -1.350000023841858, -1.2000000476837158, 32.0, 10.0, -24.0 } },
  ["c*A"] = { "(3, 4)", false, { 3.0, -4.5, 6.0, 0.20000000298023224, -2.0, -0.25, 0.5, -1.350000023841858, -1.2000000476837158, 32.0, 10.0, -24.0 } },
  ["A/c"] = { "(3, 4)", false, { 0.75, -1.125, 1.5, 0.05000000074505806, -8.0, -1.0, 2.0, -5.400000095367432, -0.07500000298023224, 2.0, 0.625, -1.5 } },
  ["c-A"] = { "(3, 4)", false, { 0.5, 4.25, -1.0, 1.899999976158142, -4.5, -1.0, 0.5, -3.200000047683716, 4.300000190734863, -4.0, 1.5, 10.0 } },
  ["r+c"] = { "(3, 4)", false, { 2.5, 1.0, 4.0, 12.0, 0.0, -1.5, 1.5, 9.5, 4.5, 3.0, 6.0, 14.0 } },
  ["r*2"] = { "(4,)", false, { 1.0, -2.0, 4.0, 20.0 } },
  ["-A"] = { "(3, 4)", false, { -1.5, 2.25, -3.0, -0.10000000149011612, -4.0, -0.5, 1.0, -2.700000047683716, 0.30000001192092896, -8.0, -2.5, 6.0 } },
  ["I+J"] = { "(4,)", true, { 4, 5, 9, 4 } },
  ["I-J"] = { "(4,)", true, { 2, -5, 5, 0 } },
  ["I*J"] = { "(4,)", true, { 3, 0, 14, 4 } },
  ["I/J"] = { "(4,)", false, { 3.0, 0.0, 3.5, 1.0 } },
  ["I+2"] = { "(4,)", true, { 5, 2, 9, 4 } },
  ["I+0.5"] = { "(4,)", false, { 3.5, 0.5, 7.5, 2.5 } },
  ["I*A"] = { "(3, 4)", false, { 4.5, -0.0, 21.0, 0.20000000298023224, 12.0, 0.0, -7.0, 5.400000095367432, -0.9000000357627869, 0.0, 17.5, -12.0 } },
  ["I/2"] = { "(4,)", false, { 1.5, 0.0, 3.5, 1.0 } },
  ["-I"] = { "(4,)", true, { -3, 0, -7, -2 } },
  ["exp(A)"] = { "(3, 4)", false, { 4.481688976287842, 0.1053992211818695, 20.08553695678711, 1.1051709651947021, 54.598148345947266, 1.6487212181091309, 0.3678794205188751, 14.879733085632324, 0.740818202495575, 2980.9580078125, 12.182493209838867, 0.002478752052411437 } },
  ["log(P)"] = { "(2, 4)", false, { -1.3862943649291992, 0.0, 1.3862943649291992, 2.1972246170043945, 0.6931471824645996, -0.6931471824645996, 2.7725887298583984, -4.605170249938965 } },
  ["sqrt(P)"] = { "(2, 4)", false, { 0.5, 1.0, 2.0, 3.0, 1.4142135381698608, 0.7071067690849304, 4.0, 0.10000000149011612 } },
  ["abs(A)"] = { "(3, 4)", false, { 1.5, 2.25, 3.0, 0.10000000149011612, 4.0, 0.5, 1.0, 2.700000047683716, 0.30000001192092896, 8.0, 2.5, 6.0 } },
  ["abs(I-J)"] = { "(4,)", true, { 2, 5, 5, 0 } },
  ["clamp(A,-1,2)"] = { "(3, 4)", false, { 1.5, -1.0, 2.0, 0.10000000149011612, 2.0, 0.5, -1.0, 2.0, -0.30000001192092896, 2.0, 2.0, -1.0 } },
  ["clamp(A,nil,0)"] = { "(3, 4)", false, { 0.0, -2.25, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, -0.30000001192092896, 0.0, 0.0, -6.0 } },
  ["clamp(A,0,nil)"] = { "(3, 4)", false, { 1.5, 0.0, 3.0, 0.10000000149011612, 4.0, 0.5, 0.0, 2.700000047683716, 0.0, 8.0, 2.5, 0.0 } },
  ["clamp(I,1,5)"] = { "(4,)", true, { 3, 1, 5, 2 } },
  ["clamp(I,0.5,nil)"] = { "(4,)", false, { 3.0, 0.5, 7.0, 2.0 } },
  ["eq(A,B)"] = { "(3, 4)", true, { 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0 } },
  ["ne(A,B)"] = { "(3, 4)", true, { 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1 } },
  ["gt(A,0)"] = { "(3, 4)", true, { 1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0 } },
  ["ge(A,B)"] = { "(3, 4)", true, { 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0 } },
  ["lt(A,r)"] = { "(3, 4)", true, { 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1 } },
  ["le(A,c)"] = { "(3, 4)", true, { 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1 } },
  ["eq(I,J)"] = { "(4,)", true, { 0, 0, 0, 1 } },
  ["gt(I,2)"] = { "(4,)", true, { 1, 0, 1, 0 } },
  ["eq(I,F4)"] = { "(1, 4)", true, { 1, 0, 1, 0 } },
  ["lt(I,F4)"] = { "(1, 4)", true, { 0, 1, 0, 1 } },
  ["ge(2.5,A)"] = { "(3, 4)", true, { 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1 } },
  ["sum(A)"] = { "(1,)", false, { 12.75 } },
  ["sum(A,0)"] = { "(4,)", false, { 5.199999809265137, 6.25, 4.5, -3.200000047683716 } },
  ["sum(A,1)"] = { "(3,)", false, { 2.3499999046325684, 6.199999809265137, 4.199999809265137 } },
  ["sum(A,-1)"] = { "(3,)", false, { 2.3499999046325684, 6.199999809265137, 4.199999809265137 } },
  ["sum(A,0,keep)"] = { "(1, 4)", false, { 5.199999809265137, 6.25, 4.5, -3.200000047683716 } },
  ["sum(A,1,keep)"] = { "(3, 1)", false, { 2.3499999046325684, 6.199999809265137, 4.199999809265137 } },
  ["mean(A)"] = { "(1,)", false, { 1.0625 } },
  ["mean(A,0)"] = { "(4,)", false, { 1.7333332300186157, 2.0833332538604736, 1.5, -1.0666667222976685 } },
  ["mean(A,1)"] = { "(3,)", false, { 0.5874999761581421, 1.5499999523162842, 1.0499999523162842 } },
  ["mean(A,-2)"] = { "(4,)", false, { 1.7333332300186157, 2.0833332538604736, 1.5, -1.0666667222976685 } },
  ["max(A)"] = { "(1,)", false, { 8.0 } },
  ["max(A,0)"] = { "(4,)", false, { 4.0, 8.0, 3.0, 2.700000047683716 } },
  ["max(A,0).i"] = { "(4,)", true, { 1, 2, 0, 1 } },
  ["max(A,1)"] = { "(3,)", false, { 3.0, 4.0, 8.0 } },
  ["max(A,1).i"] = { "(3,)", true, { 2, 0, 1 } },
  ["argmax(A)"] = { "(1,)", true, { 9 } },
  ["argmax(A,0)"] = { "(4,)", true, { 1, 2, 0, 1 } },
  ["argmax(A,1)"] = { "(3,)", true, { 2, 0, 1 } },
  ["argmax(A,1,keep)"] = { "(3, 1)", true, { 2, 0, 1 } },
  ["sum(I)"] = { "(1,)", true, { 12 } },
  ["mean(I)"] = { "(1,)", false, { 3.0 } },
  ["sum(K,0)"] = { "(4,)", true, { 2, 2, 2, 2 } },
  ["sum(K,1)"] = { "(3,)", true, { 3, 3, 2 } },
  ["mean(K,1)"] = { "(3,)", false, { 0.75, 0.75, 0.5 } },
  ["max(I)"] = { "(1,)", true, { 7 } },
  ["argmax(I)"] = { "(1,)", true, { 2 } },
  ["sum(r,0)"] = { "(1,)", false, { 11.5 } },
  ["float(I)"] = { "(4,)", false, { 3.0, 0.0, 7.0, 2.0 } },
}

-- The flat row-major values of t, whatever nesting totable/tolist gives.
local function values(t)
  local out = {}
  local function walk(x)
    if type(x) == "table" then for _, v in ipairs(x) do walk(v) end else out[#out + 1] = x end
  end
  walk(t.tolist and t:tolist() or t:totable())
  return out
end

-- "(R, C)" or "(n,)", read through this file's own API: only a 2-D tensor has a dim 1.
local function shape(t)
  if pcall(t.sum, t, 1) then
    return ("(%d, %d)"):format(t:sum(1):numel(), t:sum(0):numel())
  end
  return ("(%d,)"):format(t:numel())
end

local function is_integer(t)
  local v = values(t)
  return math.type(v[1]) == "integer"
end

-- t against E[name]: shape, type (int or float) and every value (floats to a
-- relative 1e-6, for exp/log and sums that may differ in the last bit; ints exactly).
local function check(t, name)
  local e = T.truthy(E[name], "expected values for " .. name)
  T.eq(shape(t), e[1], name .. " shape")
  T.eq(is_integer(t), e[2], name .. " is an integer tensor")
  local got = values(t)
  T.eq(#got, #e[3], name .. " count")
  for k, want in ipairs(e[3]) do
    if e[2] then
      T.eq(got[k], want, ("%s[%d]"):format(name, k))
    elseif want ~= want then
      T.truthy(got[k] ~= got[k], ("%s[%d] is NaN"):format(name, k))
    else
      T.close(got[k], want, 1e-6 * math.max(1, math.abs(want)), ("%s[%d]"):format(name, k))
    end
  end
end

local A = nnlab.tensor { { 1.5, -2.25, 3.0, 0.1 }, { 4.0, 0.5, -1.0, 2.7 }, { -0.3, 8.0, 2.5, -6.0 } }
local B = nnlab.tensor { { 0.5, 2.0, -3.0, 0.1 }, { 1.0, 0.5, 4.0, -2.0 }, { -0.3, 1.0, 2.5, 3.0 } }
local r = nnlab.tensor({ 0.5, -1.0, 2.0, 10.0 }, { rows = 1, cols = 4 }):sum(0) -- 1-D (4,): a column sum of one row
local R1 = nnlab.tensor { { 0.5, -1.0, 2.0, 10.0 } }
local c = nnlab.tensor { { 2.0 }, { -0.5 }, { 4.0 } }
local P = nnlab.tensor { { 0.25, 1.0, 4.0, 9.0 }, { 2.0, 0.5, 16.0, 0.01 } }
local I = nnlab.labels { 3, 0, 7, 2 }
local J = nnlab.labels { 1, 5, 2, 2 }
local F4 = nnlab.tensor { { 3.0, 0.5, 7.0, 2.5 } }
local K = A:gt(0)

local function check_all(list)
  for _, case in ipairs(list) do check(case[2](), case[1]) end
end

T.case("the inputs have the shapes the script gives them", function()
  T.eq(shape(A), "(3, 4)", "A")
  T.eq(shape(r), "(4,)", "r")
  T.eq(shape(R1), "(1, 4)", "R1")
  T.eq(shape(c), "(3, 1)", "c")
  T.eq(shape(I), "(4,)", "I")
  T.eq(shape(K), "(3, 4)", "K")
end)

T.case("+ - * / of same-shape tensors, and unary -", function()
  check_all {
    { "A+B", function() return A + B end }, { "A-B", function() return A - B end },
    { "A*B", function() return A * B end }, { "A/B", function() return A / B end },
    { "-A", function() return -A end },
    { "A+B", function() return A:add(B) end }, { "A-B", function() return A:sub(B) end },
    { "A*B", function() return A:mul(B) end }, { "A/B", function() return A:div(B) end },
    { "-A", function() return A:neg() end },
  }
end)

T.case("a number on either side", function()
  check_all {
    { "A+2.5", function() return A + 2.5 end }, { "2.5+A", function() return 2.5 + A end },
    { "A-1", function() return A - 1 end }, { "1-A", function() return 1 - A end },
    { "A*0.1", function() return A * 0.1 end }, { "0.1*A", function() return 0.1 * A end },
    { "A/3", function() return A / 3 end }, { "3/A", function() return 3 / A end },
    { "r*2", function() return r * 2 end },
  }
end)

-- A number over a tensor is torch's __rtruediv__, reciprocal(t) * number,
-- two roundings: 3 / 7 is 0.42857146 there (torch 1.13, printed with
-- .tolist()), not the correctly rounded 0.42857143 nnlab gave.
T.case("a number over a tensor rounds as PyTorch's reciprocal-then-multiply", function()
  local q = (3 / nnlab.tensor { 7, 13 }):totable()
  T.eq(q[1], 0.4285714626312256, "3 / 7")
  T.eq(q[2], 0.23076924681663513, "3 / 13")
  local d = (nnlab.tensor { 7, 13 } / 3):totable()
  T.eq(d[1], 2.3333332538604736, "7 / 3: a division, as torch's")
  T.eq(d[2], 4.333333492279053, "13 / 3")
end)

-- torch refuses t[i] = 1e40 on a float32 tensor ("value cannot be
-- converted to type float without overflow"); nnlab stored inf.
T.case("a value past float32's range written into a float tensor is refused; inf and nan are taken", function()
  local t = nnlab.tensor { 0, 0 }
  T.refused(function() t[1] = 1e40 end, "1e+40 is out of range for a float (float32) tensor")
  T.refused(function() t:set(2, 1, -3.5e38) end, "t:set: -3.5e+38 is out of range for a float (float32) tensor")
  t[1], t[2] = math.huge, 3.4e38
  T.eq(t[1], math.huge, "inf is a float32 value")
  T.eq(t[2], 3.3999999521443642e38, "the largest floats are taken, rounded")
  t[2] = 0 / 0
  T.truthy(t[2] ~= t[2], "and nan")
end)

T.case("broadcasting a row (1-D or 1 x C), a column (R x 1), and a row against a column", function()
  check_all {
    { "A+r", function() return A + r end }, { "r+A", function() return r + A end },
    { "A-R1", function() return A - R1 end }, { "A*c", function() return A * c end },
    { "c*A", function() return c * A end }, { "A/c", function() return A / c end },
    { "c-A", function() return c - A end }, { "r+c", function() return r + c end },
  }
end)

T.case("integer tensors: int op int stays int, / and a float operand give float", function()
  check_all {
    { "I+J", function() return I + J end }, { "I-J", function() return I - J end },
    { "I*J", function() return I * J end }, { "I/J", function() return I / J end },
    { "I+2", function() return I + 2 end }, { "I+0.5", function() return I + 0.5 end },
    { "I*A", function() return I * A end }, { "I/2", function() return I / 2 end },
    { "-I", function() return -I end },
  }
end)

T.case("exp, log, sqrt, abs, clamp", function()
  check_all {
    { "exp(A)", function() return A:exp() end }, { "log(P)", function() return P:log() end },
    { "sqrt(P)", function() return P:sqrt() end }, { "abs(A)", function() return A:abs() end },
    { "abs(I-J)", function() return (I - J):abs() end },
    { "clamp(A,-1,2)", function() return A:clamp(-1, 2) end },
    { "clamp(A,nil,0)", function() return A:clamp(nil, 0) end },
    { "clamp(A,0,nil)", function() return A:clamp(0) end },
    { "clamp(I,1,5)", function() return I:clamp(1, 5) end },
    { "clamp(I,0.5,nil)", function() return I:clamp(0.5, nil) end },
  }
  local special = values(nnlab.tensor { { 0, -1 } }:log())
  T.eq(special[1], -math.huge, "log(0)")
  T.truthy(special[2] ~= special[2], "log(-1) is NaN")
  T.truthy(values(nnlab.tensor { { -4 } }:sqrt())[1] ~= values(nnlab.tensor { { -4 } }:sqrt())[1], "sqrt(-4) is NaN")
  T.eq(values(nnlab.tensor { { 5, -5 } }:clamp(3, 1))[2], 1.0, "lo > hi gives hi, as torch.clamp")
end)

T.case("comparisons give 0/1 integer tensors; int against float compares values", function()
  check_all {
    { "eq(A,B)", function() return A:eq(B) end }, { "ne(A,B)", function() return A:ne(B) end },
    { "gt(A,0)", function() return A:gt(0) end }, { "ge(A,B)", function() return A:ge(B) end },
    { "lt(A,r)", function() return A:lt(r) end }, { "le(A,c)", function() return A:le(c) end },
    { "eq(I,J)", function() return I:eq(J) end }, { "gt(I,2)", function() return I:gt(2) end },
    { "eq(I,F4)", function() return I:eq(F4) end }, { "lt(I,F4)", function() return I:lt(F4) end },
  }
  -- a comparison's result is an integer tensor: :float() makes it float, :sum() counts
  check(A:gt(0):float():mean(1), "mean(K,1)")
  T.eq(A:eq(B):sum():item(), 4, "equal elements counted")
  T.eq(math.type(A:eq(B):sum():item()), "integer", "a count is a Lua integer")
end)

T.case("sum and mean: all, along each dim (0-based, -1 the last), keepdim", function()
  check_all {
    { "sum(A)", function() return A:sum() end }, { "sum(A,0)", function() return A:sum(0) end },
    { "sum(A,1)", function() return A:sum(1) end }, { "sum(A,-1)", function() return A:sum(-1) end },
    { "sum(A,0,keep)", function() return A:sum(0, true) end },
    { "sum(A,1,keep)", function() return A:sum(1, true) end },
    { "mean(A)", function() return A:mean() end }, { "mean(A,0)", function() return A:mean(0) end },
    { "mean(A,1)", function() return A:mean(1) end }, { "mean(A,-2)", function() return A:mean(-2) end },
    { "sum(r,0)", function() return r:sum(0) end },
  }
end)

T.case("max and argmax: all (flattened index), along each dim with 0-based indices", function()
  check(A:max(), "max(A)")
  local v0, i0 = A:max(0)
  check(v0, "max(A,0)")
  check(i0, "max(A,0).i")
  local v1, i1 = A:max(1)
  check(v1, "max(A,1)")
  check(i1, "max(A,1).i")
  T.eq(select("#", A:max()), 1, "max() without dim gives the value alone")
  check(A:argmax(), "argmax(A)")
  check(A:argmax(0), "argmax(A,0)")
  check(A:argmax(1), "argmax(A,1)")
  check(A:argmax(-1), "argmax(A,1)")
  check(A:argmax(1, true), "argmax(A,1,keep)")
  -- ties go to the first, and a NaN is the largest, as in torch
  local ties = values(nnlab.tensor { { 1, 3, 3 }, { 2, 2, 1 } }:argmax(1))
  T.eq(ties[1], 1, "first of equal maxima")
  T.eq(ties[2], 0, "first of equal maxima")
  local nan = nnlab.tensor { { 1, 0 / 0, 5 } }
  T.eq(nan:argmax():item(), 1, "NaN is the max")
  T.truthy(nan:max():item() ~= nan:max():item(), "max of a NaN row is NaN")
end)

T.case("reductions of integer tensors: sum and max stay int, mean is float", function()
  check(I:sum(), "sum(I)")
  check(I:mean(), "mean(I)")
  check(K:sum(0), "sum(K,0)")
  check(K:sum(1), "sum(K,1)")
  check(I:max(), "max(I)")
  check(I:argmax(), "argmax(I)")
  local v, i = I:max(0)
  T.eq(v:item(), 7, "max of a 1-D along dim 0")
  T.eq(i:item(), 2, "its index")
end)

T.case("float, item, numel", function()
  check(I:float(), "float(I)")
  T.truthy(rawequal(A:float(), A), "float() of a float tensor is the tensor itself, as in torch")
  T.eq(nnlab.tensor { { 2.5 } }:item(), 2.5, "item of a 1x1")
  T.eq(math.type(I:sum():item()), "integer", "item of an int tensor is a Lua integer")
  T.eq(math.type(A:sum():item()), "float", "item of a float tensor is a Lua float")
  T.eq(A:numel(), 12, "numel 3x4")
  T.eq(I:numel(), 4, "numel (4,)")
end)

T.case("results are new tensors: the inputs are unchanged", function()
  local before = values(A)
  local _ = A + 1, A:exp(), -A, A:clamp(0, 1), A:sum(0), A:max(1)
  local after = values(A)
  for k = 1, #before do T.eq(after[k], before[k], "A[" .. k .. "]") end
end)

local this_file = "test_tensor_math.lua:"

T.case("errors name both shapes, the dim range, the element count, at the user's line", function()
  local e = T.fails(function() return A + nnlab.tensor { { 1, 2, 3, 4 }, { 5, 6, 7, 8 } } end,
                    "+: shapes (3, 4) and (2, 4) do not broadcast")
  T.contains(e, this_file, "the error names the user's line")
  T.fails(function() return A:eq(nnlab.labels { 1, 2, 3 }) end, "eq: shapes (3, 4) and (3,) do not broadcast")
  T.fails(function() return r * nnlab.tensor { { 1 }, { 2 } } + A end, "shapes (2, 4) and (3, 4)")
  -- worded as t:size's and t:narrow's (lua-api.md quotes it)
  e = T.fails(function() return A:sum(2) end,
              "dim 2 out of range for a 2-D tensor (expected 0 to 1, or -2 to -1: dims count from 0, as PyTorch's)")
  T.contains(e, this_file, "the error names the user's line")
  T.fails(function() return A:argmax(-3) end, "dim -3 out of range")
  T.fails(function() return r:max(1) end, "dim 1 out of range for a 1-D tensor (expected 0 to 0, or -1 to -1")
  e = T.fails(function() return A:item() end, "item: a tensor of 12 elements, shape (3, 4),")
  T.contains(e, this_file, "the error names the user's line")
  T.fails(function() return A + "1" end, "+: expected a tensor or a number, got string")
  T.fails(function() return A:clamp() end, "clamp: at least one of lo and hi")
  T.fails(function() return I + (1 << 40) end, "out of range for an integer (int32) tensor")
  T.fails(function() return nnlab.labels { 2147483647, 1 }:sum() end, "overflows an integer (int32) tensor")
end)

T.case("a stale view is refused as input, on either side and by every kind of op", function()
  local model = nn.Sequential({ nn.Linear(4, 3) }, { seed = 1 })
  local x = nnlab.tensor { { 1, 2, 3, 4 }, { 0, 1, 0, 1 } }
  local old = model(x)
  T.eq(shape(old), "(2, 3)", "a model's output")
  local _ = model(x) -- overwrites old's memory
  T.fails(function() return old + 1 end, "stale tensor")
  T.fails(function() return 1 - old end, "stale tensor")
  T.fails(function() return -old end, "stale tensor")
  T.fails(function() return old:exp() end, "stale tensor")
  T.fails(function() return old:eq(0) end, "stale tensor")
  T.fails(function() return nnlab.tensor { { 1, 2, 3 } }:lt(old) end, "stale tensor")
  T.fails(function() return old:sum(0) end, "stale tensor")
  T.fails(function() return old:argmax(1) end, "stale tensor")
  T.fails(function() return old:max() end, "stale tensor")
  T.fails(function() return old:float() end, "stale tensor")
  T.fails(function() return old:item() end, "stale tensor")
end)

T.case("(model(x):argmax(1):eq(y)):float():mean():item() is the hand-counted accuracy", function()
  local model = nn.Sequential({ nn.Linear(4, 3) }, { seed = 7 })
  local x = nnlab.tensor { { 1, 2, 3, 4 }, { 0, 1, 0, 1 }, { -1, 2, 0.5, 3 }, { 4, -3, 2, 0 },
                           { 0.2, 0.1, -0.4, 1 }, { 3, 3, -2, -1 }, { -2, -2, 1, 5 } }
  local y = nnlab.labels { 0, 1, 2, 2, 1, 0, 1 }
  local acc = (model(x):argmax(1):eq(y)):float():mean():item()
  -- by hand: each row's first largest logit, compared with its label
  local out, labels, hits = values(model(x)), values(y), 0
  for row = 1, 7 do
    local best = 1
    for col = 2, 3 do if out[(row - 1) * 3 + col] > out[(row - 1) * 3 + best] then best = col end end
    if best - 1 == labels[row] then hits = hits + 1 end
  end
  T.truthy(hits > 0 and hits < 7, "a case with hits and misses (" .. hits .. ")")
  T.eq(acc, string.unpack("f", string.pack("f", hits / 7)), "accuracy through tensors = hits / 7 (in float32)")
  T.eq(model(x):argmax(-1):eq(y):sum():item(), hits, "argmax(-1) and a count")
end)

T.case("per-batch hits over a test loader add up to nnlab.evaluate's accuracy", function()
  local test = data.load("fashion-mnist", { train = false, subset = 1000 })
  local loader = data.DataLoader(test, { batch_size = 32, shuffle = false })
  local model = nn.Sequential({ nn.Linear(28 * 28, 32), nn.ReLU(), nn.Linear(32, 10) }, { seed = 3 })
  local hits, count = 0, 0
  for x, y in loader:batches() do
    hits = hits + model(x):argmax(1):eq(y):sum():item()
    count = count + y:numel()
  end
  local e = nnlab.evaluate(model, loader)
  T.eq(count, e.count, "samples")
  T.close(100 * hits / count, e.accuracy, 1e-9, "accuracy %")
end)

-- torch.clamp(v, 0, nan) and clamp(v, nan, 1) give NaN everywhere; the NaN
-- bound had been ignored.
T.case("clamp with a NaN bound gives NaN, as PyTorch's", function()
  local v = nnlab.tensor { 1, -1, 3, 0.5 }
  for _, bounds in ipairs { { 0, 0 / 0 }, { 0 / 0, 1 }, { 0 / 0 } } do
    local out = v:clamp(bounds[1], bounds[2])
    for i = 1, 4 do
      local x = out:get(i)
      T.truthy(x ~= x, ("clamp(%s, %s) element %d is NaN, got %s"):format(bounds[1], bounds[2], i, x))
    end
  end
end)

T.done()
