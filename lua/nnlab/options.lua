-- nnlab.options: the check every API function with an options table makes,
-- so that a misspelt option is an error at the user's line, never ignored.
local options = {}

--- Returns opts (or {} when nil) after checking that it is a table whose keys
--- are all in `allowed`. `level` is the user's level as seen from the caller
--- (2 when the caller is the public function the user called).
function options.check(where, opts, allowed, level)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(where .. ": options must be a table", level + 1) end
  for k in pairs(opts) do
    if not allowed[k] then
      error(("%s: unknown option '%s'"):format(where, tostring(k)), level + 1)
    end
  end
  return opts
end

return options
