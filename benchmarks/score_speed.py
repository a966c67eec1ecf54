"""Speed and memory of scoring an 8-hour two-leg 256 Hz night, against baselines measured in the
same run.

- time: ``process_recording`` (no figure) versus just reading the same two leg channels from the
  same EDF (target: under 2x), and seconds per hour of recording for the whole scoring, reading
  included (target: well under 1 s). Both are timed cold (the file evicted from the page cache
  first, as when a recording is scored for the first time) and warm (file already in memory);
  the ratio target is judged on each, and both verdicts are printed. Runs are interleaved
  (read, score, read, score, ...) so that they share the machine's noise; medians are reported,
  with the fastest and slowest run and the load average, since a busy machine moves them.
  Scoring reads and detects the two legs on two threads (the default); the warm time with one
  thread (``parallel_legs=False``) is reported beside it, for machines with a single core;
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
from sleeptwitch.detect import detect_leg_movements
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
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        night = simulate_night(args.hours, seed=3, n_apneas=20)
        path = write_simulated_edf(night, Path(tmp) / "night.edf", extra_channels=16)
        config = ScoreConfig(figure=False)
        process_recording(path, config)  # warm the page cache and imports
        score = lambda p: process_recording(p, config)  # noqa: E731
        serial = ScoreConfig(figure=False, parallel_legs=False)
        score_serial = lambda p: process_recording(p, serial)  # noqa: E731
        times: dict[str, list[float]] = {"read_cold": [], "score_cold": [], "read_warm": [],
                                         "score_warm": [], "score_one_thread_warm": [],
                                         "detect": []}
        for _ in range(args.repeat):  # interleaved, so all share the machine's noise
            for cold in (True, False):
                tag = "cold" if cold else "warm"
                times[f"read_{tag}"].append(timed(read_legs, path, cold))
                times[f"score_{tag}"].append(timed(score, path, cold))
            times["score_one_thread_warm"].append(timed(score_serial, path, False))
        rec = read_legs(path)
        leg_bytes = sum(s.data.nbytes for s in rec.signals.values())
        # Where the time goes: detection alone, on the two legs already in memory.
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            for sig in rec.signals.values():
                detect_leg_movements(sig.data, sig.sf)
            times["detect"].append(time.perf_counter() - t0)
        del rec
        hyp_source = process_recording(path, config).summary["hypnogram_source"]
        tracemalloc.start()
        process_recording(path, config)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size_mb = path.stat().st_size / 1e6
    med = {k: statistics.median(v) for k, v in times.items()}
    report = {
        "recording_h": args.hours, "edf_mb": round(size_mb, 1), "repeats": args.repeat,
        "hypnogram_source": hyp_source,
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "read_two_legs_cold_s": round(med["read_cold"], 3),
        "score_cold_s": round(med["score_cold"], 3),
        "read_two_legs_warm_s": round(med["read_warm"], 3),
        "score_warm_s": round(med["score_warm"], 3),
        "score_one_thread_warm_s": round(med["score_one_thread_warm"], 3),
        "detect_two_legs_s": round(med["detect"], 3),
        "min_max_s": {k: [round(min(v), 3), round(max(v), 3)] for k, v in times.items()},
        "score_ratio_to_read_cold": round(med["score_cold"] / med["read_cold"], 2),
        "score_ratio_to_read_warm": round(med["score_warm"] / med["read_warm"], 2),
        "one_thread_ratio_to_read_warm": round(med["score_one_thread_warm"] / med["read_warm"],
                                               2),
        "cpu_count": os.cpu_count(),
        "target_ratio": 2.0,
        "compute_s_per_hour": round(med["score_warm"] / args.hours, 3),
        "leg_signals_mb": round(leg_bytes / 1e6, 1), "peak_traced_mb": round(peak / 1e6, 1),
        "memory_ratio": round(peak / leg_bytes, 2), "target_memory_ratio": 3.0,
    }
    print(json.dumps(report, indent=2))
    verdicts = {
        "time ratio, cold": report["score_ratio_to_read_cold"] < 2,
        "time ratio, warm": report["score_ratio_to_read_warm"] < 2,
        "compute per hour": report["compute_s_per_hour"] < 1,
        "memory": report["memory_ratio"] < 3,
    }
    for name, ok in verdicts.items():
        print(f"{name}: {'met' if ok else 'MISSED'}")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
