"""Leg movements (LMs) from one leg's tibialis anterior EMG.

Pipeline (vectorised, no per-sample loops):

1. Conditioning (:mod:`._filter`): a zero-phase band-pass (high-pass about 10 Hz, low-pass below
   0.45 x the rate, at most 100 Hz) whatever the recording's own filters, then the mean rectified
   EMG of each block of about 1/32 s (the envelope). With R peaks from an ECG channel, the
   heartbeat's running template is subtracted first (:mod:`._ecg`).
2. Resting level, measured the same way: the median, over a sliding 60-s window, of the
   envelope's 1-s means (LMs fill well under half of any minute, even in dense PLM trains).
3. Quality (:mod:`._quality`): 30-s windows where the rules cannot be applied (flat, railed,
   mains, noise, coarse digital step) are unscorable: no LM is looked for there.
4. LMs: an onset where the envelope is ``onset_threshold_uv`` above rest in a block and on
   average over the next ``ONSET_CONFIRM_S``; the offset at the start of the first stretch of
   ``offset_min_s`` whose envelope, smoothed over ``QUIET_SMOOTH_S``, is at most
   ``offset_threshold_uv`` above rest. An isolated excursion of up to ``BEAT_MAX_S`` with
   ``BEAT_CLEAR_S`` of quiet either side (a heartbeat on the leg lead) does not end a quiet
   stretch. Onset and offset are then placed on the unsmoothed envelope (the first block above
   the onset level, the block after the last one above the offset level), so smoothing does not
   stretch a short burst. LMs shorter than ``min_duration_s`` are dropped, and so are those
   without a 0.5-s stretch at least ``offset_threshold_uv`` above rest on average (the WASM 2016
   morphology criterion for computer detection).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..scoring._rules import RuleSet, load_rules
from ._artefact import PAD_S as ARTEFACT_PAD_S
from ._artefact import find_artefacts
from ._ecg import bridge_beats
from ._filter import emg_envelope
from ._quality import MAX_STEP_UV, REASONS, assess_quality, digital_step_uv

__all__ = ["LegMovements", "detect_leg_movements", "LM_COLUMNS"]

logger = logging.getLogger("sleeptwitch")

LM_COLUMNS = ["onset", "duration", "type", "side", "peak_amplitude_uv", "rest_level_uv"]
MIN_SF = 40.0            # below this there is no EMG band at all: refused
RECOMMENDED_SF = 200.0   # the AASM minimum for leg EMG: a warning below it
ONSET_CONFIRM_S = 0.1
QUIET_SMOOTH_S = 0.1
BEAT_MAX_S = 0.1
BEAT_CLEAR_S = 0.2
MORPHOLOGY_S = 0.5
PEAK_SMOOTH_S = 0.1
REST_WINDOW_S = 60.0
REST_PERCENTILE = 50


@dataclass(frozen=True)
class LegMovements:
    """Detected LMs: ``.events`` (one row per LM), ``.params``, ``.warnings``, ``.summary()``.

    ``.envelope`` is the mean rectified band-passed EMG per block (µV, ``.env_sf`` blocks a
    second), ``.rest_level`` the resting level per block, ``.unscorable`` the stretches that
    could not be scored (``onset``, ``duration``, ``reason``) and ``.unscorable_mask`` the
    blocks in them."""

    events: pd.DataFrame
    params: dict[str, Any]
    warnings: tuple[str, ...] = ()
    duration_s: float = 0.0
    envelope: np.ndarray | None = field(default=None, repr=False)
    rest_level: np.ndarray | None = field(default=None, repr=False)
    env_sf: float = 32.0
    unscorable: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["onset", "duration", "reason"]), repr=False)
    unscorable_mask: np.ndarray | None = field(default=None, repr=False)

    @property
    def unscorable_s(self) -> float:
        return float(self.unscorable["duration"].sum()) if len(self.unscorable) else 0.0

    def summary(self) -> dict[str, Any]:
        hours = self.duration_s / 3600 or float("nan")
        share = self.unscorable_s / self.duration_s if self.duration_s else 0.0
        return {"n_lm": len(self.events), "lm_per_hour_of_recording": len(self.events) / hours,
                "duration_s": self.duration_s, "unscorable_min": round(self.unscorable_s / 60, 1),
                "unscorable_share": round(share, 3), "warnings": list(self.warnings),
                **self.params}


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in ``mask``."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[::2], edges[1::2]


def _max_within(values: np.ndarray, onsets: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Maximum of ``values`` over each [onset, offset) span, in one vectorised reduction."""
    padded = np.append(np.nan_to_num(values, nan=-np.inf), -np.inf)
    return np.maximum.reduceat(padded, np.ravel([onsets, offsets], order="F"))[::2]


