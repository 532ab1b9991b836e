"""The targets of the suite, judged on one run's figures, and the table of
docs/BENCHMARKS.md regenerated from them."""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

START = "<!-- results:start (written by `make bench`; edit bench/report.py instead) -->"
END = "<!-- results:end -->"


@dataclass(frozen=True)
class Target:
    name: str
    figure: str
    goal: str
    ceiling: str
    ratio: str
    passed: bool
    # The workload profiled when the target is missed (bench/profiles.py); none: "".
    profile: str = ""


def _rate(run: dict[str, Any]) -> str:
    return f"{run['rate']:,.0f} req/s, p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms"


def _errors(run: dict[str, Any]) -> str:
    return f" ({run['errors']} errors)" if run.get("errors") else ""


def targets(figures: dict[str, Any], *, big_responses: int) -> list[dict[str, Any]]:
    """Every target with its figure; one whose figure is missing (its measurement
    failed: the error is in the results) is listed as missed."""
    survey = (
        f"{big_responses / 1e6:g}M-answer survey"
        if big_responses >= 1e5
        else f"{big_responses:,}-answer survey"
    )
    found: list[Target] = []
    for label, goal, judge in _JUDGES:
        try:
            found.extend(judge(figures, survey))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            error = next(
                (
                    value["error"]
                    for value in figures.values()
                    if isinstance(value, dict) and "error" in value
                ),
                "not measured",
            )
            found.append(Target(label, f"not measured ({error})", goal, "", "", False))
    return [asdict(target) for target in found]


def _answer(figures: dict[str, Any], survey: str) -> list[Target]:
    answer, ceiling = figures["widget_answer"], figures["ceiling_insert"]
    ratio = answer["rate"] / ceiling["rate"]
    passed = answer["rate"] >= 1000 and answer["p99_ms"] < 50 and ratio >= 0.8
    return [
        Target(
            ANSWER,
            _rate(answer) + _errors(answer),
            ANSWER_GOAL,
            "ORM insert view: " + _rate(ceiling),
            f"{ratio:.0%}",
            passed and not answer["errors"],
            profile="widget_answer",
        )
    ]


def _config(figures: dict[str, Any], survey: str) -> list[Target]:
    config, ceiling = figures["widget_config"], figures["ceiling_json"]
    ratio = config["rate"] / ceiling["rate"]
    passed = config["rate"] >= 2000 and config["p99_ms"] < 30 and ratio >= 0.5
    return [
        Target(
            CONFIG,
            _rate(config) + _errors(config),
            CONFIG_GOAL,
            "constant-JSON view: " + _rate(ceiling),
            f"{ratio:.0%}",
            passed and not config["errors"],
            profile="widget_config",
        )
    ]


BACKOFFICE = {
    "overview": "Back office: overview page",
    "trend_page": "Back office: trend page, by week",
    "api_metrics": "API: /metrics",
    "api_trend": "API: /metrics/trend, by week",
}


def _backoffice(figures: dict[str, Any], survey: str) -> list[Target]:
    found = []
    for name, label in BACKOFFICE.items():
        row = figures["backoffice"][name]
        speedup = row["speedup_p50"] or 0.0
        passed = row["p50_ms"] < 50 and row["p99_ms"] < 150 and speedup >= 20
        found.append(
            Target(
                f"{label} ({survey}, one year)",
                f"p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms" + _errors(row),
                BACKOFFICE_GOAL,
                f"raw rows (rollups off): {row['raw_ms']:,.0f} ms",
                f"{speedup:,.0f} times",
                passed and not row["errors"],
                profile=name,
            )
        )
    return found


def _incremental(figures: dict[str, Any], survey: str) -> list[Target]:
    done = figures["rollups_incremental"]
    every, load, again = done["every_organization"], done["after_load"], done["next_tick"]
    return [
        Target(
            f"Rollups: incremental tick, a day of new answers in all "
            f"{done['organizations']} organizations",
            f"{every['ms']:,.0f} ms ({_refreshed(every)}); next tick {again['ms']:,.0f} ms",
            "< 100 ms",
            "",
            "",
            every["ms"] < 100,
            profile="rollups_tick",
        ),
        Target(
            "Rollups: incremental tick after the load (the organizations written to today)",
            f"{load['ms']:,.0f} ms ({_refreshed(load)}; "
            f"{load['selection_ms']:.0f} ms to find them)",
            "< 100 ms",
            "",
            "",
            load["ms"] < 100,
            profile="rollups_tick",
        ),
    ]


