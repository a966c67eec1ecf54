"""Speed and memory of scoring an 8-hour two-leg 256 Hz night, against baselines measured in the
same run.

- time: ``process_recording`` (no figure) versus just reading the two leg channels from the same
  EDF (target: under 2x), and compute seconds per hour of recording (target: well under 1 s).
  Both are timed cold (the file evicted from the page cache first, as when a recording is scored
  for the first time; the target is judged here) and warm (file already in memory; reported);
- memory: peak traced allocation while scoring versus the size of the two leg signals in
  float64 (target: under 3x).

Run: python benchmarks/score_speed.py [--hours H] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from sleeptwitch.batch import ScoreConfig, process_recording
from sleeptwitch.io import find_leg_channels, read_header, read_recording
from sleeptwitch.simulate import simulate_night, write_simulated_edf


def read_legs(path: Path):
    header = read_header(path)
    left, right = find_leg_channels(header.ch_names)
    return read_recording(path, channels=[left, right])


def evict(path: Path) -> None:
    """Drop the file from the page cache, so the next read comes from disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def timed(fn, path: Path, cold: bool) -> float:
    if cold:
        evict(path)
    t0 = time.perf_counter()
    fn(path)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        night = simulate_night(args.hours, seed=3, n_apneas=20)
        path = write_simulated_edf(night, Path(tmp) / "night.edf", extra_channels=16)
        config = ScoreConfig(figure=False)
        process_recording(path, config)  # warm the page cache and imports
        score = lambda p: process_recording(p, config)  # noqa: E731
        times: dict[str, list[float]] = {"read_cold": [], "score_cold": [], "read_warm": [],
                                         "score_warm": []}
        for _ in range(args.repeat):  # interleaved, so all share the machine's noise
            for cold in (True, False):
                tag = "cold" if cold else "warm"
                times[f"read_{tag}"].append(timed(read_legs, path, cold))
                times[f"score_{tag}"].append(timed(score, path, cold))
        rec = read_legs(path)
        leg_bytes = sum(s.data.nbytes for s in rec.signals.values())
        del rec
        tracemalloc.start()
        process_recording(path, config)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size_mb = path.stat().st_size / 1e6
    med = {k: statistics.median(v) for k, v in times.items()}
    report = {
        "recording_h": args.hours, "edf_mb": round(size_mb, 1),
        "read_two_legs_cold_s": round(med["read_cold"], 3),
        "score_cold_s": round(med["score_cold"], 3),
        "score_ratio_to_read_cold": round(med["score_cold"] / med["read_cold"], 2),
        "read_two_legs_warm_s": round(med["read_warm"], 3),
        "score_warm_s": round(med["score_warm"], 3),
        "score_ratio_to_read_warm": round(med["score_warm"] / med["read_warm"], 2),
        "target_ratio": 2.0,
        "compute_s_per_hour": round((med["score_warm"]) / args.hours, 3),
        "leg_signals_mb": round(leg_bytes / 1e6, 1), "peak_traced_mb": round(peak / 1e6, 1),
        "memory_ratio": round(peak / leg_bytes, 2), "target_memory_ratio": 3.0,
    }
    print(json.dumps(report, indent=2))
    ok = report["score_ratio_to_read_cold"] < 2 and report["memory_ratio"] < 3 and \
        report["compute_s_per_hour"] < 1
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