def _moving_mean(values: np.ndarray, size: int, *, ahead: bool = False) -> np.ndarray:
    """Mean over a window of ``size`` values: centred (``[i - size // 2, ...]``), or starting at
    ``i`` with ``ahead``; edges repeated."""
    if size <= 1 or len(values) == 0:
        return values.astype(np.float64, copy=True)
    left = 0 if ahead else size // 2
    padded = np.pad(values.astype(np.float64), (left, size - 1 - left), mode="edge")
    c = np.concatenate(([0.0], np.cumsum(padded)))
    return (c[size:] - c[:-size]) / size


def _rest_level(env: np.ndarray, env_sf: float) -> np.ndarray:
    """Resting EMG level per block: the median of 1-s means of the envelope over a sliding 60-s
    window."""
    from scipy.ndimage import percentile_filter

    n = len(env)
    if n == 0:
        return np.zeros(0)
    second = np.floor(np.arange(n) / env_sf).astype(np.int64)
    n_s = int(second[-1]) + 1
    ok = np.isfinite(env)
    counts = np.bincount(second[ok], minlength=n_s)
    if not counts.any():
        return np.full(n, np.nan)
    sums = np.bincount(second[ok], weights=env[ok], minlength=n_s)
    valid = counts > 0
    seconds = np.divide(sums, counts, out=np.full(n_s, np.nan), where=valid)
    # Gaps (NaN) take the nearest valid value so the filter stays defined around them.
    idx = np.where(valid, np.arange(n_s), 0)
    np.maximum.accumulate(idx, out=idx)
    filled = seconds[idx]
    filled[: np.argmax(valid)] = seconds[np.argmax(valid)]
    window = max(3, int(REST_WINDOW_S) | 1)
    rest = percentile_filter(filled, REST_PERCENTILE, size=window, mode="nearest")
    return rest[second]


def _check_amplitude(env: np.ndarray, side: str) -> tuple[list[str], bool]:
    """Warnings about the channel's amplitude, and whether it can be scored at all."""
    finite = env[np.isfinite(env)]
    if finite.size == 0:
        return [f"{side} leg: no usable signal (all samples missing)"], False
    med = float(np.median(finite[::16]))
    if float(np.max(finite)) == 0.0:
        return [f"{side} leg: the channel is flat (all zero); no LMs can be detected. "
                "Check the electrode or choose another channel with --left/--right."], False
    if med < 0.05:
        return [f"{side} leg: mean rectified EMG is {med:.3g} uV, implausibly small for "
                "tibialis EMG; is the channel in volts rather than microvolts? "
                "Fix the physical dimension in the EDF header."], True
    if med > 500:
        return [f"{side} leg: mean rectified EMG is {med:.3g} uV, implausibly large; is the "
                "channel in millivolts labelled as microvolts, or is it a different signal?"], True
    return [], True


def _ignore_beats(quiet: np.ndarray, env_sf: float) -> np.ndarray:
    """``quiet`` with each isolated short excursion (at most ``BEAT_MAX_S``, with at least
    ``BEAT_CLEAR_S`` of quiet before and after it) counted as quiet."""
    starts, ends = _runs(~quiet)
    if starts.size == 0:
        return quiet
    longest, clear = BEAT_MAX_S * env_sf, BEAT_CLEAR_S * env_sf
    q_starts, q_ends = _runs(quiet)
    # quiet before each excursion: from the end of the previous excursion (or the start)
    before = starts - np.r_[0, ends[:-1]]
    after = np.r_[starts[1:], len(quiet)] - ends
    short = ((ends - starts) <= longest) & (before >= clear) & (after >= clear)
    if not short.any():
        return quiet
    out = quiet.copy()
    fill = np.zeros(len(quiet) + 1, dtype=np.int64)
    np.add.at(fill, starts[short], 1)
    np.add.at(fill, ends[short], -1)
    out |= np.cumsum(fill[:-1]) > 0
    del q_starts, q_ends
    return out


def _median_above(a: np.ndarray, onsets: np.ndarray, offsets: np.ndarray, level_uv: float,
                  env_sf: float) -> np.ndarray:
    """The WASM 2016 morphology criterion for computer detection: whether each LM
    ``[onset, offset)`` holds a ``MORPHOLOGY_S`` stretch whose median envelope is at least
    ``level_uv`` above rest, i.e. at least half of its blocks are. A short burst (a fragment, a
    heartbeat) that only pulls a mean up does not pass."""
    w = max(1, int(round(MORPHOLOGY_S * env_sf)))
    hot = np.concatenate(([0], np.cumsum(a >= level_uv - 1e-9)))
    # hot blocks in the window starting at each block (windows past the end are cut short)
    count = hot[np.minimum(np.arange(len(a)) + w, len(a))] - hot[:-1]
    last = np.maximum(offsets - w + 1, onsets + 1)   # windows that start inside the LM
    return _max_within(count.astype(float), onsets, last) * 2 >= w


