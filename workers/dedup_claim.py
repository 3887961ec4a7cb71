"""The dedup index's Lua claim script (a Python string, so it ships with the package)."""

# KEYS[1]: key prefix. ARGV: 1 item ref; 2 the policy, packed '>I4I4I4dddB' (retention
# seconds, buckets of one-per-article entries, band buckets, min Jaccard, min containment,
# Jaccard floor, sketch length); 3 the slot (6 hash bytes of the ref), then the URL and the text
# keys (12 bytes each: 4 for the bucket, 8 for the field); for texts long enough, 4 the sketch
# with its 2-byte shingle count and 5 the band keys (8 bytes each: 4 for the bucket, 4 for the
# field). The answer is one string: '>BI4BI2' (reason code, time, similarity byte, story ref
# length), the story ref, then the owner ref.
# Entries, in hashes bucketed small enough for Redis's compact encoding, one set of buckets
# per retention generation:
#   b (band -> slot), a (slot -> sketch, count, story ref), t (text -> story ref),
#   u (url -> item ref), d (item ref -> reason byte, time, similarity byte, story ref);
#   r, one bitmap per generation: bit set = that bucket key exists and carries its expiry.
CLAIM_SCRIPT = """
local prefix, ref = KEYS[1], ARGV[1]
local retention, singles, band_buckets, min_j, min_c, floor_j, n =
  struct.unpack('>I4I4I4dddB', ARGV[2])
local keys, mine, bands = ARGV[3], ARGV[4], ARGV[5]
local slot = string.sub(keys, 1, 6)
local now = tonumber(redis.call('TIME')[1])
-- A generation is as long as the retention window and lookups read two: an entry lives
-- between one window and two. Every key of a generation expires at the same instant.
local gen = math.floor(now / retention)
local deadline = (gen + 2) * retention
local OFFSET = {b = 0, a = band_buckets, d = band_buckets + singles,
                t = band_buckets + 2 * singles, u = band_buckets + 3 * singles}

-- Key prefixes per kind and generation, built once: Lua string building is costly.
local heads, this, last = {}, ':' .. gen .. ':', ':' .. (gen - 1) .. ':'
for kind in pairs(OFFSET) do
  heads[kind] = {[gen] = prefix .. ':' .. kind .. this, [gen - 1] = prefix .. ':' .. kind .. last}
end
local registry = prefix .. ':r:' .. gen

local function num3(s, i)
  local a, b, c = string.byte(s, i, i + 2)
  return (a * 256 + b) * 256 + c
end

local function num4(s, i)
  local a, b, c, d = string.byte(s, i, i + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- Slots are hash bytes already: their first three bytes spread them over the buckets.
local slot_bucket = num3(slot, 1) % singles
local url_bucket, url_field = num4(keys, 7) % singles, string.sub(keys, 11, 18)
local text_bucket, text_field = num4(keys, 19) % singles, string.sub(keys, 23, 30)

-- Each band's bucket (a number, for the registry) and its key and field in this generation.
local band_buckets_of, band_keys, band_fields = {}, {}, {}
if mine then
  for i = 1, #bands, 8 do
    local bucket = num4(bands, i) % band_buckets
    band_buckets_of[#band_buckets_of + 1] = bucket
    band_keys[#band_keys + 1] = heads.b[gen] .. bucket
    band_fields[#band_fields + 1] = string.sub(bands, i + 4, i + 7)
  end
end

-- Which keys this claim may write already carry their expiry: one BITFIELD for all of them,
-- so a key gets its EXPIREAT once per generation instead of once per write.
local marked, pending = {}, {}
local function read_marks()
  local offsets = {OFFSET.a + slot_bucket, OFFSET.d + slot_bucket, OFFSET.t + text_bucket,
                   OFFSET.u + url_bucket}
  for _, bucket in ipairs(band_buckets_of) do offsets[#offsets + 1] = bucket end
  local args = {}
  for j, off in ipairs(offsets) do
    args[3 * j - 2], args[3 * j - 1], args[3 * j] = 'GET', 'u1', off
  end
  local flags = redis.call('BITFIELD', registry, unpack(args))
  for j, off in ipairs(offsets) do marked[off] = flags[j] == 1 end
end

local function put(cmd, kind, bucket, field, value, key)
  key = key or heads[kind][gen] .. bucket
  local written = redis.call(cmd, key, field, value)
  local off = OFFSET[kind] + bucket
  if not marked[off] then
    redis.call('EXPIREAT', key, deadline)
    marked[off] = true
    pending[#pending + 1] = off
  end
  return written
end

local function flush_marks()
  if #pending == 0 then return end
  local args = {}
  for j, off in ipairs(pending) do
    args[4 * j - 3], args[4 * j - 2], args[4 * j - 1], args[4 * j] = 'SET', 'u1', off, 1
  end
  redis.call('BITFIELD', registry, unpack(args))
  redis.call('EXPIREAT', registry, deadline)
end

local function find(kind, bucket, field)
  local v = redis.call('HGET', heads[kind][gen] .. bucket, field)
  if v then return v end
  return redis.call('HGET', heads[kind][gen - 1] .. bucket, field)
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

-- Every outcome from here on indexes the bands, so writing a band (HSETNX) is also its
-- lookup in the current generation; only a band already there is read back.
local function candidate(j)
  local bucket, key, field = band_buckets_of[j], band_keys[j], band_fields[j]
  if put('HSETNX', 'b', bucket, field, slot, key) == 0 then
    return redis.call('HGET', key, field)
  end
  return redis.call('HGET', heads.b[gen - 1] .. bucket, field)
end

-- The most similar earlier article sharing a band and passing the rule.
local function nearest()
  local seen, best, best_sim = {}, false, -1
  for j = 1, #band_keys do
    local cand = candidate(j)
    if cand and cand ~= slot and not seen[cand] then
      seen[cand] = true
      local entry = find('a', num3(cand, 1) % singles, cand)
      if entry then
        local sim, ok = compare(entry)
        if ok and sim > best_sim then best, best_sim = string.sub(entry, n + 3), sim end
      end
    end
  end
  return best, best_sim
end

local function register(story)
  put('HSETNX', 't', text_bucket, text_field, story)
  if mine then put('HSET', 'a', slot_bucket, slot, mine .. story) end
end

local function answer(code, t, sim, other)
  local story = code == 4 and '' or (code == 1 and ref or other)
  local owner = code == 1 and '' or other
  return struct.pack('>BI4BI2', code, t, sim, #story) .. story .. owner
end

local function decide(code, sim, other)
  local packed = sim and math.floor(sim * 200 + 0.5) or 255
  put('HSET', 'd', slot_bucket, ref, struct.pack('>BI4B', code, now, packed) .. other)
  flush_marks()
  return answer(code, now, packed, other)
end

-- A decision once made is returned again: a redelivered message gets the same answer.
local decided = find('d', slot_bucket, ref)
if decided then
  local code, t, sim = struct.unpack('>BI4B', decided)
  return answer(code, t, sim, string.sub(decided, 7))
end
read_marks()
local url_owner = find('u', url_bucket, url_field)
if url_owner and url_owner ~= ref then return decide(4, nil, url_owner) end
put('HSET', 'u', url_bucket, url_field, ref)
local match, sim = false, 0
if mine then match, sim = nearest() end
local story = find('t', text_bucket, text_field)
if story then
  register(story)
  return decide(2, 1, story)
end
if match then
  register(match)
  return decide(3, sim, match)
end
register(ref)
return decide(1, nil, '')
"""
