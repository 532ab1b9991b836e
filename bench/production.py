"""The app as production runs it: gunicorn (sync workers, as in the Dockerfile),
DEBUG=0, a real SECRET_KEY and ALLOWED_HOSTS, persistent database connections.

The one launcher of the benchmark, the soak run and the tests that need a real
server process.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(*, database_url: str, redis_url: str = "", **overrides: str) -> dict[str, str]:
    """This process's environment with production settings on top.

    An empty `redis_url` means no Redis: the cache is local memory and the broker
    the filesystem transport, as in the embedded setup.
    """
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "nps_site.settings.base",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": "production-like-run-0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "600",
        **overrides,
    }


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Runs `manage.py` with `env`; its standard output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.stdout


def collect_static(env: dict[str, str], *, if_missing: bool = False) -> None:
    """What the image does at build time; `if_missing` keeps an earlier collection."""
    target = Path(env.get("STATIC_ROOT") or ROOT / "staticfiles")
    if if_missing and (target / "staticfiles.json").exists():
        return
    manage(env, "collectstatic", "--noinput")


@dataclass
class Server:
    base: str
    process: "subprocess.Popen[bytes]"

    def workers(self) -> list[int]:
        """The process ids of gunicorn's workers."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        try:
            return [int(child) for child in children.read_text().split()]
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


def wait_until_listening(server: Server, *, workers: int = 1, timeout: float = 60) -> None:
    """Any answer from /healthz, even a 503, means gunicorn is serving; its
    workers must all have started too, or the first figures would miss one."""
    base = server.base
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.process.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310 (loopback)
                answered = True
        except urllib.error.HTTPError:
            answered = True
        except OSError:
            answered = False
        if answered and len(server.workers()) >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {base} within {timeout:.0f} s")


@contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    workers: int = 1,
    timeout: int = 30,
    access_log: Path | None = None,
    log: Path | None = None,
) -> Iterator[Server]:
    """gunicorn on a free loopback port, stopped (SIGTERM, then SIGKILL) on exit.

    `log` receives the server's standard output and error: gunicorn's own log
    and the application's (Django logs to the console).
    """
    port = free_port()
    command = [str(BIN / "gunicorn"), "nps_site.wsgi", "-b", f"127.0.0.1:{port}"]
    command += ["-w", str(workers), "-t", str(timeout)]
    # No control socket: its default path is shared by every gunicorn of the machine.
    command += ["--no-control-socket"]
    if access_log is not None:
        command += ["--access-logfile", str(access_log)]
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = Server(base=f"http://127.0.0.1:{port}", process=process)
    try:
        wait_until_listening(server, workers=workers)
        yield server
    finally:
        stop(process)
        if log is not None:
            output.close()  # type: ignore[union-attr]


def stop(process: "subprocess.Popen[bytes]", *, grace: float = 20) -> None:
    """SIGTERM (gunicorn finishes the requests in flight), then SIGKILL."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
