"""From per-leg LMs to candidate LMs, PLM series and indices, under a named rule set.

Works the same whether the LMs come from the detector or from a human scorer's annotations.
Definitions that the standards leave open are fixed here and documented:

- Series are found over the whole recording (sleep and wake alike); PLMS are series members in
  sleep, PLMW members in wake.
- WASM: a series ends at an IMI below ``imi_min_s`` or above ``imi_max_s``, or at a non-CLM.
  For PLMnr, respiratory-related CLMs (rCLM) are treated like non-CLMs: they end a series and
  are not counted.
- AASM: LMs within 0.5 s of a respiratory event are not scored at all (removed), as the rule says.
- Periodicity index (Ferri): the share of sleep IMIs that are 10-90 s long and lie in runs of
  at least three consecutive such IMIs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ._rules import RuleSet, load_rules

__all__ = ["PlmScoring", "score_leg_movements", "SLEEP_STAGES", "EVENT_COLUMNS"]

SLEEP_STAGES = ("N1", "N2", "N3", "R")
EPOCH_S = 30.0
EVENT_COLUMNS = ["onset", "duration", "type", "side", "stage", "peak_amplitude_uv",
                 "candidate_id", "n_lms", "is_clm", "in_plm_series", "in_plm_nr_series",
                 "series_id", "respiratory_related", "arousal_related", "imi_s"]
IMI_BINS_S = np.arange(0, 92, 2.0)


@dataclass(frozen=True)
class PlmScoring:
    """Scored leg movements: ``.events`` (BIDS events table), ``.summary()``, ``.params``."""

    events: pd.DataFrame
    indices: dict[str, Any]
    params: dict[str, Any]
    imi_histogram: pd.DataFrame
    warnings: tuple[str, ...] = ()
    hypnogram: np.ndarray | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        return {**self.indices, "rules": self.params["rules"],
                "rules_version": self.params["rules_version"],
                "sleeptwitch_version": __version__, "warnings": list(self.warnings)}


def _stage_at(times: np.ndarray, hypno: np.ndarray | None) -> np.ndarray:
    if hypno is None:
        return np.full(len(times), "?", dtype=object)
    idx = np.floor(np.asarray(times) / EPOCH_S).astype(int)
    inside = (idx >= 0) & (idx < len(hypno))
    out = np.full(len(times), "?", dtype=object)
    out[inside] = hypno[idx[inside]]
    return out


def _merge_runs(onset: np.ndarray, offset: np.ndarray, gap: float, by_onset: bool = False
                ) -> np.ndarray:
    """Group ids for time-sorted events: a new group starts when the event is ``gap`` or more
    after the group so far (offset-to-onset), or, with ``by_onset``, when its onset is ``gap`` or
    more after the group's first onset."""
    if len(onset) == 0:
        return np.zeros(0, dtype=int)
    if by_onset:
        group = np.zeros(len(onset), dtype=int)
        start = onset[0]
        for i in range(1, len(onset)):  # per event, not per sample
            if onset[i] - start >= gap:
                group[i] = group[i - 1] + 1
                start = onset[i]
            else:
                group[i] = group[i - 1]
        return group
    running_end = np.maximum.accumulate(offset)
    new = np.concatenate(([True], onset[1:] - running_end[:-1] >= gap))
    return np.cumsum(new) - 1


