"""The resident memory of gunicorn's workers while a figure is measured."""

import threading
import time

from .production import Server


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
