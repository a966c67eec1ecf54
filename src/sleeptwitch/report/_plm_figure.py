"""The one-page figure of a scored night, for a technologist to check: hypnogram (and whether it
was estimated), LM raster per leg with channel names and unscorable time, IMI histogram, a few
raw EMG excerpts with the detected LMs drawn on them, and the warnings."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plot_leg_movements"]

_STAGE_Y = {"W": 4, "R": 3, "N1": 2, "N2": 1, "N3": 0}
EXCERPT_S = 12.0
N_EXCERPTS = 3
MAX_WARNINGS = 6


def _excerpt_times(lm: pd.DataFrame, n: int) -> list[float]:
    """Centres of up to ``n`` excerpts: LMs spread over the night (first, middle, last of
    those in PLM series if any, else of all LMs)."""
    if lm.empty:
        return []
    pool = lm[lm["in_plm_series"].astype(bool)] if lm["in_plm_series"].astype(bool).any() else lm
    on = np.sort(pool["onset"].to_numpy(float))
    picks = np.unique(np.linspace(0, len(on) - 1, min(n, len(on))).round().astype(int))
    return [float(on[i]) + 1.0 for i in picks]


def _draw_excerpt(ax: Any, centre: float, legs: Mapping[str, Mapping[str, Any]],
                  lm: pd.DataFrame) -> None:
    t0 = max(0.0, centre - EXCERPT_S / 2)
    offsets = {"left": 1.0, "right": 0.0}
    scale = 1.0
    traces = {}
    for side, leg in legs.items():
        sf = float(leg["sf"])
        a, b = int(t0 * sf), int((t0 + EXCERPT_S) * sf)
        x = np.asarray(leg["data"][a:b], dtype=float)
        if x.size == 0:
            continue
        x = x - np.nanmedian(x)
        traces[side] = (t0 + np.arange(x.size) / sf, x)
        scale = max(scale, float(np.nanpercentile(np.abs(x), 99.5)) if np.isfinite(x).any()
                    else 1.0)
    for side, (t, x) in traces.items():
        ax.plot(t, offsets[side] + 0.45 * x / scale, color="k", lw=0.4)
        mine = lm[(lm["side"] == side) & (lm["onset"] < t0 + EXCERPT_S)
                  & (lm["onset"] + lm["duration"] > t0)]
        for on, dur in zip(mine["onset"], mine["duration"], strict=True):   # a few LMs
            ax.axvspan(on, on + dur, ymin=(offsets[side] + 0.05) / 2,
                       ymax=(offsets[side] + 0.95) / 2, color="tab:red", alpha=0.25, lw=0)
    ax.set_ylim(-0.5, 1.5)
    ax.set_yticks([1.0, 0.0], [legs[s]["channel"] for s in ("left", "right") if s in legs]
                  if len(legs) == 2 else [])
    ax.set_xlim(t0, t0 + EXCERPT_S)
    ax.set_xlabel(f"s  (raw EMG, ±{scale:.0f} uV full scale)", fontsize=7)
    ax.tick_params(labelsize=7)


def plot_leg_movements(scoring: Any, *, title: str = "", duration_s: float | None = None,
                       legs: Mapping[str, Mapping[str, Any]] | None = None,
                       warnings: Sequence[str] = (), stages_estimated: bool = False,
                       hypnogram: Any = None):
    """Return a matplotlib Figure of a :class:`~sleeptwitch.scoring.PlmScoring`.

    ``legs`` maps 'left' / 'right' to ``{"channel", "data" (µV), "sf", "unscorable"
    (DataFrame of onset, duration, reason)}``: with it the figure names the channels, shades the
    unscorable stretches and shows raw EMG excerpts with the detected LMs. ``hypnogram`` is
    the stages as scored (before unscorable epochs were left out); ``warnings`` are printed
    under the plots."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    n_ex = N_EXCERPTS if legs else 0
    fig = Figure(figsize=(11, 9.5 if legs else 6.5), layout="constrained")
    mosaic = [["hyp"] * max(n_ex, 1), ["raster"] * max(n_ex, 1), ["imi"] * max(n_ex, 1)]
    ratios = [1.1, 1.3, 1.2]
    if n_ex:
        mosaic.append([f"ex{i}" for i in range(n_ex)])
        ratios.append(1.5)
    mosaic.append(["text"] * max(n_ex, 1))
    ratios.append(0.9)
    axes = fig.subplot_mosaic(mosaic, height_ratios=ratios)
    ax_h, ax_r, ax_i = axes["hyp"], axes["raster"], axes["imi"]
    ev: pd.DataFrame = scoring.events
    hyp = scoring.hypnogram if hypnogram is None else np.asarray(hypnogram)
    hours = (duration_s or (len(hyp) * 30 if hyp is not None else
                            (ev["onset"] + ev["duration"]).max() if len(ev) else 0)) / 3600
    if hyp is not None:
        y = np.array([_STAGE_Y.get(s, np.nan) for s in hyp], dtype=float)
        t = np.arange(len(hyp)) * 30 / 3600
        ax_h.step(t, y, where="post", color="tab:purple" if stages_estimated else "k", lw=0.8)
        ax_h.set_yticks(list(_STAGE_Y.values()), list(_STAGE_Y))
        if stages_estimated:
            ax_h.text(0.99, 0.95, "stages ESTIMATED automatically (yasa), not scored",
                      ha="right", va="top", transform=ax_h.transAxes, color="tab:purple",
                      fontsize=8)
    else:
        ax_h.text(0.5, 0.5, "no sleep staging: whole recording scored", ha="center",
                  va="center", transform=ax_h.transAxes)
        ax_h.set_yticks([])
    ax_h.set_title(title or "Leg movements", loc="left")
    ax_h.set_xlim(0, max(hours, 1e-3))
    lm = ev[ev["type"] == "lm"]
    labels = []
    for row, side in enumerate(("left", "right")):
        sel = lm[lm["side"] == side]
        plm = sel["in_plm_series"].to_numpy(bool)
        t = sel["onset"].to_numpy() / 3600
        ax_r.vlines(t[~plm], row + 0.1, row + 0.9, color="0.55", lw=0.6)
        ax_r.vlines(t[plm], row + 0.1, row + 0.9, color="tab:red", lw=0.8)
        label = side
        if legs and side in legs:
            bad = legs[side].get("unscorable")
            minutes = 0.0
            if bad is not None and len(bad):
                for on, dur in zip(bad["onset"], bad["duration"], strict=True):
                    ax_r.axvspan(on / 3600, (on + dur) / 3600, ymin=row / 2 + 0.02,
                                 ymax=(row + 1) / 2 - 0.02, color="0.8", lw=0, zorder=0)
                minutes = float(bad["duration"].sum()) / 60
            label = f"{side}: {legs[side]['channel']}\n{minutes:.0f} min unscorable"
        labels.append(label)
    ax_r.set_yticks([0.5, 1.5], labels, fontsize=8)
    ax_r.set_ylim(0, 2)
    ax_r.set_xlim(0, max(hours, 1e-3))
    ax_r.set_xlabel("hours from start  (red: in a PLM series; grey band: unscorable)")
    hist = scoring.imi_histogram
    ax_i.bar(hist["imi_from_s"], hist["count"], width=2.0, align="edge", color="tab:blue")
    ax_i.set_xlabel("inter-movement interval in sleep (s)")
    ax_i.set_ylabel("count")
    s = scoring.indices

    def show(value: Any) -> str:
        return "n/a" if value is None else f"{value}"

    ax_i.set_title(f"PLMS index {show(s['plms_index'])}/h  ·  CLM index {show(s['clm_index'])}/h"
                   f"  ·  periodicity {show(s['periodicity_index'])}  ·  rules "
                   f"{scoring.params['rules']}  ·  scorable sleep {s['total_sleep_time_h']} h",
                   loc="left", fontsize=9)
    if n_ex:
        centres = _excerpt_times(lm, n_ex)
        for i in range(n_ex):
            ax = axes[f"ex{i}"]
            if i < len(centres):
                _draw_excerpt(ax, centres[i], legs, lm)
                ax.set_title(f"excerpt at {centres[i] / 3600:.2f} h (red: detected LMs)",
                             fontsize=8, loc="left")
            else:
                ax.axis("off")
    ax_t = axes["text"]
    ax_t.axis("off")
    shown = [textwrap.shorten(w, 190, placeholder=" ...") for w in list(warnings)[:MAX_WARNINGS]]
    more = len(warnings) - len(shown)
    text = "\n".join(f"! {w}" for w in shown) + (f"\n(+{more} more in summary.json)"
                                                   if more > 0 else "")
    ax_t.text(0, 1, text or "no warnings", va="top", ha="left", fontsize=7, wrap=True,
              transform=ax_t.transAxes)
    return fig
