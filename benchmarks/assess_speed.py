"""Speed of assessment, as ratios to baselines measured in the same run.

- ``sleeptwitch assess --answers FILE --format json`` end to end, against ``python -c pass``
  (target: under 10x a bare interpreter start);
- ``assess()`` in process, per call (target: under 1 ms), with a plain-Python baseline
  (``json.dumps`` of the intake) reported alongside.

Run: python benchmarks/assess_speed.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INTAKE = {"age_months": 4, "audience": "parent", "timing": ["asleep"], "stops_when_woken": True,
          "body_parts": ["feet"], "side": "one_side", "pattern": "random_twitches",
          "facial_involvement": False, "developmental_concern": False}


def _time_command(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "intake.json"
        path.write_text(json.dumps(INTAKE))
        # interleave to share the machine's noise between the two measurements
        base, cli = [], []
        for _ in range(args.repeat):
            base.append(_time_command([sys.executable, "-c", "pass"], 1))
            cli.append(_time_command([sys.executable, "-m", "sleeptwitch", "assess", "--answers",
                                      str(path), "--format", "json"], 1))
    base_s, cli_s = statistics.median(base), statistics.median(cli)

    from sleeptwitch.knowledge import load_knowledge
    from sleeptwitch.triage import assess

    knowledge = load_knowledge()
    assess(INTAKE, knowledge)  # warm
    n = 300
    start = time.perf_counter()
    for _ in range(n):
        assess(INTAKE, knowledge)
    per_call = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for _ in range(n):
        json.dumps(INTAKE)
    baseline_call = (time.perf_counter() - start) / n

    report = {
        "python_startup_s": round(base_s, 4),
        "cli_assess_s": round(cli_s, 4),
        "cli_ratio_to_startup": round(cli_s / base_s, 2),
        "cli_target_ratio": 10,
        "assess_call_ms": round(per_call * 1000, 3),
        "assess_target_ms": 1.0,
        "assess_ratio_to_json_dumps": round(per_call / baseline_call, 1),
        "knowledge_items": len(knowledge.raw),
    }
    print(json.dumps(report, indent=2))
    ok = report["cli_ratio_to_startup"] < 10 and report["assess_call_ms"] < 1.0
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
