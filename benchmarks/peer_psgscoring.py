"""sleeptwitch and psgscoring side by side on the same simulated nights (issue 10, part 6).

psgscoring (PyPI, BSD-3-Clause; install with ``pip install 'sleeptwitch[peer]'``) is an open
PSG scorer with an AASM leg-movement detector. For every scenario of the simulator, one EDF+
file is written and both tools score it in the same run:

- sleeptwitch: ``process_recording`` on the file (reading included), under ``--rules``.
- psgscoring: the file's leg channels read with ``sleeptwitch.io.read_recording`` (reading
  included in its time), then ``psgscoring.plm.analyze_plm`` with its shipped defaults and
  ``leg_unit="uV"``, the true hypnogram and the true respiratory events. Its per-leg LMs come from
  ``psgscoring.plm._detect_lm_channel``, the per-leg step that ``analyze_plm`` runs first (a
  private function: ``analyze_plm`` returns only merged, sleep, non-respiratory movements). Where
  the legs have different rates, ``analyze_plm`` (one rate for both) gets the right leg
  resampled to the left leg's rate.

Both go through the same evaluator (``lm_accuracy.evaluate``): LM F1 on per-leg LMs, false LMs
per hour, and PLMS index error against the true LMs scored by sleeptwitch's rules —
``--rules`` for sleeptwitch, ``aasm`` for psgscoring (which implements AASM), each with the
truth's unscorable time left out of total sleep time. ``plms_from_lms_error`` scores each
tool's per-leg LMs with the same sleeptwitch rules (``--rules``), to separate detection from
rule differences.

Run: python benchmarks/peer_psgscoring.py [--hours H] [--seeds N] [--scenarios a,b,...]
                                          [--rules wasm2016|aasm] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lm_accuracy import (  # noqa: E402  (a sibling script, not a package)
    evaluate,
    make_night,
    score_sleeptwitch,
    sleep_seconds_in,
    truth_indices,
)
from sleeptwitch import io  # noqa: E402
from sleeptwitch.scoring import score_leg_movements  # noqa: E402
from sleeptwitch.simulate import SCENARIOS, unscorable_intervals  # noqa: E402


def _psgscoring():
    try:
        import psgscoring
        from psgscoring import plm
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("This benchmark needs psgscoring: pip install 'sleeptwitch[peer]' "
                          "(or pip install psgscoring).") from exc
    return psgscoring, plm


def score_psgscoring(path: Path, night) -> tuple[pd.DataFrame, float | None, float, dict]:
    """Per-leg LMs, PLMS index and wall time (reading included) of psgscoring."""
    _, plm = _psgscoring()
    t0 = time.perf_counter()
    rec = io.read_recording(path)
    left, right = rec.signals["Leg L"], rec.signals["Leg R"]
    legs = []
    for side, sig in (("left", left), ("right", right)):
        found = plm._detect_lm_channel(np.nan_to_num(sig.data), sig.sf, unit="uV")
        legs.append(pd.DataFrame({"onset": [e["onset_s"] for e in found],
                                  "duration": [e["duration_s"] for e in found],
                                  "side": side}))
    r_data = np.nan_to_num(right.data)
    if right.sf != left.sf:
        ratio = Fraction(left.sf / right.sf).limit_denominator(1000)
        from scipy.signal import resample_poly
        r_data = resample_poly(r_data, ratio.numerator, ratio.denominator)
    resp = [{"onset_s": float(o), "duration_s": float(d)}
            for o, d in zip(night.respiratory["onset"], night.respiratory["duration"],
                            strict=True)]
    out = plm.analyze_plm(np.nan_to_num(left.data), r_data, left.sf, list(night.hypnogram),
                          resp_events=resp, leg_unit="uV", event_list_cap=None)
    seconds = time.perf_counter() - t0
    lms = pd.concat(legs, ignore_index=True).astype({"onset": float, "duration": float})
    index = out["summary"].get("plm_index") if out.get("success") else None
    return lms, index, seconds, out


def plms_from_lms(night, lms: pd.DataFrame, rules: str) -> float | None:
    """PLMS index that sleeptwitch's rules give for a detector's per-leg LMs, with the truth's
    unscorable time left out (the same time base as the truth's)."""
    if not len(lms):
        return 0.0
    ind = score_leg_movements(lms[["onset", "duration", "side"]], rules=rules,
                              hypnogram=night.hypnogram,
                              respiratory=night.respiratory[["onset", "duration"]],
                              arousals=night.arousals[["onset", "duration"]]).indices
    scorable_h = (float(ind["total_sleep_time_h"])
                  - sleep_seconds_in(unscorable_intervals(night), night.hypnogram) / 3600)
    return int(ind["n_plms"]) / scorable_h if scorable_h > 0 else None


def run_scenario(tmp: Path, name: str, hours: float, seed: int, rules: str) -> list[dict]:
    night, path = make_night(tmp, name, hours, seed)
    rows = []
    truth_same = truth_indices(night, rules)
    st_lms, summary, st_s = score_sleeptwitch(path, rules)
    ps_lms, ps_index, ps_s, _ = score_psgscoring(path, night)
    for tool, lms, index, truth, seconds in (
            ("sleeptwitch", st_lms, summary.get("plms_index"), truth_same, st_s),
            ("psgscoring", ps_lms, ps_index, truth_indices(night, "aasm"), ps_s)):
        row = {"scenario": name, "seed": seed, "tool": tool,
               **evaluate(night, lms, index, truth), "seconds": round(seconds, 2)}
        own = plms_from_lms(night, lms, rules)
        ref = truth_same["plms_index"]
        row["plms_from_lms_error"] = (None if own is None or ref is None
                                      else round(own - ref, 2))
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--rules", default="wasm2016", choices=("wasm2016", "aasm"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    psgscoring, _ = _psgscoring()
    logging.getLogger("sleeptwitch").setLevel(logging.ERROR)
    logging.getLogger("psgscoring").setLevel(logging.ERROR)
    names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            for name in names:
                rows += run_scenario(Path(tmp), name, args.hours, seed, args.rules)
                print(f"{name} seed {seed} done", file=sys.stderr)
    table = pd.DataFrame(rows)
    for col in ("f1", "false_lm_per_h", "plms_index", "plms_index_truth", "plms_index_error",
                "plms_from_lms_error"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
    cols = ["scenario", "seed", "tool", "f1", "precision", "recall", "false_lm_per_h",
            "plms_index", "plms_index_truth", "plms_index_error", "plms_from_lms_error",
            "seconds"]
    print(f"psgscoring {getattr(psgscoring, '__version__', '?')}; sleeptwitch rules "
          f"{args.rules}; {args.hours:g} h per night")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table[cols].to_string(index=False))
    # Who is ahead per scenario: F1 (higher) and |PLMS index error| (lower), means over seeds.
    ahead = []
    for name, grp in table.groupby("scenario", sort=False):
        by = grp.groupby("tool")
        f1 = by["f1"].mean()
        err = by["plms_index_error"].apply(lambda s: s.abs().mean())
        fp = by["false_lm_per_h"].mean()
        ahead.append({"scenario": name, "scorable": bool(grp["plms_index_truth"].notna().any()),
                      "f1_sleeptwitch": f1.get("sleeptwitch"), "f1_psgscoring": f1.get(
                          "psgscoring"),
                      "abs_err_sleeptwitch": err.get("sleeptwitch"),
                      "abs_err_psgscoring": err.get("psgscoring"),
                      "false_h_sleeptwitch": fp.get("sleeptwitch"),
                      "false_h_psgscoring": fp.get("psgscoring")})
    summary = pd.DataFrame(ahead)

    def better(a, b, higher):
        if pd.isna(a) and pd.isna(b):
            return None
        if pd.isna(b):
            return True
        if pd.isna(a):
            return False
        return a >= b if higher else a <= b

    # Without true LMs (noise scenarios) or with a wholly unscorable night (31.25-uV steps,
    # white noise) F1 means nothing: fewer LMs per hour (false ones) is ahead.
    summary["sleeptwitch_ahead_f1"] = [
        better(a, b, True) if ok and not (pd.isna(a) and pd.isna(b)) else better(c, d, False)
        for a, b, c, d, ok in zip(summary["f1_sleeptwitch"], summary["f1_psgscoring"],
                                  summary["false_h_sleeptwitch"], summary["false_h_psgscoring"],
                                  summary["scorable"], strict=True)]
    summary["sleeptwitch_ahead_index"] = [better(a, b, False) for a, b in
                                          zip(summary["abs_err_sleeptwitch"],
                                              summary["abs_err_psgscoring"], strict=True)]
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(summary.to_string(index=False))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    behind = summary[(summary["sleeptwitch_ahead_f1"] == False)  # noqa: E712
                     | (summary["sleeptwitch_ahead_index"] == False)]["scenario"].tolist()  # noqa: E712
    print("sleeptwitch ahead (or level) on every scenario" if not behind
          else f"sleeptwitch BEHIND on: {', '.join(behind)}")
    return 0 if not behind else 1


if __name__ == "__main__":
    sys.exit(main())
