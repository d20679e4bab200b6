"""How the bench prints: one line per figure, a target verdict where there is a target.

Everything printed is also kept, and written to bench/out/last-run.txt and last-run.json at the
end, so docs/performance.md can be checked against the run it quotes.
"""

import json
import statistics
import sys
import time
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "out"


class Report:
    def __init__(self):
        self.lines: list[str] = []
        self.figures: dict[str, dict] = {}
        self.misses: list[str] = []
        self.started = time.monotonic()

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def section(self, title: str) -> None:
        self.say("")
        self.say(f"== {title}  (load average {load_average():.2f})")

    def figure(self, key: str, text: str, *, value=None, target: str | None = None, met: bool | None = None, **extra) -> None:
        """Print `text`; with a target, say whether it is met ("MISSES TARGET" otherwise)."""
        if target is not None and met is not None:
            text += f"  [target {target}: {'met' if met else 'MISSES TARGET'}]"
            if not met:
                self.misses.append(key)
        self.say(text)
        self.figures[key] = {"text": text, "value": value, "target": target, "met": met, **extra}

    def latency(self, key: str, what: str, timings: list[float], *, how: str, target_ms: float) -> tuple[float, float]:
        """A latency figure: "<what>: p50 …, p95 … (<how>)" against a p95 target; returns (p50, p95)."""
        ordered = sorted(timings)
        p50, p95 = statistics.median(ordered), percentile(ordered, 95)
        self.figure(
            key, f"{what}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({how})",
            value=round(p95, 1), p50=round(p50, 1), target=f"p95 ≤ {target_ms:.0f} ms", met=p95 <= target_ms,
        )
        return p50, p95

    def write(self, meta: dict) -> None:
        OUT_DIR.mkdir(exist_ok=True)
        (OUT_DIR / "last-run.txt").write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        (OUT_DIR / "last-run.json").write_text(
            json.dumps({"meta": meta, "figures": self.figures}, ensure_ascii=False, indent=2, default=str),
            encoding="utf-8",
        )


def percentile(ordered: list[float], p: float) -> float:
    """The p-th percentile of sorted timings (nearest rank)."""
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load_average() -> float:
    """The 1-minute load average: above ~0.5 before a section, something else is using the CPUs."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def fail(message: str) -> int:
    print(f"bench: {message}", file=sys.stderr, flush=True)
    return 1
