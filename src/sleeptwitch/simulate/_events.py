"""Where the true events fall: PLM trains, respiratory events and their LMs, isolated LMs,
bilateral partners, arousals and fragments.

Placement works on a 0.1-s occupancy grid. Every group of LMs (a train, a respiratory event with
its LM, an isolated LM) keeps its onsets more than ``SERIES_GUARD_S`` away from every other group's
onsets, on either leg. As no scoring rule lets an inter-movement interval exceed 90 s, an LM outside
a train can neither join a train nor, with other such LMs, form a series of its own: the truth's
``in_train`` is what both WASM 2016 and AASM series rules must find. The loops below run once per
train or event, never per sample; each step is vectorised over the grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._hypnogram import EPOCH_S, STAGES

__all__ = ["BILATERAL_MAX_LAG_S", "LM_DURATION_S", "RESPIRATORY_WINDOW_S", "SERIES_GUARD_S",
           "EventPlan", "plan_events", "respiratory_flags"]

GRID_S = 0.1
EDGE_S = 10.0  # nothing in the first or last 10 s, while filters and baselines settle
#: Longer than the longest inter-movement interval of a PLM series (90 s, WASM and AASM alike).
SERIES_GUARD_S = 95.0
#: True LM durations. The rules accept 0.5-10 s; keeping 0.1 s inside the lower and 0.5 s inside
#: the upper limit keeps a detector's small onset/offset errors from flipping the truth.
LM_DURATION_S = (0.6, 9.5)
#: Bilateral partners: onsets less than 0.5 s apart (WASM bilateral merge: overlap or < 0.5 s).
BILATERAL_MAX_LAG_S = 0.4
#: WASM 2016 respiratory window around the end of an apnea or hypopnea, from 2 s before to
#: 10.25 s after (PLMScoRe ``rlm()``: ``ll=-2, ul=10.25``; leg-movement-rules.md, §1.1).
RESPIRATORY_WINDOW_S = (-2.0, 10.25)
#: Fragments (not LMs): 0.1-0.4 s bursts; EFM potentials are usually <= 150 ms (§1.2).
FRAGMENT_DURATION_S = (0.1, 0.4)
FRAGMENT_CLEARANCE_S = 1.5  # from any LM or other fragment on the same leg

# Relative chance per epoch that a group starts there, by stage W, N1, N2, N3, R.
_TRAIN_WEIGHT = np.array([0.0, 1.0, 1.0, 0.15, 0.1])  # PLMs: mostly light NREM sleep
_APNEA_WEIGHT = np.array([0.0, 1.0, 1.0, 0.3, 2.0])  # more in REM, few in N3
_ISOLATED_WEIGHT = np.array([3.0, 2.0, 1.0, 0.4, 0.6])  # most in wake and N1


@dataclass(frozen=True)
class EventPlan:
    """Planned events in seconds; ``lms`` is one row per LM per leg (side 0 left, 1 right)."""

    lms: pd.DataFrame  # onset, duration, side, train_id, peak_amplitude_uv
    fragments: pd.DataFrame  # onset, duration, side, peak_amplitude_uv
    respiratory: pd.DataFrame  # onset, duration, description
    arousals: pd.DataFrame  # onset, duration, description
    placed: dict


def _lm_durations(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mostly 1-4 s: log-normal with median 2 s (90% within 0.9-4.5 s), clipped to 0.6-9.5 s."""
    return np.clip(rng.lognormal(np.log(2.0), 0.5, n), *LM_DURATION_S)


