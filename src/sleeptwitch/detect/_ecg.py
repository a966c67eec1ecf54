"""Heartbeat on the leg leads: R peaks from an ECG channel, running beat templates, subtraction,
and a check of whether a leg channel carries a heartbeat at all.

The ECG reaches the leg electrodes as a QRS spike of 10-30 ms once a beat; after the 10-Hz
high-pass it is most of what is left of the heart. A beat large enough can start an LM or keep
one going (its samples are above the 2-µV offset level, so it restarts the 0.5-s clock). With an
ECG channel, each beat's time is known; the leg's own average beat (over the neighbouring beats,
so it follows slow changes) is subtracted at each R peak before the leg is band-passed.
Without an ECG channel the detector's offset test ignores isolated short spikes instead
(see :mod:`._lm`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["beat_templates", "find_r_peaks", "heartbeat_suspected", "subtract_beats"]

TEMPLATE_S = (0.08, 0.10)   # window before and after the R peak
TEMPLATE_BEATS = 16         # running mean over this many beats either side
MIN_RR_S = 0.3              # at most 200 beats per minute


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


def beat_templates(data: np.ndarray, sf: float, beats: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The heartbeat as the leg channel ``data`` shows it around each beat (R peaks as sample
    indices, sorted): ``(starts, templates)``, the first sample of each beat's window and the
    mean of the raw segments of the ``TEMPLATE_BEATS`` beats either side (each segment's own
    mean removed, tapered to zero at the window's ends; float32). EMG in single segments
    averages out. Beats whose window does not fit in the recording are left out."""
    before, after = (int(round(s * sf)) for s in TEMPLATE_S)
    beats = np.asarray(beats, dtype=np.int64)
    beats = beats[(beats - before >= 0) & (beats + after < len(data))]
    width = before + after + 1
    if len(beats) == 0:
        return beats, np.zeros((0, width), dtype=np.float32)
    starts = beats - before
    seg = np.nan_to_num(np.asarray(data, dtype=np.float32)[starts[:, None]
                                                           + np.arange(width)[None, :]])
    seg -= seg.mean(axis=1, keepdims=True)
    m, n = TEMPLATE_BEATS, len(beats)
    csum = np.concatenate((np.zeros((1, width)), np.cumsum(seg, axis=0, dtype=np.float64)))
    lo = np.clip(np.arange(n) - m, 0, n)
    hi = np.clip(np.arange(n) + m + 1, 0, n)
    tmpl = (csum[hi] - csum[lo]) / (hi - lo)[:, None]
    taper = np.hanning(width + 2)[1:-1] ** 0.25
    return starts, (tmpl * taper).astype(np.float32)


def subtract_beats(x: np.ndarray, offset: int, starts: np.ndarray,
                   templates: np.ndarray) -> None:
    """Subtract each beat's template (``beat_templates``) from ``x``, a stretch of the channel
    that starts at sample ``offset``, in place, where the beat's window lies inside it."""
    width = templates.shape[1]
    inside = (starts >= offset) & (starts + width <= offset + len(x))
    if not inside.any():
        return
    idx = (starts[inside] - offset)[:, None] + np.arange(width)[None, :]
    x[idx] -= templates[inside]   # beats are >= MIN_RR_S apart: windows do not overlap


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
