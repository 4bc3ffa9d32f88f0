"""traffic-<label>.md from one traffic.py run: the candidates side by side, issue 20's
targets checked, then each one's mix by kind of page, signed in and out.

    .venv/bin/python bench/traffic_report.py SMALL.json LARGE.json

compares two runs (scale S and L of one database): each kind of page's p50 at the larger
scale as a multiple of the smaller's, against the target of at most 1.3.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# Issue 20's targets: a share of hello's requests/s at c=8, and worker memory.
MIX_SHARE, PAGE_SHARE, WRITE_SHARE, WORKER_MB, P50_GROWTH = 0.20, 0.12, 0.10, 200, 1.3


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


def _verdict(found: float, target: float, at_most: bool = False) -> str:
    met = found <= target if at_most else found >= target
    if met:
        return "met"
    if at_most:
        return f"missed: {found / target:.2f} times the limit"
    return f"missed: {found / target:.0%} of the target"


def targets_table(result: dict[str, Any]) -> list[str]:
    """Each candidate against issue 20's targets (the focused runs: one kind alone)."""
    lines = ["| gunicorn | target | measured | verdict |", "|---|---|---:|---|"]
    for c in result["candidates"]:
        hello = c["hello"]["rps"]
        rows = [("whole mix >= 20% of hello", c["mix"]["all"]["rps"] / hello, MIX_SHARE)]
        for kind, name, share in (("idea", "signed-in idea pages", PAGE_SHARE),
                                  ("thread", "signed-in thread pages", PAGE_SHARE),
                                  ("write", "votes and replies", WRITE_SHARE)):
            if kind in c.get("focused", {}):
                rows.append((f"{name} alone >= {share:.0%} of hello",
                             c["focused"][kind]["rps"] / hello, share))
        for label, found, target in rows:
            lines.append(f"| {c['candidate']} | {label} | {found:.1%} "
                         f"| {_verdict(found, target)} |")
        peak = max(c["rss_mb"]["peak"] or [0])
        lines.append(f"| {c['candidate']} | each worker < {WORKER_MB} MB | {peak:.0f} MB peak "
                     f"| {_verdict(peak, WORKER_MB, at_most=True)} |")
    return lines


def focused_table(result: dict[str, Any]) -> list[str]:
    lines = ["| gunicorn | alone, signed in | req/s | % of hello | p50 / p95 / p99 ms "
             "| errors |", "|---|---|---:|---:|---:|---:|"]
    for c in result["candidates"]:
        for kind, m in c.get("focused", {}).items():
            lines.append(f"| {c['candidate']} | {kind} | {m['rps']:,.1f} "
                         f"| {100 * m['rps'] / c['hello']['rps']:.1f}% | {_lat(m)} "
                         f"| {m['errors']} |")
    return lines


def scale_table(small: dict[str, Any], large: dict[str, Any]) -> list[str]:
    """p50 per kind of page at the larger scale over the smaller, first candidate of each."""
    lines = [f"# p50 at {large['label']} over {small['label']}", "",
             f"| requests | p50 ms, {small['label']} | p50 ms, {large['label']} | ratio "
             "| verdict (at most 1.3) |", "|---|---:|---:|---:|---|"]
    before, after = small["candidates"][0]["mix"], large["candidates"][0]["mix"]
    for name in sorted(set(before) & set(after)):
        a, b = before[name]["p50_ms"], after[name]["p50_ms"]
        ratio = b / a if a else float("inf")
        lines.append(f"| {name} | {a:.0f} | {b:.0f} | {ratio:.2f} "
                     f"| {_verdict(ratio, P50_GROWTH, at_most=True)} |")
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
        "are votes (cast or retracted) and replies (a third), spread evenly over time. "
        + (f"Kept pages shared by the workers in Redis ({s['page_cache_url']})."
           if s.get("page_cache_url") else "Kept pages: each worker its own."), "",
        f"Client: {s['concurrency']} Python threads, each one kept-alive http.client "
        f"connection, {s['duration']:g} s of the mix and {s['hello_duration']:g} s of "
        f"hello per candidate, after {s.get('warm_up', 3):g} s of the mix and 3 s of hello "
        "as warm-up. Errors are answers other than 200; "
        "lost are requests that got no answer at all. The idle-reuse probe sends a "
        "request, waits, and sends another on the same connection after "
        f"{', '.join(f'{g:g}' for g in result['idle_gaps'])} s.", "",
        *candidates_table(result), "",
        "## Issue 20's targets", "",
        "Shares of hello's requests/s in the same run, at the same concurrency. The kinds "
        f"alone ran {s.get('focus_duration', 0):g} s each after the mix, signed in, over "
        "the same pages (each one rendered for its customer).", "",
        *targets_table(result), "", *focused_table(result), "",
        "## The mix by kind, signed in and out", "",
    ]
    for candidate in result["candidates"]:
        lines += mix_table(candidate)
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    small, large = (json.loads(Path(name).read_text()) for name in sys.argv[1:3])
    print("\n".join(scale_table(small, large)))
