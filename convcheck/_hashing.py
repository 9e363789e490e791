"""Content hashes of source files (cache keys, the kept `convcheck list` text); no heavy imports."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["hash_files"]


def hash_files(paths) -> str:
    """SHA-256 over files' names and contents, in the order given."""
    h = hashlib.sha256()
    for i, p in enumerate(paths):
        p = Path(p)
        if i:  # the first file's bytes alone open the hash (the key of every cache entry so far)
            h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()
