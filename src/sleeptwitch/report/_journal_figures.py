"""Figures of a sleep journal: episodes per night, timing, trigger associations, sleep.

Every function takes pieces of :func:`sleeptwitch.journal.analyse` output and returns a
``matplotlib.figure.Figure`` built without pyplot, so no global figure state is created or leaked.
Long journals are aggregated by week (more than ``WEEKLY_AFTER_NIGHTS`` calendar nights), which
keeps ten years of nights fast to draw and readable on one page.

A night "with no record" is a calendar night of the period that is not in the journal, or one
whose episode count was not recorded; it is drawn hatched, never as a zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plot_episodes_per_night", "plot_episode_timing", "plot_trigger_forest",
           "plot_sleep_over_time", "factor_label", "rate_ratio_text", "TIMING_LABELS",
           "WEEKLY_AFTER_NIGHTS"]

WEEKLY_AFTER_NIGHTS = 120
FIG_WIDTH_IN = 7.2
TIMING_LABELS = {"sleep_onset": "falling asleep", "later_in_night": "later in the night",
                 "waking_up": "waking up", "awake": "while awake",
                 "unknown": "time not known"}
VERDICT_COLORS = {"goes_with_more": "#b03a2e", "goes_with_fewer": "#1f5f99",
                  "no_clear_link": "#555555"}
_BAR = "#8fb3d9"
_BAR_WOKE = "#1f4e79"
_LINE = "#d35400"
_NO_RECORD = "#b8b8b8"


def factor_label(factor: Mapping[str, Any]) -> str:
    """A readable name for a factor row: ``caffeine mg (per 100 mg)``, ``medication: x``."""
    name = str(factor["name"])
    if name.startswith("medication:"):
        label = "medication: " + name.split(":", 1)[1]
    else:
        label = name.replace("_", " ")
        for suffix in (" mg", " min", " drinks"):
            if label.endswith(suffix):
                label = label[: -len(suffix)]
    if factor.get("kind") == "numeric" and factor.get("unit"):
        unit = factor["unit"]
        label += f" (per {unit})" if unit != "1" else " (per unit)"
    return label


def _figure(height_in: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(FIG_WIDTH_IN, height_in), layout="constrained", dpi=100)
    fig.get_layout_engine().set(h_pad=0.04, w_pad=0.04)
    return fig


def _calendar(per_night: Sequence[Mapping[str, Any]], start: str | None,
              end: str | None) -> pd.DataFrame:
    """One row per calendar night of the period; NaN where nothing was recorded."""
    columns = ["episodes", "episodes_woke", "sleep_efficiency", "quality"]
    frame = pd.DataFrame.from_records(list(per_night), columns=["date", *columns])
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    frame = frame.set_index("date")[columns].astype(float)
    first = pd.Timestamp(start) if start else (frame.index.min() if len(frame) else None)
    last = pd.Timestamp(end) if end else (frame.index.max() if len(frame) else None)
    if first is None or last is None or last < first:
        return frame.iloc[0:0]
    return frame.reindex(pd.date_range(first, last, freq="D", name="date"))


def _weekly(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean per recorded night in each Monday-to-Sunday week; NaN for a week with no record."""
    weekly = frame.resample("W-SUN", label="left", closed="left").mean()
    weekly.index = weekly.index + pd.Timedelta(days=1)  # label = the week's Monday
    return weekly


def _date_axis(ax) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(labelsize=8)


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)


def _bars(ax, left: np.ndarray, bottom: np.ndarray, top: np.ndarray, width: float,
          color: str) -> None:
    """Bars as one collection: thousands of them draw as fast as one artist."""
    from matplotlib.collections import PolyCollection

    keep = top > bottom
    left, bottom, top = left[keep], bottom[keep], top[keep]
    right = left + width
    verts = np.stack([np.column_stack([left, bottom]), np.column_stack([right, bottom]),
                      np.column_stack([right, top]), np.column_stack([left, top])], axis=1)
    ax.add_collection(PolyCollection(verts, facecolors=color, edgecolors="none",
                                     linewidths=0, antialiaseds=False), autolim=True)


