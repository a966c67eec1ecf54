"""From per-leg LMs to candidate LMs, PLM series and indices, under a named rule set.

Works the same whether the LMs come from the detector or from a human scorer's annotations.
The WASM 2016 rules agree with PLMScoRe (the reference R implementation by a WASM co-author)
candidate by candidate; ``tests/test_plmscore.py`` checks that on simulated nights and
``docs/plmscore.md`` describes how. Definitions the standards leave open are fixed here:

- Series are found over the whole recording (sleep and wake alike); PLMS are series members in
  sleep, PLMW members in wake. A candidate's stage is the stage at its onset.
- WASM: a bilateral candidate is a non-CLM when it lasts over 15 s, joins more than 4 LMs or has
  an LM over 10 s; a one-leg candidate when it lasts over 10 s. A series ends at an IMI below
  ``imi_min_s`` or above ``imi_max_s``, or at a non-CLM. Respiratory-related CLMs (rCLM) count
  for PLM; for PLMnr they are taken out of the sequence and the IMIs recomputed, so an rCLM does
  not end a series (a respiratory non-CLM still does, as every non-CLM).
- AASM: each leg's LM lasts 0.5-10 s (a longer one is not an LM, and ends nothing). An LM and an
  LM of the other leg with onsets under 5 s apart count as one movement; a second LM of the same
  leg is not absorbed. The combined movement has no length limit, so every counted movement is a
  candidate. A movement (as counted) overlapping a respiratory event widened by 0.5 s on both
  sides is not scored at all.
- Every limit is decided on the times as written, not by float rounding: durations, gaps,
  IMIs and windows are compared with a microsecond of slack (``TIME_EPS_S``) on the side the
  rule's words put the limit ("less than 0.5 s apart" excludes 0.5 s; "10-90 s" includes both).
  So decisions do not change when the whole night is shifted in time. PLMScoRe compares raw
  doubles; the two differ only where a time sits exactly on a limit (``docs/plmscore.md``).
- Periodicity index (Ferri): the share of sleep IMIs that are 10-90 s long and lie in runs of
  at least three consecutive such IMIs.

Summary counts (``PlmScoring.indices``; indices are per hour of total sleep time, counting
events with onset in N1, N2, N3 or R):

- ``n_lm`` / ``lm_index``: single-leg LMs as the rule set scores them (WASM: after joining a
  leg's LMs less than 0.5 s apart, at least 0.5 s long; AASM: 0.5-10 s, not excluded as
  respiratory). A bilateral movement counts twice, once per leg.
- ``n_candidate_lm`` / ``candidate_lm_index``: movements after joining the two legs (candidate
  LMs, CLMs and non-CLMs alike). A bilateral movement counts once.
- ``n_clm`` / ``clm_index``: candidates that qualify for series (rCLMs included);
  ``rclm_index``: respiratory-related CLMs (WASM only).
- ``n_plms`` / ``plms_index``, ``n_plms_nr`` / ``plms_nr_index``, ``n_plmw`` / ``plmw_index``
  (per hour of wake), ``n_plm`` (sleep and wake), ``n_series``, ``plm_arousal_index``,
  ``periodicity_index``, ``total_sleep_time_h``, ``wake_time_h``.
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
    """Scored leg movements: ``.events`` (BIDS events table), ``.summary()``, ``.params``.

    ``.indices`` holds the counts and indices listed in this module's docstring (also in
    ``docs/plmscore.md``): ``lm_index`` counts one-leg LMs, ``candidate_lm_index`` movements
    after joining the legs.
    """

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


def _merge_gap(onset: np.ndarray, offset: np.ndarray, gap: float) -> np.ndarray:
    """Group ids for events sorted by onset: an event joins the group so far when its onset is
    less than ``gap`` after the group's latest offset (or before it)."""
    if len(onset) == 0:
        return np.zeros(0, dtype=int)
    running_end = np.maximum.accumulate(offset)
    new = np.concatenate(([True], onset[1:] - running_end[:-1] >= gap - TIME_EPS_S))
    return np.cumsum(new) - 1


def _pair_legs(onset: np.ndarray, side: np.ndarray, gap: float) -> np.ndarray:
    """Group ids for LMs sorted by onset (AASM): an LM joins the movement being built when its
    onset is less than ``gap`` after the movement's first onset and the movement has no LM of
    its leg yet; otherwise it starts a new movement."""
    group = np.zeros(len(onset), dtype=int)
    if len(onset) == 0:
        return group
    start, legs = onset[0], {int(side[0])}
    for i in range(1, len(onset)):  # per event, not per sample
        if onset[i] - start < gap - TIME_EPS_S and int(side[i]) not in legs:
            group[i] = group[i - 1]
            legs.add(int(side[i]))
        else:
            group[i] = group[i - 1] + 1
            start, legs = onset[i], {int(side[i])}
    return group


