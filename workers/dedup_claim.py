"""The dedup index's Lua claim script (a Python string, so it ships with the package)."""

from pipeline.minhash import BANDS

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
#   r, one bitmap per generation: bit set = that bucket key exists and carries its expiry;
#   n, the number of bits set in r.
# The script runs for every claim: it builds few tables and strings (Lua's allocator and
# collector were a third of Redis's time per claim) and formats numbers as integers ('%d'; a
# bare number in a concatenation goes through '%.14g', twice as slow).


def _table(item: str, count: int) -> str:
    """A Lua table constructor of count items, sized once (growing a table reallocates it)."""
    return "{" + ", ".join([item] * count) + "}"


_SCRIPT = """
local prefix, ref = KEYS[1], ARGV[1]
local retention, singles, band_buckets, min_j, min_c, floor_j, n =
  struct.unpack('>I4I4I4dddB', ARGV[2])
local keys, mine, bands = ARGV[3], ARGV[4], ARGV[5]
local byte, sub, fmt = string.byte, string.sub, string.format
local slot = sub(keys, 1, 6)
local now = tonumber(redis.call('TIME')[1])
-- A generation is as long as the retention window and lookups read two: an entry lives
-- between one window and two. Every key of a generation expires at the same instant.
local gen = math.floor(now / retention)
local deadline = (gen + 2) * retention
local this, last = fmt(':%d:', gen), fmt(':%d:', gen - 1)
local registry, counter = prefix .. fmt(':r:%d', gen), prefix .. fmt(':n:%d', gen)

local function num4(s, i)
  local a, b, c, d = byte(s, i, i + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- Slots are hash bytes already: their first three bytes spread them over the buckets.
local function slot_bucket_of(s)
  local a, b, c = byte(s, 1, 3)
  return ((a * 256 + b) * 256 + c) % singles
end

local slot_bucket = slot_bucket_of(slot)
local url_bucket, url_field = num4(keys, 7) % singles, sub(keys, 11, 18)
local text_bucket, text_field = num4(keys, 19) % singles, sub(keys, 23, 30)

-- The keys this claim may write, by position: 1 a, 2 d, 3 t, 4 u, then the bands; each one's
-- bit in the registry (kinds side by side: bands, a, d, t, u). A band's bit is its bucket.
local offsets = mine and ZEROS_LONG or ZEROS_SHORT
offsets[1], offsets[2] = band_buckets + slot_bucket, band_buckets + singles + slot_bucket
offsets[3] = band_buckets + 2 * singles + text_bucket
offsets[4] = band_buckets + 3 * singles + url_bucket
if mine then
  for j = 1, #bands / 8 do offsets[j + 4] = num4(bands, 8 * j - 7) % band_buckets end
end
local head_this, head_last = {}, {}
for _, kind in ipairs({'a', 'b', 'd', 't', 'u'}) do
  head_this[kind], head_last[kind] = prefix .. ':' .. kind .. this, prefix .. ':' .. kind .. last
end
local own = {head_this.a .. fmt('%d', slot_bucket), head_this.d .. fmt('%d', slot_bucket),
             head_this.t .. fmt('%d', text_bucket), head_this.u .. fmt('%d', url_bucket)}

-- Which keys this claim may write already carry their expiry: one BITFIELD for all of them,
-- so a key gets its EXPIREAT once per generation instead of once per write. Once every bucket
-- key of the generation has it (a counter says so: at a million articles, after the first
-- fifth or so), the registry is not read at all.
local all_marked, flags, pending = false, nil, nil
local function put(cmd, j, key, field, value)
  local written = redis.call(cmd, key, field, value)
  if not all_marked and flags[j] == 0 then
    redis.call('EXPIREAT', key, deadline)
    flags[j] = 1
    pending = pending or {}
    pending[#pending + 1] = offsets[j]
  end
  return written
end

local function read_marks()
  local count = redis.call('GET', counter)
  if not count then
    -- A generation begun by a script without the counter: count its bits once.
    count = redis.call('BITCOUNT', registry)
    redis.call('SET', counter, count)
    redis.call('EXPIREAT', counter, deadline)
  end
  all_marked = tonumber(count) >= band_buckets + 4 * singles
  if all_marked then return end
  local args = mine and MARKS_LONG or MARKS_SHORT
  for j, off in ipairs(offsets) do args[3 * j] = off end
  flags = redis.call('BITFIELD', registry, unpack(args))
end

-- SET returns each bit's old value: the counter grows by the keys newly marked, once each
-- even when two bands share a bucket.
local function flush_marks()
  if not pending then return end
  local args = {}
  for j, off in ipairs(pending) do
    args[4 * j - 3], args[4 * j - 2], args[4 * j - 1], args[4 * j] = 'SET', 'u1', off, 1
  end
  local old, added = redis.call('BITFIELD', registry, unpack(args)), 0
  for _, bit in ipairs(old) do added = added + 1 - bit end
  redis.call('EXPIREAT', registry, deadline)
  redis.call('INCRBY', counter, added)
end

-- An entry of a one-per-article kind, this generation first.
local function find(kind, bucket, field)
  local b = fmt('%d', bucket)
  local v = redis.call('HGET', head_this[kind] .. b, field)
  if v then return v end
  return redis.call('HGET', head_last[kind] .. b, field)
end

local function size_of(s)
  return byte(s, n + 1) * 256 + byte(s, n + 2)
end

local my_bytes, my_size = mine and {byte(mine, 1, n)}, mine and size_of(mine)

-- Jaccard estimated from matching sketch bytes, chance matches (1/256) removed; then the rule.
local function compare(entry)
  local b = {byte(entry, 1, n)}
  local same = 0
  for j = 1, n do
    if my_bytes[j] == b[j] then same = same + 1 end
  end
  local sim = math.max(0, (same / n - 1 / 256) / (1 - 1 / 256))
  local other = size_of(entry)
  local shared = sim * (my_size + other) / (1 + sim)
  local contained = math.min(1, shared / math.max(1, math.min(my_size, other)))
  return sim, sim >= min_j or (sim >= floor_j and contained >= min_c)
end

-- Every outcome that gets here indexes the bands, so writing a band (HSETNX) is also its
-- lookup in this generation; only a band already there is read back. Then the most similar
-- earlier article sharing a band and passing the rule.
local function nearest()
  local seen, best, best_sim = nil, false, -1
  for j = 1, #bands / 8 do
    local bucket, field = fmt('%d', offsets[j + 4]), sub(bands, 8 * j - 3, 8 * j)
    local key = head_this.b .. bucket
    local cand
    if put('HSETNX', j + 4, key, field, slot) == 0 then
      cand = redis.call('HGET', key, field)
    else
      cand = redis.call('HGET', head_last.b .. bucket, field)
    end
    if cand and cand ~= slot and not (seen and seen[cand]) then
      seen = seen or {}
      seen[cand] = true
      local entry = find('a', slot_bucket_of(cand), cand)
      if entry then
        local sim, ok = compare(entry)
        if ok and sim > best_sim then best, best_sim = sub(entry, n + 3), sim end
      end
    end
  end
  return best, best_sim
end

local function register(story)
  put('HSETNX', 3, own[3], text_field, story)
  if mine then put('HSET', 1, own[1], slot, mine .. story) end
end

local function answer(code, t, sim, other)
  local story = code == 4 and '' or (code == 1 and ref or other)
  local owner = code == 1 and '' or other
  return struct.pack('>BI4BI2', code, t, sim, #story) .. story .. owner
end

local function decide(code, sim, other)
  local packed = sim and math.floor(sim * 200 + 0.5) or 255
  put('HSET', 2, own[2], ref, struct.pack('>BI4B', code, now, packed) .. other)
  flush_marks()
  return answer(code, now, packed, other)
end

-- A decision once made is returned again: a redelivered message gets the same answer.
local decided = find('d', slot_bucket, ref)
if decided then
  local code, t, sim = struct.unpack('>BI4B', decided)
  return answer(code, t, sim, sub(decided, 7))
end
read_marks()
-- The URL write is its lookup in this generation; an owner found in the last one is
-- written back, so the URL keeps pointing at it.
local url_owner
if put('HSETNX', 4, own[4], url_field, ref) == 0 then
  url_owner = redis.call('HGET', own[4], url_field)
else
  url_owner = redis.call('HGET', head_last.u .. fmt('%d', url_bucket), url_field)
  if url_owner and url_owner ~= ref then redis.call('HSET', own[4], url_field, url_owner) end
end
if url_owner and url_owner ~= ref then return decide(4, nil, url_owner) end
-- An exact copy of a text indexed in this generation: its bands and its sketch are there
-- already (same text, same signature), so the similarity work would write nothing.
local story = redis.call('HGET', own[3], text_field)
if story then return decide(2, 1, story) end
local match, sim = false, 0
if mine then match, sim = nearest() end
story = redis.call('HGET', head_last.t .. fmt('%d', text_bucket), text_field)
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

_TABLES = {
    "MARKS_LONG": _table("'GET', 'u1', 0", 4 + BANDS), "MARKS_SHORT": _table("'GET', 'u1', 0", 4),
    "ZEROS_LONG": _table("0", 4 + BANDS), "ZEROS_SHORT": _table("0", 4),
}  # fmt: skip
CLAIM_SCRIPT = _SCRIPT
for _name, _constructor in _TABLES.items():
    CLAIM_SCRIPT = CLAIM_SCRIPT.replace(_name, _constructor)