def _find_lms(env: np.ndarray, rest: np.ndarray, rs: RuleSet, env_sf: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onset and offset blocks and peak (µV above rest) of each LM, before the duration rule.
    ``env`` is NaN where missing or unscorable."""
    above = env - rest
    missing = ~np.isfinite(above)
    a = np.where(missing, 0.0, above)
    n = len(a)
    confirm = max(1, int(round(ONSET_CONFIRM_S * env_sf)))
    ahead = _moving_mean(a, confirm, ahead=True)
    gap_ahead = _moving_mean(missing.astype(float), confirm, ahead=True) > 0
    onset_ok = (a > rs.onset_threshold_uv) & (ahead > rs.onset_threshold_uv) & ~gap_ahead
    smooth = _moving_mean(a, max(1, int(round(QUIET_SMOOTH_S * env_sf))))
    quiet = missing | (smooth <= rs.offset_threshold_uv)
    quiet = _ignore_beats(quiet, env_sf)
    min_quiet = int(np.ceil(rs.offset_min_s * env_sf))
    q_start, q_end = _runs(quiet)
    long_q = q_start[(q_end - q_start) >= min_quiet]
    long_q_end = q_end[(q_end - q_start) >= min_quiet]
    cand = np.flatnonzero(onset_ok)
    # a candidate inside a long quiet stretch is an isolated excursion: not an onset
    k = np.searchsorted(long_q, cand, side="right") - 1
    inside = (k >= 0) & (np.append(long_q_end, 0)[np.clip(k, 0, None)] > cand)
    cand = cand[~inside]
    ends = np.append(long_q, n)[np.searchsorted(long_q, cand, side="right")]
    first = np.flatnonzero(np.diff(np.concatenate(([-1], ends))) != 0)
    onsets, offsets = cand[first], ends[first]
    if onsets.size == 0:
        return onsets, offsets, np.zeros(0)
    # the offset on the unsmoothed envelope: after the last block above the offset level
    # within the smoothing's reach
    reach = max(1, int(round(QUIET_SMOOTH_S * env_sf))) // 2 + 1
    hot = (a > rs.offset_threshold_uv) & ~missing
    hot_idx = np.flatnonzero(hot)
    j = np.searchsorted(hot_idx, offsets, side="left") - 1   # last hot block before offset
    last_hot = np.where(j >= 0, hot_idx[np.clip(j, 0, None)], -1)
    refined = np.clip(last_hot + 1, offsets - reach, offsets)
    offsets = np.maximum(refined, onsets + 1)
    strong = _median_above(a, onsets, offsets, rs.offset_threshold_uv, env_sf)
    peaks = _max_within(np.where(missing, np.nan,
                                 _moving_mean(a, max(1, int(round(PEAK_SMOOTH_S * env_sf))))),
                        onsets, offsets)
    return onsets[strong], offsets[strong], peaks[strong]


def _add_artefacts(unscorable: pd.DataFrame, mask: np.ndarray, onsets: np.ndarray,
                   offsets: np.ndarray, env_sf: float, start_s: float
                   ) -> tuple[pd.DataFrame, np.ndarray]:
    """The unscorable stretches and block mask with the artefacts (blocks ``[onset, offset)``,
    ``PAD_S`` either side) added, reason ``artefact``."""
    n = len(mask)
    pad = int(round(ARTEFACT_PAD_S * env_sf))
    lo, hi = np.clip(onsets - pad, 0, n), np.clip(offsets + pad, 0, n)
    cover = np.zeros(n + 1, dtype=np.int64)
    np.add.at(cover, lo, 1)
    np.add.at(cover, hi, -1)
    art = np.cumsum(cover[:-1]) > 0
    art &= ~mask   # already unscorable for another reason
    starts, ends = _runs(art)
    rows = pd.DataFrame({"onset": start_s + starts / env_sf, "duration": (ends - starts) / env_sf,
                         "reason": "artefact"})
    table = pd.concat([t for t in (unscorable, rows) if len(t)], ignore_index=True) \
        if len(unscorable) or len(rows) else unscorable
    return table.sort_values("onset", ignore_index=True), mask | art


def detect_leg_movements(data: np.ndarray, sf: float, *, side: str = "left",
                         rules: str | RuleSet = "wasm2016", start_s: float = 0.0,
                         beats: np.ndarray | None = None, step_uv: float | None = None,
                         verbose: bool | None = None) -> LegMovements:
    """Detect LMs on one leg.

    Parameters
    ----------
    data : ndarray
        Tibialis anterior EMG in µV; NaN marks missing samples (e.g. EDF+D gaps).
    sf : float
        Sampling frequency in Hz.
    side : {'left', 'right'}
    rules : {'wasm2016', 'aasm'} or RuleSet
        Thresholds and durations (both standards share the LM definition).
    start_s : float
        Time of the first sample, in seconds from the start of the recording.
    beats : array of float, optional
        R-peak times (s from the first sample) from an ECG channel: the envelope blocks of each
        heartbeat are bridged over (:func:`._ecg.bridge_beats`), so a beat can neither start an
        LM nor keep one going.
    step_uv : float, optional
        The channel's digital resolution (µV per step), e.g. from the EDF header; found from the
        values when not given.

    Returns
    -------
    LegMovements
        ``.events`` has columns ``onset``, ``duration`` (s), ``type`` ('lm'), ``side``,
        ``peak_amplitude_uv`` (above rest), ``rest_level_uv``; empty with the same columns when
        nothing is found.
    """
    rs = load_rules(rules)
    if side not in ("left", "right"):
        raise ValueError(f"Invalid value for 'side': allowed are 'left', 'right', got {side!r}")
    if not sf or sf < MIN_SF:
        raise ValueError(f"sampling frequency {sf!r} Hz is too low for EMG; tibialis EMG needs "
                         f"at least {MIN_SF:g} Hz (the AASM asks for 200 Hz or more)")
    data = np.asarray(data)
    env, raw_means, finfo = emg_envelope(data, sf)
    env_sf = finfo.env_sf
    if beats is not None and len(beats):
        env = bridge_beats(env, env_sf, np.asarray(beats, dtype=float))
        finfo = replace(finfo, ecg_removed=True)
    step = digital_step_uv(data) if step_uv is None else float(step_uv)
    warnings, usable = _check_amplitude(env, side)
    if step > MAX_STEP_UV:   # amplitude hints would mislead: the grid is the problem
        warnings = []
    if sf < RECOMMENDED_SF:
        warnings.append(f"{side} leg: sampled at {sf:g} Hz, below the 200 Hz the AASM asks for "
                        "leg EMG; the band-pass stops at "
                        f"{finfo.lowpass_hz:g} Hz, so amplitudes run lower than the 8-uV and "
                        "2-uV rules assume and small LMs can be missed")
    rest = _rest_level(env, env_sf)
    duration_s = len(data) / sf
    quality = assess_quality(data, sf, env, raw_means, rest, env_sf, step_uv=step,
                             duration_s=duration_s)
    unscorable = quality.stretches.assign(onset=quality.stretches["onset"] + start_s)
    for reason, secs in quality.seconds().items():
        extra = (f" ({step:.3g} uV per step; the channel cannot show a 2-uV change)"
                 if reason == "digital_step" else "")
        warnings.append(f"{side} leg: {secs / 60:.1f} min ({secs / duration_s:.0%}) unscorable: "
                        f"{REASONS[reason]}{extra}; left out of the time base")
    params = {"rules": rs.id, "sf": sf, **finfo.as_dict(), "rest_window_s": REST_WINDOW_S,
              "rest_percentile": REST_PERCENTILE, "digital_step_uv": round(step, 4),
              "version": __version__}
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        LM_COLUMNS, (float, float, object, object, float, float), strict=True)})

    unscorable_mask = quality.mask

    def result(events: pd.DataFrame) -> LegMovements:
        return LegMovements(events, params, tuple(warnings), duration_s, env, rest, env_sf,
                            unscorable, unscorable_mask)

    if not usable:
        return result(empty)
    scorable_env = np.where(quality.mask, np.nan, env)
    onsets, offsets, peaks = _find_lms(scorable_env, rest, rs, env_sf)
    ok = (offsets - onsets) / env_sf >= rs.min_duration_s - 1e-9
    onsets, offsets, peaks = onsets[ok], offsets[ok], peaks[ok]
    artefact = find_artefacts(raw_means, env_sf, onsets, offsets, peaks)
    if artefact.any():
        unscorable, unscorable_mask = _add_artefacts(unscorable, quality.mask, onsets[artefact],
                                          offsets[artefact], env_sf, start_s)
        secs = float(unscorable.loc[unscorable["reason"] == "artefact", "duration"].sum())
        warnings.append(f"{side} leg: {int(artefact.sum())} movement or electrode artefacts "
                        f"({secs:.0f} s: {REASONS['artefact']}) left out of the LMs and of the "
                        "time base")
        onsets, offsets, peaks = onsets[~artefact], offsets[~artefact], peaks[~artefact]
    durations = (offsets - onsets) / env_sf
    if onsets.size == 0:
        return result(empty)
    events = pd.DataFrame({
        "onset": start_s + onsets / env_sf,
        "duration": durations,
        "type": "lm",
        "side": side,
        "peak_amplitude_uv": np.round(peaks, 2),
        "rest_level_uv": np.round(rest[onsets], 2),
    })
    logger.debug("detected %d LMs on the %s leg", len(events), side)
    return result(events.reset_index(drop=True))
