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
   The 1-s means use every ``REST_DECIMATION``-th block (5 of the 20 blocks in a second).
3. LMs: onset where the envelope rises ``onset_threshold_uv`` above rest and stays there for
   0.1 s (a momentary excursion of noise is not a rise); offset at the start of
   the first stretch of at least ``offset_min_s`` at most ``offset_threshold_uv`` above rest;
   LMs shorter than ``min_duration_s`` are dropped, and so are those without a 0.5-s stretch of
   median rectified EMG at least ``offset_threshold_uv`` above rest (the WASM 2016 morphology
   criterion for computer detection).

Speed: the block medians (a partial sort per block) are most of the cost, and away from LMs
they cannot change the result. A bound found without sorting (a block's median rectified value
is at most the sum of its rectified values over the number of values at or above the median)
shows where an onset is possible at all; medians are computed there and onward until each LM's
offset is settled, and for every ``REST_DECIMATION``-th block (the resting level). Given the
resting level, the LMs are those found with every block's median (``_find_lms(...,
screen=False)``; checked in the tests). Where the resting EMG is high (a rectified level above
about 5 µV) the bound rules out little, and nearly every median is computed.
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
REST_DECIMATION = 4      # the resting level uses every 4th block's median
LOOKAHEAD_S = 1.5        # medians computed past a possible onset before checking for the offset
CHUNK_BLOCKS = 16384     # blocks per chunk of the first pass (0.9 MB of float32 at 256 Hz)


@dataclass(frozen=True)
class LegMovements:
    """Detected LMs: ``.events`` (one row per LM), ``.params``, ``.warnings``, ``.summary()``.

    ``.envelope`` is the median rectified EMG per 50-ms block (µV) where it was computed (around
    LMs and every ``REST_DECIMATION``-th block) and NaN elsewhere; ``.rest_level`` is the resting
    level per block."""

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


