"""report.md and its charts, from every results-*.json that pages.py left in the out folder.

    .venv/bin/python bench/report.py [--out bench/out]
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from shared import DEFAULT_OUT

SCALE_ORDER = ["S", "M", "L"]
ANONYMOUS_SHARE = 25.0  # % of hello req/s: home, boards, idea and thread pages
SIGNED_IN_SHARE = 15.0  # vote and reply POSTs
SEARCH_P95_MS = 100.0
RSS_MB = 200.0
SCALING = 1.3  # p50 at L over p50 at S


def key(name: str) -> str:
    """A path's name without what changes with scale ("idea page (423 replies)")."""
    return re.sub(r" \(\d+ replies\)", "", name)


def share_target(name: str) -> float | None:
    if name.startswith(("home", "board", "idea page", "thread page")):
        return ANONYMOUS_SHARE
    if "signed in" in name:
        return SIGNED_IN_SHARE
    return None


def load_results(out: Path) -> list[dict[str, Any]]:
    found = [json.loads(p.read_text()) for p in sorted(out.glob("results-*.json"))]
    return sorted(found, key=lambda r: (r["dialect"], SCALE_ORDER.index(r["scale"])
                                        if r["scale"] in SCALE_ORDER else 9, r["label"]))


def top(result: dict[str, Any]) -> str:
    return max(result["hello"]["results"], key=int)


def share(result: dict[str, Any], path: dict[str, Any], c: str) -> float:
    return 100 * path["results"][c]["rps"] / result["hello"]["results"][c]["rps"]


def verdict(ok: bool, detail: str) -> str:
    return f"met ({detail})" if ok else f"**missed** ({detail})"


def _cache(result: dict[str, Any]) -> str:
    """Signed-out pages come from the page cache unless the run turned it off."""
    return "on" if result["server"].get("page_cache", True) else "off"