def _series(onsets: np.ndarray, usable: np.ndarray, rs: RuleSet) -> np.ndarray:
    """Series id for each candidate (-1 when not in a PLM series)."""
    n = len(onsets)
    out = np.full(n, -1)
    if n == 0:
        return out
    imi = np.diff(onsets)
    link = ((imi >= rs.imi_min_s - TIME_EPS_S) & (imi <= rs.imi_max_s + TIME_EPS_S)
            & usable[1:] & usable[:-1])
    # runs of linked pairs: a run of k links joins k+1 candidates
    padded = np.concatenate(([False], link, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    sid = 0
    for a, b in zip(edges[::2], edges[1::2], strict=True):  # per series
        if b - a + 1 >= rs.plm_min_count:
            out[a: b + 1] = sid
            sid += 1
    return out


def _series_of(onsets: np.ndarray, clm: np.ndarray, in_sequence: np.ndarray,
               rs: RuleSet) -> np.ndarray:
    """Series ids (-1: none) when only the candidates ``in_sequence`` make up the sequence (the
    others are taken out and the IMIs recomputed without them)."""
    out = np.full(len(onsets), -1)
    out[in_sequence] = _series(onsets[in_sequence], clm[in_sequence], rs)
    return out


def _within(values: np.ndarray, limit: float | None) -> np.ndarray:
    """``values <= limit`` with a microsecond of slack; everything when there is no limit."""
    if limit is None:
        return np.ones(len(values), dtype=bool)
    return values <= limit + TIME_EPS_S


def _near(starts: np.ndarray, ends: np.ndarray, ev: pd.DataFrame | None, lo: float, hi: float,
          *, anchor: str = "end") -> np.ndarray:
    """True where [start, end] overlaps [anchor+lo, end+hi] of any event in ``ev`` (closed
    intervals; ``anchor`` is the event's ``'start'`` or ``'end'``)."""
    if ev is None or len(ev) == 0 or len(starts) == 0:
        return np.zeros(len(starts), dtype=bool)
    ev_on = ev["onset"].to_numpy(float)
    ev_end = ev_on + ev["duration"].to_numpy(float)
    w_lo = (ev_end if anchor == "end" else ev_on) + lo
    w_hi = ev_end + hi
    order = np.argsort(w_lo)
    w_lo, w_hi = w_lo[order], np.maximum.accumulate(w_hi[order])
    # the last window starting before each event's end; overlapping if it ends after its start
    k = np.searchsorted(w_lo, ends + TIME_EPS_S, side="right") - 1
    return (k >= 0) & (w_hi[np.clip(k, 0, None)] >= starts - TIME_EPS_S)


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

    # 1. same-leg joining (WASM), then each leg's LM by the rule set's duration limits
    off = on + dur
    if rs.same_leg_merge_gap_s is not None and len(on):
        parts = []
        for leg in (0, 1):
            mine = side == leg
            grp = _merge_gap(on[mine], off[mine], rs.same_leg_merge_gap_s)
            m_on, m_off, m_peak, first = _merge(on[mine], off[mine], peak[mine], grp)
            m_dur = _durations(m_on, m_off, dur[mine], first,
                               np.diff(np.append(first, mine.sum())))
            parts.append((m_on, m_off, m_dur, m_peak, np.full(len(m_on), leg, dtype=np.int8)))
        on, off, dur, peak, side = (np.concatenate(a) for a in zip(*parts, strict=True))
        order = np.lexsort((side, on))
        on, off, dur, side, peak = on[order], off[order], dur[order], side[order], peak[order]
    keep = dur >= rs.min_duration_s - TIME_EPS_S
    if rs.max_duration_s is not None:
        keep &= dur <= rs.max_duration_s + TIME_EPS_S
    on, off, dur, side, peak = on[keep], off[keep], dur[keep], side[keep], peak[keep]

    # 2. candidate LMs: joining the legs
    if rs.bilateral_merge == "onset":
        grp = _pair_legs(on, side, rs.bilateral_gap_s)
    else:
        grp = _merge_gap(on, off, rs.bilateral_gap_s)
    c_on, c_off, c_peak, first = _merge(on, off, peak, grp)
    c_n = np.diff(np.append(first, len(on))).astype(int)

    # 3. AASM: a movement (as counted) near a respiratory event is not scored at all
    if rs.respiratory == "exclude" and len(c_on):
        scored = ~_near(c_on, c_off, respiratory, rs.respiratory_window[0],
                        rs.respiratory_window[1], anchor="start")
        lm_scored = scored[grp]
        on, off, dur, side, peak = (a[lm_scored] for a in (on, off, dur, side, peak))
        grp = np.cumsum(scored)[grp[lm_scored]] - 1
        c_on, c_off, c_peak, first, c_n = (a[scored] for a in (c_on, c_off, c_peak, first, c_n))
        first = np.append(0, np.cumsum(c_n)[:-1]).astype(int) if len(c_n) else first
    c_dur = _durations(c_on, c_off, dur, first, c_n)

    # 4. which candidates qualify for series (CLM)
    if first.size:
        bilateral = np.minimum.reduceat(side, first) != np.maximum.reduceat(side, first)
        c_side = np.where(bilateral, "bilateral", np.where(side[first] == 1, "right", "left"))
        longest_lm = np.maximum.reduceat(dur, first)
    else:
        bilateral, c_side = np.zeros(0, dtype=bool), np.zeros(0, dtype="<U9")
        longest_lm = np.zeros(0)
    one_leg_ok = _within(c_dur, rs.clm_max_duration_s)
    both_legs_ok = (_within(c_dur, rs.clm_max_duration_bilateral_s)
                    & _within(longest_lm, rs.clm_max_member_duration_s)
                    & _within(c_n, rs.clm_max_lms_bilateral))
    clm = (c_dur >= rs.min_duration_s - TIME_EPS_S) & np.where(bilateral, both_legs_ok,
                                                               one_leg_ok)

    # 5. respiratory (WASM flag) and arousal association, stages
    if rs.respiratory == "flag":
        resp = _near(c_on, c_off, respiratory, *rs.respiratory_window)
    else:
        resp = np.zeros(len(c_on), dtype=bool)
    arousal = _near(c_on, c_off, arousals, -rs.arousal_gap_s, rs.arousal_gap_s, anchor="start")
    c_stage = _stage_at(c_on, hypnogram)

    # 6. PLM series over the candidates (non-CLMs end a series under WASM; are left out under
    #    AASM) and PLMnr series (rCLMs left out, IMIs recomputed)
    in_sequence = clm | rs.non_clm_breaks_series
    series_id = _series_of(c_on, clm, in_sequence, rs)
    in_series = series_id >= 0
    in_nr_series = _series_of(c_on, clm, in_sequence & ~(clm & resp), rs) >= 0
    imi = np.concatenate(([np.nan], np.diff(c_on))) if len(c_on) else np.zeros(0)

    # 7. time base and indices
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
        "n_candidate_lm": int(len(c_on)),
        "n_clm": int(clm.sum()),
        "n_plm": int(in_series.sum()),
        "n_plms": int((in_series & asleep).sum()),
        "n_plms_nr": int((in_nr_series & asleep).sum()),
        "n_plmw": int((in_series & awake).sum()),
        "n_series": int(series_id.max() + 1) if len(c_on) else 0,
        "lm_index": per(lm_asleep.sum(), tst_h),
        "candidate_lm_index": per(asleep.sum(), tst_h),
        "clm_index": per((clm & asleep).sum(), tst_h),
        "plms_index": per((in_series & asleep).sum(), tst_h),
        "plms_nr_index": per((in_nr_series & asleep).sum(), tst_h),
        "plmw_index": per((in_series & awake).sum(), wake_h),
        "rclm_index": per((resp & clm & asleep).sum(), tst_h),
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


def _merge(on: np.ndarray, off: np.ndarray, peak: np.ndarray,
           grp: np.ndarray) -> tuple[np.ndarray, ...]:
    """Events (sorted by onset) merged by their group ids (non-decreasing): onset, offset, peak
    (NaN only when all are NaN) of each group, and the index of its first event."""
    if len(grp) == 0:
        return on[:0], off[:0], peak[:0], np.zeros(0, dtype=int)
    first = np.flatnonzero(np.diff(grp, prepend=-1))
    return (np.minimum.reduceat(on, first), np.maximum.reduceat(off, first),
            np.fmax.reduceat(peak, first), first)


def _durations(on: np.ndarray, off: np.ndarray, dur: np.ndarray, first: np.ndarray,
               n: np.ndarray) -> np.ndarray:
    """Merged durations: a group of one keeps the duration it was given (not offset - onset,
    which float rounding can change)."""
    return np.where(n == 1, dur[first] if len(first) else dur[:0], off - on)


def _periodicity(imi: np.ndarray, rs: RuleSet) -> float | None:
    imi = imi[np.isfinite(imi)]
    if imi.size == 0:
        return None
    ok = (imi >= 10) & (imi <= 90)
    padded = np.concatenate(([False], ok, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    lengths = edges[1::2] - edges[::2]
    return round(float(lengths[lengths >= 3].sum() / imi.size), 3)
