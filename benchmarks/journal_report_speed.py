"""Speed of the doctor's report of a long journal, as ratios to baselines from the same run.

A simulated journal of ``--nights`` nights (default 3,650: ten years, about 20,000 episodes) is
analysed and written as HTML and as PDF. Baselines, measured in the same process:

- ``figure``: one matplotlib Figure with a line of one point per night, saved as a 150-dpi PNG
  (the report draws four charts and renders each twice: a fair unit of plotting work);
- ``json``: a JSON round trip (dumps + loads) of the exchange document.

Each step is timed ``--repeat`` times (median); matplotlib, reportlab and the knowledge are
warmed first so that import time is not counted. Target: the whole report (analyse + HTML +
PDF) under 40 figure baselines.

Run: python benchmarks/journal_report_speed.py [--nights N] [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _median_time(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _figure_baseline(nights: int) -> None:
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 2.9), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.arange(nights), np.random.default_rng(0).poisson(3, nights))
    fig.savefig(io.BytesIO(), format="png", dpi=150)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nights", type=int, default=3650)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON line of results")
    args = parser.parse_args()

    from sleeptwitch.journal import analyse, simulate_journal
    from sleeptwitch.knowledge import load_knowledge
    from sleeptwitch.report._journal_report import build_journal_report, write_journal_report

    document = simulate_journal(args.nights, seed=1, episodes_per_night=5.5)
    episodes = sum(len(n["episodes"]) for n in document["nights"])
    knowledge = load_knowledge()
    _figure_baseline(args.nights)  # warm matplotlib
    with tempfile.TemporaryDirectory() as tmp:
        html_path, pdf_path = Path(tmp) / "r.html", Path(tmp) / "r.pdf"
        warm = build_journal_report(simulate_journal(20, seed=2), knowledge=knowledge)
        write_journal_report(warm, pdf_path)   # warm reportlab fonts, Jinja2, matplotlib
        write_journal_report(warm, html_path)

        figure_s = _median_time(lambda: _figure_baseline(args.nights), args.repeat)
        json_s = _median_time(lambda: json.loads(json.dumps(document)), args.repeat)
        analyse_s = _median_time(lambda: analyse(document), args.repeat)
        analysis = analyse(document)
        build_s = _median_time(lambda: build_journal_report(document, analysis,
                                                            knowledge=knowledge), args.repeat)
        report = build_journal_report(document, analysis, knowledge=knowledge)
        html_s = _median_time(lambda: write_journal_report(report, html_path), args.repeat)
        pdf_s = _median_time(lambda: write_journal_report(report, pdf_path), args.repeat)
        sizes = {"html_bytes": html_path.stat().st_size, "pdf_bytes": pdf_path.stat().st_size}
    report_s = analyse_s + build_s + html_s + pdf_s
    result = {"nights": args.nights, "episodes": episodes, "repeat": args.repeat,
              "figure_baseline_s": round(figure_s, 4), "json_baseline_s": round(json_s, 4),
              "analyse_s": round(analyse_s, 3), "build_s": round(build_s, 3),
              "html_s": round(html_s, 3), "pdf_s": round(pdf_s, 3),
              "report_s": round(report_s, 3), "ratio": round(report_s / figure_s, 1),
              "ratio_to_json": round(report_s / json_s, 1), **sizes}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"journal: {args.nights} nights, {episodes} episodes (median of {args.repeat})")
    print(f"baselines: one 150-dpi figure {figure_s:.3f} s; JSON round trip {json_s:.3f} s")
    for step in ("analyse", "build", "html", "pdf"):
        print(f"  {step:8s} {result[step + '_s']:7.3f} s")
    print(f"report (analyse + HTML + PDF): {report_s:.2f} s = {result['ratio']}x the figure "
          f"baseline, {result['ratio_to_json']}x the JSON round trip")
    print(f"sizes: HTML {sizes['html_bytes'] / 1e3:.0f} kB, PDF {sizes['pdf_bytes'] / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