def _refreshed(tick: dict[str, Any]) -> str:
    """How the organizations due were refreshed: together in one transaction,
    or each on its own (a first rebuild; every one in runs before that)."""
    parts = []
    if "together" in tick:
        parts.append(f"{tick['together']} together in {tick['together_ms']:.0f} ms")
    alone = tick.get("alone", tick["due"])
    if alone:
        parts.append(
            f"{alone} alone, median {tick['median_refresh_ms']:.1f} ms, "
            f"largest {tick['largest_refresh_ms']:.0f} ms"
        )
    return f"{tick['due']} due: " + "; ".join(parts) if parts else f"{tick['due']} due"


def _full(figures: dict[str, Any], survey: str) -> list[Target]:
    full = figures["rollups_full"]
    return [
        Target(
            f"Rollups: full rebuild of {full['rows']:,} rows",
            f"{full['seconds']:.1f} s ({full['rows_per_second']:,} rows/s)",
            "< 30 s",
            "",
            "",
            full["seconds"] < 30,
        )
    ]


def _export(figures: dict[str, Any], survey: str) -> list[Target]:
    export = figures["export"]
    return [
        Target(
            f"CSV export of {export['rows']:,} answers",
            f"{export['rows_per_second']:,} rows/s, workers' memory "
            f"{export['workers_rss_mb_before']:.0f} → peak {export['workers_rss_mb_peak']:.0f} MB",
            EXPORT_GOAL,
            "",
            "",
            export["rows_per_second"] >= 50_000 and export["rss_growth_mb"] < 25,
            profile="csv_export",
        )
    ]


def _import(figures: dict[str, Any], survey: str) -> list[Target]:
    imported = figures["import"]
    return [
        Target(
            f"Delighted CSV import of {imported['rows']:,} rows (check + import)",
            f"{imported['rows_per_second']:,} rows/s ({imported['seconds']:.1f} s)",
            "≥ 20,000 rows/s",
            "",
            "",
            imported["rows_per_second"] >= 20_000,
            profile="delighted_import",
        )
    ]


def _size(figures: dict[str, Any], survey: str) -> list[Target]:
    size = figures["widget_size"]
    return [
        Target(
            "Widget script, gzipped",
            f"{size['gzipped_bytes']:,} bytes ({size['bytes']:,} minified)",
            "≤ 5 KB (5,120 bytes)",
            "",
            "",
            size["gzipped_bytes"] <= 5120,
        )
    ]


def _browser(figures: dict[str, Any], survey: str) -> list[Target]:
    shown = figures["widget_browser"]
    return [
        Target(
            PROMPT,
            f"median {shown['painted_ms_median']:.0f} ms, max {shown['painted_ms_max']:.0f} ms "
            f"over {shown['loads']} loads",
            "< 100 ms",
            "",
            "",
            shown["painted_ms_median"] < 100,
        )
    ]


def _memory(figures: dict[str, Any], survey: str) -> list[Target]:
    memory = figures["memory"]
    return [
        Target(
            f"Web workers' memory under {memory['seconds']:.0f} s of widget traffic",
            f"{memory['workers_rss_mb_start']:.0f} → {memory['workers_rss_mb_end']:.0f} MB "
            f"({memory['growth_mb']:+.1f} MB) at {memory['rate']:,.0f} req/s" + _errors(memory),
            MEMORY_GOAL,
            "",
            "",
            bool(memory["flat"]) and not memory["errors"],
        )
    ]


