"""Throughput, latency and memory of the triage engine in one process.

    .venv/bin/python bench/bench_triage.py [--n 3000] [--features auto|char1+lex|…]

Workload: the team's evaluation set (yimen/triage/data/evalset.csv), cycled. Three warm runs:
lexicon only without legal retrieval, lexicon + learned model without legal retrieval, and the full
suggestion with legal retrieval over the national statute library. The model is trained as `yimen
triage train` does (features and lexicon weight chosen by cross-validation), in a child process;
`--features` passes one feature set to `train` instead, to measure a model another ledger would choose
(on a foreign ledger, char1+lex).
Then two cold starts: a fresh process that loads the saved model and makes its first suggestion,
without and with legal retrieval (the statute index read from its cache on disk). No database is
used. The statute index is tokenised once and cached under var/triage/cache; the first run ever
pays ~2.5 s (idle).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
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
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork + exec, so a child started by a big
    # parent would report the parent's peak.
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run(name: str, texts: list[str], n: int, **kw) -> dict:
    for t in texts[:50]:  # warm caches (compiled rules, jieba, index) outside the timing
        suggest(t, **kw)
    lat = []
    start = time.perf_counter()
    cpu0 = time.process_time()
    for i in range(n):
        t0 = time.perf_counter()
        suggest(texts[i % len(texts)], **kw)
        lat.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    lat.sort()
    row = {
        "run": name,
        "per_second": n / total,
        # On a machine shared with other work, wall-clock rates fall with the load; per CPU-second
        # is what the engine itself costs.
        "per_cpu_second": n / cpu if cpu > 0 else float("nan"),
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))],
        "peak_mb": peak_mb(),
    }
    print(f"{name:<38} {row['per_second']:>7.0f}/s ({row['per_cpu_second']:>5.0f}/CPU-s)   p50 {row['p50_ms']:6.2f} ms   p99 {row['p99_ms']:6.2f} ms   peak RSS {row['peak_mb']:6.0f} MB")
    return row


def cold_child(model_dir: str, with_legal: bool) -> int:
    """In a fresh process: load the saved model, make one suggestion; print the times as JSON."""
    t0 = time.perf_counter()
    model = TextModel.load(model_dir)
    t1 = time.perf_counter()
    suggest("某工地包工头拖欠34名工人工资共计24万余元，马上过年了，包工头跑路了", model=model, with_legal=with_legal)
    t2 = time.perf_counter()
    print(json.dumps({"load_model_s": t1 - t0, "first_suggestion_s": t2 - t1, "peak_mb": peak_mb()}))
    return 0


def cold_start(model_dir: str, with_legal: bool) -> dict:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--cold-child", model_dir] + (["--legal"] if with_legal else []),
        check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    )
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["process_s"] = time.perf_counter() - t0
    name = "cold start, " + ("with legal retrieval" if with_legal else "no legal retrieval")
    print(
        f"{name:<38} first suggestion {1000 * row['first_suggestion_s']:7.0f} ms (model loaded in {1000 * row['load_model_s']:.0f} ms; "
        f"whole process with imports {row['process_s']:.1f} s)   peak RSS {row['peak_mb']:6.0f} MB"
    )
    return row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000, help="suggestions per run")
    ap.add_argument("--features", default="auto", help="passed to `yimen triage train --features`")
    ap.add_argument("--cold-child", metavar="MODEL_DIR", help=argparse.SUPPRESS)
    ap.add_argument("--legal", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cold_child:
        return cold_child(args.cold_child, args.legal)
    rows = list(csv.DictReader(open(EVALSET, encoding="utf-8")))
    texts = [r["text"] for r in rows]
    config = default_config()
    print(f"workload: {len(texts)} matters from {EVALSET.name}, {args.n} suggestions per run, one process")
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"start: peak RSS {peak_mb():.0f} MB")

    run("lexicon, no legal retrieval", texts, args.n, config=config, model=None, with_legal=False)

    # Train in a child process, as `yimen triage train` would (features and lexicon weight chosen by
    # cross-validation), so that training's memory does not count against the serving process; then
    # load the saved model like a worker does.
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "yimen.triage.cli", "train", "--data", str(EVALSET), "--text-column", "text",
             "--label-column", "category", "--out", tmp, "--features", args.features, "-q"],
            check=True, capture_output=True, cwd=Path(__file__).resolve().parents[1],
        )
        model_dir = next(p for p in Path(tmp).iterdir() if p.is_dir())
        model = TextModel.load(model_dir)
        print(
            f"(trained on the evaluation set in a child process in {time.perf_counter() - t0:.1f} s: features "
            f"{model.meta['features']}, lexicon weight {model.lexicon_weight:g}, "
            f"{'chosen by cross-validation' if args.features == 'auto' else 'features given'}; then loaded it)"
        )
        run("lexicon + model, no legal retrieval", texts, args.n, config=config, model=model, with_legal=False)

        t0 = time.perf_counter()
        index = legal.get_index()
        print(f"(statute index: {len(index)} articles, {len(index.vocab)} terms, loaded in {time.perf_counter() - t0:.1f} s)")
        run("lexicon + model + legal retrieval", texts, args.n, config=config, model=model, with_legal=True)
        print(f"peak RSS with the statute index: {peak_mb():.0f} MB")
        cold_start(str(model_dir), with_legal=False)
        cold_start(str(model_dir), with_legal=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
