"""The widget script, minified once per source change, with a content hash.

The hash versions the URL (`/widget.js?v=<hash>` may be cached for a year) and
is the ETag of the unversioned URL (cached briefly, then revalidated).
"""

import functools
import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "widget" / "widget.js"
BUDGET_GZIPPED = 5 * 1024


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    version: str


def widget_asset() -> Asset:
    # Keyed by mtime so an edited source is picked up without a restart.
    return _build(SOURCE.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _build(mtime_ns: int) -> Asset:
    body = minify(SOURCE.read_text(encoding="utf-8")).encode()
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        version=hashlib.sha256(body).hexdigest()[:12],
    )


def minify(source: str) -> str:
    """Drops comments and indentation only: safe for a source that keeps every
    comment on lines of its own, which the widget does."""
    source = re.sub(r"^\s*/\*.*?\*/\s*$", "", source, flags=re.S | re.M)
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))