ANSWER = "Widget answer POST, 32 connections"
ANSWER_GOAL = "≥ 1,000 req/s, p99 < 50 ms, ≥ 80 % of the ORM insert view"
CONFIG = "Widget config + prompt decision, 32 connections"
CONFIG_GOAL = "≥ 2,000 req/s, p99 < 30 ms, ≥ 50 % of the constant-JSON view"
BACKOFFICE_GOAL = "p50 < 50 ms, p99 < 150 ms, ≥ 20 times the raw aggregate"
EXPORT_GOAL = "≥ 50,000 rows/s, flat memory (< 25 MB growth)"
PROMPT = "Widget: script load to rendered prompt, headless Chromium"
MEMORY_GOAL = "flat (≤ 10 % growth)"
_JUDGES = [
    (ANSWER, ANSWER_GOAL, _answer),
    (CONFIG, CONFIG_GOAL, _config),
    ("Back office and metrics API, one year", BACKOFFICE_GOAL, _backoffice),
    ("Rollups: incremental refresh of all organizations", "< 100 ms", _incremental),
    ("Rollups: full rebuild", "< 30 s", _full),
    ("CSV export", EXPORT_GOAL, _export),
    ("Delighted CSV import", "≥ 20,000 rows/s", _import),
    ("Widget script, gzipped", "≤ 5 KB (5,120 bytes)", _size),
    (PROMPT, "< 100 ms", _browser),
    ("Web workers' memory under load", MEMORY_GOAL, _memory),
]


def summary_lines(results: dict[str, Any]) -> list[str]:
    return [
        f"{'PASS' if row['passed'] else 'MISS'}  {row['name']}: {row['figure']}"
        + (f"  [{row['ratio']} of ceiling]" if row["ratio"] else "")
        for row in results["targets"]
    ]


def table(results: dict[str, Any]) -> str:
    run, machine, seed = results["run"], results["machine"], results["seed"]
    rows = seed["rows"]
    lines = [
        f"Run of {run['date']} at scale {run['scale']} ({run['tenants']} organizations; "
        f"{rows.get('Response', 0):,} answers, {rows.get('PromptEvent', 0):,} prompt events, "
        f"{rows.get('Respondent', 0):,} respondents), {run['wall_seconds']:.0f} s in all; "
        f"seeded in {seed['seconds']['seed_total']:.0f} s.",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB; "
        f"{machine['os']}; Python {machine['python']}, Django {machine['django']}, "
        f"gunicorn {machine['gunicorn']}, PostgreSQL {machine['postgres']}, "
        f"Redis {machine['redis']}, {machine['wrk']}. Load generator and server share "
        "the cores.",
        "",
        "| Target | Figure | Goal | Same-run ceiling | Ratio | |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["targets"]:
        mark = "pass" if row["passed"] else "**missed**"
        lines.append(
            f"| {row['name']} | {row['figure']} | {row['goal']} | {row['ceiling']} "
            f"| {row['ratio']} | {mark} |"
        )
    lines += _profile_lines(results.get("profiles", {}))
    lines += _browser_lines(results["figures"].get("widget_browser", {}))
    return "\n".join(lines)


def _profile_lines(profiles: dict[str, Any]) -> list[str]:
    """Where the time goes in each missed target's workload (bench/profiles.py)."""
    if not profiles:
        return []
    lines = [
        "",
        "Where the time goes in the missed targets: pyinstrument profiles of the same work "
        "in the benchmark's process, the widget's and the back office's right after their "
        "figures, the others at the end (Django's test client through the whole middleware "
        "stack, no gunicorn; waiting on PostgreSQL or Redis counts in the call that waits), "
        "the functions with the most time of their own. Full profiles: "
        "`bench/results/profiles/`.",
        "",
    ]
    for name, profile in profiles.items():
        if "error" in profile:
            lines.append(f"- **{profile['title']}**: not profiled ({profile['error']})")
            continue
        top = "; ".join(f"{entry['percent']:.0f} % `{entry['where']}`" for entry in profile["top"])
        lines.append(
            f"- **{profile['title']}** (`{name}.txt`, {profile['runs']} "
            f"{'run' if profile['runs'] == 1 else 'runs'}, "
            f"{profile['wall_ms_per_run']:,.1f} ms wall and {profile['cpu_ms_per_run']:,.1f} "
            f"ms CPU each): {top}"
        )
    return lines


def _browser_lines(shown: dict[str, Any]) -> list[str]:
    """The browser's side of a widget load, from its resource timings."""
    phases = shown.get("phases_ms_median")
    if not phases:
        return []
    return [
        "",
        "Widget load to prompt, medians in the browser from adding the script tag: "
        f"script received {phases['script']:.0f} ms, config request sent "
        f"{phases['config_sent']:.0f} ms, config received {phases['config_received']:.0f} "
        f"ms, prompt in the page {phases['inserted']:.0f} ms, next frame "
        f"{phases['painted']:.0f} ms.",
    ]


def write_docs(results: dict[str, Any], path: Path) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{table(results)}\n{END}{tail}")
