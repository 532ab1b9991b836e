"""A steady stream of widget visits against a running server, from its own process.

Each visit is what widget.js does on a page load: fetch the script now and then
(revalidated with its ETag), resend an answer whose acknowledgement never
arrived, ask `config` whether to prompt, and when shown record the display and
then answer (often twice: the score, then the same answer with its comment),
say "not now" or "don't ask again", or leave. A few answers get their comment
later through the `comment` endpoint. Respondents are distinct: anonymous
browsers and signed-in users with traits, each from its own client address
(sent in X-Forwarded-For, as the TLS proxy in front of the app does), and some
come back later, when the prompt decision must follow what they did before.

Requests are paced to a fixed rate over all threads (one HTTP connection
each) and stop after `--duration` seconds or `--max-requests`, whichever comes
first. Every response is checked against the status the endpoint promises for
that call; anything else, a connection error or a wrong prompt decision counts
as an error. The tally (what was acknowledged, answer by answer) is written as
JSON for the caller to compare with the database.

Standard library only: `python -m bench.visits --help`.
"""

import argparse
import http.client
import json
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

LANGUAGES = ("en", "en", "fr", "de")
PLANS = ("free", "pro", "enterprise")
COMMENTS = (
    "Fast and easy to use.",
    "Support answered within the hour, thank you!",
    "Le tableau de bord est trop lent.",
    "Export nach Excel fehlt mir.",
    "Pricing is confusing",
    "Works fine 👍",
)
# What the prompt decision must say, given what the respondent did before.
EXPECTED_REASON = {
    "new": "ok",
    "displayed": "ok",
    "answered": "answered_recently",
    "not_now": "not_now",
    "never": "never",
}
RETURNING_SHARE = 0.25
POOL_SIZE = 5000


@dataclass
class Person:
    number: int
    survey: str
    ip: str
    language: str
    anonymous_id: str
    user: dict[str, Any] = field(default_factory=dict)
    state: str = "new"  # a key of EXPECTED_REASON, or "unknown" after an error
    # An answer acknowledged by the server whose 2xx the browser "lost": resent next visit.
    unsent: dict[str, Any] | None = None


class Failed(Exception):
    """A request did not get the answer the endpoint promises."""


class Pacer:
    """Hands out request slots at `rate` per second until the time or count is up.

    Open loop: a slot is due at `started + n / rate` whenever the previous
    answers came, so a slow server meets the same arrivals as a fast one, and
    slots that fell behind are sent as soon as a thread is free. At the end of
    the duration it stops, however many slots are still owed: those show as a
    rate below the target.
    """

    def __init__(self, *, rate: float, duration: float, max_requests: int) -> None:
        self.rate = rate
        self.started = time.monotonic()
        self.stop_at = self.started + duration
        self.max_requests = max_requests
        self.issued = 0
        self.late = 0  # slots sent more than a second after they were due
        self.max_lag = 0.0
        self.lock = threading.Lock()

    def slot(self) -> bool:
        now = time.monotonic()
        with self.lock:
            due = self.started + self.issued / self.rate
            if self.issued >= self.max_requests or max(due, now) >= self.stop_at:
                return False
            self.issued += 1
            lag = now - due
            self.late += lag > 1
            self.max_lag = max(self.max_lag, lag)
        if lag < 0:
            time.sleep(-lag)
        return True


class Tally:
    def __init__(self, started: float) -> None:
        self.started = started
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.per_second: Counter[int] = Counter()
        self.latency: dict[str, list[float]] = {}
        self.errors = 0
        self.error_samples: list[dict[str, Any]] = []
        self.decisions: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.answers: dict[str, dict[str, Any]] = {}
        self.created = 0
        self.updated = 0
        self.respondents: set[int] = set()

    def request(self, call: str, status: int | str, seconds: float) -> None:
        with self.lock:
            self.calls[f"{call} {status}"] += 1
            self.per_second[int(time.monotonic() - self.started)] += 1
            self.latency.setdefault(call, []).append(seconds * 1000)

    def error(self, call: str, problem: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < 20:
                at = round(time.monotonic() - self.started, 1)
                self.error_samples.append({"at_s": at, "call": call, "problem": problem[:300]})

    def answer(self, client_id: str, survey: str, body: dict[str, Any], created: bool) -> None:
        with self.lock:
            known = self.answers.setdefault(client_id, {"survey": survey, "comment": ""})
            known["score"] = body.get("score", known.get("score"))
            if body.get("comment") is not None:
                known["comment"] = body["comment"]
            if created:
                self.created += 1
            else:
                self.updated += 1

    def summary(self, *, target_rate: float, elapsed: float) -> dict[str, Any]:
        requests = sum(self.calls.values())
        seconds = [self.per_second.get(s, 0) for s in range(int(elapsed))]
        tens = [sum(seconds[i : i + 10]) / 10 for i in range(0, len(seconds) - 9, 10)]
        return {
            "target_rate": target_rate,
            "elapsed_s": round(elapsed, 1),
            "requests": requests,
            "achieved_rate": round(requests / elapsed, 2) if elapsed else 0.0,
            "rate_per_10s": {"min": min(tens, default=0.0), "max": max(tens, default=0.0)},
            "calls": dict(sorted(self.calls.items())),
            "errors": self.errors,
            "error_samples": self.error_samples,
            "latency_ms": {call: percentiles(values) for call, values in self.latency.items()},
            "decisions": dict(self.decisions),
            "events": dict(self.events),
            "answers_created": self.created,
            "answers_updated": self.updated,
            "respondents": len(self.respondents),
            "answers": self.answers,
        }


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 1)}


