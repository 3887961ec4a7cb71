"""The dedup index's Lua claim script (a Python string, so it ships with the package)."""

# KEYS[1]: key prefix. ARGV: 1 item ref, 2 retention seconds, 3 buckets of one-per-article
# entries, 4 band buckets, 5-6 URL bucket and field, 7-8 text bucket and field, 9 min
# Jaccard, 10 min containment, 11 Jaccard floor, 12 sketch length; then, for texts long
# enough, 13 the sketch with its 2-byte shingle count and 14 the band keys (10 bytes each:
# 4 for the bucket, 6 for the field). Entries live in hashes bucketed by key hash, small
# enough for Redis's compact encoding, one set of buckets per retention generation.
CLAIM_SCRIPT = """
local prefix, ref = KEYS[1], ARGV[1]
local retention, singles, band_buckets = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local min_j, min_c, floor_j = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local n, mine, bands = tonumber(ARGV[12]), ARGV[13], ARGV[14]
local now = tonumber(redis.call('TIME')[1])
-- A generation is half the retention; its keys expire a retention after it ends, so an entry
-- lives between one retention and one and a half, and lookups read three generations.
local span = math.ceil(retention / 2)
local gen = math.floor(now / span)
local ttl = (gen + 1) * span + retention - now

-- Key prefixes per kind and generation, built once: Lua string building is the costly part.
local heads = {}
for _, kind in ipairs({'a', 'b', 'd', 't', 'u'}) do
  heads[kind] = {}
  for g = gen - 2, gen do heads[kind][g] = prefix .. ':' .. kind .. ':' .. g .. ':' end
end

local function key(kind, g, bucket)
  return heads[kind][g] .. bucket
end

-- The value and the generation it was found in, or false.
local function find(kind, bucket, field)
  for g = gen, gen - 2, -1 do
    local v = redis.call('HGET', key(kind, g, bucket), field)
    if v then return v, g end
  end
  return false, nil
end

local function put(kind, bucket, field, value, only_new)
  local k = key(kind, gen, bucket)
  redis.call(only_new and 'HSETNX' or 'HSET', k, field, value)
  redis.call('EXPIRE', k, ttl)
end

local function ref_bucket(r)
  return tonumber(string.sub(redis.sha1hex(r), 1, 6), 16) % singles
end

local function band_at(i)
  local a, b, c, d = string.byte(bands, i, i + 3)
  return (((a * 256 + b) * 256 + c) * 256 + d) % band_buckets, string.sub(bands, i + 4, i + 9)
end

local function size_of(s)
  return string.byte(s, n + 1) * 256 + string.byte(s, n + 2)
end

local my_bytes = mine and {string.byte(mine, 1, n)} or {}

-- Jaccard estimated from matching sketch bytes, chance matches (1/256) removed; then the rule.
local function compare(entry)
  local b = {string.byte(entry, 1, n)}
  local same = 0
  for j = 1, n do
    if my_bytes[j] == b[j] then same = same + 1 end
  end
  local sim = math.max(0, (same / n - 1 / 256) / (1 - 1 / 256))
  local size, other = size_of(mine), size_of(entry)
  local shared = sim * (size + other) / (1 + sim)
  local contained = math.min(1, shared / math.max(1, math.min(size, other)))
  return sim, sim >= min_j or (sim >= floor_j and contained >= min_c)
end

-- The most similar earlier article sharing a band and passing the rule; which bands to write.
local function nearest()
  local seen, best, best_sim, fresh = {}, false, -1, {}
  for i = 1, #bands, 10 do
    local bucket, field = band_at(i)
    local cand, g = find('b', bucket, field)
    if g ~= gen then fresh[#fresh + 1] = i end
    if cand and cand ~= ref and not seen[cand] then
      seen[cand] = true
      local entry = find('a', ref_bucket(cand), cand)
      if entry then
        local sim, ok = compare(entry)
        if ok and sim > best_sim then best, best_sim = string.sub(entry, n + 3), sim end
      end
    end
  end
  return best, best_sim, fresh
end

local function register(story, fresh)
  put('t', ARGV[7], ARGV[8], story, true)
  if mine then
    put('a', ref_bucket(ref), ref, mine .. story, false)
    for _, i in ipairs(fresh) do
      local bucket, field = band_at(i)
      put('b', bucket, field, ref, true)
    end
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
local url_owner = find('u', ARGV[5], ARGV[6])
if url_owner and url_owner ~= ref then return decide('', url_owner, 'same-url', '') end
put('u', ARGV[5], ARGV[6], ref, false)
local match, sim, fresh = false, 0, {}
if mine then match, sim, fresh = nearest() end
local story = find('t', ARGV[7], ARGV[8])
if story then
  register(story, fresh)
  return decide(story, story, 'same-text', '1')
end
if match then
  register(match, fresh)
  return decide(match, match, 'near-duplicate', string.format('%.4f', sim))
end
register(ref, fresh)
return decide(ref, '', 'new', '')
"""
