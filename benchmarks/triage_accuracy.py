"""Triage and diagnosis accuracy on the evaluation case sets (benchmarks/cases/*.yaml).

The cases were written independently of the knowledge base, from the source articles and the
clinical-criteria notes. ``dev`` may be used to tune the knowledge; ``heldout`` must not be.

Targets: exact triage >= 85%, safe (exact or one level more cautious) >= 97%, no serious case
(prompt_evaluation or urgent) under-triaged, self-care cases over-triaged <= 15%, the right
condition first >= 72% and in the top three >= 85%.

Run: python benchmarks/triage_accuracy.py [--set dev|heldout|all] [--misses]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from sleeptwitch.triage import evaluate_cases

CASES = Path(__file__).parent / "cases"
TARGETS = {"exact_triage": 0.85, "safe_triage": 0.97, "self_care_over_triaged": 0.15,
           "top1": 0.72, "top3": 0.85}


def load_cases(which: str) -> list[dict]:
    names = ["dev", "heldout"] if which == "all" else [which]
    return [case for name in names for case in yaml.safe_load((CASES / f"{name}.yaml").read_text())]


def meets_targets(report) -> bool:
    return (report.exact_triage >= TARGETS["exact_triage"]
            and report.safe_triage >= TARGETS["safe_triage"]
            and report.under_triaged_serious == 0
            and report.self_care_over_triaged <= TARGETS["self_care_over_triaged"]
            and report.top1 >= TARGETS["top1"] and report.top3 >= TARGETS["top3"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="all", choices=["dev", "heldout", "all"])
    parser.add_argument("--misses", action="store_true", help="list the cases that missed")
    args = parser.parse_args()
    sets = ["dev", "heldout"] if args.set == "all" else [args.set]
    ok = True
    for name in sets:
        report = evaluate_cases(load_cases(name))
        print(name, json.dumps(report.as_dict()))
        ok &= meets_targets(report)
        if args.misses:
            for miss in report.misses:
                print("  miss", json.dumps(miss))
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
