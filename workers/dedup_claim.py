"""The dedup index's Lua claim script (a Python string, so it ships with the package)."""

CLAIM_SCRIPT = """
-- Claim one article in the fleet-wide dedup index, atomically (workers/dedup_index.py builds ARGV).
-- KEYS[1]: key prefix. ARGV: 1 item ref, 2 retention seconds, 3 buckets of one-per-article
-- entries, 4-5 URL bucket and field, 6-7 text bucket and field, 8 min Jaccard, 9 min
-- containment, 10 Jaccard floor, 11 sketch length; then, for texts long enough, 12 the sketch
-- with its 2-byte shingle count and 13.. band bucket/field pairs.
-- Entries live in hashes bucketed by key hash (compact encoding) per retention generation.
local prefix, ref = KEYS[1], ARGV[1]
local retention, singles = tonumber(ARGV[2]), tonumber(ARGV[3])
local min_j, min_c, floor_j = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local n = tonumber(ARGV[11])
local now = tonumber(redis.call('TIME')[1])
-- A generation is a third of the retention; its keys expire a retention after it ends, so an
-- entry lives between one retention and four thirds of it, and lookups read four generations.
local span = math.ceil(retention / 3)
local gen = math.floor(now / span)

local function key(kind, g, bucket)
  return prefix .. ':' .. kind .. ':' .. g .. ':' .. bucket
end

local function find(kind, bucket, field)
  for g = gen, gen - 3, -1 do
    local v = redis.call('HGET', key(kind, g, bucket), field)
    if v then return v end
  end
  return false
end

local function put(kind, bucket, field, value, only_new)
  local k = key(kind, gen, bucket)
  redis.call(only_new and 'HSETNX' or 'HSET', k, field, value)
  redis.call('EXPIRE', k, (gen + 1) * span + retention - now)
end

local function ref_bucket(r)
  return tonumber(string.sub(redis.sha1hex(r), 1, 6), 16) % singles
end

local function size_of(s)
  return string.byte(s, n + 1) * 256 + string.byte(s, n + 2)
end

-- Jaccard estimated from matching sketch bytes, chance matches (1/256) removed.
local function compare(mine, entry)
  local a, b = {string.byte(mine, 1, n)}, {string.byte(entry, 1, n)}
  local same = 0
  for j = 1, n do
    if a[j] == b[j] then same = same + 1 end
  end
  local sim = math.max(0, (same / n - 1 / 256) / (1 - 1 / 256))
  local size, other = size_of(mine), size_of(entry)
  local shared = sim * (size + other) / (1 + sim)
  local contained = math.min(1, shared / math.max(1, math.min(size, other)))
  return sim, sim >= min_j or (sim >= floor_j and contained >= min_c)
end

-- The most similar earlier article that shares a band and passes the rule: its story.
local function nearest()
  local seen, best, best_sim = {}, false, -1
  for i = 13, #ARGV, 2 do
    local cand = find('b', ARGV[i], ARGV[i + 1])
    if cand and cand ~= ref and not seen[cand] then
      seen[cand] = true
      local entry = find('a', ref_bucket(cand), cand)
      if entry then
        local sim, ok = compare(ARGV[12], entry)
        if ok and sim > best_sim then best, best_sim = string.sub(entry, n + 3), sim end
      end
    end
  end
  return best, best_sim
end

local function register(story)
  put('t', ARGV[6], ARGV[7], story, true)
  if ARGV[12] then
    put('a', ref_bucket(ref), ref, ARGV[12] .. story, false)
    for i = 13, #ARGV, 2 do put('b', ARGV[i], ARGV[i + 1], ref, true) end
  end
end

local function decide(story, owner, reason, sim)
  local verdict = {story, owner, reason, sim, tostring(now)}
  put('d', ref_bucket(ref), ref, cmsgpack.pack(verdict), false)
  return verdict
end

-- A decision once made is returned again: a redelivered message gets the same answer.
local decided = find('d', ref_bucket(ref), ref)
if decided then return cmsgpack.unpack(decided) end
local url_owner = find('u', ARGV[4], ARGV[5])
if url_owner and url_owner ~= ref then return decide('', url_owner, 'same-url', '') end
put('u', ARGV[4], ARGV[5], ref, false)
local story = find('t', ARGV[6], ARGV[7])
if story then
  register(story)
  return decide(story, story, 'same-text', '1')
end
if ARGV[12] then
  local match, sim = nearest()
  if match then
    register(match)
    return decide(match, match, 'near-duplicate', string.format('%.4f', sim))
  end
end
register(ref)
return decide(ref, '', 'new', '')
"""
