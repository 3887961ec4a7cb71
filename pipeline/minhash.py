"""Near-duplicate signatures: one-permutation MinHash over word shingles, LSH bands, a sketch."""

import hashlib
from dataclasses import dataclass

from pipeline.policy import DedupPolicy

# 48 minimum hashes: their low bytes (48 bytes) plus a 2-byte size and a 12-byte story id make
# a 62-byte value, under Redis's 64-byte limit for compact (listpack) hash entries.
HASHES = 48
# 20 bands of 2 rows: a pair with Jaccard 0.3 shares a band with probability 0.85, at 0.4 0.97.
BANDS = 20
ROWS = 2
_MASK32 = 0xFFFFFFFF
# Densification offset for empty bins (an odd 32-bit constant, so rotated values stay distinct).
_ROTATE = 0x9E3779B1


@dataclass(frozen=True)
class Signature:
    """What the index needs of a text: band keys, a byte sketch and the shingle count."""

    bands: list[bytes]
    sketch: bytes
    shingles: int


def shingle_hashes(words: list[str], size: int) -> set[int]:
    """64-bit hashes of the text's word n-grams (the whole text when it is shorter)."""
    if len(words) < size:
        grams = [" ".join(words)] if words else []
    else:
        grams = [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
    return {int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest()) for g in grams}


def minhashes(hashes: set[int]) -> list[int]:
    """One-permutation MinHash: each hash falls in one bin, the bin keeps its minimum."""
    bins: list[int | None] = [None] * HASHES
    for value in hashes:
        slot, rest = value % HASHES, (value // HASHES) & _MASK32
        current = bins[slot]
        if current is None or rest < current:
            bins[slot] = rest
    return _densify(bins)


def _densify(bins: list[int | None]) -> list[int]:
    """Fill empty bins from the next full one (rotation), so short texts still compare."""
    if all(b is None for b in bins):
        return [0] * HASHES
    out = []
    for i in range(HASHES):
        step = 0
        while bins[(i + step) % HASHES] is None:
            step += 1
        found = bins[(i + step) % HASHES]
        assert found is not None
        out.append((found + step * _ROTATE) & _MASK32)
    return out


def signature(words: list[str], shingle_size: int) -> Signature:
    """The signature of a text given as normalised words."""
    hashes = shingle_hashes(words, shingle_size)
    return signature_of(minhashes(hashes), len(hashes))


def signature_of(mins: list[int], shingles: int) -> Signature:
    """Band keys and sketch of a list of minimum hashes (the benchmark feeds synthetic ones)."""
    bands = []
    for band in range(BANDS):
        rows = mins[band * ROWS : (band + 1) * ROWS]
        key = band.to_bytes(1) + b"".join(r.to_bytes(4) for r in rows)
        bands.append(hashlib.blake2b(key, digest_size=10).digest())
    sketch = bytes(m & 0xFF for m in mins)
    return Signature(bands=bands, sketch=sketch, shingles=min(shingles, 0xFFFF))


def jaccard(a: bytes, b: bytes) -> float:
    """Jaccard similarity estimated from two byte sketches (chance byte matches removed)."""
    same = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
    return max(0.0, (same - 1 / 256) / (1 - 1 / 256))


def containment(similarity: float, size_a: int, size_b: int) -> float:
    """The share of the smaller text's shingles found in the other, from Jaccard and sizes."""
    if min(size_a, size_b) == 0:
        return 0.0
    shared = similarity * (size_a + size_b) / (1 + similarity)
    return min(1.0, shared / min(size_a, size_b))


def same_story(similarity: float, contained: float, policy: DedupPolicy) -> bool:
    """Near-duplicate rule: Jaccard above the threshold, or one text mostly inside the other."""
    if similarity >= policy.min_jaccard:
        return True
    return similarity >= policy.jaccard_floor and contained >= policy.min_containment
