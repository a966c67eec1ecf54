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
# Durations compared with the rules' limits are differences of times in seconds: a microsecond
# of slack keeps float rounding (127.5394 + 0.5 - 127.5394 < 0.5) from deciding a limit.
TIME_EPS_S = 1e-6


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
    for col in ("onset", "duration", "side"):
        if col not in lms.columns:
            raise ValueError(f"LM events need a {col!r} column; got columns {list(lms.columns)}")
    bad = ~lms["side"].isin(["left", "right"]).to_numpy(bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"LM side must be 'left' or 'right'; row {row} has "
                         f"{lms['side'].iloc[row]!r}")
    # The LMs as arrays (side 0 = left, 1 = right), sorted by onset, left before right.
    on = lms["onset"].to_numpy(float)
    dur = lms["duration"].to_numpy(float)
    for name, values, ok in (("onset", on, np.isfinite(on)),
                             ("duration", dur, np.isfinite(dur) & (dur >= 0))):
        if not ok.all():
            row = int(np.flatnonzero(~ok)[0])
            raise ValueError(
                f"LM {name} must be a number of seconds{' (0 or more)' * (name == 'duration')}; "
                f"row {row} has {float(values[row])!r}. Every scored LM needs its onset and "
                "duration (the rules judge LMs by how long they last): fill them in or leave "
                "the row out.")
    side = lms["side"].isin(["right"]).to_numpy(bool).astype(np.int8)
    peak = (lms["peak_amplitude_uv"].to_numpy(float) if "peak_amplitude_uv" in lms.columns
            else np.full(len(on), np.nan))
    order = np.lexsort((side, on))
    on, dur, side, peak = on[order], dur[order], side[order], peak[order]

    # 1. LMs by the rule set's duration limits, and same-leg merging (WASM)
    if rs.same_leg_merge_gap_s is not None and len(on):
        parts = []
        for leg in (0, 1):
            mine = side == leg
            grp = _merge_runs(on[mine], on[mine] + dur[mine], rs.same_leg_merge_gap_s)
            m_on, m_dur, m_peak, _ = _merge(on[mine], dur[mine], peak[mine], grp)
            parts.append((m_on, m_dur, m_peak, np.full(len(m_on), leg, dtype=np.int8)))
        on, dur, peak, side = (np.concatenate(a) for a in zip(*parts, strict=True))
        order = np.lexsort((side, on))
        on, dur, side, peak = on[order], dur[order], side[order], peak[order]
    off = on + dur
    keep = dur >= rs.min_duration_s - TIME_EPS_S
    if rs.max_duration_s is not None:
        keep &= dur <= rs.max_duration_s + TIME_EPS_S

    # 2. AASM: LMs near respiratory events are not scored at all
    if rs.respiratory == "exclude":
        keep &= ~_near(on, off, respiratory, rs.respiratory_window[0], rs.respiratory_window[1],
                       anchor="start")
    on, off, side, peak, dur = on[keep], off[keep], side[keep], peak[keep], dur[keep]

    # 3. candidate LMs: bilateral merging
    grp = _merge_runs(on, off, rs.bilateral_gap_s, by_onset=rs.bilateral_merge == "onset")
    c_on, c_dur, c_peak, first = _merge(on, dur, peak, grp)
    c_off = c_on + c_dur
    c_n = np.diff(np.append(first, len(on))).astype(int)
    if first.size:
        bilateral = np.minimum.reduceat(side, first) != np.maximum.reduceat(side, first)
        c_side = np.where(bilateral, "bilateral", np.where(side[first] == 1, "right", "left"))
    else:
        bilateral, c_side = np.zeros(0, dtype=bool), np.zeros(0, dtype="<U9")
    long_enough = c_dur >= rs.min_duration_s - TIME_EPS_S
    clm = long_enough & (c_dur <= rs.clm_max_duration_s + TIME_EPS_S)
    if rs.clm_max_duration_bilateral_s is not None:
        clm = np.where(bilateral, long_enough
                       & (c_dur <= rs.clm_max_duration_bilateral_s + TIME_EPS_S)
                       & (c_n <= rs.clm_max_lms_bilateral), clm)

    # 4. respiratory (WASM flag) and arousal association, stages
    if rs.respiratory == "flag":
        resp = _near(c_on, c_off, respiratory, *rs.respiratory_window)
    else:
        resp = np.zeros(len(c_on), dtype=bool)
    arousal = _near(c_on, c_off, arousals, -rs.arousal_gap_s, rs.arousal_gap_s, anchor="start")
    c_stage = _stage_at(c_on, hypnogram)

    # 5. PLM series (all CLMs) and PLMnr series (rCLMs break and do not count)
    series_id = _series(c_on, clm, rs)
    in_series = series_id >= 0
    in_nr_series = _series(c_on, clm & ~resp, rs) >= 0
    imi = np.concatenate(([np.nan], np.diff(c_on))) if len(c_on) else np.zeros(0)

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
    asleep = np.isin(c_stage, SLEEP_STAGES) if hypnogram is not None else \
        np.ones(len(c_on), dtype=bool)
    awake = c_stage == "W"
    lm_stage = _stage_at(on, hypnogram)
    lm_asleep = np.isin(lm_stage, SLEEP_STAGES) if hypnogram is not None else \
        np.ones(len(on), dtype=bool)

    def per(count: float, hours: float) -> float | None:
        return round(count / hours, 2) if hours > 0 else None

    sleep_imi = imi[asleep & clm][1:]
    indices = {
        "total_sleep_time_h": round(tst_h, 3),
        "wake_time_h": round(wake_h, 3),
        "n_lm": int(len(on)),
        "n_clm": int(clm.sum()),
        "n_plm": int(in_series.sum()),
        "n_plms": int((in_series & asleep).sum()),
        "n_plms_nr": int((in_nr_series & asleep).sum()),
        "n_plmw": int((in_series & awake).sum()),
        "n_series": int(series_id.max() + 1) if len(c_on) else 0,
        "lm_index": per(lm_asleep.sum(), tst_h),
        "clm_index": per((clm & asleep).sum(), tst_h),
        "plms_index": per((in_series & asleep).sum(), tst_h),
        "plms_nr_index": per((in_nr_series & asleep).sum(), tst_h),
        "plmw_index": per((in_series & awake).sum(), wake_h),
        "rclm_index": per((resp & asleep).sum(), tst_h),
        "plm_arousal_index": per((in_series & asleep & arousal).sum(), tst_h),
        "periodicity_index": _periodicity(sleep_imi, rs),
    }
    hist = np.histogram(sleep_imi[np.isfinite(sleep_imi)], bins=IMI_BINS_S)[0]
    imi_hist = pd.DataFrame({"imi_from_s": IMI_BINS_S[:-1], "imi_to_s": IMI_BINS_S[1:],
                             "count": hist})
    # One row per LM (carrying its candidate's flags), then one per candidate.
    n_lm, n_cand = len(on), len(c_on)
    rows = {
        "onset": np.concatenate((on, c_on)), "duration": np.concatenate((dur, c_dur)),
        "type": np.concatenate((np.full(n_lm, "lm", dtype=object),
                                np.where(clm, "clm", "non_clm").astype(object))),
        "side": np.concatenate((np.where(side == 1, "right", "left"), c_side)).astype(object),
        "stage": np.concatenate((lm_stage, c_stage)),
        "peak_amplitude_uv": np.concatenate((peak, c_peak)),
        "candidate_id": np.concatenate((grp, np.arange(n_cand))),
        "n_lms": np.concatenate((np.ones(n_lm, dtype=int), c_n)),
        "is_clm": np.concatenate((clm[grp], clm)),
        "in_plm_series": np.concatenate((in_series[grp], in_series)),
        "in_plm_nr_series": np.concatenate((in_nr_series[grp], in_nr_series)),
        "series_id": np.concatenate((series_id[grp], series_id)),
        "respiratory_related": np.concatenate((resp[grp], resp)),
        "arousal_related": np.concatenate((arousal[grp], arousal)),
        "imi_s": np.concatenate((np.full(n_lm, np.nan), imi)),
    }
    # by onset, then type (clm < lm < non_clm); a stable sort keeps LMs before candidates
    rank = np.concatenate((np.ones(n_lm, dtype=np.int8), np.where(clm, 0, 2).astype(np.int8)))
    order = np.lexsort((rank, rows["onset"]))
    events = pd.DataFrame({c: rows[c][order] for c in EVENT_COLUMNS})
    params = {"rules": rs.id, "rules_version": rs.version, "rule_set": rs.as_dict(),
              "version": __version__}
    return PlmScoring(events, indices, params, imi_hist, tuple(warnings),
                      None if hypnogram is None else np.asarray(hypnogram))


def _merge(on: np.ndarray, dur: np.ndarray, peak: np.ndarray,
           grp: np.ndarray) -> tuple[np.ndarray, ...]:
    """Events (sorted by onset) merged by their group ids (non-decreasing): onset, duration (the
    original one for an event left alone), peak (NaN only when all are NaN) of each group, and
    the index of its first event."""
    if len(grp) == 0:
        return on[:0], dur[:0], peak[:0], np.zeros(0, dtype=int)
    first = np.flatnonzero(np.diff(grp, prepend=-1))
    m_on = np.minimum.reduceat(on, first)
    m_end = np.maximum.reduceat(on + dur, first)
    alone = np.diff(np.append(first, len(on))) == 1
    m_dur = np.where(alone, dur[first], m_end - m_on)
    return m_on, m_dur, np.fmax.reduceat(peak, first), first


def _periodicity(imi: np.ndarray, rs: RuleSet) -> float | None:
    imi = imi[np.isfinite(imi)]
    if imi.size == 0:
        return None
    ok = (imi >= 10) & (imi <= 90)
    padded = np.concatenate(([False], ok, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    lengths = edges[1::2] - edges[::2]
    return round(float(lengths[lengths >= 3].sum() / imi.size), 3)
