"""How long the content pipeline takes on ordinary and pathological input.

Run: .venv/bin/python bench/content_bench.py
"""

from __future__ import annotations

import statistics
import time

from forum.content import MAX_SOURCE_LENGTH, render

CASES = {
    "typical reply (600 chars)": (
        "Thanks @maya! I tried **this** with [the docs](https://example.com/docs).\n\n"
        "- first step\n- second step\n\n```\ncode sample\n```\n" * 6
    ),
    "long post (20,000 chars)": ("A paragraph of ordinary prose, with a link to example.com. "
                                 * 400)[:MAX_SOURCE_LENGTH],
    "brackets [[[ (20,000)": "[" * MAX_SOURCE_LENGTH,
    "a-a-a- (20,000)": "a-" * (MAX_SOURCE_LENGTH // 2),
    "3,300-row table": "|a|b|\n|-|-|\n" + "|x|y|\n" * 3300,
    "nested quotes": ">" * 5000 + " deep",
}


def measure(source: str, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        render(source, known_users=lambda names: set(names))
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    print(f"{'case':32} {'median ms':>10} {'max ms':>10}")
    for name, source in CASES.items():
        timings = measure(source, repeat=3 if "table" in name else 10)
        print(f"{name:32} {statistics.median(timings) * 1000:10.1f} {max(timings) * 1000:10.1f}")


if __name__ == "__main__":
    main()
