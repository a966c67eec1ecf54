"""The one-page figure of a scored night: hypnogram, LM raster per leg, IMI histogram."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plot_leg_movements"]

_STAGE_Y = {"W": 4, "R": 3, "N1": 2, "N2": 1, "N3": 0}


def plot_leg_movements(scoring: Any, *, title: str = "", duration_s: float | None = None):
    """Return a matplotlib Figure of a :class:`~sleeptwitch.scoring.PlmScoring`."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 6.5), layout="constrained")
    ax_h, ax_r, ax_i = fig.subplots(3, 1, height_ratios=[1.2, 1.4, 1.4])
    ev: pd.DataFrame = scoring.events
    hyp = scoring.hypnogram
    hours = (duration_s or (len(hyp) * 30 if hyp is not None else
                            (ev["onset"] + ev["duration"]).max() if len(ev) else 0)) / 3600
    if hyp is not None:
        y = np.array([_STAGE_Y.get(s, np.nan) for s in hyp], dtype=float)
        t = np.arange(len(hyp)) * 30 / 3600
        ax_h.step(t, y, where="post", color="k", lw=0.8)
        ax_h.set_yticks(list(_STAGE_Y.values()), list(_STAGE_Y))
    else:
        ax_h.text(0.5, 0.5, "no sleep staging: whole recording scored", ha="center",
                  va="center", transform=ax_h.transAxes)
        ax_h.set_yticks([])
    ax_h.set_title(title or "Leg movements", loc="left")
    ax_h.set_xlim(0, max(hours, 1e-3))
    lm = ev[ev["type"] == "lm"]
    for row, side in enumerate(("left", "right")):
        sel = lm[lm["side"] == side]
        plm = sel["in_plm_series"].to_numpy(bool)
        t = sel["onset"].to_numpy() / 3600
        ax_r.vlines(t[~plm], row + 0.1, row + 0.9, color="0.55", lw=0.6, label=None)
        ax_r.vlines(t[plm], row + 0.1, row + 0.9, color="tab:red", lw=0.8)
    ax_r.set_yticks([0.5, 1.5], ["left", "right"])
    ax_r.set_xlim(0, max(hours, 1e-3))
    ax_r.set_xlabel("hours from start  (red: in a PLM series)")
    hist = scoring.imi_histogram
    ax_i.bar(hist["imi_from_s"], hist["count"], width=2.0, align="edge", color="tab:blue")
    ax_i.set_xlabel("inter-movement interval in sleep (s)")
    ax_i.set_ylabel("count")
    s = scoring.indices
    ax_i.set_title(f"PLMS index {s['plms_index']}/h  ·  CLM index {s['clm_index']}/h  ·  "
                   f"periodicity {s['periodicity_index']}  ·  rules {scoring.params['rules']}",
                   loc="left", fontsize=9)
    return fig
