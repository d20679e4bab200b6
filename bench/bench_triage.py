"""Throughput, latency and memory of the triage engine in one process.

    .venv/bin/python bench/bench_triage.py [--n 3000]

Workload: the team's evaluation set (yimen/triage/data/evalset.csv), cycled. Three runs:
lexicon only without legal retrieval, lexicon + learned model without legal retrieval, and the full
suggestion with legal retrieval over the national statute library. No database is used. The
statute index is tokenised once and cached under var/triage/cache; the first run ever pays ~6 s.
"""

from __future__ import annotations

import argparse
import csv
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from yimen.triage import legal  # noqa: E402
from yimen.triage.config import default_config  # noqa: E402
from yimen.triage.engine import suggest  # noqa: E402
from yimen.triage.textmodel import TextModel  # noqa: E402

EVALSET = Path(__file__).resolve().parents[1] / "yimen" / "triage" / "data" / "evalset.csv"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run(name: str, texts: list[str], n: int, **kw) -> dict:
    for t in texts[:50]:  # warm caches (compiled rules, jieba, index) outside the timing
        suggest(t, **kw)
    lat = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        suggest(texts[i % len(texts)], **kw)
        lat.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    lat.sort()
    row = {
        "run": name,
        "per_second": n / total,
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))],
        "peak_mb": peak_mb(),
    }
    print(f"{name:<38} {row['per_second']:>9.0f}/s   p50 {row['p50_ms']:6.2f} ms   p99 {row['p99_ms']:6.2f} ms   peak RSS {row['peak_mb']:6.0f} MB")
    return row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000, help="suggestions per run")
    args = ap.parse_args()
    rows = list(csv.DictReader(open(EVALSET, encoding="utf-8")))
    texts = [r["text"] for r in rows]
    config = default_config()
    print(f"workload: {len(texts)} matters from {EVALSET.name}, {args.n} suggestions per run, one process")
    print(f"start: peak RSS {peak_mb():.0f} MB")

    run("lexicon, no legal retrieval", texts, args.n, config=config, model=None, with_legal=False)

    # Train in a child process, as `yimen triage train` would, so that training's memory does not
    # count against the serving process; then load the saved model like a worker does.
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "yimen.triage.cli", "train", "--data", str(EVALSET), "--text-column", "text",
             "--label-column", "category", "--features", "char", "--folds", "2", "--out", tmp, "--no-activate", "-q"],
            check=True, capture_output=True, cwd=Path(__file__).resolve().parents[1],
        )
        model = TextModel.load(next(p for p in Path(tmp).iterdir() if p.is_dir()))
    print(f"(trained a char model on the evaluation set in a child process in {time.perf_counter() - t0:.1f} s, then loaded it)")
    run("lexicon + model, no legal retrieval", texts, args.n, config=config, model=model, with_legal=False)

    t0 = time.perf_counter()
    index = legal.get_index()
    print(f"(statute index: {len(index)} articles, {len(index.vocab)} terms, loaded in {time.perf_counter() - t0:.1f} s)")
    run("lexicon + model + legal retrieval", texts, args.n, config=config, model=model, with_legal=True)
    print(f"peak RSS with the statute index: {peak_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