def _amplitudes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Peak of a burst's own rectified envelope: log-normal, median 50 µV, clipped to 25-150 µV.

    Burst and background EMG are independent, so their rectified levels add about in quadrature
    (sqrt(rest^2 + burst^2)). The floor of 25 µV keeps the plateau of the weakest burst more than
    8 µV above a resting level of up to 10 µV (7.5 µV noise drifted up by 30%).
    """
    return np.clip(rng.lognormal(np.log(50.0), 0.5, n), 25.0, 150.0)


def _arousal_durations(rng: np.random.Generator, n: int) -> np.ndarray:
    """Arousals: log-normal, median 6 s, clipped to 3-15 s (the AASM minimum is 3 s)."""
    return np.clip(rng.lognormal(np.log(6.0), 0.4, n), 3.0, 15.0)


class _Grid:
    """Occupancy of the night at 0.1-s resolution: where a new group's onsets may not fall."""

    def __init__(self, hypno_codes: np.ndarray, duration_s: float):
        self.n = int(np.ceil(duration_s / GRID_S))
        self.duration_s = duration_s
        per_epoch = int(round(EPOCH_S / GRID_S))
        self.stage = np.repeat(hypno_codes, per_epoch)[: self.n]
        self.blocked = np.zeros(self.n, dtype=bool)

    def _free_windows(self, mask: np.ndarray, length_s: float) -> np.ndarray:
        """True at bin t when ``mask`` is False throughout [t, t + length_s]."""
        k = int(np.ceil(length_s / GRID_S)) + 1
        c = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
        ok = np.zeros(self.n, dtype=bool)
        if k <= self.n:
            ok[: self.n - k + 1] = (c[k:] - c[:-k]) == 0
        return ok

    def pick(self, rng: np.random.Generator, stage_weight: np.ndarray, span_s: float, *,
             tail_s: float, avoid: np.ndarray | None = None) -> float | None:
        """A random start time whose group (onsets over ``span_s``, then ``tail_s`` to its end)
        fits inside the recording, with the chance of each bin weighted by its stage."""
        mask = self.blocked if avoid is None else (self.blocked | avoid)
        w = stage_weight[self.stage] * self._free_windows(mask, span_s)
        first, last = int(EDGE_S / GRID_S), int((self.duration_s - EDGE_S - span_s - tail_s)
                                                / GRID_S)
        w[: max(first, 0)] = 0.0
        w[max(last, 0):] = 0.0
        total = w.sum()
        if total <= 0:
            return None
        i = int(np.searchsorted(np.cumsum(w), rng.uniform(0, total), side="right"))
        return (min(i, self.n - 1) + rng.uniform(0.0, 0.5)) * GRID_S

    def block(self, start_s: float, end_s: float) -> None:
        """Keep other groups' onsets more than the series guard away from [start_s, end_s]."""
        a = max(int(np.floor((start_s - SERIES_GUARD_S) / GRID_S)), 0)
        b = min(int(np.ceil((end_s + SERIES_GUARD_S) / GRID_S)) + 1, self.n)
        self.blocked[a:b] = True


