"""Leg movements (LMs) from one leg's tibialis anterior EMG.

Pipeline (vectorised, no per-sample loops):

1. Envelope: the EMG is cut into 50-ms blocks; each block's mean is removed (a crude high-pass
   that takes out DC and drift) and the block's median rectified value is its envelope value.
   A median ignores short spikes, so ECG leak (QRS complexes of 10-20 ms) barely moves it; this
   is the "median rectified EMG" the WASM 2016 morphology criterion for computer detection uses.
   The envelope is smoothed over 0.2 s before thresholds are applied.
2. Resting level (noise floor): the median of 1-s envelope means over a sliding 60-s
   window, so that it follows slow changes of the resting EMG but not the LMs themselves
   (the standards say "resting EMG" without an algorithm; see ``lm_noise_floor_methods``).
3. LMs: onset where the envelope rises ``onset_threshold_uv`` above rest and stays there for
   0.1 s (a momentary excursion of noise is not a rise); offset at the start of
   the first stretch of at least ``offset_min_s`` at most ``offset_threshold_uv`` above rest;
   LMs shorter than ``min_duration_s`` are dropped, and so are those without a 0.5-s stretch of
   median rectified EMG at least ``offset_threshold_uv`` above rest (the WASM 2016 morphology
   criterion for computer detection).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..scoring._rules import RuleSet, load_rules

__all__ = ["LegMovements", "detect_leg_movements", "LM_COLUMNS"]

logger = logging.getLogger("sleeptwitch")

LM_COLUMNS = ["onset", "duration", "type", "side", "peak_amplitude_uv", "rest_level_uv"]
BLOCK_S = 0.05
SMOOTH_S = 0.2
MORPHOLOGY_S = 0.5
ONSET_SUSTAIN_S = 0.1
REST_WINDOW_S = 60.0
REST_PERCENTILE = 50


@dataclass(frozen=True)
class LegMovements:
    """Detected LMs: ``.events`` (one row per LM), ``.params``, ``.warnings``, ``.summary()``."""

    events: pd.DataFrame
    params: dict[str, Any]
    warnings: tuple[str, ...] = ()
    duration_s: float = 0.0
    envelope: np.ndarray | None = field(default=None, repr=False)
    rest_level: np.ndarray | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        hours = self.duration_s / 3600 or float("nan")
        return {"n_lm": len(self.events), "lm_per_hour_of_recording": len(self.events) / hours,
                "duration_s": self.duration_s, "warnings": list(self.warnings), **self.params}


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in ``mask``."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[::2], edges[1::2]


def _max_within(values: np.ndarray, onsets: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Maximum of ``values`` over each [onset, offset) span, in one vectorised reduction."""
    padded = np.append(np.nan_to_num(values, nan=-np.inf), -np.inf)
    return np.maximum.reduceat(padded, np.ravel([onsets, offsets], order="F"))[::2]


