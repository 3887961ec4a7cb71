"""The fleet-wide dedup index in Redis: one atomic Lua call per article."""

import json

import redis

# KEYS: decision, url key, text key. ARGV: item id, ttl.
# A decision once made is returned again, so a rerun of the stage gets the same answer.
_CLAIM = """
local decided = redis.call('GET', KEYS[1])
if decided then return decided end
local verdict
local url_owner = redis.call('GET', KEYS[2])
if url_owner and url_owner ~= ARGV[1] then
  verdict = cjson.encode({'', url_owner, 'same-url'})
else
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
  local text_owner = redis.call('GET', KEYS[3])
  if text_owner then
    -- The first copy's item id is its story's id.
    verdict = cjson.encode({text_owner, text_owner, 'same-text'})
  else
    redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[2])
    verdict = cjson.encode({ARGV[1], false, 'new'})
  end
end
redis.call('SET', KEYS[1], verdict, 'EX', ARGV[2])
return verdict
"""


class RedisDedupIndex:
    """Canonical-URL and text-hash keys with a retention TTL, claimed atomically."""

    def __init__(self, client: redis.Redis) -> None:
        self._claim = client.register_script(_CLAIM)

    def claim(
        self, item_id: str, url_key: str, text_key: str, ttl_seconds: int
    ) -> tuple[str, str | None, str]:
        """Record the item; return (story_id, duplicate_of, reason)."""
        keys = [
            f"wire:dedup:decision:{item_id}",
            f"wire:dedup:url:{url_key}",
            f"wire:dedup:text:{text_key}",
        ]
        raw = self._claim(keys=keys, args=[item_id, ttl_seconds])
        story, owner, reason = json.loads(raw)
        return str(story), (str(owner) if owner else None), str(reason)
