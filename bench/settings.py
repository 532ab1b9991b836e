"""The benchmark server's settings: production's, plus the ceiling views.

Everything else (DEBUG, the database, Redis, rate limits) comes from the
environment exactly as in production; only the URL configuration differs, so
the ceilings exist on the benchmark server alone and never in production.
"""

from nps_site.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Collected by the run itself, as the image build does in production.
STATIC_ROOT = BASE_DIR / ".run" / "bench-static"  # noqa: F405