def _spans(starts: np.ndarray, stops: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of length ``n``, True on the union of the [start, stop) spans (clipped);
    ``starts`` in increasing order."""
    starts, stops = np.clip(starts, 0, n), np.clip(stops, 0, n)
    if starts.size == 0:
        return np.zeros(n, dtype=bool)
    # Merge overlapping spans, then lay out the alternating False/True stretches.
    reach = np.maximum.accumulate(stops)
    new = np.concatenate(([True], starts[1:] > reach[:-1]))
    last = np.append(np.flatnonzero(new)[1:] - 1, len(starts) - 1)
    edges = np.concatenate(([0], np.ravel([starts[new], reach[last]], order="F"), [n]))
    return np.repeat(np.arange(len(edges) - 1) % 2 == 1, np.diff(edges))


def _max_within(values: np.ndarray, onsets: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Maximum of ``values`` over each [onset, offset) span, in one vectorised reduction."""
    padded = np.append(np.nan_to_num(values, nan=-np.inf), -np.inf)
    return np.maximum.reduceat(padded, np.ravel([onsets, offsets], order="F"))[::2]


def _moving_mean(values: np.ndarray, size: int) -> np.ndarray:
    """Mean over [i - size // 2, i + size - 1 - size // 2], edges repeated (the window of
    ``scipy.ndimage.uniform_filter1d(mode='nearest')``). Each mean is summed from its own window
    only, so it is the same whether computed on the whole envelope or on a stretch of it."""
    if size <= 1 or len(values) == 0:
        return values.astype(np.float64, copy=True)
    left = size // 2
    padded = np.pad(values, (left, size - 1 - left), mode="edge")
    total = padded[:len(values)].copy()
    for j in range(1, size):   # `size` shifted adds, not a loop over samples
        total += padded[j:j + len(values)]
    return total / size


def _first_pass(data: np.ndarray, sf: float) -> tuple[np.ndarray, ...]:
    """One pass over the samples, in chunks small enough to stay in the CPU cache (a loop over
    chunks, not samples): the EMG as 50-ms blocks ``(n_blocks, n)`` (a view of ``data``), each
    block's mean (float32), an upper bound of each block's median rectified EMG
    (``_median_bounds``), and the envelope of every ``REST_DECIMATION``-th block."""
    n, step = max(1, int(round(BLOCK_S * sf))), REST_DECIMATION
    n_blocks = len(data) // n
    blocks = data[:n_blocks * n].reshape(n_blocks, n)
    means = np.empty(n_blocks, dtype=np.float32)
    abs_sums = np.empty(n_blocks, dtype=np.float32)
    sampled = np.empty((-(-n_blocks // step), n), dtype=np.float32)
    chunk = np.empty((min(n_blocks, CHUNK_BLOCKS), n), dtype=np.float32)
    rectified = np.empty_like(chunk)
    ones = np.ones(n, dtype=np.float32)
    for lo in range(0, n_blocks, CHUNK_BLOCKS):
        hi = min(lo + CHUNK_BLOCKS, n_blocks)
        x, r = chunk[:hi - lo], rectified[:hi - lo]
        x[...] = blocks[lo:hi]
        # A matrix-vector product sums the short rows several times faster than .sum(axis=1).
        np.matmul(x, ones, out=means[lo:hi])
        means[lo:hi] /= n
        np.subtract(x, means[lo:hi, None], out=r)
        np.matmul(np.abs(r, out=r), ones, out=abs_sums[lo:hi])
        first = -lo % step   # the sampled blocks are the multiples of `step`
        sampled[(lo + first) // step:(hi - 1) // step + 1] = r[first::step]
    return blocks, means, _median_bounds(abs_sums, n), _middle(sampled)


def _median_bounds(abs_sums: np.ndarray, n: int) -> np.ndarray:
    """Upper bounds of blocks' median rectified EMG (float32, computed in ``abs_sums``) from the
    sums of their rectified values: ``k`` of the values are at least the median, so it is at
    most their sum, and the block's sum, over ``k``."""
    # float32 sums may round down by a few parts in 10^7: a margin keeps the bound a bound.
    abs_sums *= np.float32(1 + 1e-5) / np.float32(n - n // 2)
    return abs_sums


def _middle(rectified: np.ndarray) -> np.ndarray:
    """Middle order statistic of each row (the median for odd block sizes, the upper median
    otherwise), as float64; the rows are reordered."""
    mid = rectified.shape[1] // 2
    # Non-negative float32 values (NaN included, once rectified) sort as their bit patterns,
    # and numpy partitions int32 rows faster than float32 ones.
    rectified.view(np.int32).partition(mid, axis=1)
    return rectified[:, mid].astype(np.float64)


def _block_medians(blocks: np.ndarray, means: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Median rectified EMG (µV) of the given blocks, each block's mean removed."""
    picked = np.empty((len(rows), blocks.shape[1]), dtype=np.float32)
    for lo in range(0, len(rows), CHUNK_BLOCKS):   # in cache-sized chunks
        some = rows[lo:lo + CHUNK_BLOCKS]
        x = picked[lo:lo + CHUNK_BLOCKS]
        x[...] = blocks[some]
        x -= means[some, None]
        np.abs(x, out=x)
    return _middle(picked)


def _rest_level(sampled: np.ndarray, step: int, n_blocks: int, env_sf: float) -> np.ndarray:
    """Resting EMG level per block: the median of 1-s means over a sliding 60-s window (LMs fill
    well under half of any minute, even in dense PLM trains). ``sampled`` holds the envelope of
    every ``step``-th block."""
    from scipy.ndimage import percentile_filter

    per_s = max(1, int(round(env_sf)))
    n_s = -(-n_blocks // per_s)
    second = np.arange(len(sampled)) * step // per_s
    ok = np.isfinite(sampled)
    counts = np.bincount(second[ok], minlength=n_s)
    if not counts.any():
        return np.full(n_blocks, np.nan)
    sums = np.bincount(second[ok], weights=sampled[ok], minlength=n_s)
    valid = counts > 0
    seconds = np.divide(sums, counts, out=np.full(n_s, np.nan), where=valid)
    # Gaps (NaN) take the nearest valid value so the filter stays defined around them.
    idx = np.where(valid, np.arange(n_s), 0)
    np.maximum.accumulate(idx, out=idx)
    filled = seconds[idx]
    filled[: np.argmax(valid)] = seconds[np.argmax(valid)]
    window = max(3, int(REST_WINDOW_S) | 1)
    rest = percentile_filter(filled, REST_PERCENTILE, size=window, mode="nearest")
    return np.repeat(rest, per_s)[:n_blocks]


def _check_amplitude(env: np.ndarray, side: str) -> tuple[list[str], bool]:
    """Warnings about the channel's amplitude, and whether it can be scored at all."""
    finite = env[np.isfinite(env)]
    if finite.size == 0:
        return [f"{side} leg: no usable signal (all samples missing)"], False
    # Orders of magnitude are at stake: the median of every 16th value will do.
    med = float(np.median(finite[::16]))
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


@dataclass(frozen=True)
class _Windows:
    """Window sizes, in envelope blocks, and how far the smoothing reaches."""

    smooth: int
    morph: int
    sustain: int
    min_quiet: int
    before: int   # a position's smoothed values depend on the blocks from `before` earlier ...
    after: int    # ... to `after` later

    @classmethod
    def at(cls, env_sf: float, rs: RuleSet) -> _Windows:
        smooth = max(1, int(round(SMOOTH_S * env_sf)))
        morph = max(1, int(round(MORPHOLOGY_S * env_sf)))
        sustain = max(1, int(round(ONSET_SUSTAIN_S * env_sf)))
        before = max(smooth // 2, morph // 2)
        after = max(smooth - 1 - smooth // 2, morph - 1 - morph // 2)
        return cls(smooth, morph, sustain, int(np.ceil(rs.offset_min_s * env_sf)), before, after)


def _trusted(xi: np.ndarray, n_blocks: int, win: _Windows) -> np.ndarray:
    """Which positions of the stretch of blocks ``xi`` (sorted) have their whole window of
    dependence inside ``xi`` without a break, or clipped only by the recording's own ends."""
    n = len(xi)
    if n == 0:
        return np.zeros(0, dtype=bool)
    # A cut at j: blocks xi[j - 1] and xi[j] are not adjacent (or xi does not reach an end).
    cuts = np.flatnonzero(np.diff(xi) != 1) + 1
    cuts = np.concatenate(([0] if xi[0] != 0 else [], cuts,
                           [n] if xi[-1] != n_blocks - 1 else [])).astype(np.int64)
    return ~_spans(cuts - win.after, cuts + win.before, n)


def _scan(env: np.ndarray, rest: np.ndarray, xi: np.ndarray, n_blocks: int, rs: RuleSet,
          win: _Windows) -> tuple[np.ndarray, ...]:
    """LMs on the blocks ``xi`` (envelope ``env`` and ``rest`` there): onset and offset
    positions in ``xi``, peak above rest, and the positions that must be extended (an LM whose
    offset could lie beyond a break in ``xi``)."""
    raw_above = env - rest
    missing = ~np.isfinite(raw_above)
    filled = np.where(missing, 0.0, raw_above)
    above = _moving_mean(filled, win.smooth)
    # WASM 2016 morphology for computer detection: somewhere in the LM, a >= 0.5-s stretch whose
    # rectified EMG stays at least offset_threshold_uv above rest.
    morph = _moving_mean(filled, win.morph)
    trusted = _trusted(xi, n_blocks, win)
    rising = trusted & ~missing & (above > rs.onset_threshold_uv)
    # The rise must last: a crossing held for ONSET_SUSTAIN_S, not a momentary excursion.
    onset_mask = rising.copy()
    for j in range(1, win.sustain):   # true where the next `sustain` positions all cross
        onset_mask[:-j] &= rising[j:]
        onset_mask[-j:] = False
    quiet = trusted & (missing | (above <= rs.offset_threshold_uv))
    q_start, q_end = _runs(quiet)
    q_start = q_start[(q_end - q_start) >= win.min_quiet]
    candidates = np.flatnonzero(onset_mask)
    # Each onset sample belongs to the LM that ends at the next long-enough quiet stretch; the
    # LM's onset is the first such sample. Where a break in `xi` comes first, the offset is not
    # known yet.
    ends = np.append(q_start, len(xi))[np.searchsorted(q_start, candidates, side="right")]
    breaks = np.flatnonzero(~trusted)
    next_break = np.append(breaks, len(xi))[np.searchsorted(breaks, candidates, side="right")]
    unsettled = np.unique(next_break[next_break < ends])
    first = np.flatnonzero(np.diff(np.concatenate(([-1], ends))) != 0)
    onsets, offsets = candidates[first], ends[first]
    peaks = _max_within(np.where(missing, np.nan, above), onsets, offsets)
    strong = _max_within(morph, onsets, offsets) >= rs.offset_threshold_uv
    return onsets[strong], offsets[strong], peaks[strong], unsettled


def _find_lms(blocks: np.ndarray, means: np.ndarray, bounds: np.ndarray, env: np.ndarray,
              known: np.ndarray, rest: np.ndarray, rs: RuleSet, env_sf: float, *,
              screen: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onset and offset blocks and peak (µV above rest) of each LM, before the duration rule.

    ``env`` and ``known`` (which blocks of ``env`` hold their median) are filled in as medians
    are computed. With ``screen``, only blocks where an onset is possible (by the upper bound of
    their medians) and those after them up to each LM's offset are used; without, all blocks."""
    n_blocks = len(env)
    win = _Windows.at(env_sf, rs)
    if screen:
        # Clipped at 0 (NaN, i.e. missing, too), the bound above rest stays an upper bound of
        # the envelope above rest as the detector uses it, and so does its moving sum.
        excess = np.subtract(bounds, rest, dtype=np.float32)
        np.fmax(excess, 0, out=excess)
        left = win.smooth // 2
        padded = np.pad(excess, (left, win.smooth - 1 - left), mode="edge")
        sums = np.convolve(padded, np.ones(win.smooth, dtype=np.float32), "valid")
        # (less a hair for float32 rounding)
        possible = sums > win.smooth * rs.onset_threshold_uv - 1e-3
        starts, stops = _runs(possible)
        # A possible onset needs its smoothing windows and its sustained rise, and the offset
        # comes later: LOOKAHEAD_S for a start, extended below where that is not enough.
        reach = win.sustain - 1 + win.after + int(round(LOOKAHEAD_S * env_sf))
        wanted = _spans(starts - win.before, stops + reach, n_blocks)
    else:
        wanted = np.ones(n_blocks, dtype=bool)
    grow = max(1, int(round(LOOKAHEAD_S * env_sf)))
    while True:
        todo = np.flatnonzero(wanted & ~known)
        if todo.size:
            env[todo] = _block_medians(blocks, means, todo)
            known[todo] = True
        xi = np.flatnonzero(wanted)
        onsets, offsets, peaks, unsettled = _scan(env[xi], rest[xi], xi, n_blocks, rs, win)
        if unsettled.size == 0:
            break
        # Continue past each break that comes before an LM's offset, further each round.
        grow *= 2
        wanted |= _spans(xi[unsettled], xi[unsettled] + win.after + 1 + grow, n_blocks)
    return xi[onsets], np.append(xi, n_blocks)[offsets], peaks


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
    blocks, means, bounds, sampled_env = _first_pass(data, sf)
    n_blocks, env_sf = len(blocks), sf / blocks.shape[1]
    env = np.full(n_blocks, np.nan)
    known = np.zeros(n_blocks, dtype=bool)
    env[::REST_DECIMATION], known[::REST_DECIMATION] = sampled_env, True
    warnings, usable = _check_amplitude(sampled_env, side)
    rest = _rest_level(sampled_env, REST_DECIMATION, n_blocks, env_sf)
    params = {"rules": rs.id, "sf": sf, "block_s": BLOCK_S, "rest_window_s": REST_WINDOW_S,
              "rest_percentile": REST_PERCENTILE, "rest_decimation": REST_DECIMATION,
              "version": __version__}
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        LM_COLUMNS, (float, float, object, object, float, float), strict=True)})
    if not usable:
        return LegMovements(empty, params, tuple(warnings), len(data) / sf, env, rest)

    onsets, offsets, peaks = _find_lms(blocks, means, bounds, env, known, rest, rs, env_sf)
    durations = (offsets - onsets) / env_sf
    ok = durations >= rs.min_duration_s
    onsets, durations, peaks = onsets[ok], durations[ok], peaks[ok]
    if onsets.size == 0:
        return LegMovements(empty, params, tuple(warnings), len(data) / sf, env, rest)
    events = pd.DataFrame({
        "onset": start_s + onsets / env_sf,
        "duration": durations,
        "type": "lm",
        "side": side,
        "peak_amplitude_uv": np.round(peaks, 2),
        "rest_level_uv": np.round(rest[onsets], 2),
    })
    logger.debug("detected %d LMs on the %s leg", len(events), side)
    return LegMovements(events.reset_index(drop=True), params, tuple(warnings), len(data) / sf,
                        env, rest)
