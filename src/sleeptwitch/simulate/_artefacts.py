"""Signal layers of a real-world leg EMG recording, beyond the muscle's own activity.

Each function returns µV at one sampling rate; times are seconds. What a layer is made of:

- **Recording chain**: surface EMG recorded "wideband", i.e. with only the amplifier's high-pass
  of about 0.3 Hz (a first-order analog RC filter, modelled causally), so that everything slow
  the electrodes pick up reaches the file: breathing-locked baseline wander, sweat artefact
  (large 0.1-0.8 Hz swings for minutes), electrode pops (a step of hundreds of µV that decays as
  the electrode re-polarises), and a residual DC offset.
- **Heart**: the cardiac field reaches the leg leads as a small ECG (R peaks of about 10-50 µV,
  P and T waves in proportion), on the same beats as the ECG channel.
- **Mains**: 50 or 60 Hz hum and its third harmonic.
- **Movement**: a position change moves cables and electrodes (large swings below 2 Hz) and
  contracts many muscles at once (broadband EMG of hundreds of µV).

Nothing here loops over samples; loops run once per event.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from ._emg import ragged_arange, spectral_noise

__all__ = ["AMPLIFIER_HIGHPASS_HZ", "add_events", "amplifier_highpass", "ecg_waveform",
           "hann_slow_swing", "mains_hum", "pop_decays", "slow_band_noise"]

#: High-pass of a "wideband" EMG amplifier (a common setting for leg leads stored unfiltered).
AMPLIFIER_HIGHPASS_HZ = 0.3


def amplifier_highpass(x: np.ndarray, sf: float, hz: float = AMPLIFIER_HIGHPASS_HZ) -> np.ndarray:
    """A first-order high-pass at ``hz``, applied causally as an analog RC stage would."""
    b, a = sps.butter(1, hz, btype="highpass", fs=sf)
    return sps.lfilter(b, a, x)


def slow_band_noise(n: int, sf: float, rng: np.random.Generator, low_hz: float,
                    high_hz: float) -> np.ndarray:
    """Gaussian noise of unit standard deviation, flat from ``low_hz`` to ``high_hz``."""
    if n == 0:
        return np.zeros(0)
    x = spectral_noise(n, sf, rng, lambda f: ((f >= low_hz) & (f <= high_hz)).astype(float))
    sd = x.std()
    return x / sd if sd > 0 else x


def hann_slow_swing(length: int, sf: float, rng: np.random.Generator, amplitude_uv: float, *,
                    high_hz: float = 2.0) -> np.ndarray:
    """A smooth swing of ``length`` samples: three sinusoids of 0.3-``high_hz`` Hz under a Hann
    window, scaled so that its largest excursion is ``amplitude_uv``.

    Its spectrum falls off fast above ``high_hz`` (the Hann window's side lobes decay as
    1/f^3), so after a 10-Hz high-pass almost nothing of it is left."""
    t = np.arange(length) / sf
    f = rng.uniform(0.3, high_hz, 3)
    ph = rng.uniform(0, 2 * np.pi, 3)
    w = rng.uniform(0.5, 1.0, 3)
    x = (w[:, None] * np.sin(2 * np.pi * f[:, None] * t[None, :] + ph[:, None])).sum(axis=0)
    x *= np.hanning(length) if length > 1 else 1.0
    peak = np.abs(x).max() if length else 0.0
    return x * (amplitude_uv / peak) if peak > 0 else x


def pop_decays(onsets_s: np.ndarray, amplitudes_uv: np.ndarray, taus_s: np.ndarray, n: int,
               sf: float) -> np.ndarray:
    """Electrode pops: at each onset a step of the given amplitude (signed), decaying with time
    constant ``tau`` (the electrode re-polarising); drawn over 6 tau."""
    out = np.zeros(n)
    if onsets_s.size == 0:
        return out
    start = np.round(onsets_s * sf).astype(np.int64)
    length = np.maximum(np.ceil(6 * taus_s * sf).astype(np.int64), 1)
    idx, owner = ragged_arange(start, length)
    tau = (idx - start[owner]) / sf
    val = amplitudes_uv[owner] * np.exp(-tau / taus_s[owner])
    keep = idx < n
    np.add.at(out, idx[keep], val[keep])
    return out


def _pqrst(t: np.ndarray) -> np.ndarray:
    """A heartbeat's shape at time ``t`` (s) from its R peak; the R peak is 1 (P 0.12, T 0.3)."""
    u = t / 0.008
    return (0.12 * np.exp(-0.5 * ((t + 0.16) / 0.025) ** 2)
            + (1 - u**2) * np.exp(-0.5 * u**2)
            + 0.3 * np.exp(-0.5 * ((t - 0.28) / 0.05) ** 2))


def ecg_waveform(beats_s: np.ndarray, n: int, sf: float, r_peak_uv: np.ndarray | float
                 ) -> np.ndarray:
    """Heartbeats at ``beats_s`` (exact, fractional times), each with its own R-peak height
    ``r_peak_uv`` (µV, may be negative: the lead sees the heart's field reversed)."""
    out = np.zeros(n)
    beats_s = np.asarray(beats_s, dtype=float)
    if beats_s.size == 0:
        return out
    r = np.broadcast_to(np.asarray(r_peak_uv, dtype=float), beats_s.shape)
    k = np.arange(int(-0.25 * sf), int(np.ceil(0.45 * sf)) + 1)
    for a in range(0, beats_s.size, 2048):  # bounded memory at any rate
        b = beats_s[a:a + 2048]
        centre = np.floor(b * sf).astype(np.int64)
        idx = centre[:, None] + k[None, :]
        wave = r[a:a + 2048, None] * _pqrst(idx / sf - b[:, None])
        keep = (idx >= 0) & (idx < n)
        np.add.at(out, idx[keep], wave[keep])
    return out


def mains_hum(n: int, sf: float, rng: np.random.Generator, amplitude_uv: np.ndarray | float,
              hz: float) -> np.ndarray:
    """Mains hum at ``hz`` with a third harmonic at 30% (when it lies below 0.45 x ``sf``);
    ``amplitude_uv`` may vary per sample."""
    t = np.arange(n) / sf
    x = np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi))
    if 3 * hz < 0.45 * sf:
        x += 0.3 * np.sin(2 * np.pi * 3 * hz * t + rng.uniform(0, 2 * np.pi))
    return np.asarray(amplitude_uv) * x


def add_events(x: np.ndarray, starts: np.ndarray, pieces: list[np.ndarray]) -> None:
    """Add each piece into ``x`` from its start sample on (clipped at the end), in place."""
    if not pieces:
        return
    lengths = np.array([p.size for p in pieces], dtype=np.int64)
    idx, _ = ragged_arange(np.asarray(starts, dtype=np.int64), lengths)
    vals = np.concatenate(pieces)
    keep = (idx >= 0) & (idx < x.size)
    np.add.at(x, idx[keep], vals[keep])
