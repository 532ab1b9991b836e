"""wrk runs: a load generator in a process of its own, on loopback, bounded in
time; each run is preceded by a short warm-up that is not counted."""

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"
MARK = "BENCH_RESULT "


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    errors: int  # socket errors, timeouts and answers outside 2xx/3xx
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    connections: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "rate": round(self.rate, 1)}


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is missing: apt-get install wrk (make bench does it)")
    return found


def wrk(
    url: str,
    *,
    script: str,
    args: list[str] | None = None,
    seconds: float,
    connections: int = 32,
    threads: int = 2,
    warmup: float | None = None,
) -> Run:
    warmup = min(2.0, seconds) if warmup is None else warmup
    if warmup > 0:
        _wrk(url, script, args or [], warmup, connections, threads)
    return _wrk(url, script, args or [], seconds, connections, threads)


def _wrk(
    url: str, script: str, args: list[str], seconds: float, connections: int, threads: int
) -> Run:
    command = [
        wrk_path(),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        url,
    ]
    if args:
        command += ["--", *args]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        env={**os.environ, "BENCH_LUA": str(LUA)},
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARK)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    data = json.loads(line[len(MARK) :])
    errors = sum(
        data[name]
        for name in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return Run(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        connections=connections,
    )
