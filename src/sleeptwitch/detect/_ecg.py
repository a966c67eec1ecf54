"""Heartbeat on the leg leads: R peaks from an ECG channel, bridging the beats over in the
envelope, and a check of whether a leg channel carries a heartbeat at all.

The ECG reaches the leg electrodes as a QRS spike of 10-30 ms once a beat; after the 10-Hz
high-pass it is most of what is left of the heart. A beat large enough can start an LM or keep
one going (its samples are above the 2-µV offset level, so it restarts the 0.5-s clock). With an
ECG channel, each beat's time is known, and the envelope blocks around each R peak are replaced
by a straight line between their neighbours. (A running beat template subtracted from the leg
was tried first: an R peak a few ms off the leg's own QRS, as the ECG's and the leg's sampling
grids make it, left a residue as large as the beat.) Without an ECG channel the detector's
offset test ignores isolated short spikes instead (see :mod:`._lm`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["bridge_beats", "find_r_peaks", "heartbeat_suspected"]

MIN_RR_S = 0.3              # at most 200 beats per minute
BRIDGE_S = (0.04, 0.06)     # envelope bridged over from before to after each R peak


def bridge_beats(env: np.ndarray, env_sf: float, beats_s: np.ndarray) -> np.ndarray:
    """The envelope with the blocks of each heartbeat (``BRIDGE_S`` around each R peak, times in
    s) replaced by a straight line from the block before to the block after. The QRS on the leg
    lead is gone whatever its shape and however well the ECG's R peak lines up with it (a
    template subtracted a few ms off leaves a residue as large as the beat); at rest the line
    is the resting level, inside an LM it is the LM's level. A new array is returned."""
    n = len(env)
    first = np.floor((beats_s - BRIDGE_S[0]) * env_sf).astype(np.int64)
    last = np.floor((beats_s + BRIDGE_S[1]) * env_sf).astype(np.int64)
    ok = (first >= 1) & (last <= n - 2)
    first, last = first[ok], last[ok]
    out = env.copy()
    if first.size == 0:
        return out
    left, right = env[first - 1], env[last + 1]
    length = last - first + 1
    owner = np.repeat(np.arange(first.size), length)
    pos = np.arange(owner.size) - np.repeat(np.cumsum(length) - length, length)
    frac = (pos + 1) / (length[owner] + 1)
    fill = left[owner] + (right[owner] - left[owner]) * frac
    idx = first[owner] + pos
    # where the edges are missing, leave the blocks as they are
    good = np.isfinite(fill)
    out[idx[good]] = fill[good]
    return out


def find_r_peaks(ecg: np.ndarray, sf: float) -> np.ndarray:
    """Times (s) of the R peaks of an ECG channel (µV or any unit; NaN = missing).

    The ECG is high-passed (the EMG filter's high-pass, which keeps the QRS and drops P and T
    waves and wander); peaks of its rectified value at least ``MIN_RR_S`` apart and above 40% of
    the local beat size (the median over about a minute of the 2-s maxima) are R peaks, each
    placed on its largest sample."""
    from scipy.ndimage import maximum_filter1d, median_filter
    from scipy.signal import find_peaks

    from ._filter import _design, _highpass

    k, _, _ = _design(sf)
    n = len(ecg) // k * k
    if n < 4 * k:
        return np.zeros(0)
    x = np.nan_to_num(np.asarray(ecg[:n], dtype=np.float32))
    a = np.abs(_highpass(x, k))
    blocks = a.reshape(-1, k)
    bmax = blocks.max(axis=1)
    env_sf = sf / k
    local = maximum_filter1d(bmax, size=max(3, int(round(2 * env_sf))))
    # the median of the 2-s maxima, over about a minute (on every 8th value: cheaper, and
    # the maxima change slowly)
    size = max(1, int(round(60 * env_sf / 8)))
    ref = np.repeat(median_filter(local[::8], size=size, mode="nearest"), 8)[:len(bmax)]
    peaks, _ = find_peaks(bmax, height=0.4 * ref, distance=max(1, int(MIN_RR_S * env_sf)))
    peaks = peaks[bmax[peaks] > 0]
    # the largest sample within the peak block
    idx = peaks * k + blocks[peaks].argmax(axis=1)
    return idx / sf


def heartbeat_suspected(env: np.ndarray, rest: np.ndarray, env_sf: float) -> bool:
    """Whether the leg's envelope shows a heartbeat: isolated one-block spikes at least 3 µV
    above rest, at a rate of 40 or more a minute over the quiet stretches."""
    above = env - rest
    q = np.nan_to_num(above, nan=0.0) < 1.5
    quiet = q[:-4] & q[4:]
    spike = np.nan_to_num(above[2:-2], nan=0.0) > 3.0
    n_quiet = quiet.sum()
    if n_quiet < 60 * env_sf:
        return False
    return bool((spike & quiet).sum() / (n_quiet / env_sf) * 60 >= 40)
