-- nnlab.strict: module tables that answer a name they do not have with an
-- error at the user's line that lists the names they do have: nn.Conv2d or
-- optim.RMSprop is a clear error, not "attempt to call a nil value".
local strict = {}

--- Makes the module table t strict and returns it. `what` names t in
--- messages ("nn"), `kind` says what its capitalised functions are ("layer
--- or loss"); only those are listed.
function strict.module(t, what, kind)
  return setmetatable(t, { __index = function(_, name)
    local names, hint = {}, ""
    for k, v in pairs(t) do
      if type(k) == "string" and k:match("^%u") and type(v) == "function" then
        names[#names + 1] = k
        if type(name) == "string" and k:lower() == name:lower() then hint = (" (did you mean %s.%s?)"):format(what, k) end
      end
    end
    table.sort(names)
    error(("%s.%s: nnlab has no %s of that name%s; it has %s"):format(what, tostring(name), kind, hint,
                                                                      table.concat(names, ", ")), 2)
  end })
end

return strict
