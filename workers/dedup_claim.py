"""The dedup index's Lua claim script (a Python string, so it ships with the package)."""

# KEYS[1]: key prefix. ARGV: 1 item ref, 2 item slot (6 hash bytes of the ref), 3 retention
# seconds, 4 buckets of one-per-article entries, 5 band buckets, 6-7 URL bucket and field,
# 8-9 text bucket and field, 10 min Jaccard, 11 min containment, 12 Jaccard floor, 13 sketch
# length; then, for texts long enough, 14 the sketch with its 2-byte shingle count and 15 the
# band keys (8 bytes each: 4 for the bucket, 4 for the field).
# Entries, in hashes bucketed small enough for Redis's compact encoding, one set of buckets
# per retention generation:
#   b (band -> slot), a (slot -> sketch, count, story ref), t (text -> story ref),
#   u (url -> item ref), d (item ref -> reason byte, time, similarity byte, story ref).
CLAIM_SCRIPT = """
local prefix, ref, slot = KEYS[1], ARGV[1], ARGV[2]
local retention, singles, band_buckets = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local min_j, min_c, floor_j = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local n, mine, bands = tonumber(ARGV[13]), ARGV[14], ARGV[15]
local now = tonumber(redis.call('TIME')[1])
-- A generation is half the retention; its keys expire a retention after it ends, so an entry
-- lives between one retention and one and a half, and lookups read three generations.
local span = math.ceil(retention / 2)
local gen = math.floor(now / span)
local ttl = (gen + 1) * span + retention - now
local REASONS = {'new', 'same-text', 'near-duplicate', 'same-url'}

-- Key prefixes per kind and generation, built once: Lua string building is costly.
local heads = {}
for _, kind in ipairs({'a', 'b', 'd', 't', 'u'}) do
  heads[kind] = {}
  for g = gen - 2, gen do heads[kind][g] = prefix .. ':' .. kind .. ':' .. g .. ':' end
end

-- The value and the generation it was found in, or false.
local function find(kind, bucket, field, oldest)
  for g = gen, oldest or gen - 2, -1 do
    local v = redis.call('HGET', heads[kind][g] .. bucket, field)
    if v then return v, g end
  end
  return false, nil
end

local function put(kind, bucket, field, value, only_new)
  local k = heads[kind][gen] .. bucket
  redis.call(only_new and 'HSETNX' or 'HSET', k, field, value)
  redis.call('EXPIRE', k, ttl)
end

-- Slots are hash bytes already: their first three bytes spread them over the buckets.
local function slot_bucket(s)
  local a, b, c = string.byte(s, 1, 3)
  return ((a * 256 + b) * 256 + c) % singles
end

local function band_at(i)
  local a, b, c, d = string.byte(bands, i, i + 3)
  return (((a * 256 + b) * 256 + c) * 256 + d) % band_buckets, string.sub(bands, i + 4, i + 7)
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
  for i = 1, #bands, 8 do
    local bucket, field = band_at(i)
    local cand, g = find('b', bucket, field)
    if g ~= gen then fresh[#fresh + 1] = i end
    if cand and cand ~= slot and not seen[cand] then
      seen[cand] = true
      local entry = find('a', slot_bucket(cand), cand)
      if entry then
        local sim, ok = compare(entry)
        if ok and sim > best_sim then best, best_sim = string.sub(entry, n + 3), sim end
      end
    end
  end
  return best, best_sim, fresh
end

local function register(story, fresh)
  put('t', ARGV[8], ARGV[9], story, true)
  if mine then
    put('a', slot_bucket(slot), slot, mine .. story, false)
    for _, i in ipairs(fresh) do
      local bucket, field = band_at(i)
      put('b', bucket, field, slot, true)
    end
  end
end

local function answer(code, t, sim, other)
  local story = code == 4 and '' or (code == 1 and ref or other)
  local owner = code == 1 and '' or other
  local similarity = sim < 255 and string.format('%.4f', sim / 200) or ''
  return {story, owner, REASONS[code], similarity, tostring(t)}
end

local function decide(code, sim, other)
  local packed = sim and math.floor(sim * 200 + 0.5) or 255
  put('d', slot_bucket(slot), ref, struct.pack('>BI4B', code, now, packed) .. other, false)
  return answer(code, now, packed, other)
end

-- A decision once made is returned again: a redelivered message gets the same answer.
-- Redelivery comes within hours, so the current and the previous generation are enough.
local decided = find('d', slot_bucket(slot), ref, gen - 1)
if decided then
  local code, t, sim = struct.unpack('>BI4B', decided)
  return answer(code, t, sim, string.sub(decided, 7))
end
local url_owner = find('u', ARGV[6], ARGV[7])
if url_owner and url_owner ~= ref then return decide(4, nil, url_owner) end
put('u', ARGV[6], ARGV[7], ref, false)
local match, sim, fresh = false, 0, {}
if mine then match, sim, fresh = nearest() end
local story = find('t', ARGV[8], ARGV[9])
if story then
  register(story, fresh)
  return decide(2, 1, story)
end
if match then
  register(match, fresh)
  return decide(3, sim, match)
end
register(ref, fresh)
return decide(1, nil, '')
"""