def envelope_uv(data: np.ndarray, sf: float) -> tuple[np.ndarray, float]:
    """Median rectified EMG per 50-ms block (µV) and the envelope's rate in Hz."""
    n = max(1, int(round(BLOCK_S * sf)))
    usable = (len(data) // n) * n
    # One float32 working copy, changed in place: remove each block's mean, rectify, and take
    # the middle order statistic (the median for odd block sizes, the upper median otherwise).
    blocks = np.array(data[:usable], dtype=np.float32).reshape(-1, n)
    blocks -= blocks.mean(axis=1, keepdims=True)
    np.abs(blocks, out=blocks)
    blocks.partition(n // 2, axis=1)
    return blocks[:, n // 2].astype(np.float64), sf / n


def rest_level_uv(env: np.ndarray, env_sf: float) -> np.ndarray:
    """Resting EMG level: the median of 1-s means over a sliding 60-s window (LMs fill well
    under half of any minute, even in dense PLM trains)."""
    from scipy.ndimage import percentile_filter

    per_s = max(1, int(round(env_sf)))
    n_s = int(np.ceil(len(env) / per_s))
    padded = np.full(n_s * per_s, np.nan)
    padded[: len(env)] = env
    with np.errstate(invalid="ignore"):
        seconds = np.nanmean(padded.reshape(n_s, per_s), axis=1)
    valid = np.isfinite(seconds)
    if not valid.any():
        return np.full(len(env), np.nan)
    # Gaps (NaN) take the nearest valid value so the filter stays defined around them.
    idx = np.where(valid, np.arange(n_s), 0)
    np.maximum.accumulate(idx, out=idx)
    filled = seconds[idx]
    filled[: np.argmax(valid)] = seconds[np.argmax(valid)]
    window = max(3, int(REST_WINDOW_S) | 1)
    rest = percentile_filter(filled, REST_PERCENTILE, size=window, mode="nearest")
    return np.repeat(rest, per_s)[: len(env)]


def _check_amplitude(env: np.ndarray, side: str) -> tuple[list[str], bool]:
    """Warnings about the channel's amplitude, and whether it can be scored at all."""
    finite = env[np.isfinite(env)]
    if finite.size == 0:
        return [f"{side} leg: no usable signal (all samples missing)"], False
    med = float(np.median(finite))
    if float(np.max(finite)) == 0.0:
        return [f"{side} leg: the channel is flat (all zero); no LMs can be detected. "
                "Check the electrode or choose another channel with --left/--right."], False
    if med < 0.05:
        return [f"{side} leg: median rectified EMG is {med:.3g} uV, implausibly small for "
                "tibialis EMG; is the channel in volts rather than microvolts? "
                "Fix the physical dimension in the EDF header."], True
    if med > 500:
        return [f"{side} leg: median rectified EMG is {med:.3g} uV, implausibly large; is the "
                "channel in millivolts labelled as microvolts, or is it a different signal?"], True
    return [], True


def detect_leg_movements(data: np.ndarray, sf: float, *, side: str = "left",
                         rules: str | RuleSet = "wasm2016", start_s: float = 0.0,
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
    if not sf or sf < 2 / BLOCK_S:
        raise ValueError(f"sampling frequency {sf!r} Hz is too low for EMG; tibialis EMG needs "
                         f"at least {2 / BLOCK_S:g} Hz (typically 200-512 Hz)")
    data = np.asarray(data)
    env, env_sf = envelope_uv(data, sf)
    warnings, usable = _check_amplitude(env, side)
    rest = rest_level_uv(env, env_sf)
    params = {"rules": rs.id, "sf": sf, "block_s": BLOCK_S, "rest_window_s": REST_WINDOW_S,
              "rest_percentile": REST_PERCENTILE, "version": __version__}
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        LM_COLUMNS, (float, float, object, object, float, float), strict=True)})
    if not usable:
        return LegMovements(empty, params, tuple(warnings), len(data) / sf, env, rest)

    from scipy.ndimage import uniform_filter1d

    raw_above = env - rest
    filled = np.nan_to_num(raw_above, nan=0.0)
    above = uniform_filter1d(filled, max(1, int(round(SMOOTH_S * env_sf))), mode="nearest")
    # WASM 2016 morphology for computer detection: somewhere in the LM, a >= 0.5-s stretch whose
    # rectified EMG stays at least offset_threshold_uv above rest.
    morph = uniform_filter1d(filled, max(1, int(round(MORPHOLOGY_S * env_sf))), mode="nearest")
    missing = ~np.isfinite(raw_above)
    onset_mask = ~missing & (above > rs.onset_threshold_uv)
    # The rise must last: a crossing held for ONSET_SUSTAIN_S, not a momentary excursion.
    sustain = max(1, int(round(ONSET_SUSTAIN_S * env_sf)))
    if sustain > 1:
        held = np.convolve(onset_mask.astype(np.int32), np.ones(sustain, np.int32), "full")
        onset_mask = held[sustain - 1:] == sustain   # true where the next `sustain` all cross
    quiet = missing | (above <= rs.offset_threshold_uv)
    q_start, q_end = _runs(quiet)
    min_quiet = int(np.ceil(rs.offset_min_s * env_sf))
    keep = (q_end - q_start) >= min_quiet
    q_start = q_start[keep]
    candidates = np.flatnonzero(onset_mask)
    if candidates.size == 0:
        return LegMovements(empty, params, tuple(warnings), len(data) / sf, env, rest)
    # Each onset sample belongs to the LM that ends at the next long-enough quiet stretch; the
    # LM's onset is the first such sample.
    end_idx = np.searchsorted(q_start, candidates, side="right")
    ends = np.append(q_start, len(env))[end_idx]
    first = np.flatnonzero(np.diff(np.concatenate(([-1], ends))) != 0)
    onsets, offsets = candidates[first], ends[first]
    durations = (offsets - onsets) / env_sf
    ok = durations >= rs.min_duration_s
    onsets, offsets, durations = onsets[ok], offsets[ok], durations[ok]
    if onsets.size:
        ok = _max_within(morph, onsets, offsets) >= rs.offset_threshold_uv
        onsets, offsets, durations = onsets[ok], offsets[ok], durations[ok]
    peaks = _max_within(np.where(missing, np.nan, above), onsets, offsets)
    events = pd.DataFrame({
        "onset": start_s + onsets / env_sf,
        "duration": durations,
        "type": "lm",
        "side": side,
        "peak_amplitude_uv": np.round(peaks, 2),
        "rest_level_uv": np.round(rest[onsets], 2) if onsets.size else [],
    })
    logger.debug("detected %d LMs on the %s leg", len(events), side)
    return LegMovements(events.reset_index(drop=True), params, tuple(warnings), len(data) / sf,
                        env, rest)
