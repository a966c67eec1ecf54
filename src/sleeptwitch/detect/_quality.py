"""Signal quality of a leg channel: which stretches cannot be scored, and why.

A stretch is unscorable when the 8-µV / 2-µV rules cannot mean anything there. Judged per
30-s window (the epoch of sleep scoring), from the detector's envelope (mean rectified
band-passed EMG per block), its resting level, the raw block means, and a short spectrum per
window:

- ``digital_step``: the channel's digital resolution is coarser than ``MAX_STEP_UV`` (the whole
  channel; e.g. a ±1 V range stored in 16 bits is 31 µV per step);
- ``flat``: no signal (envelope below ``FLAT_UV``) in most of the window;
- ``railed``: flat at the channel's extreme value (amplifier saturated, electrode off);
- ``mains``: mains hum (50 or 60 Hz) carries most of the EMG band's power and is itself as
  large as the 8-µV onset rise (a loose electrode); weaker hum only raises the resting level;
- ``noise``: the resting level is above ``MAX_REST_UV``: an 8-µV rise is within the noise
  (MATPLM stops detecting at a 15-µV baseline for the same reason).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["REASONS", "Quality", "assess_quality", "digital_step_uv"]

WINDOW_S = 30.0
MAX_STEP_UV = 1.0
FLAT_UV = 0.05
MAX_REST_UV = 15.0
MAINS_FRACTION = 0.5
MAINS_MIN_UV = 8.0       # hum (mean rectified) as large as the 8-uV onset rise
BAD_SHARE = 0.5          # a window is unscorable when a reason holds for this share of it
SPECTRUM_S = 2.0         # seconds of each window whose spectrum is checked for mains

REASONS = {
    "digital_step": "digital step too coarse for the 2-uV rule",
    "flat": "flat signal",
    "railed": "signal stuck at the amplifier's limit (railed)",
    "mains": "dominated by mains hum",
    "noise": "resting EMG too high for an 8-uV rise to stand out (noise)",
    "artefact": "movement or electrode artefact (a large low-frequency swing with strong "
                "broadband activity)",
}


class Quality:
    """Unscorable blocks of one channel: ``mask`` (per envelope block), ``stretches`` (DataFrame
    of ``onset``, ``duration`` in s and ``reason``), ``seconds`` per reason."""

    def __init__(self, mask: np.ndarray, stretches: pd.DataFrame, env_sf: float) -> None:
        self.mask = mask
        self.stretches = stretches
        self.env_sf = env_sf

    @property
    def unscorable_s(self) -> float:
        return float(self.mask.sum() / self.env_sf)

    def seconds(self) -> dict[str, float]:
        if self.stretches.empty:
            return {}
        return {str(k): round(float(v), 1)
                for k, v in self.stretches.groupby("reason")["duration"].sum().items()}


def digital_step_uv(data: np.ndarray) -> float:
    """The smallest step between sample values (µV), from the first million samples: the
    channel's digital resolution when it was read from an EDF file; 0 when the values are not
    on a grid (a simulated or filtered signal)."""
    x = np.asarray(data[:1_000_000])
    x = x[np.isfinite(x)]
    if x.size < 2:
        return 0.0
    d = np.abs(np.diff(x))
    d = d[d > 0]
    if d.size == 0:
        return 0.0
    step = float(d.min())
    # on a grid, every difference is a whole number of steps
    on_grid = np.abs(d[:10000] / step - np.round(d[:10000] / step)).max() < 1e-3
    return step if on_grid else 0.0


def _mains(data: np.ndarray, sf: float, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a stretch of ``SPECTRUM_S`` starting at each sample index in ``starts``: the share of
    the 10-100 Hz power that lies within 1 Hz of 50 or 60 Hz, and the hum's mean rectified
    amplitude (µV, as the envelope would show the hum alone)."""
    m = int(round(SPECTRUM_S * sf))
    if sf < 130 or m < 8:
        return np.zeros(len(starts)), np.zeros(len(starts))
    idx = starts[:, None] + np.arange(m)[None, :]
    seg = np.nan_to_num(np.asarray(data)[np.clip(idx, 0, len(data) - 1)])
    seg = seg - seg.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(seg * np.hanning(m), axis=1)) ** 2
    f = np.fft.rfftfreq(m, 1 / sf)
    band = (f >= 10) & (f <= min(100.0, 0.45 * sf))
    line = band & ((np.abs(f - 50) <= 1) | (np.abs(f - 60) <= 1))
    total = power[:, band].sum(axis=1)
    line_power = power[:, line].sum(axis=1)
    share = np.divide(line_power, total, out=np.zeros(len(starts)), where=total > 0)
    # Parseval: a one-sided spectrum of a Hann-windowed stretch holds m * sum(w^2) / 2 per
    # unit of mean square; a sinusoid's mean rectified value is 2 sqrt(2) / pi of its rms
    rms = np.sqrt(2 * line_power / (m * np.sum(np.hanning(m) ** 2)))
    return share, rms * 2 * np.sqrt(2) / np.pi


def assess_quality(data: np.ndarray, sf: float, env: np.ndarray, raw_means: np.ndarray,
                   rest: np.ndarray, env_sf: float, *, step_uv: float = 0.0,
                   duration_s: float | None = None) -> Quality:
    """Which envelope blocks of a channel are unscorable, and why (see the module notes)."""
    nb = len(env)
    end_s = nb / env_sf if duration_s is None else duration_s
    window = np.floor(np.arange(nb) / env_sf / WINDOW_S).astype(np.int64)
    n_win = int(window[-1]) + 1 if nb else 0
    counts = np.bincount(window, minlength=n_win).astype(float)

    def share(mask: np.ndarray) -> np.ndarray:
        return np.bincount(window, weights=mask, minlength=n_win) / np.maximum(counts, 1)

    finite = np.isfinite(env)
    flat = finite & (env < FLAT_UV)
    extreme = np.nanmax(np.abs(raw_means)) if np.isfinite(raw_means).any() else 0.0
    railed = flat & (np.abs(np.nan_to_num(raw_means)) >= 0.98 * extreme) & (extreme > 0)
    noisy = finite & (np.nan_to_num(rest) > MAX_REST_UV)
    reason = np.full(n_win, "", dtype=object)
    if step_uv > MAX_STEP_UV:
        reason[:] = "digital_step"
    else:
        starts = (np.arange(n_win) * WINDOW_S + (WINDOW_S - SPECTRUM_S) / 2) * sf
        line_share, hum_uv = _mains(data, sf, starts.astype(np.int64))
        mains = (line_share > MAINS_FRACTION) & (hum_uv >= MAINS_MIN_UV)
        for name, bad in (("noise", share(noisy) > BAD_SHARE), ("mains", mains),
                          ("flat", share(flat) > BAD_SHARE),
                          ("railed", share(railed) > BAD_SHARE)):
            reason[bad] = name   # the later reasons are the more specific ones
    bad_win = reason != ""
    mask = bad_win[window] if nb else np.zeros(0, dtype=bool)
    # stretches: runs of windows with the same reason
    rows = []
    if bad_win.any():
        change = np.flatnonzero(np.r_[True, reason[1:] != reason[:-1]])
        ends = np.r_[change[1:], n_win]
        for a, b in zip(change, ends, strict=True):   # per run of windows, not per sample
            if reason[a]:
                on = a * WINDOW_S
                off = min(b * WINDOW_S, end_s)
                rows.append((on, off - on, reason[a]))
    stretches = pd.DataFrame(rows, columns=["onset", "duration", "reason"])
    return Quality(mask, stretches, env_sf)
