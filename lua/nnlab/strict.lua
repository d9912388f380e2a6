-- nnlab.strict: module tables that answer a name they do not have with an
-- error at the user's line that lists the names they do have: nn.Conv2d or
-- optim.RMSprop is a clear error, not "attempt to call a nil value".
local errors = require "nnlab.errors"

local strict = {}

--- Makes the module table t strict and returns it. `what` names t in
--- messages ("nn"), `kind` says what its capitalised functions are ("layer
--- or loss"); only those are listed.
function strict.module(t, what, kind)
  return setmetatable(t, { __index = function(_, name)
    local names = {}
    for k, v in pairs(t) do
      if type(k) == "string" and k:match("^%u") and type(v) == "function" then names[#names + 1] = k end
    end
    table.sort(names)
    local hint = require("nnlab.options").suggest(name, names):gsub("'(.-)'", what .. ".%1")
    errors.raise("%s.%s: nnlab has no %s of that name%s; it has %s", what, tostring(name), kind, hint,
                 table.concat(names, ", "))
  end })
end

return strict
