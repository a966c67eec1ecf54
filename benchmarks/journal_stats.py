"""Are the journal's trigger statistics honest, and fast? Simulated journals with known truth.

(a) power and coverage: ``--seeds`` 60-night journals in which caffeine after noon truly doubles
    the episode rate (``simulate_journal`` defaults: about 3 episodes a night, negative binomial
    dispersion 0.3, 3% of entries not recorded, about 10 factors tested). Reported: how often the
    trigger is found (verdict ``goes_with_more``, i.e. BH q < 0.05), how often its 95% interval
    covers 2, and both. The same at 90 nights for context.
(b) null: ``--seeds`` journals with no effect at all: the fraction of tested factors flagged
    (target <= 5%), the fraction with raw p < 0.05 (calibration, about 5% expected), and how often
    the trend is called rising or falling.
(c) speed: a 10-year journal (3,650 nights, about 20,000 episodes) analysed and its result
    serialised, against the time to serialise and re-load the same document as JSON in the same
    run (median of ``--repeat``).

Targets: found >= 60% at 60 nights; coverage within 3 simulation standard errors of 95%; null
factors flagged <= 5%; analysis <= 10x the JSON round trip. Exits 1 when one is missed.

Run: python benchmarks/journal_stats.py [--seeds N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time

from sleeptwitch.journal import analyse, simulate_journal, trigger_associations

TRUE_RR = 2.0
TRIGGER = "caffeine_after_noon"
CORRELATED = {"caffeine_after_noon", "caffeine_mg"}  # caffeine_mg truly goes with it


def power(seeds: int, nights: int) -> dict:
    found = covered = both = null_flagged = null_tested = 0
    for seed in range(seeds):
        doc = simulate_journal(nights, effects={TRIGGER: TRUE_RR}, seed=seed)
        factors = {f["name"]: f for f in trigger_associations(doc)["factors"]}
        f = factors[TRIGGER]
        hit = f["verdict"] == "goes_with_more"
        low = f["ci_low"] if f["ci_low"] is not None else math.inf
        high = f["ci_high"] if f["ci_high"] is not None else math.inf
        cover = low <= TRUE_RR <= high
        found, covered, both = found + hit, covered + cover, both + (hit and cover)
        for name, g in factors.items():
            if name not in CORRELATED and g["p"] is not None:
                null_tested += 1
                null_flagged += g["verdict"].startswith("goes_with")
    return {"found": found / seeds, "covered": covered / seeds, "both": both / seeds,
            "null_flagged": null_flagged / max(null_tested, 1)}


def null(seeds: int) -> dict:
    flagged = raw = tested = trend_flagged = 0
    for seed in range(seeds):
        doc = simulate_journal(60, effects={}, seed=100_000 + seed)
        result = analyse(doc)
        for f in result["triggers"]["factors"]:
            if f["p"] is not None:
                tested += 1
                raw += f["p"] < 0.05
                flagged += f["verdict"].startswith("goes_with")
        trend_flagged += result["trend"]["verdict"] in ("rising", "falling")
    return {"flagged": flagged / tested, "raw_p_below_05": raw / tested, "tested": tested,
            "trend_flagged": trend_flagged / seeds}


def speed(repeat: int) -> dict:
    doc = simulate_journal(3650, seed=1, episodes_per_night=5.5)
    episodes = sum(len(n["episodes"]) for n in doc["nights"])
    t0 = time.perf_counter()
    json.dumps(analyse(doc), allow_nan=False)
    first = time.perf_counter() - t0
    base, work = [], []
    for _ in range(repeat):  # interleaved, so both share the machine's noise
        t0 = time.perf_counter()
        json.loads(json.dumps(doc))
        base.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        json.dumps(analyse(doc), allow_nan=False)
        work.append(time.perf_counter() - t0)
    b, w = statistics.median(base), statistics.median(work)
    return {"nights": len(doc["nights"]), "episodes": episodes, "first_call_s": first,
            "json_round_trip_s": b, "analyse_s": w, "ratio": w / b}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    t0 = time.perf_counter()
    s = speed(args.repeat)  # first, so that its first call includes importing statsmodels
    p60, p90, n = power(args.seeds, 60), power(args.seeds, 90), null(args.seeds)
    cover_min = 0.95 - 3 * math.sqrt(0.95 * 0.05 / args.seeds)
    rows = [  # (check, value, target text, met: True/False, or None = context only)
        ("(a) 60 nights, RR 2: trigger found (q < 0.05)", f"{p60['found']:.1%}", ">= 60%",
         p60["found"] >= 0.60),
        ("(a) 60 nights, RR 2: 95% CI covers 2", f"{p60['covered']:.1%}", f">= {cover_min:.1%}",
         p60["covered"] >= cover_min),
        ("(a) 60 nights, RR 2: found and covers 2", f"{p60['both']:.1%}", "", None),
        ("(a) 60 nights: unrelated factors flagged", f"{p60['null_flagged']:.1%}", "", None),
        ("(a) 90 nights, RR 2: trigger found", f"{p90['found']:.1%}", "", None),
        ("(a) 90 nights, RR 2: 95% CI covers 2", f"{p90['covered']:.1%}", "", None),
        ("(b) no effect: factors flagged", f"{n['flagged']:.2%}", "<= 5%", n["flagged"] <= 0.05),
        ("(b) no effect: raw p < 0.05 (calibration)", f"{n['raw_p_below_05']:.1%}", "~5%", None),
        ("(b) no effect: trend called rising/falling", f"{n['trend_flagged']:.1%}", "~5%", None),
        (f"(c) {s['nights']} nights, {s['episodes']} episodes: analyse + serialise",
         f"{s['analyse_s']:.3f} s", "", None),
        ("(c) JSON dump + load of the same document", f"{s['json_round_trip_s']:.3f} s", "", None),
        ("(c) ratio analyse / JSON round trip", f"{s['ratio']:.1f}x", "<= 10x", s["ratio"] <= 10),
        ("(c) first call (statsmodels import included)", f"{s['first_call_s']:.3f} s", "", None),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"journal statistics: {args.seeds} simulated journals per scenario "
          f"({n['tested']} null factor tests)\n")
    print(f"{'check':<{width}}  {'value':>9}  {'target':>8}  result")
    print("-" * (width + 30))
    for check, value, target, met in rows:
        result = "" if met is None else ("ok" if met else "MISSED")
        print(f"{check:<{width}}  {value:>9}  {target:>8}  {result}")
    ok = all(met for *_, met in rows if met is not None)
    print(f"\n{'targets met' if ok else 'TARGETS MISSED'} "
          f"(benchmark ran {time.perf_counter() - t0:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
