"""computewatch's language layer: bytes and text in, dataclasses out. No HTTP, no SQL.

    from nlp import extract_claims, find_mentions
"""
from __future__ import annotations

import hashlib
from importlib import resources

__all__ = ["extract_claims", "find_mentions", "EXTRACTOR_VERSION"]

# Bump the code part when the grammar or the claim rules change; the data part follows the
# lexicons by itself. Stored claims carry this; `computewatch reprocess` redoes older ones.
_CODE_VERSION = "1.0"


def _data_digest() -> str:
    h = hashlib.sha1()
    for f in sorted(resources.files("nlp").joinpath("data").iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:8]


EXTRACTOR_VERSION = f"{_CODE_VERSION}+{_data_digest()}"


def __getattr__(name):  # lazy: importing `nlp` must not load spaCy or trafilatura
    if name == "extract_claims":
        from nlp.claims import extract_claims
        return extract_claims
    if name == "find_mentions":
        from nlp.mentions import find_mentions
        return find_mentions
    raise AttributeError(name)