def _series(onsets: np.ndarray, usable: np.ndarray, rs: RuleSet) -> np.ndarray:
    """Series id for each candidate (-1 when not in a PLM series)."""
    n = len(onsets)
    out = np.full(n, -1)
    if n == 0:
        return out
    imi = np.diff(onsets)
    link = (imi >= rs.imi_min_s) & (imi <= rs.imi_max_s) & usable[1:] & usable[:-1]
    # runs of linked pairs: a run of k links joins k+1 candidates
    padded = np.concatenate(([False], link, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    sid = 0
    for a, b in zip(edges[::2], edges[1::2], strict=True):  # per series
        if b - a + 1 >= rs.plm_min_count:
            out[a: b + 1] = sid
            sid += 1
    return out


def _near(starts: np.ndarray, ends: np.ndarray, ev: pd.DataFrame | None, lo: float, hi: float,
          *, anchor: str = "end") -> np.ndarray:
    """True where [start, end] overlaps [anchor+lo, anchor+hi] of any event in ``ev``."""
    if ev is None or len(ev) == 0 or len(starts) == 0:
        return np.zeros(len(starts), dtype=bool)
    ev_on = ev["onset"].to_numpy(float)
    ev_end = ev_on + ev["duration"].to_numpy(float)
    w_lo = (ev_end if anchor == "end" else ev_on) + lo
    w_hi = ev_end + hi
    order = np.argsort(w_lo)
    w_lo, w_hi = w_lo[order], np.maximum.accumulate(w_hi[order])
    # the last window starting before each event's end; overlapping if it ends after its start
    k = np.searchsorted(w_lo, ends, side="right") - 1
    return (k >= 0) & (w_hi[np.clip(k, 0, None)] >= starts)


def score_leg_movements(lms: pd.DataFrame, *, rules: str | RuleSet = "wasm2016",
                        hypnogram: np.ndarray | None = None, duration_s: float | None = None,
                        respiratory: pd.DataFrame | None = None,
                        arousals: pd.DataFrame | None = None,
                        missing_s: float = 0.0) -> PlmScoring:
    """Score per-leg LMs into candidate LMs, PLM series and indices.

    Parameters
    ----------
    lms : DataFrame
        One row per LM on one leg: ``onset``, ``duration`` (s), ``side`` ('left' | 'right'),
        optionally ``peak_amplitude_uv``.
    rules : {'wasm2016', 'aasm'} or RuleSet
    hypnogram : array of str, optional
        One stage per 30-s epoch ('W', 'N1', 'N2', 'N3', 'R', '?'). Without it, the whole
        recording counts as sleep and the summary says so.
    duration_s : float, optional
        Recording length; needed without a hypnogram.
    respiratory, arousals : DataFrame, optional
        Events with ``onset`` and ``duration``.
    missing_s : float
        Seconds of missing signal, left out of the time base when there is no hypnogram.
    """
    rs = load_rules(rules)
    warnings: list[str] = []
    lms = lms.copy()
    for col in ("onset", "duration", "side"):
        if col not in lms.columns:
            raise ValueError(f"LM events need a {col!r} column; got columns {list(lms.columns)}")
    bad = ~lms["side"].isin(["left", "right"])
    if bad.any():
        raise ValueError(f"LM side must be 'left' or 'right'; row {int(np.flatnonzero(bad)[0])} "
                         f"has {lms['side'][bad].iloc[0]!r}")
    if "peak_amplitude_uv" not in lms.columns:
        lms["peak_amplitude_uv"] = np.nan
    lms = lms.sort_values(["onset", "side"], kind="stable").reset_index(drop=True)

    # 1. LMs by the rule set's duration limits, and same-leg merging (WASM)
    if rs.same_leg_merge_gap_s is not None and len(lms):
        parts = []
        for side, g in lms.groupby("side", sort=True):
            g = g.sort_values("onset")
            on, off = g["onset"].to_numpy(), (g["onset"] + g["duration"]).to_numpy()
            grp = _merge_runs(on, off, rs.same_leg_merge_gap_s)
            merged = pd.DataFrame({"onset": pd.Series(on).groupby(grp).min(),
                                   "offset": pd.Series(off).groupby(grp).max(),
                                   "peak_amplitude_uv": pd.Series(
                                       g["peak_amplitude_uv"].to_numpy()).groupby(grp).max()})
            merged["side"] = side
            parts.append(merged)
        lms = pd.concat(parts, ignore_index=True)
        lms["duration"] = lms.pop("offset") - lms["onset"]
        lms = lms.sort_values(["onset", "side"], kind="stable").reset_index(drop=True)
    keep = lms["duration"] >= rs.min_duration_s
    if rs.max_duration_s is not None:
        keep &= lms["duration"] <= rs.max_duration_s
    lms = lms[keep].reset_index(drop=True)

    # 2. AASM: LMs near respiratory events are not scored at all
    if rs.respiratory == "exclude":
        near = _near(lms["onset"].to_numpy(), (lms["onset"] + lms["duration"]).to_numpy(),
                     respiratory, rs.respiratory_window[0], rs.respiratory_window[1],
                     anchor="start")
        lms = lms[~near].reset_index(drop=True)

    # 3. candidate LMs: bilateral merging
    on = lms["onset"].to_numpy(float)
    off = on + lms["duration"].to_numpy(float)
    grp = _merge_runs(on, off, rs.bilateral_gap_s, by_onset=rs.bilateral_merge == "onset")
    lms["candidate_id"] = grp
    g = lms.groupby("candidate_id", sort=True)
    cand = pd.DataFrame({
        "onset": g["onset"].min(),
        "offset": (lms["onset"] + lms["duration"]).groupby(lms["candidate_id"]).max(),
        "n_lms": g.size(),
        "n_sides": g["side"].nunique(),
        "first_side": g["side"].first(),
        "peak_amplitude_uv": g["peak_amplitude_uv"].max(),
    }) if len(lms) else pd.DataFrame(columns=["onset", "offset", "n_lms", "n_sides",
                                              "first_side", "peak_amplitude_uv"])
    cand["duration"] = cand["offset"] - cand["onset"]
    bilateral = cand["n_sides"] > 1
    cand["side"] = np.where(bilateral, "bilateral", cand["first_side"])
    is_clm = (cand["duration"] >= rs.min_duration_s) & (cand["duration"] <= rs.clm_max_duration_s)
    if rs.clm_max_duration_bilateral_s is not None:
        is_clm = np.where(bilateral, (cand["duration"] >= rs.min_duration_s)
                          & (cand["duration"] <= rs.clm_max_duration_bilateral_s)
                          & (cand["n_lms"] <= rs.clm_max_lms_bilateral), is_clm)
    cand["is_clm"] = np.asarray(is_clm, dtype=bool)
    c_on, c_off = cand["onset"].to_numpy(float), cand["offset"].to_numpy(float)

    # 4. respiratory (WASM flag) and arousal association, stages
    if rs.respiratory == "flag":
        cand["respiratory_related"] = _near(c_on, c_off, respiratory, *rs.respiratory_window)
    else:
        cand["respiratory_related"] = False
    cand["arousal_related"] = _near(c_on, c_off, arousals, -rs.arousal_gap_s, rs.arousal_gap_s,
                                    anchor="start")
    cand["stage"] = _stage_at(c_on, hypnogram)

    # 5. PLM series (all CLMs) and PLMnr series (rCLMs break and do not count)
    clm = cand["is_clm"].to_numpy(bool)
    cand["series_id"] = _series(c_on, clm, rs)
    cand["in_plm_series"] = cand["series_id"] >= 0
    cand["in_plm_nr_series"] = _series(c_on, clm & ~cand["respiratory_related"].to_numpy(bool),
                                       rs) >= 0
    cand["imi_s"] = np.concatenate(([np.nan], np.diff(c_on))) if len(c_on) else []

    # 6. time base and indices
    if hypnogram is not None:
        hyp = np.asarray(hypnogram)
        tst_h = np.isin(hyp, SLEEP_STAGES).sum() * EPOCH_S / 3600
        wake_h = (hyp == "W").sum() * EPOCH_S / 3600
    else:
        if duration_s is None:
            raise ValueError("without a hypnogram, give duration_s (the recording length)")
        tst_h = max(0.0, duration_s - missing_s) / 3600
        wake_h = 0.0
        warnings.append("no sleep staging: the whole recording counts as sleep, so the indices "
                        "are per hour of recording (PLMS ~ PLM) and PLMW is not computed")
    asleep = np.isin(cand["stage"].to_numpy(), SLEEP_STAGES) if hypnogram is not None else \
        np.ones(len(cand), dtype=bool)
    awake = cand["stage"].to_numpy() == "W"
    lm_stage = _stage_at(lms["onset"].to_numpy(float), hypnogram)
    lm_asleep = np.isin(lm_stage, SLEEP_STAGES) if hypnogram is not None else \
        np.ones(len(lms), dtype=bool)

    def per(count: float, hours: float) -> float | None:
        return round(count / hours, 2) if hours > 0 else None

    in_series = cand["in_plm_series"].to_numpy(bool)
    sleep_imi = cand["imi_s"].to_numpy(float)[asleep & clm][1:] if len(cand) else np.array([])
    indices = {
        "total_sleep_time_h": round(tst_h, 3),
        "wake_time_h": round(wake_h, 3),
        "n_lm": int(len(lms)),
        "n_clm": int(clm.sum()),
        "n_plm": int(in_series.sum()),
        "n_plms": int((in_series & asleep).sum()),
        "n_plms_nr": int((cand["in_plm_nr_series"].to_numpy(bool) & asleep).sum()),
        "n_plmw": int((in_series & awake).sum()),
        "n_series": int(cand["series_id"].max() + 1) if len(cand) else 0,
        "lm_index": per(lm_asleep.sum(), tst_h),
        "clm_index": per((clm & asleep).sum(), tst_h),
        "plms_index": per((in_series & asleep).sum(), tst_h),
        "plms_nr_index": per((cand["in_plm_nr_series"].to_numpy(bool) & asleep).sum(), tst_h),
        "plmw_index": per((in_series & awake).sum(), wake_h),
        "rclm_index": per((cand["respiratory_related"].to_numpy(bool) & asleep).sum(), tst_h),
        "plm_arousal_index": per((in_series & asleep
                                  & cand["arousal_related"].to_numpy(bool)).sum(), tst_h),
        "periodicity_index": _periodicity(sleep_imi, rs),
    }
    hist = np.histogram(sleep_imi[np.isfinite(sleep_imi)], bins=IMI_BINS_S)[0]
    imi_hist = pd.DataFrame({"imi_from_s": IMI_BINS_S[:-1], "imi_to_s": IMI_BINS_S[1:],
                             "count": hist})
    events = _events_table(lms, cand, lm_stage)
    params = {"rules": rs.id, "rules_version": rs.version, "rule_set": rs.as_dict(),
              "version": __version__}
    return PlmScoring(events, indices, params, imi_hist, tuple(warnings),
                      None if hypnogram is None else np.asarray(hypnogram))


def _periodicity(imi: np.ndarray, rs: RuleSet) -> float | None:
    imi = imi[np.isfinite(imi)]
    if imi.size == 0:
        return None
    ok = (imi >= 10) & (imi <= 90)
    padded = np.concatenate(([False], ok, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    lengths = edges[1::2] - edges[::2]
    return round(float(lengths[lengths >= 3].sum() / imi.size), 3)


def _events_table(lms: pd.DataFrame, cand: pd.DataFrame, lm_stage: np.ndarray) -> pd.DataFrame:
    per_lm = cand.reindex(lms["candidate_id"]).reset_index(drop=True) if len(lms) else cand
    lm_rows = pd.DataFrame({
        "onset": lms["onset"].to_numpy(float), "duration": lms["duration"].to_numpy(float),
        "type": "lm", "side": lms["side"].to_numpy(), "stage": lm_stage,
        "peak_amplitude_uv": lms["peak_amplitude_uv"].to_numpy(float),
        "candidate_id": lms["candidate_id"].to_numpy(int), "n_lms": 1,
        "is_clm": per_lm["is_clm"].to_numpy(bool) if len(lms) else [],
        "in_plm_series": per_lm["in_plm_series"].to_numpy(bool) if len(lms) else [],
        "in_plm_nr_series": per_lm["in_plm_nr_series"].to_numpy(bool) if len(lms) else [],
        "series_id": per_lm["series_id"].to_numpy(int) if len(lms) else [],
        "respiratory_related": per_lm["respiratory_related"].to_numpy(bool) if len(lms) else [],
        "arousal_related": per_lm["arousal_related"].to_numpy(bool) if len(lms) else [],
        "imi_s": np.nan,
    })
    cand_rows = pd.DataFrame({
        "onset": cand["onset"].to_numpy(float), "duration": cand["duration"].to_numpy(float),
        "type": np.where(cand["is_clm"].to_numpy(bool), "clm", "non_clm"),
        "side": cand["side"].to_numpy(), "stage": cand["stage"].to_numpy(),
        "peak_amplitude_uv": cand["peak_amplitude_uv"].to_numpy(float),
        "candidate_id": cand.index.to_numpy(int), "n_lms": cand["n_lms"].to_numpy(int),
        "is_clm": cand["is_clm"].to_numpy(bool),
        "in_plm_series": cand["in_plm_series"].to_numpy(bool),
        "in_plm_nr_series": cand["in_plm_nr_series"].to_numpy(bool),
        "series_id": cand["series_id"].to_numpy(int),
        "respiratory_related": cand["respiratory_related"].to_numpy(bool),
        "arousal_related": cand["arousal_related"].to_numpy(bool),
        "imi_s": cand["imi_s"].to_numpy(float),
    })
    events = pd.concat([lm_rows, cand_rows], ignore_index=True)
    events = events.sort_values(["onset", "type"], kind="stable").reset_index(drop=True)
    return events[EVENT_COLUMNS]
