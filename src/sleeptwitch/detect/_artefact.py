"""Movement and electrode artefacts on a leg channel: what looks like an LM but is not one.

When the leg or the cable moves at an awakening or an arousal, the electrodes slide on the skin:
the raw (wideband) signal swings by hundreds of µV at 0.3-5 Hz for a few seconds, and with it
comes strong broadband activity that the 10-Hz high-pass does not remove. An electrode pop is a
step of hundreds of µV that decays within a fraction of a second, also broadband. Neither is a
leg movement in the sense of the scoring rules (a rise of tibialis EMG), and a recording with
such stretches is, there, not scorable: the muscle's own EMG cannot be told from the artefact.

A detected event is taken for an artefact when both hold at once:

- **large low-frequency deflection**: the raw signal, averaged over ``LOWPASS_S`` (which keeps
  the band below about 5 Hz and averages the EMG away) and with its own 1-s running mean taken
  off (which removes DC offset, drift, breathing and most sweat, all slower than about 0.5 Hz),
  spans at least ``DEFLECTION_UV`` peak to peak within the event (``PAD_S`` either side). A
  contraction of the tibialis moves the foot, so an LM can ride on a smaller swing (a position
  change); swings of this size come from electrodes moving;
- **strong broadband activity**: the event's peak in the band-passed envelope is at least
  ``BROADBAND_UV`` above rest, far above where the weakest LMs lie.

An LM that rides on a slow swing without the broadband part (a position change) keeps its onset
and duration: the band-pass has already removed the swing. The artefact's stretch (the event, with
``PAD_S`` either side) is unscorable on that leg, reported with the reason ``artefact``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BROADBAND_UV", "DEFLECTION_UV", "find_artefacts", "low_frequency_deflection"]

LOWPASS_S = 0.1        # averaging that keeps the swing and drops the EMG (low-pass ~5 Hz)
DETREND_S = 1.0        # running mean taken off (high-pass ~0.5 Hz)
PAD_S = 0.5            # looked at (and left out) either side of the event
DEFLECTION_UV = 400.0  # peak to peak of the low-frequency swing
BROADBAND_UV = 80.0    # peak of the band-passed envelope above rest


def _moving_mean(values: np.ndarray, size: int) -> np.ndarray:
    """Centred running mean over ``size`` values (edges repeated), float64."""
    if size <= 1:
        return values.astype(np.float64, copy=True)
    left = size // 2
    padded = np.pad(values.astype(np.float64), (left, size - 1 - left), mode="edge")
    c = np.concatenate(([0.0], np.cumsum(padded)))
    return (c[size:] - c[:-size]) / size


def low_frequency_deflection(raw_means: np.ndarray, env_sf: float, onsets: np.ndarray,
                             offsets: np.ndarray) -> np.ndarray:
    """Peak-to-peak (µV) of the raw signal's 0.5-5 Hz part over each event ``[onset, offset)``
    (block indices) and ``PAD_S`` either side, from the raw block means (NaN = missing)."""
    if len(onsets) == 0:
        return np.zeros(0)
    n = len(raw_means)
    pad = int(round(PAD_S * env_sf))
    lo = np.clip(np.asarray(onsets) - pad, 0, n)
    hi = np.clip(np.asarray(offsets) + pad, 0, n)
    reach = int(round(DETREND_S * env_sf)) + int(round(LOWPASS_S * env_sf)) + 2
    # only the stretches around events are filtered: mark them, filter the union once
    near = np.zeros(n + 1, dtype=np.int64)
    np.add.at(near, np.clip(lo - reach, 0, n), 1)
    np.add.at(near, np.clip(hi + reach, 0, n), -1)
    keep = np.cumsum(near[:-1]) > 0
    idx = np.flatnonzero(keep)
    x = raw_means[idx]
    ok = np.isfinite(x)
    if not ok.any():
        return np.zeros(len(onsets))
    if not ok.all():   # missing blocks take the interpolated value
        x = x.copy()
        x[~ok] = np.interp(np.flatnonzero(~ok), np.flatnonzero(ok), x[ok])
    # the union of stretches is filtered as one array: joins between stretches are far
    # (``reach``) from any event, so they do not reach the values used
    slow = _moving_mean(x, max(1, int(round(LOWPASS_S * env_sf))))
    slow -= _moving_mean(slow, max(1, int(round(DETREND_S * env_sf))))
    full = np.full(n, np.nan)
    full[idx] = slow
    pos = np.ravel([lo, np.maximum(hi, lo + 1)], order="F")
    hi_v = np.maximum.reduceat(np.append(np.nan_to_num(full, nan=-np.inf), -np.inf), pos)[::2]
    lo_v = np.minimum.reduceat(np.append(np.nan_to_num(full, nan=np.inf), np.inf), pos)[::2]
    span = hi_v - lo_v
    return np.where(np.isfinite(span), span, 0.0)


def find_artefacts(raw_means: np.ndarray, env_sf: float, onsets: np.ndarray,
                   offsets: np.ndarray, peaks_uv: np.ndarray) -> np.ndarray:
    """Which events (block indices ``[onset, offset)``, envelope peak above rest ``peaks_uv``)
    are movement or electrode artefacts (see the module notes): a boolean per event."""
    peaks_uv = np.asarray(peaks_uv, dtype=float)
    strong = np.nan_to_num(peaks_uv, nan=0.0) >= BROADBAND_UV
    out = np.zeros(len(peaks_uv), dtype=bool)
    if not strong.any():
        return out
    span = low_frequency_deflection(raw_means, env_sf, np.asarray(onsets)[strong],
                                    np.asarray(offsets)[strong])
    out[np.flatnonzero(strong)] = span >= DEFLECTION_UV
    return out
