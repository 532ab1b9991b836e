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


def _rate(run: dict[str, Any]) -> str:
    return f"{run['rate']:,.0f} req/s, p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms"


def _errors(run: dict[str, Any]) -> str:
    return f" ({run['errors']} errors)" if run.get("errors") else ""


def targets(figures: dict[str, Any], *, big_responses: int) -> list[dict[str, Any]]:
    found: list[Target] = []
    survey = (
        f"{big_responses / 1e6:g}M-answer survey"
        if big_responses >= 1e5
        else (f"{big_responses:,}-answer survey")
    )
    json_ceiling, insert_ceiling = figures["ceiling_json"], figures["ceiling_insert"]
    answer = figures["widget_answer"]
    ratio = answer["rate"] / insert_ceiling["rate"] if insert_ceiling["rate"] else 0.0
    found.append(
        Target(
            "Widget answer POST, 32 connections",
            _rate(answer) + _errors(answer),
            "≥ 1,000 req/s, p99 < 50 ms, ≥ 80 % of the ORM insert view",
            "ORM insert view: " + _rate(insert_ceiling),
            f"{ratio:.0%}",
            answer["rate"] >= 1000
            and answer["p99_ms"] < 50
            and ratio >= 0.8
            and not answer["errors"],
        )
    )
    config = figures["widget_config"]
    ratio = config["rate"] / json_ceiling["rate"] if json_ceiling["rate"] else 0.0
    found.append(
        Target(
            "Widget config + prompt decision, 32 connections",
            _rate(config) + _errors(config),
            "≥ 2,000 req/s, p99 < 30 ms, ≥ 50 % of the constant-JSON view",
            "constant-JSON view: " + _rate(json_ceiling),
            f"{ratio:.0%}",
            config["rate"] >= 2000
            and config["p99_ms"] < 30
            and ratio >= 0.5
            and not config["errors"],
        )
    )
    labels = {
        "overview": "Back office: overview page",
        "trend_page": "Back office: trend page, by week",
        "api_metrics": "API: /metrics",
        "api_trend": "API: /metrics/trend, by week",
    }
    for name, label in labels.items():
        row = figures["backoffice"][name]
        speedup = row["speedup_p50"] or 0.0
        found.append(
            Target(
                f"{label} ({survey}, one year)",
                f"p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms" + _errors(row),
                "p50 < 50 ms, p99 < 150 ms, ≥ 20 times the raw aggregate",
                f"raw rows (rollups off): {row['raw_ms']:,.0f} ms",
                f"{speedup:,.0f} times",
                row["p50_ms"] < 50 and row["p99_ms"] < 150 and speedup >= 20 and not row["errors"],
            )
        )
    incremental = figures["rollups_incremental"]
    found.append(
        Target(
            f"Rollups: incremental refresh of all {incremental['organizations']} organizations",
            f"{incremental['catch_up_ms']:,.0f} ms after the load; "
            f"{incremental['steady_ms']:,.0f} ms a tick later",
            "< 100 ms",
            "",
            "",
            incremental["catch_up_ms"] < 100,
        )
    )
    full = figures["rollups_full"]
    found.append(
        Target(
            f"Rollups: full rebuild of {full['rows']:,} rows",
            f"{full['seconds']:.1f} s ({full['rows_per_second']:,} rows/s)",
            "< 30 s",
            "",
            "",
            full["seconds"] < 30,
        )
    )
    export = figures["export"]
    found.append(
        Target(
            f"CSV export of {export['rows']:,} answers",
            f"{export['rows_per_second']:,} rows/s, workers' memory "
            f"{export['workers_rss_mb_before']:.0f} → peak {export['workers_rss_mb_peak']:.0f} MB",
            "≥ 50,000 rows/s, flat memory (< 25 MB growth)",
            "",
            "",
            export["rows_per_second"] >= 50_000 and export["rss_growth_mb"] < 25,
        )
    )
    imported = figures["import"]
    found.append(
        Target(
            f"Delighted CSV import of {imported['rows']:,} rows (check + import)",
            f"{imported['rows_per_second']:,} rows/s ({imported['seconds']:.1f} s)",
            "≥ 20,000 rows/s",
            "",
            "",
            imported["rows_per_second"] >= 20_000,
        )
    )
    size = figures["widget_size"]
    found.append(
        Target(
            "Widget script, gzipped",
            f"{size['gzipped_bytes']:,} bytes ({size['bytes']:,} minified)",
            "≤ 5 KB (5,120 bytes)",
            "",
            "",
            size["gzipped_bytes"] <= 5120,
        )
    )
    shown = figures["widget_browser"]
    found.append(
        Target(
            "Widget: script load to rendered prompt, headless Chromium",
            f"median {shown['painted_ms_median']:.0f} ms, max {shown['painted_ms_max']:.0f} ms "
            f"over {shown['loads']} loads",
            "< 100 ms",
            "",
            "",
            shown["painted_ms_median"] < 100,
        )
    )
    memory = figures["memory"]
    found.append(
        Target(
            f"Web workers' memory under {memory['seconds']:.0f} s of widget traffic",
            f"{memory['workers_rss_mb_start']:.0f} → {memory['workers_rss_mb_end']:.0f} MB "
            f"({memory['growth_mb']:+.1f} MB) at {memory['rate']:,.0f} req/s" + _errors(memory),
            "flat (≤ 10 % growth)",
            "",
            "",
            bool(memory["flat"]),
        )
    )
    return [asdict(target) for target in found]


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
    return "\n".join(lines)


def write_docs(results: dict[str, Any], path: Path) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{table(results)}\n{END}{tail}")
