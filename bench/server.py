"""The app as production runs it (gunicorn, the Dockerfile's command, logs to
files), on loopback, and the memory of its workers."""

import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2


@contextmanager
def gunicorn(*, port: int, env: dict[str, str], log: Path) -> Iterator["Server"]:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "nps_site.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "300",
        "--access-logfile",
        str(log.with_suffix(".access.log")),
        "--error-logfile",
        str(log),
        # Its own control socket: the default path is shared by every gunicorn of the machine.
        "--control-socket",
        str(log.with_suffix(".ctl")),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        server = Server(process, f"http://127.0.0.1:{port}")
        server.wait_ready()
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Server:
    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process, self.url = process, url

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200 and len(self.workers()) >= WORKERS:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def rss_mb(self) -> dict[int, float]:
        """Resident memory of each worker, in MB."""
        sizes = {}
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1]) / 1024
        return sizes


class MemorySampler:
    """Samples the workers' memory in a thread, every `interval` seconds."""

    def __init__(self, server: Server, interval: float) -> None:
        self.server, self.interval = server, interval
        self.samples: list[tuple[float, dict[int, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "MemorySampler":
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def _sample(self) -> None:
        self.samples.append((time.monotonic() - self.started, self.server.rss_mb()))

    def totals(self) -> list[float]:
        """The sum over workers of each sample."""
        return [sum(sizes.values()) for _, sizes in self.samples if sizes]

    def peak_worker(self) -> float:
        return max((max(sizes.values()) for _, sizes in self.samples if sizes), default=0.0)


def environ(base: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **base}