def _place_trains(grid: _Grid, rng: np.random.Generator, n_trains: int):
    """PLM trains of 4-40 LMs (log-normal count, median 14) at onset-to-onset intervals of
    15-40 s: a per-train base interval of 18-32 s with 12% jitter. A train that does not fit is
    halved (down to 4 LMs) before it is given up."""
    onsets, trains = [], []
    for _ in range(n_trains):
        n_lm = int(np.clip(round(rng.lognormal(np.log(14.0), 0.6)), 4, 40))
        base = rng.uniform(18.0, 32.0)
        rel = np.concatenate([[0.0], np.cumsum(np.clip(base + rng.normal(0, 0.12 * base,
                                                                         n_lm - 1), 15.0, 40.0))])
        for n_try in dict.fromkeys((n_lm, max(n_lm // 2, 4), 4)):
            span = rel[n_try - 1] + BILATERAL_MAX_LAG_S
            start = grid.pick(rng, _TRAIN_WEIGHT, span, tail_s=LM_DURATION_S[1])
            if start is not None:
                onsets.append(start + rel[:n_try])
                trains.append(np.full(n_try, len(trains)))
                grid.block(start, start + span)
                break
    if not onsets:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    return np.concatenate(onsets), np.concatenate(trains)


def _place_apneas(grid: _Grid, rng: np.random.Generator, n_apneas: int, is_wake: np.ndarray):
    """Apneas and hypopneas of 10-40 s (log-normal, median 20 s), wholly in sleep, each with an LM
    from 1 s before to 4 s after its end (inside the WASM window) and an arousal at its end."""
    rows, lm_onsets = [], []
    for _ in range(n_apneas):
        dur = float(np.clip(rng.lognormal(np.log(20.0), 0.35), 10.0, 40.0))
        lag = rng.uniform(-1.0, 4.0)
        # The event, its LM and the whole respiratory window lie in sleep.
        span = dur + max(lag, 0.0) + BILATERAL_MAX_LAG_S
        start = grid.pick(rng, _APNEA_WEIGHT, span + RESPIRATORY_WINDOW_S[1],
                          tail_s=LM_DURATION_S[1], avoid=is_wake)
        if start is None:
            continue
        kind = "Obstructive apnea" if rng.random() < 0.5 else "Hypopnea"
        rows.append((start, dur, kind))
        lm_onsets.append(start + dur + lag)
        grid.block(start, start + span)
    resp = pd.DataFrame(rows, columns=["onset", "duration", "description"])
    resp = resp.astype({"onset": float, "duration": float, "description": str})
    return resp, np.array(lm_onsets, dtype=float)


def _place_isolated(grid: _Grid, rng: np.random.Generator, n_isolated: int) -> np.ndarray:
    """Isolated LMs in any stage, most often in wake and N1."""
    onsets = []
    for _ in range(n_isolated):
        t = grid.pick(rng, _ISOLATED_WEIGHT, BILATERAL_MAX_LAG_S, tail_s=LM_DURATION_S[1])
        if t is None:
            break
        onsets.append(t)
        grid.block(t, t + BILATERAL_MAX_LAG_S)
    return np.array(onsets, dtype=float)


def _place_fragments(lms: pd.DataFrame, rng: np.random.Generator, n: int,
                     duration_s: float) -> pd.DataFrame:
    """Bursts of 0.1-0.4 s anywhere, at least 1.5 s clear of LMs and other fragments on their leg
    (so that no detector can join one to an LM or two of them into one >= 0.5 s)."""
    m = 4 * n + 20  # candidates; the first n that fit are kept
    cand = pd.DataFrame({
        "onset": rng.uniform(EDGE_S, duration_s - EDGE_S - 1.0, m),
        "duration": rng.uniform(*FRAGMENT_DURATION_S, m),
        "side": rng.integers(0, 2, m),
        "peak_amplitude_uv": _amplitudes(rng, m),
    })
    ok = np.ones(m, dtype=bool)
    gap = FRAGMENT_CLEARANCE_S
    for side in (0, 1):
        leg = lms[lms["side"] == side].sort_values("onset")
        on, off = leg["onset"].to_numpy(), (leg["onset"] + leg["duration"]).to_numpy()
        mine = np.flatnonzero(cand["side"].to_numpy() == side)
        c_on = cand["onset"].to_numpy()[mine]
        c_off = c_on + cand["duration"].to_numpy()[mine]
        # The last LM starting before this fragment's end (+ gap) must end before its start - gap.
        j = np.searchsorted(on, c_off + gap) - 1
        near_lm = (j >= 0) & (np.append(off, -np.inf)[j] + gap > c_on)
        # Among candidates, drop one that starts too soon after an earlier one ends.
        order = np.argsort(c_on)
        too_close = np.zeros(mine.size, dtype=bool)
        ends = np.maximum.accumulate(c_off[order])
        too_close[order[1:]] = c_on[order[1:]] < ends[:-1] + gap
        ok[mine] = ~(near_lm | too_close)
    return cand[ok].head(n).sort_values("onset").reset_index(drop=True)


def _arousals(lm_onsets: np.ndarray, lm_p: np.ndarray, apnea_ends: np.ndarray,
              hypno_codes: np.ndarray, duration_s: float, rng: np.random.Generator
              ) -> pd.DataFrame:
    """Arousals (3-15 s) starting within 0.4 s after some LMs (chance ``lm_p``) and around every
    apnea end, only in sleep; each ends 10 s before the next begins (AASM: >= 10 s of sleep
    between arousals), or is dropped when that leaves less than 3 s."""
    after_lm = lm_onsets[rng.random(lm_onsets.size) < lm_p]
    after_lm = after_lm + rng.uniform(0.0, 0.4, after_lm.size)
    at_apnea = apnea_ends + rng.uniform(-1.0, 2.0, apnea_ends.size)
    onset = np.sort(np.concatenate([after_lm, at_apnea]))
    epoch = np.minimum((onset // EPOCH_S).astype(np.int64), hypno_codes.size - 1)
    onset = onset[hypno_codes[epoch] != 0]
    dur = _arousal_durations(rng, onset.size)
    room = np.concatenate([onset[1:] - 10.0, [duration_s - EDGE_S]]) - onset
    dur = np.minimum(dur, room)
    keep = dur >= 3.0
    return pd.DataFrame({"onset": onset[keep], "duration": dur[keep],
                         "description": "Arousal"})


def respiratory_flags(onsets: np.ndarray, respiratory: pd.DataFrame) -> np.ndarray:
    """True for an LM whose onset lies in the WASM window of some respiratory event's end."""
    ends = np.sort((respiratory["onset"] + respiratory["duration"]).to_numpy())
    lo, hi = RESPIRATORY_WINDOW_S
    onsets = np.asarray(onsets, dtype=float)
    return (np.searchsorted(ends, onsets - lo, side="right")
            - np.searchsorted(ends, onsets - hi, side="left")) > 0


def plan_events(hypno: np.ndarray, duration_s: float, rng: np.random.Generator, *,
                n_plm_trains: int, n_isolated: int, bilateral_fraction: float,
                n_fragments: int, n_apneas: int) -> EventPlan:
    """All event times for one night; see the module docstring for the separation guarantees."""
    codes = np.select([hypno == s for s in STAGES], list(range(len(STAGES))), 0)
    grid = _Grid(codes, duration_s)
    is_wake = grid.stage == 0

    train_onsets, train_of = _place_trains(grid, rng, n_plm_trains)
    respiratory, apnea_lms = _place_apneas(grid, rng, n_apneas, is_wake)
    isolated = _place_isolated(grid, rng, n_isolated)

    # Trains numbered in time order; one leg leads each train, the other takes a quarter of its LMs.
    n_placed = int(train_of.max()) + 1 if train_of.size else 0
    first_onset = np.full(n_placed, np.inf)
    np.minimum.at(first_onset, train_of, train_onsets)
    train_id = np.argsort(np.argsort(first_onset))[train_of]
    lead = rng.integers(0, 2, n_placed)[train_of]
    train_side = np.where(rng.random(train_onsets.size) < 0.75, lead, 1 - lead)

    onset = np.concatenate([train_onsets, apnea_lms, isolated])
    side = np.concatenate([train_side, rng.integers(0, 2, apnea_lms.size + isolated.size)])
    train = np.concatenate([train_id, np.full(apnea_lms.size + isolated.size, -1)])
    duration = _lm_durations(rng, onset.size)

    both = rng.random(onset.size) < bilateral_fraction
    p_onset = onset[both] + rng.uniform(-BILATERAL_MAX_LAG_S, BILATERAL_MAX_LAG_S, both.sum())
    p_duration = np.clip(duration[both] * rng.uniform(0.6, 1.4, both.sum()), *LM_DURATION_S)
    lms = pd.DataFrame({
        "onset": np.concatenate([onset, p_onset]),
        "duration": np.concatenate([duration, p_duration]),
        "side": np.concatenate([side, 1 - side[both]]),
        "train_id": np.concatenate([train, train[both]]).astype(np.int64),
    })
    lms["peak_amplitude_uv"] = _amplitudes(rng, len(lms))
    lms = lms.sort_values(["onset", "side"], kind="mergesort").reset_index(drop=True)

    arousal_p = np.where(train >= 0, 0.2, 0.35)
    arousal_p[train_onsets.size: train_onsets.size + apnea_lms.size] = 0.0  # apnea has its own
    apnea_ends = (respiratory["onset"] + respiratory["duration"]).to_numpy()
    arousals = _arousals(onset, arousal_p, apnea_ends, codes, duration_s, rng)
    fragments = _place_fragments(lms, rng, n_fragments, duration_s)
    placed = {"n_plm_trains_placed": n_placed, "n_apneas_placed": len(respiratory),
              "n_isolated_placed": int(isolated.size), "n_fragments_placed": len(fragments)}
    return EventPlan(lms, fragments, respiratory, arousals, placed)