def plot_episodes_per_night(per_night: Sequence[Mapping[str, Any]], *, start: str | None = None,
                            end: str | None = None, title: str | None = None):
    """Bars of episodes per night (the part that woke the person darker), a rolling mean line,
    hollow markers for recorded zero nights and hatched columns for nights with no record.

    ``per_night`` is ``analyse(document)["per_night"]``; ``start``/``end`` (``YYYY-MM-DD``)
    extend the calendar so nights missing at either end show as "no record". Above
    ``WEEKLY_AFTER_NIGHTS`` calendar nights each bar is a week's mean per recorded night and the
    line a rolling 4-week mean.
    """
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    frame = _calendar(per_night, start, end)
    fig = _figure(2.9)
    ax = fig.subplots()
    _style(ax)
    weekly = len(frame) > WEEKLY_AFTER_NIGHTS
    if weekly:
        data = _weekly(frame)
        width, window, line_label = 7.0, 4, "rolling 4-week mean"
        bar_label = "episodes per night (weekly mean)"
    else:
        data = frame
        width, window, line_label = 1.0, 7, "rolling 7-night mean"
        bar_label = "episodes"
    count = data["episodes"].to_numpy()
    woke = np.minimum(np.nan_to_num(data["episodes_woke"].to_numpy()), np.nan_to_num(count))
    x = mdates.date2num(data.index.to_numpy()) + (0.0 if weekly else 0.0)
    recorded = np.isfinite(count)
    top = float(np.nanmax(count)) if recorded.any() else 0.0
    ymax = max(top * 1.12, 1.0)
    handles = []
    if recorded.any():
        # gaps between bars only while a bar is wider than a few pixels
        fill = 0.85 if len(x) <= 150 else 1.0
        left = x[recorded] - (0.0 if weekly else width * fill / 2)
        _bars(ax, left, woke[recorded], count[recorded], width * fill, _BAR)
        _bars(ax, left, np.zeros(left.size), woke[recorded], width * fill, _BAR_WOKE)
        handles += [Patch(color=_BAR, label=bar_label),
                    Patch(color=_BAR_WOKE, label="that woke them")]
    zero = recorded & (count == 0)
    if zero.any():
        zx = x[zero] + (width * 0.425 if weekly else 0.0)
        ax.plot(zx, np.zeros(zx.size), linestyle="none", marker="o", markersize=3.2,
                markerfacecolor="white", markeredgecolor=_BAR_WOKE, markeredgewidth=0.8,
                clip_on=False, zorder=3, label="recorded 0")
        handles.append(ax.lines[-1])
    missing = ~recorded
    if missing.any():
        ax.bar(x[missing], ymax, width=width, align="edge" if weekly else "center",
               facecolor="none", edgecolor=_NO_RECORD, hatch="////", linewidth=0, zorder=0)
        handles.append(Patch(facecolor="white", edgecolor=_NO_RECORD, hatch="////",
                             label="no record"))
    if recorded.sum() >= 2:
        mean = data["episodes"].rolling(window, min_periods=max(2, window // 2)).mean()
        mx = x + (width / 2 if weekly else 0.0)
        ax.plot(mx, mean.to_numpy(), color=_LINE, linewidth=1.6, label=line_label)
        handles.append(ax.lines[-1])
    ax.set_ylim(0, ymax)
    if len(x):
        pad = width if weekly else 0.6
        ax.set_xlim(x.min() - pad, x.max() + pad + (width if weekly else 0.0))
    ax.set_ylabel("episodes per night", fontsize=8.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    _date_axis(ax)
    nights = int(recorded.sum()) if not weekly else int(np.isfinite(frame["episodes"]).sum())
    ax.set_title(title or f"Episodes per night ({nights} nights with a count"
                 f"{', weekly means' if weekly else ''})", loc="left", fontsize=10)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.13), ncol=5,
              fontsize=7.5, frameon=False, handlelength=1.4, columnspacing=1.2)
    return fig


def plot_episode_timing(timing: Mapping[str, int], *, title: str | None = None):
    """Horizontal bars: how many episodes fell in each part of the night (``analyse`` timing)."""
    keys = list(TIMING_LABELS)
    counts = np.array([int(timing.get(k, 0) or 0) for k in keys], dtype=float)
    total = counts.sum()
    fig = _figure(2.1)
    ax = fig.subplots()
    _style(ax)
    y = np.arange(len(keys))[::-1]
    colors = ["#1f4e79", "#2e75b6", "#5b9bd5", "#9dc3e6", _NO_RECORD]
    ax.barh(y, counts, color=colors, height=0.65)
    ax.set_yticks(y, [TIMING_LABELS[k] for k in keys], fontsize=8.5)
    right = max(float(counts.max()) if total else 1.0, 1.0)
    for yi, c in zip(y, counts, strict=True):
        share = f"{100 * c / total:.0f}%" if total else "-"
        ax.text(c + right * 0.01, yi, f"{int(c)}  ({share})", va="center", fontsize=8)
    ax.set_xlim(0, right * 1.18)
    ax.set_xlabel("episodes", fontsize=8.5)
    ax.set_title(title or f"When the episodes happened ({int(total)} episodes)", loc="left",
                 fontsize=10)
    return fig


def _fmt_rr(v: float | None) -> str:
    if v is None:
        return "∞"
    if v == 0:
        return "0"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def rate_ratio_text(factor: Mapping[str, Any]) -> str:
    """``2.52 (1.70–3.73)``; an unbounded end is ``∞``."""
    rr, lo, hi = factor.get("rate_ratio"), factor.get("ci_low"), factor.get("ci_high")
    head = "-" if rr is None and factor.get("reason") != "separation_high" else _fmt_rr(rr)
    return f"{head} ({_fmt_rr(lo)}–{_fmt_rr(hi)})"


def plot_trigger_forest(factors: Sequence[Mapping[str, Any]], *, title: str | None = None):
    """Rate ratios with 95% intervals on a log axis, a reference line at 1, colour by verdict.

    ``factors`` is ``analyse(document)["triggers"]["factors"]``. Factors without an estimate
    (``not_enough_data``) are listed under the plot, not drawn. An interval that is unbounded
    (every episode on the nights with, or without, the factor) ends in an arrow at the axis edge.
    """
    from matplotlib.lines import Line2D

    shown = [f for f in factors if f.get("verdict") != "not_enough_data"
             and (f.get("ci_low") is not None or f.get("ci_high") is not None)]
    hidden = [factor_label(f) for f in factors if f not in shown]
    n = len(shown)
    fig = _figure(1.3 + 0.27 * max(n, 1) + (0.15 if hidden else 0.0))
    ax = fig.subplots()
    _style(ax)
    ax.spines["left"].set_visible(False)
    ax.set_xscale("log")
    finite = [v for f in shown for v in (f.get("ci_low"), f.get("ci_high"), f.get("rate_ratio"))
              if v is not None and v > 0 and math.isfinite(v)]
    lo = min([*finite, 0.5]) / 1.4
    hi = max([*finite, 2.0]) * 1.4
    ax.set_xlim(lo, hi)
    y = np.arange(n)[::-1]
    for yi, f in zip(y, shown, strict=True):
        color = VERDICT_COLORS.get(f.get("verdict"), "#555555")
        rr, cl, ch = f.get("rate_ratio"), f.get("ci_low"), f.get("ci_high")
        left = cl if cl not in (None, 0) else lo
        right = ch if ch is not None else hi
        ax.plot([left, right], [yi, yi], color=color, linewidth=1.6, solid_capstyle="butt")
        if ch is None:
            ax.annotate("", xy=(hi, yi), xytext=(left, yi), annotation_clip=False,
                        arrowprops={"arrowstyle": "->", "color": color, "lw": 1.6})
        if cl in (None, 0):
            ax.annotate("", xy=(lo, yi), xytext=(right, yi), annotation_clip=False,
                        arrowprops={"arrowstyle": "->", "color": color, "lw": 1.6})
        if rr not in (None, 0):
            ax.plot([rr], [yi], marker="s", color=color, markersize=5.5)
    ax.axvline(1.0, color="black", linewidth=0.8, zorder=0)
    ax.set_ylim(-0.7, max(n, 1) - 0.3)
    ax.set_yticks(y, [f"{factor_label(f)}  ({f.get('n_with', 0)}/{f.get('n_without', 0)})"
                      for f in shown], fontsize=8)
    ax.tick_params(axis="y", length=0)
    right_ax = ax.twinx()
    right_ax.set_ylim(ax.get_ylim())
    right_ax.set_yticks(y, [rate_ratio_text(f) for f in shown], fontsize=8)
    right_ax.tick_params(axis="y", length=0)
    right_ax.spines[["top", "right", "left"]].set_visible(False)
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
             if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    xlabel = "rate ratio, episodes per hour in bed (log scale); left: nights with / without"
    if hidden:
        listed = ", ".join(hidden)
        if len(listed) > 110:
            listed = listed[:107].rsplit(",", 1)[0] + ", …"
        xlabel += f"\nnot enough data, not plotted: {listed}"
    ax.set_xlabel(xlabel, fontsize=8, loc="left")
    fig.suptitle(title or "Possible triggers: rate ratio with 95% interval", x=0.01, ha="left",
                 fontsize=10)
    handles = [Line2D([], [], color=c, marker="s", linewidth=1.6, markersize=5,
                      label=v.replace("_", " ")) for v, c in VERDICT_COLORS.items()]
    right_ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3,
                    fontsize=7.5, frameon=False, borderaxespad=0.2, handlelength=1.6)
    if not shown:
        ax.set_yticks([])
        right_ax.set_yticks([])
        ax.text(0.5, 0.5, "no factor with an estimate", transform=ax.transAxes, ha="center",
                va="center", fontsize=9, color="0.4")
    return fig


