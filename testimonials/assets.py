"""The wall's script, minified once per source change, with a content hash,
served like the widget's (see responses.assets)."""

import functools
import gzip
import hashlib
from pathlib import Path

from responses.assets import Asset, minify

SOURCE = Path(__file__).resolve().parent / "wall" / "testimonials.js"
BUDGET_GZIPPED = 2 * 1024


def wall_asset() -> Asset:
    return _build(SOURCE.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _build(mtime_ns: int) -> Asset:
    body = minify(SOURCE.read_text(encoding="utf-8")).encode()
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        version=hashlib.sha256(body).hexdigest()[:12],
    )
