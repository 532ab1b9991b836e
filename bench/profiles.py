"""Where the time goes: a pyinstrument profile of each path whose target the
run missed, taken after the figures, in the benchmark's process, on its data.

Requests go through Django's test client with the server's settings (the whole
middleware stack; no gunicorn), so a profile shows the application's share of
a request: Python by function, and the database and Redis as the time spent
waiting in their calls. Each profile is written in full to
`bench/results/profiles/<name>.txt`; the heaviest functions by their own time
go into the results and the table of docs/BENCHMARKS.md.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyinstrument import Profiler

INTERVAL = 0.0005  # seconds between samples
TOP = 8  # functions listed in the summary
_FLAT_LINE = re.compile(r"^(?P<seconds>\d+\.\d+)\s+(?P<where>.+)$")


@dataclass(frozen=True)
class Workload:
    """`run` once is one request (or one tick, one import); `times` of them."""

    name: str
    title: str
    run: Callable[[], object]
    times: int
    prepare: Callable[[], object] | None = None
    # Off for work that a first run would use up (a tick consumes the new answers).
    warm: bool = True


def record(workload: Workload, *, directory: Path) -> dict[str, Any]:
    """Profiles `workload` and writes the full profile; a summary of it."""
    if workload.prepare is not None:
        workload.prepare()
    if workload.warm:
        workload.run()  # caches, prepared statements, imported modules
    profiler = Profiler(interval=INTERVAL, async_mode="disabled")
    cpu, started = time.process_time(), time.monotonic()
    profiler.start()
    for _ in range(workload.times):
        workload.run()
    profiler.stop()
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{workload.name}.txt"
    flat = profiler.output_text(flat=True)
    path.write_text(
        f"{workload.title}: {workload.times} runs, {wall * 1000 / workload.times:.2f} ms "
        f"wall and {cpu * 1000 / workload.times:.2f} ms CPU each in this process.\n"
        "Functions by their own time (seconds over all runs):\n"
        f"{flat}\nThe calls, by total time:\n{profiler.output_text()}"
    )
    return {
        "title": workload.title,
        "file": str(path),
        "runs": workload.times,
        "wall_ms_per_run": round(wall * 1000 / workload.times, 2),
        "cpu_ms_per_run": round(cpu * 1000 / workload.times, 2),
        "top": heaviest(flat, total=wall),
    }


def heaviest(flat: str, *, total: float) -> list[dict[str, Any]]:
    """The first `TOP` lines of pyinstrument's flat listing, as shares of `total`."""
    found = []
    for line in flat.splitlines():
        match = _FLAT_LINE.match(line.strip())
        if match is None:
            continue
        seconds = float(match["seconds"])
        share = round(100 * seconds / total, 1) if total else 0.0
        found.append({"where": " ".join(match["where"].split()), "percent": share})
        if len(found) == TOP:
            break
    return found


def record_each(workloads: list[Workload], *, directory: Path) -> dict[str, Any]:
    """Every workload's profile; one that fails is reported and the others go on."""
    profiles: dict[str, Any] = {}
    for workload in workloads:
        try:
            profiles[workload.name] = record(workload, directory=directory)
        except Exception as error:  # a broken profile must not lose the run's figures
            profiles[workload.name] = {"title": workload.title, "error": repr(error)}
    return profiles