def plot_sleep_over_time(per_night: Sequence[Mapping[str, Any]], *, start: str | None = None,
                         end: str | None = None, title: str | None = None):
    """Sleep efficiency (%) and quality (1-5) over the period: points per night (weekly means
    above ``WEEKLY_AFTER_NIGHTS`` nights) with a rolling mean line; gaps where not recorded."""
    import matplotlib.dates as mdates

    frame = _calendar(per_night, start, end)
    weekly = len(frame) > WEEKLY_AFTER_NIGHTS
    data = _weekly(frame) if weekly else frame
    window = 4 if weekly else 7
    offset = 3.5 if weekly else 0.0
    fig = _figure(3.3)
    ax_e, ax_q = fig.subplots(2, 1, sharex=True)
    x = mdates.date2num(data.index.to_numpy()) + offset
    series = (("sleep_efficiency", ax_e, 100.0, "efficiency %"),
              ("quality", ax_q, 1.0, "quality (1-5)"))
    for column, ax, scale, label in series:
        _style(ax)
        v = data[column].to_numpy() * scale
        ax.plot(x, v, linestyle="none", marker="o", markersize=2.4 if not weekly else 1.6,
                color=_BAR)
        mean = (data[column] * scale).rolling(window, min_periods=max(2, window // 2)).mean()
        ax.plot(x, mean.to_numpy(), color=_LINE, linewidth=1.4)
        ax.set_ylabel(label, fontsize=8.5)
    ax_q.set_ylim(0.6, 5.4)
    ax_q.set_yticks([1, 2, 3, 4, 5])
    eff = data["sleep_efficiency"].to_numpy() * 100
    low = np.nanmin(eff) if np.isfinite(eff).any() else 70.0
    ax_e.set_ylim(max(0.0, min(low, 85.0) - 5), 100.5)
    if len(x):
        ax_q.set_xlim(x.min() - 1, x.max() + 1)
    _date_axis(ax_q)
    what = "weekly means, " if weekly else ""
    ax_e.set_title(title or f"Sleep efficiency and quality ({what}line: rolling "
                   f"{'4-week' if weekly else '7-night'} mean)", loc="left", fontsize=10)
    return fig
