"""Triage and diagnosis accuracy on the case sets in benchmarks/cases/.

- ``external/dev.yaml`` and ``external/test.yaml``: real published cases (case reports, teaching
  cases, clinicians' answers to a person's question) collected by a helper who had not read the
  knowledge base or the engine, split once at random (``external/split.py``, seed in the files).
  Tuning looks at ``dev`` only; ``test`` is the figure that counts.
- ``seed/dev.yaml`` and ``seed/heldout.yaml``: the older cases written from the same five articles
  the knowledge was written from (they measure memory more than judgement).

Targets (external test split): acceptable triage >= 90%, safe (not below the lowest acceptable
level) >= 97%, no case that needs prompt_evaluation or urgent below its acceptable levels,
self-care cases over-triaged <= 15%, the right condition first >= 75% and in the top three >= 90%.

Run: python benchmarks/triage_accuracy.py [--set test|dev|seed|all] [--misses]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from sleeptwitch.triage import evaluate_cases

CASES = Path(__file__).parent / "cases"
SETS = {"test": ["external/test.yaml"], "dev": ["external/dev.yaml"],
        "seed": ["seed/dev.yaml", "seed/heldout.yaml"]}
TARGETS = {"acceptable_triage": 0.90, "safe_triage": 0.97, "self_care_over_triaged": 0.15,
           "top1": 0.75, "top3": 0.90}


def load_cases(which: str) -> list[dict]:
    return [case for name in SETS[which]
            for case in yaml.safe_load((CASES / name).read_text(encoding="utf-8"))]


def meets_targets(report) -> bool:
    return (report.acceptable_triage >= TARGETS["acceptable_triage"]
            and report.safe_triage >= TARGETS["safe_triage"]
            and report.under_triaged_serious == 0
            and report.self_care_over_triaged <= TARGETS["self_care_over_triaged"]
            and report.top1 >= TARGETS["top1"] and report.top3 >= TARGETS["top3"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="all", choices=["test", "dev", "seed", "all"])
    parser.add_argument("--misses", action="store_true", help="list the cases that missed")
    args = parser.parse_args()
    sets = ["test", "dev", "seed"] if args.set == "all" else [args.set]
    verdict = {}
    for name in sets:
        report = evaluate_cases(load_cases(name))
        print(name, json.dumps(report.as_dict()))
        verdict[name] = meets_targets(report)
        if args.misses:
            for miss in report.misses:
                print("  miss", json.dumps(miss))
    for name, ok in verdict.items():
        print(f"{name}: {'targets met' if ok else 'TARGETS MISSED'}")
    # The verdict that counts is the external test split's.
    return 0 if verdict.get("test", all(verdict.values())) else 1


if __name__ == "__main__":
    sys.exit(main())
