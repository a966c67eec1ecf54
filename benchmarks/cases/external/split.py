"""Split the external cases once, at random, into dev and test.

The raw files in ``raw/`` are the collecting helper's deliveries, unchanged (the helper had not
read the knowledge base or the engine). Every case is checked against the intake contract; a case
whose intake is not valid is left out and listed in ``rejected.yaml`` with the reason, never
repaired by guessing. The split is stratified by expected triage level so that both halves hold
every level, with a fixed seed; it refuses to run again over an existing split (``--force`` only
to reproduce it byte for byte from the same raw files).

Run: python benchmarks/cases/external/split.py
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from sleeptwitch.triage import IntakeError, parse_intake

HERE = Path(__file__).parent
SEED = 20261204
HEADER = """\
# sleeptwitch external triage cases - {name} split ({n} cases).
# Real published cases found with the search tool by a helper who had not read the knowledge base
# or the engine; split once at random (benchmarks/cases/external/split.py, seed {seed}, stratified
# by expected triage). {use}
"""
USE = {"dev": "Tuning may look at this split.",
       "test": "Never tuned on: this split is only measured."}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    if (HERE / "test.yaml").exists() and not args.force:
        print("the split exists already; it is made once (use --force only to reproduce it)")
        return 2
    cases, rejected = [], []
    for raw in sorted((HERE / "raw").glob("*.yaml")):
        for case in yaml.safe_load(raw.read_text(encoding="utf-8")):
            try:
                parse_intake(case["intake"])
            except (IntakeError, KeyError, TypeError) as exc:
                rejected.append({"id": case.get("id"), "file": raw.name, "reason": str(exc)})
                continue
            cases.append(case)
    by_level: dict[str, list[dict]] = defaultdict(list)
    for case in sorted(cases, key=lambda c: c["id"]):
        by_level[case["expected_triage"]].append(case)
    rng = random.Random(SEED)
    split: dict[str, list[dict]] = {"dev": [], "test": []}
    for level in sorted(by_level):
        group = by_level[level]
        rng.shuffle(group)
        half = len(group) // 2 + (len(group) % 2 if rng.random() < 0.5 else 0)
        split["dev"] += group[:half]
        split["test"] += group[half:]
    for name, part in split.items():
        part.sort(key=lambda c: c["id"])
        text = HEADER.format(name=name, n=len(part), seed=SEED, use=USE[name])
        text += yaml.safe_dump(part, sort_keys=False, allow_unicode=True, width=100)
        (HERE / f"{name}.yaml").write_text(text, encoding="utf-8")
    (HERE / "rejected.yaml").write_text(
        "# Cases left out because their intake does not follow the contract.\n"
        + yaml.safe_dump(rejected, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8")
    print(f"dev {len(split['dev'])}, test {len(split['test'])}, rejected {len(rejected)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
