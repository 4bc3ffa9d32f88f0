"""traffic-<label>.md from one traffic.py run: the candidates side by side, then each one's
mix by kind of page, signed in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _lat(m: dict[str, Any]) -> str:
    return f"{m['p50_ms']:.0f} / {m['p95_ms']:.0f} / {m['p99_ms']:.0f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _mb(values: list[float]) -> str:
    return " + ".join(f"{v:.0f}" for v in values) or "-"


def candidates_table(result: dict[str, Any]) -> list[str]:
    lines = ["| gunicorn (class:workers x threads @ keep-alive) | hello req/s | mix req/s "
             "| % of hello | mix p50 / p95 / p99 ms | errors (lost) | page cache hit rate "
             "| writes/s | worker RSS MB before -> after (peak) | idle reuse lost "
             "| workers crashed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for c in result["candidates"]:
        mix, hello = c["mix"]["all"], c["hello"]
        lost = [p["idle_seconds"] for p in c["probe"] if p["second"] == 0]
        rss = c["rss_mb"]
        lines.append(
            f"| {c['candidate']} | {hello['rps']:,.0f} | {mix['rps']:,.1f} "
            f"| {100 * mix['rps'] / hello['rps']:.1f}% | {_lat(mix)} "
            f"| {mix['errors']} ({mix['lost']}) | {_rate(mix['cache_hit_rate'])} "
            f"| {c['writes_per_second']:.1f} | {_mb(rss['before'])} -> {_mb(rss['after'])} "
            f"({_mb(rss['peak'])}) | {len(lost)}/{len(c['probe'])}"
            + (f" (after {', '.join(f'{g:g}' for g in lost)} s)" if lost else "")
            + f" | {len(c.get('worker_crashes', []))} |")
    return lines


def mix_table(candidate: dict[str, Any]) -> list[str]:
    lines = [f"### {candidate['candidate']}", "", f"`gunicorn {candidate['command']}`", "",
             "| requests | count | req/s | p50 / p95 / p99 ms | max ms | errors | cache hit rate |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, m in candidate["mix"].items():
        lines.append(f"| {name} | {m['requests']:,} | {m['rps']:.1f} | {_lat(m)} "
                     f"| {m['max_ms']:.0f} | {m['errors']} | {_rate(m['cache_hit_rate'])} |")
    return [*lines, ""]


def write_traffic_report(result: dict[str, Any], path: Path) -> Path:
    s = result["settings"]
    population = ", ".join(f"{v:,} {k}" for k, v in result["population"].items())
    lines = [
        f"# Real traffic: {result['label']}", "",
        f"Database {result['database']}, started {result['started']} on "
        f"{result['machine']['cpus']} CPUs ({result['machine']['cpu']}), load average "
        f"before {' '.join(f'{v:.2f}' for v in result['machine']['load_average'])}, after "
        f"{' '.join(f'{v:.2f}' for v in result['load_average_after'])}.", "",
        f"Population: {population}. Each request picks a kind of page "
        f"({', '.join(f'{k} {v:.0%}' for k, v in result['kind_shares'].items())}), then a "
        f"page with weight 1/rank^{s['skew']:g}; {s['signed_in']:.0%} of page views are "
        f"signed-in customers' (their own sessions), and {s['writes']:.0%} of requests "
        "are votes (cast or retracted) and replies (a third), spread evenly over time.", "",
        f"Client: {s['concurrency']} Python threads, each one kept-alive http.client "
        f"connection, {s['duration']:g} s of the mix and {s['hello_duration']:g} s of "
        "hello per candidate after a 3 s warm-up. Errors are answers other than 200; "
        "lost are requests that got no answer at all. The idle-reuse probe sends a "
        "request, waits, and sends another on the same connection after "
        f"{', '.join(f'{g:g}' for g in result['idle_gaps'])} s.", "",
        *candidates_table(result), "",
        "## The mix by kind, signed in and out", "",
    ]
    for candidate in result["candidates"]:
        lines += mix_table(candidate)
    path.write_text("\n".join(lines) + "\n")
    return path
