"""The fleet-wide dedup index in Redis: exact keys and MinHash bands, one atomic Lua call."""

import functools
import hashlib
import struct
from datetime import UTC, datetime
from typing import cast

import redis

from pipeline.dedup import Claim, Fingerprint
from pipeline.minhash import HASHES
from pipeline.policy import DedupPolicy
from workers.dedup_claim import CLAIM_SCRIPT

PREFIX = "wire:dedup"
# Every kind of entry but the bands is one per article: 1/16 of the band buckets keeps each
# bucket's entry count near the bands' one.
_SINGLE_SHARE = 16
_HEX = "0123456789abcdef"
Arg = bytes | str | int | float
# The script's packed policy argument and its answer (see workers/dedup_claim.py).
_POLICY = struct.Struct(">IIIdddB")
_ANSWER = struct.Struct(">BIBH")
_REASONS = {1: "new", 2: "same-text", 3: "near-duplicate", 4: "same-url"}
# Hashed once: the index is made for every item, and the script is 7 KB.
_SHA = hashlib.sha1(CLAIM_SCRIPT.encode(), usedforsecurity=False).hexdigest()


def item_ref(item_id: str) -> bytes:
    """The item id as stored: lower-case hex ids as raw bytes (half the memory), others marked."""
    # A leading 0x00 byte marks a text id, so hex ids starting with "00" are kept as text too.
    if item_id and len(item_id) % 2 == 0 and not item_id.strip(_HEX) and item_id[:2] != "00":
        return bytes.fromhex(item_id)
    return b"\x00" + item_id.encode()


def ref_id(ref: bytes) -> str:
    """The item id back from its stored form."""
    return ref[1:].decode() if ref[:1] == b"\x00" else ref.hex()


class RedisDedupIndex:
    """Bucketed Redis hashes per retention generation, claimed atomically by one Lua script."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def claim(self, item_id: str, fingerprint: Fingerprint, policy: DedupPolicy) -> Claim:
        """Query and record the item; the same item always gets the same answer."""
        raw = self._run(self.arguments(item_id, fingerprint, policy))
        code, seen, similarity, length = _ANSWER.unpack_from(raw)
        story, owner = raw[_ANSWER.size : _ANSWER.size + length], raw[_ANSWER.size + length :]
        return Claim(
            story_id=ref_id(story),
            duplicate_of=ref_id(owner) if owner else None,
            reason=_REASONS[code],
            # One byte of similarity in steps of 1/200; 255 when there is none.
            similarity=similarity / 200 if similarity < 255 else None,
            seen_at=datetime.fromtimestamp(seen, UTC),
        )

    def _run(self, args: list[Arg]) -> bytes:
        """EVALSHA directly (redis-py's Script wrapper costs about a fifth of the client's time)."""
        try:
            return cast(bytes, self._client.evalsha(_SHA, 1, PREFIX, *args))
        except redis.exceptions.NoScriptError:
            # A restarted server has forgotten its scripts: load it again, once.
            self._client.script_load(CLAIM_SCRIPT)
            return cast(bytes, self._client.evalsha(_SHA, 1, PREFIX, *args))

    @staticmethod
    def arguments(item_id: str, fingerprint: Fingerprint, policy: DedupPolicy) -> list[Arg]:
        """The script's ARGV for one claim (see workers/dedup_claim.py for the layout)."""
        ref = item_ref(item_id)
        keys = (
            hashlib.blake2b(ref, digest_size=6).digest()
            + bytes.fromhex(fingerprint.url_key[:24])
            + bytes.fromhex(fingerprint.text_key[:24])
        )
        args: list[Arg] = [ref, _packed_policy(policy), keys]
        sig = fingerprint.signature
        if sig is not None:
            packed = b"".join(band[:8] for band in sig.bands)
            args += [sig.sketch + sig.shingles.to_bytes(2), packed]
        return args


@functools.lru_cache(maxsize=8)
def _packed_policy(policy: DedupPolicy) -> bytes:
    """The policy's figures the script needs, in one argument (fewer to encode and parse)."""
    singles = max(1, policy.index_buckets // _SINGLE_SHARE)
    return _POLICY.pack(
        policy.retention_seconds, singles, policy.index_buckets, policy.min_jaccard,
        policy.min_containment, policy.jaccard_floor, HASHES,
    )  # fmt: skip
