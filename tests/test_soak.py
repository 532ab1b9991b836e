"""The widget endpoints under steady load (bench/soak.py): a short run here, the
several-minute one under `make soak`. And the soak's own checks, which must
catch a lost answer, a stray row, growing memory or a replaced worker."""

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from bench import soak
from bench.visits import Pacer

SECONDS = 20
RATE = 25


def database_url() -> str:
    """The test database, for a server in another process."""
    db = settings.DATABASES["default"]
    user = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.redis
def test_it_answers_steady_widget_traffic_without_an_error_or_a_lost_answer(
    transactional_db: None, tmp_path: Path
) -> None:
    options = soak.Options(
        database_url=database_url(),
        redis_url=settings.REDIS_URL,
        duration=SECONDS,
        rate=RATE,
        migrate=False,  # the test database is migrated already
        # CI shares its two cores: keeping the full rate is `make soak`'s job.
        min_rate_share=0.5,
        out=tmp_path / "soak.json",
        work=tmp_path,
        progress=0,
    )
    result = soak.run(options)
    assert result["problems"] == [], soak.summary(result)
    load, db = result["load"], result["database"]
    assert load["requests"] >= 0.5 * SECONDS * RATE and load["errors"] == 0
    assert load["calls"]["answer 201"] > 20 and load["calls"]["display 201"] > 40
    assert db["response_rows"] == db["answers_acknowledged"] == load["answers_created"]
    assert len(result["memory"]["workers"]) == 2
    assert (tmp_path / "soak.json").exists()


def load_tally(**changes: Any) -> dict[str, Any]:
    answers = {
        "a" * 32: {"survey": "s1", "score": 9, "comment": "Great"},
        "b" * 32: {"survey": "s2", "score": 3, "comment": ""},
    }
    tally = {
        "answers": answers,
        "answers_created": 2,
        "events": {"display": 3, "not_now": 1},
        "respondents": 3,
    }
    return {**tally, **changes}


def stored(**changes: Any) -> dict[str, Any]:
    tally = load_tally()
    books = {
        "response_rows": 2,
        "answers": {key: dict(value) for key, value in tally["answers"].items()},
        "events": {"display": 3, "not_now": 1, "answer": 2},
        "respondents": 3,
    }
    return {**books, **changes}


def test_it_accepts_books_that_match_what_was_acknowledged() -> None:
    assert soak.books_verdict(load_tally(), stored()) == []


def test_it_flags_an_acknowledged_answer_missing_from_the_database() -> None:
    books = stored(response_rows=1, answers={"a" * 32: load_tally()["answers"]["a" * 32]})
    books["events"]["answer"] = 1
    problems = soak.books_verdict(load_tally(), books)
    assert any("1 acknowledged answers not stored" in p for p in problems)
    assert any("1 Response rows for 2" in p for p in problems)


def test_it_flags_a_row_nobody_acknowledged_and_a_stale_score() -> None:
    books = stored(response_rows=3)
    books["answers"]["c" * 32] = {"survey": "s1", "score": 10, "comment": ""}
    books["answers"]["a" * 32]["score"] = 8
    problems = soak.books_verdict(load_tally(), books)
    assert any("stored answers never acknowledged" in p for p in problems)
    assert any("stored differently from their last acknowledgement" in p for p in problems)


def test_it_flags_a_lost_display_and_an_extra_respondent() -> None:
    problems = soak.books_verdict(
        load_tally(), stored(events={"display": 2, "not_now": 1, "answer": 2}, respondents=4)
    )
    assert any(p.startswith("prompt events stored") for p in problems)
    assert any("4 respondents stored for 3" in p for p in problems)


def samples(rss: list[float], pid: str = "101") -> list[dict[str, Any]]:
    return [{"t": float(second), "rss_mb": {pid: mb}} for second, mb in enumerate(rss)]


def test_it_calls_memory_flat_when_it_only_wobbles_after_the_warm_up() -> None:
    rss = [60.0, 70.0, 80.0] + [82.0, 82.5, 81.8, 82.3] * 6
    verdict = soak.memory_verdict(samples(rss), warmup=3, max_growth_mb=2)
    assert verdict["problems"] == []
    assert verdict["workers"]["101"]["growth_mb"] < 1


def test_it_flags_memory_that_keeps_growing() -> None:
    rss = [80.0 + second * 0.5 for second in range(30)]  # 15 MB in 30 s
    verdict = soak.memory_verdict(samples(rss), warmup=3, max_growth_mb=2)
    assert verdict["problems"] and "worker 101 grew" in verdict["problems"][0]


def test_it_flags_a_worker_replaced_during_the_run() -> None:
    run = samples([80.0] * 10) + samples([80.0] * 10, pid="202")[:10]
    for second, sample in enumerate(run):
        sample["t"] = float(second)
    verdict = soak.memory_verdict(run, warmup=0, max_growth_mb=2)
    assert "one was replaced" in verdict["problems"][0]


def test_it_flags_error_lines_in_the_server_log_but_not_gunicorn_starting() -> None:
    quiet = (
        "[2026-12-01 13:46:28 +0000] [13544] [INFO] Starting gunicorn 27.0.1\n"
        "[2026-12-01 13:46:28 +0000] [13554] [INFO] Booting worker with pid: 13554\n"
    )
    assert soak.server_log_verdict(quiet)["problems"] == []
    noisy = quiet + "Internal Server Error: /w/abc/answer\nTraceback (most recent call last):\n"
    verdict = soak.server_log_verdict(noisy)
    assert verdict["problems"] == ["2 unexpected server log lines"]


def test_it_flags_an_access_log_that_counts_other_requests_than_were_sent() -> None:
    line = '127.0.0.1 - - [01/Dec/2026:13:46:30 +0000] "POST /w/k/config HTTP/1.1" {} 862 "-" "x"'
    log = "\n".join([line.format(200), line.format(200), line.format(500)])
    verdict = soak.access_verdict({"calls": {"config 200": 2, "display 201": 1}}, log)
    assert verdict["statuses"] == {"200": 2, "500": 1}
    assert verdict["problems"]
    assert soak.access_verdict({"calls": {"config 200": 2, "config 500": 1}}, log)["problems"] == []


def test_it_flags_errors_and_a_load_that_fell_behind_its_rate() -> None:
    options = soak.Options(database_url="", redis_url="", duration=10, rate=10)
    assert soak.rate_verdict({"errors": 0, "error_samples": [], "requests": 100}, options) == []
    problems = soak.rate_verdict(
        {"errors": 1, "error_samples": [{"call": "answer", "problem": "HTTP 500"}], "requests": 80},
        options,
    )
    assert problems[0].startswith("1 errors") and "did not keep up" in problems[1]


def test_its_pacer_stops_at_the_end_of_the_duration_even_with_slots_still_owed() -> None:
    pacer = Pacer(rate=1000, duration=0.3, max_requests=10**6)
    sent = 0
    while pacer.slot():
        sent += 1
        time.sleep(0.05)  # a server far slower than the rate
    # Draining the ~300 slots owed would take 15 s more.
    assert time.monotonic() - pacer.started < 1
    assert 1 <= sent <= 7 and pacer.max_lag > 0.1


def test_its_pacer_stops_at_the_planned_count() -> None:
    pacer = Pacer(rate=10_000, duration=60, max_requests=25)
    assert sum(1 for _ in iter(pacer.slot, False)) == 25
