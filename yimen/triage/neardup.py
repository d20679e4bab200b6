"""Near-duplicate fingerprints: MinHash LSH bands over a text's character bigrams.

A store keeps the `BANDS` values of each text, one indexed column per band (the cases app's
`Case.mh_band0..3`); texts sharing any band are duplicate candidates, confirmed afterwards by the
engine's rapidfuzz threshold (`repeats.find_repeats`). Pure: no database, no Django.

Measured on the evaluation set (517 texts, median 31 characters), a text with one word changed shares
a band with the original 95% of the time (two words 80%, a "转发：" prefix 100%); two unrelated texts
of the same category 0.03%. The SimHash 4×16-bit banding (`repeats.bands`) found 33% of one-word
edits: one changed word flips about 7 of 64 bits, which lands in every band.

The values are stored in millions of rows: the coefficients, the bigram hashing and the band hashing
must never change, or new matters stop finding old ones (`tests/test_neardup.py` pins them).
"""

from __future__ import annotations

import hashlib
import zlib

import numpy as np

from yimen.triage.repeats import fingerprint_text

BANDS = 4
ROWS = 3  # MinHash values per band


def _coefficients() -> tuple[np.ndarray, np.ndarray]:
    # Derived from fixed strings, never from a random generator: stored bands must stay comparable
    # across processes, machines and library versions.
    pairs = []
    for i in range(BANDS * ROWS):
        digest = hashlib.blake2b(f"yimen-minhash-{i}".encode(), digest_size=16).digest()
        pairs.append((int.from_bytes(digest[:8], "little") | 1, int.from_bytes(digest[8:], "little")))
    return np.array([a for a, _ in pairs], dtype=np.uint64), np.array([b for _, b in pairs], dtype=np.uint64)


_A, _B = _coefficients()


def minhash_bands(text: str) -> list[int]:
    """`BANDS` 31-bit band values of `text` (as the engine compares it: normalised, without punctuation).

    Each band hashes `ROWS` MinHash values over the text's character bigrams; the bigrams are hashed
    with CRC-32 and permuted by multiply-add-shift (a·x + b mod 2⁶⁴, top 32 bits). A text with
    fewer than two characters left is padded with NULs to one bigram.
    """
    s = fingerprint_text(text).ljust(2, "\0")
    shingles = {s[i : i + 2] for i in range(len(s) - 1)}
    x = np.fromiter((zlib.crc32(sh.encode("utf-8")) for sh in shingles), dtype=np.uint64, count=len(shingles))
    permuted = (x[:, None] * _A + _B) >> np.uint64(32)  # uint64 arithmetic wraps: mod 2⁶⁴
    mins = permuted.min(axis=0).astype("<u8").reshape(BANDS, ROWS)
    return [zlib.crc32(row.tobytes()) & 0x7FFFFFFF for row in mins]