class Visitor:
    """One thread: one keep-alive connection (reopened whenever the server closes it)."""

    def __init__(self, load: "Load", index: int) -> None:
        self.load = load
        self.rng = random.Random(load.seed * 1000 + index)
        self.connection = http.client.HTTPConnection(load.host, load.port, timeout=10)
        self.etag = self.last_etag = ""

    def run(self) -> None:
        try:
            while self.visit():
                pass
        except Exception as error:  # a fault of this driver must not pass for a quiet server
            self.load.tally.error("driver", f"{type(error).__name__}: {error}")
            raise
        finally:
            self.connection.close()

    def visit(self) -> bool:
        """One page load. False when the pacer has no slot left."""
        person = self.load.take_person(self.rng)
        try:
            return self.page_load(person)
        except Failed:
            person.state = "unknown"
            return True
        finally:
            self.load.give_back(person)

    def page_load(self, person: Person) -> bool:
        if self.rng.random() < 0.1 and not self.fetch_script(person):
            return False
        if person.unsent is not None:
            if not self.send(person, "answer", person.unsent, expect=200):
                return False
            person.unsent = None
        body = {
            "anonymous_id": person.anonymous_id,
            "user": person.user,
            "language": person.language,
            "trigger": "auto",
        }
        config = self.send(person, "config", body, expect=200)
        if config is None:
            return False
        self.check_decision(person, config)
        if not config["show"]:
            return True
        return self.prompted(person, config)

    def check_decision(self, person: Person, config: dict[str, Any]) -> None:
        tally = self.load.tally
        with tally.lock:
            tally.respondents.add(person.number)
            tally.decisions[config["reason"]] += 1
        expected = EXPECTED_REASON.get(person.state)
        if expected is not None and config["reason"] != expected:
            problem = f"{person.state} respondent: decision {config['reason']!r}, not {expected!r}"
            tally.error("config", problem)
            raise Failed(problem)

    def prompted(self, person: Person, config: dict[str, Any]) -> bool:
        token = config["token"]
        if self.send(person, "display", {"token": token}, expect=201) is None:
            return False
        person.state = "displayed"
        roll = self.rng.random()
        if roll < 0.55:
            return self.answer(person, token, config["language"])
        if roll < 0.85:
            kind = "not_now" if roll < 0.8 else "never"
            if self.send(person, "dismiss", {"token": token, "kind": kind}, expect=201) is None:
                return False
            person.state = kind
        return True  # or left the page without a word: the prompt comes back next time

    def answer(self, person: Person, token: str, language: str) -> bool:
        rng = self.rng
        body: dict[str, Any] = {
            "token": token,
            "id": f"{rng.getrandbits(128):032x}",
            "score": rng.choice((0, 3, 6, 7, 8, 9, 9, 10, 10, 10)),
            "language": language,
        }
        if self.send(person, "answer", body, expect=201) is None:
            return False
        person.state = "answered"
        if rng.random() < 0.6:  # a comment after the score: the same answer, updated
            body = {**body, "comment": rng.choice(COMMENTS)}
            if rng.random() < 0.2:  # and the score moved before leaving
                body["score"] = rng.randint(0, 10)
            if self.send(person, "answer", body, expect=200) is None:
                return False
        if rng.random() < 0.05:
            later = {"token": token, "id": body["id"], "comment": rng.choice(COMMENTS)}
            if self.send(person, "comment", later, expect=200) is None:
                return False
        if rng.random() < 0.05:
            person.unsent = body
        return True

    def send(
        self, person: Person, call: str, body: dict[str, Any], *, expect: int
    ) -> dict[str, Any] | None:
        """POSTs one widget call; its JSON, or None when the pacer has no slot."""
        if not self.load.pacer.slot():
            return None
        survey = person.survey
        headers = {
            **self.proxy_headers(person),
            "Content-Type": "text/plain;charset=UTF-8",
            "Origin": self.load.origin,
        }
        data = json.dumps(body).encode()
        status, payload = self.exchange("POST", f"/w/{survey}/{call}", data, headers, call)
        if status != expect:
            self.load.tally.error(call, f"HTTP {status}, expected {expect}: {payload[:200]!r}")
            raise Failed(call)
        try:
            answer: dict[str, Any] = json.loads(payload)
        except ValueError:
            self.load.tally.error(call, f"HTTP {status}, not JSON: {payload[:200]!r}")
            raise Failed(call) from None
        self.record(person, call, body, answer, status)
        echo = (answer.get("id"), answer.get("score"))
        if call == "answer" and echo != (body["id"], body["score"]):
            self.load.tally.error(call, f"answer echoed as {answer}, sent {body}")
            raise Failed(call)
        return answer

    def record(
        self, person: Person, call: str, body: dict[str, Any], answer: dict[str, Any], status: int
    ) -> None:
        tally = self.load.tally
        if call in ("display", "dismiss"):
            with tally.lock:
                tally.events[answer["recorded"]] += 1
        elif call == "answer":
            tally.answer(body["id"], person.survey, body, created=status == 201)
        elif call == "comment":
            tally.answer(body["id"], person.survey, {"comment": body["comment"]}, created=False)

    @staticmethod
    def proxy_headers(person: Person) -> dict[str, str]:
        """What the TLS-terminating proxy in front of the app adds."""
        return {
            "X-Forwarded-For": person.ip,
            "X-Forwarded-Proto": "https",
            "User-Agent": "nps-soak/1",
        }

    def fetch_script(self, person: Person) -> bool:
        if not self.load.pacer.slot():
            return False
        headers = {**self.proxy_headers(person), "Accept-Encoding": "gzip"}
        if self.etag:
            headers["If-None-Match"] = self.etag
        status, _ = self.exchange("GET", "/widget.js", None, headers, "widget.js")
        if status not in ((304,) if self.etag else (200,)):
            self.load.tally.error("widget.js", f"HTTP {status} (ETag sent: {bool(self.etag)})")
            raise Failed("widget.js")
        self.etag = self.etag or self.last_etag
        return True

    def exchange(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str], call: str
    ) -> tuple[int | str, bytes]:
        started = time.monotonic()
        try:
            self.connection.request(method, path, data, headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.load.tally.request(call, "connection-error", time.monotonic() - started)
            self.load.tally.error(call, f"{type(error).__name__}: {error}")
            raise Failed(call) from error
        self.last_etag = response.getheader("ETag", "")
        self.load.tally.request(call, response.status, time.monotonic() - started)
        return response.status, payload


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        url = urlsplit(args.base)
        if url.hostname != "127.0.0.1":
            raise SystemExit("the load stays on loopback: --base must be http://127.0.0.1:PORT")
        self.host, self.port = url.hostname, url.port or 80
        self.surveys = args.surveys.split(",")
        self.origin = args.origin
        self.seed = args.seed
        self.pacer = Pacer(rate=args.rate, duration=args.duration, max_requests=args.max_requests)
        self.tally = Tally(self.pacer.started)
        self.people_made = 0
        self.returning: list[Person] = []
        self.lock = threading.Lock()

    def take_person(self, rng: random.Random) -> Person:
        with self.lock:
            if self.returning and rng.random() < RETURNING_SHARE:
                return self.returning.pop(rng.randrange(len(self.returning)))
            self.people_made += 1
            number = self.people_made
        return self.new_person(number, rng)

    def new_person(self, number: int, rng: random.Random) -> Person:
        person = Person(
            number=number,
            survey=self.surveys[number % len(self.surveys)],
            ip=f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}",
            language=rng.choice(LANGUAGES),
            anonymous_id=f"{rng.getrandbits(128):032x}",
        )
        if rng.random() < 0.5:
            plan = rng.choice(PLANS)
            person.user = {
                "id": f"user-{self.seed}-{number}",
                "email": f"user{number}@customer.example",
                "name": f"Customer {number}",
                "traits": {"plan": plan, "seats": rng.randint(1, 500)},
            }
        return person

    def give_back(self, person: Person) -> None:
        if person.state == "unknown":
            return  # its history is uncertain after an error: never checked again
        with self.lock:
            if len(self.returning) < POOL_SIZE:
                self.returning.append(person)

    def run(self, concurrency: int, progress: float) -> dict[str, Any]:
        threads = [threading.Thread(target=Visitor(self, i).run) for i in range(concurrency)]
        for thread in threads:
            thread.start()
        next_report = progress
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.5)
            elapsed = time.monotonic() - self.pacer.started
            if progress and elapsed >= next_report:
                next_report += progress
                done = sum(self.tally.calls.values())
                print(
                    f"  {elapsed:5.0f} s  {done:6d} requests  {done / elapsed:5.1f}/s  "
                    f"{self.tally.errors} errors",
                    file=sys.stderr,
                    flush=True,
                )
        elapsed = time.monotonic() - self.pacer.started
        summary = self.tally.summary(target_rate=self.pacer.rate, elapsed=elapsed)
        summary["pacing"] = {
            "slots_late_over_1s": self.pacer.late,
            "max_lag_s": round(self.pacer.max_lag, 2),
        }
        return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--surveys", required=True, help="public keys, comma-separated")
    parser.add_argument("--origin", required=True, help="an allowed origin of those surveys")
    parser.add_argument("--rate", type=float, default=40, help="requests per second")
    parser.add_argument("--duration", type=float, default=300, help="seconds")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=8, help="threads, one connection each")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--progress", type=float, default=30, help="seconds between reports")
    parser.add_argument("--out", required=True, help="where the JSON tally goes")
    args = parser.parse_args(argv)
    result = Load(args).run(args.concurrency, args.progress)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