def section(result: dict[str, Any]) -> list[str]:
    cs = sorted(result["hello"]["results"], key=int)
    hi, counts = top(result), result.get("dataset", {}).get("counts", {})
    lines = [f"## {result['label']}", "",
             f"Database {result['database']}; data set: " + (", ".join(
                 f"{v:,} {k}" for k, v in counts.items() if v) or "unknown") + ".",
             f"Server: `gunicorn {result['server']['command']}` "
             f"({result['server']['workers']} {result['server']['worker_class']} workers, "
             f"page cache {_cache(result)}). "
             f"Client: {result['client']}. Started {result['started']}; load average "
             f"before {_load(result['machine']['load_average'])}, after "
             f"{_load(result['load_average_after'])}.", ""]
    head = ["path"] + [f"p50/p95/p99 ms c={c}" for c in cs] + [f"req/s c={c}" for c in cs]
    head += [f"% of hello c={c}" for c in cs] + ["errors"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    hello = result["hello"]["results"]
    lines.append("| hello (ceiling) | " + " | ".join(_lat(hello[c]) for c in cs) + " | "
                 + " | ".join(f"{hello[c]['rps']:.0f}" for c in cs) + " | "
                 + " | ".join("100" for _ in cs) + " | "
                 + str(sum(hello[c]["errors"] for c in cs)) + " |")
    for path in result["paths"]:
        r = path["results"]
        lines.append(f"| {path['name']} | " + " | ".join(_lat(r[c]) for c in cs) + " | "
                     + " | ".join(f"{r[c]['rps']:.1f}" for c in cs) + " | "
                     + " | ".join(f"{share(result, path, c):.1f}" for c in cs) + " | "
                     + str(sum(r[c]["errors"] for c in cs)) + " |")
    rss = result["worker_peak_rss_mb"]
    lines += ["", "Worker peak RSS (VmHWM): " + ", ".join(
        f"pid {pid}: {mb:.0f} MB" for pid, mb in rss.items()) + "; hello workers: "
        + ", ".join(f"{mb:.0f} MB" for mb in result["hello"]["runs"][0]
                    ["worker_peak_rss_mb"].values()) + ".", ""]
    lines += [f"- {note}" for note in result.get("notes", [])]
    lines += ["", f"Throughput shares are judged at c={hi}, where the server is saturated."]
    return [*lines, ""]


def _lat(m: dict[str, float]) -> str:
    if not m["rps"]:
        return "none finished"
    return f"{m['p50_ms']:.1f} / {m['p95_ms']:.1f} / {m['p99_ms']:.1f}"


def _ms(m: dict[str, float], percentile: str) -> float:
    """A latency, or infinity when no request finished within the measurement (wrk
    then reports zeros, which must not read as fast)."""
    return m[percentile] if m["rps"] else math.inf


def _fmt(ms: float, digits: int = 0) -> str:
    return f"{ms:.{digits}f} ms" if math.isfinite(ms) else "no request finished"


def _load(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def targets(results: list[dict[str, Any]]) -> list[str]:
    lines = ["## Targets", ""]
    for result in results:
        hi = top(result)
        lines.append(f"### {result['label']}")
        for path in result["paths"]:
            wanted = share_target(path["name"])
            if wanted is not None:
                got = share(result, path, hi)
                lines.append(f"- {path['name']}: {got:.1f}% of hello, target "
                             f">= {wanted:.0f}%: " + verdict(
                                 got >= wanted, f"{got - wanted:+.1f} points"))
            if path["group"] == "search":
                p95s = {c: _ms(m, "p95_ms") for c, m in path["results"].items()}
                worst = p95s[min(p95s, key=int)]
                lines.append(f"- {path['name']} p95 at c=1: {_fmt(worst)}, target "
                             f"<= {SEARCH_P95_MS:.0f} ms: " + verdict(
                                 worst <= SEARCH_P95_MS, f"{worst / SEARCH_P95_MS:.1f}x")
                             + f" (at c={hi}: {_fmt(p95s[hi])})")
        peak = max(result["worker_peak_rss_mb"].values(), default=0)
        lines.append(f"- worker peak RSS {peak:.0f} MB, target < {RSS_MB:.0f} MB: "
                     + verdict(peak < RSS_MB, f"{peak / RSS_MB:.0%} of it"))
        lines.append("")
    return lines + scaling(results)


def by_dialect(results: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    grouped: dict[str, dict[str, dict[str, Any]]] = {}
    for result in results:
        series = result.get("series", result["dialect"])  # e.g. sqlite, sqlite-uncached
        grouped.setdefault(series, {})[result["scale"]] = result
    return grouped


def p50s(result: dict[str, Any]) -> dict[str, float]:
    return {key(p["name"]): _ms(p["results"]["1"], "p50_ms") for p in result["paths"]
            if "1" in p["results"]}


def scaling(results: list[dict[str, Any]]) -> list[str]:
    lines = ["### p50 at the biggest scale measured over p50 at S (c=1), target <= 1.3x "
             "at L", ""]
    for dialect, scales in by_dialect(results).items():
        big = next((s for s in reversed(SCALE_ORDER) if s in scales and s != "S"), None)
        if "S" not in scales or big is None:
            lines.append(f"- {dialect}: only one scale measured.")
            continue
        small, large = p50s(scales["S"]), p50s(scales[big])
        proxy = "" if big == "L" else f" ({big} stands in for L)"
        lines.append(f"- {dialect}, {big}/S{proxy}:")
        for name in small:
            if name in large and small[name] > 0:
                ratio = large[name] / small[name]
                lines.append(f"  - {name}: {_fmt(small[name], 1)} -> {_fmt(large[name], 1)} = "
                             + verdict(ratio <= SCALING, f"{ratio:.2f}x"))
    return [*lines, ""]


def share_chart(results: list[dict[str, Any]], path: Path) -> None:
    names = list(dict.fromkeys(key(p["name"]) for r in results for p in r["paths"]))
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(names) * max(1, len(results)) + 2))
    height = 0.8 / max(1, len(results))
    for i, result in enumerate(results):
        hi = top(result)
        shares = {key(p["name"]): share(result, p, hi) for p in result["paths"]}
        ys = [n + i * height for n in range(len(names))]
        axes.barh(ys, [shares.get(name, 0) for name in names], height=height,
                  label=f"{result['label']} (c={hi})")
    axes.set_yticks([n + 0.4 - height / 2 for n in range(len(names))], names)
    axes.invert_yaxis()
    for line, label in ((ANONYMOUS_SHARE, "25% target"), (SIGNED_IN_SHARE, "15% target")):
        axes.axvline(line, linestyle="--", color="grey")
        axes.text(line, -0.6, label, fontsize=8, color="grey")
    axes.set_xlabel("requests/s as % of the bare Flask hello app under the same gunicorn")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def scale_chart(results: list[dict[str, Any]], path: Path) -> bool:
    grouped = {d: s for d, s in by_dialect(results).items() if len(s) > 1}
    if not grouped:
        return False
    figure, axes = plt.subplots(1, len(grouped), figsize=(7 * len(grouped), 5), squeeze=False)
    for axis, (dialect, scales) in zip(axes[0], grouped.items(), strict=True):
        order = [s for s in SCALE_ORDER if s in scales]
        names = list(dict.fromkeys(n for s in order for n in p50s(scales[s])))
        for name in names:
            values = [p50s(scales[s]).get(name) for s in order]
            axis.plot(order, [v if v is not None and math.isfinite(v) else None
                              for v in values], marker="o",
                      label=name)
        axis.set_title(f"{dialect}: p50 latency (c=1) against scale")
        axis.set_ylabel("ms")
        axis.set_yscale("log")
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def write_report(out: Path) -> Path:
    results = load_results(out)
    machine = results[0]["machine"] if results else {}
    lines = ["# Cocreate page benchmark", "",
             f"Machine: {machine.get('cpus')} CPUs ({machine.get('cpu')}), Python "
             f"{machine.get('python')}, **shared with other engineers' test runs: every "
             "figure here is noisy** (the load averages below say how busy it was). "
             "Latencies are per request as the client saw them, queueing included.", ""]
    for result in results:
        lines += section(result)
    lines += targets(results)
    share_chart(results, out / "share-of-ceiling.png")
    lines += ["## Charts", "", "![throughput as a share of the ceiling]"
              "(share-of-ceiling.png)", ""]
    if scale_chart(results, out / "latency-vs-scale.png"):
        lines += ["![p50 latency against scale](latency-vs-scale.png)", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    print(write_report(parser.parse_args().out))
