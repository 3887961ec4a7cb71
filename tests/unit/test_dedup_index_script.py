"""The dedup index's client side: the claim script is loaded again when the server forgot it."""

from typing import Any

import redis

from pipeline.dedup import Fingerprint
from pipeline.policy import DedupPolicy
from workers.dedup_claim import CLAIM_SCRIPT
from workers.dedup_index import RedisDedupIndex, item_ref

# Reason 1 (new), time 0, no similarity, a story ref of 6 bytes, then no owner.
_NEW = b"\x01\x00\x00\x00\x00\xff\x00\x06" + item_ref("a1b2c3d4e5f6")


class _ForgetfulRedis:
    """Answers EVALSHA only once the script has been loaded, as a restarted server does."""

    def __init__(self) -> None:
        self.loaded: list[str] = []

    def evalsha(self, sha: str, numkeys: int, *args: Any) -> bytes:
        if not self.loaded:
            raise redis.exceptions.NoScriptError("NOSCRIPT No matching script.")
        return _NEW

    def script_load(self, script: str) -> str:
        self.loaded.append(script)
        return "sha"


def test_claim_loads_the_script_when_the_server_has_forgotten_it() -> None:
    client = _ForgetfulRedis()
    keys = Fingerprint(url_key="ab" * 16, text_key="cd" * 32, signature=None)
    claim = RedisDedupIndex(client).claim("a1b2c3d4e5f6", keys, DedupPolicy())  # type: ignore[arg-type]
    assert client.loaded == [CLAIM_SCRIPT]
    assert (claim.story_id, claim.reason, claim.similarity) == ("a1b2c3d4e5f6", "new", None)
