/**
 * The dedupe set of stored event ids (`ses:seen:<hour>`), checked and filled
 * with one short Lua script each instead of SMISMEMBER/SADD with a thousand
 * arguments: the ids travel as one comma-separated string, which spares the
 * client encoding (and the server parsing) a thousand bulk strings per batch.
 * Event ids are base64url, so they never contain a comma.
 */

/** KEYS[1] the set, ARGV[1] ids joined by commas → a string with '1' for each id already present, '0' otherwise. */
export const SEEN_CHECK = `
local ids = {}
for id in string.gmatch(ARGV[1], '[^,]+') do ids[#ids + 1] = id end
local out = {}
for from = 1, #ids, 500 do
  local part = redis.call('SMISMEMBER', KEYS[1], unpack(ids, from, math.min(from + 499, #ids)))
  for i = 1, #part do out[#out + 1] = part[i] == 1 and '1' or '0' end
end
return table.concat(out)
`;

/** KEYS[1] the set, ARGV[1] ids joined by commas, ARGV[2] TTL in seconds. */
export const SEEN_ADD = `
local ids = {}
for id in string.gmatch(ARGV[1], '[^,]+') do
  ids[#ids + 1] = id
  if #ids == 500 then redis.call('SADD', KEYS[1], unpack(ids)); ids = {} end
end
if #ids > 0 then redis.call('SADD', KEYS[1], unpack(ids)) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`;
