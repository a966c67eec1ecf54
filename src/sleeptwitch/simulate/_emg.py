"""Signal building blocks: band-limited EMG noise, resting-level drift, ECG leak and bursts.

All amplitudes are in µV, all times in seconds. Nothing here loops over samples.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["RECTIFIED_PER_SIGMA", "bandlimited_noise", "beat_times", "burst_envelopes",
           "emg_band_hz", "qrs_train", "ragged_arange", "resting_drift", "spectral_noise"]

#: For zero-mean Gaussian noise of standard deviation sigma the rectified mean is
#: E|x| = sigma * sqrt(2/pi) (about 0.798 sigma). ``noise_uv`` is a rectified mean, because that
#: is what the scoring rules' "µV above resting EMG" refers to after rectification.
RECTIFIED_PER_SIGMA = float(np.sqrt(2.0 / np.pi))

#: Lower edge of the EMG band. MATPLM (leg-movement-rules.md, §1.3) high-passes leg EMG at 20 Hz
#: before rectifying, so surface EMG below 20 Hz is not part of what a detector sees.
EMG_LOW_HZ = 20.0
#: Upper edge: tibialis surface EMG carries little power above ~200 Hz; never closer than 90% of
#: the Nyquist frequency, so the band stays below it at every sampling rate.
EMG_HIGH_HZ = 200.0


def emg_band_hz(sf: float) -> tuple[float, float]:
    """The (low, high) band of the simulated EMG at sampling rate ``sf``."""
    return EMG_LOW_HZ, min(EMG_HIGH_HZ, 0.45 * sf)


def _next_fast_len(n: int) -> int:
    """The smallest 5-smooth number (2^a 3^b 5^c) >= n: a length numpy's FFT handles quickly."""
    limit = 2 * max(n, 1)
    p2 = 2 ** np.arange(int(np.log2(limit)) + 1)
    p3 = 3 ** np.arange(int(np.log(limit) / np.log(3)) + 1)
    p5 = 5 ** np.arange(int(np.log(limit) / np.log(5)) + 1)
    cands = (p2[:, None, None] * p3[None, :, None] * p5[None, None, :]).ravel()
    return int(cands[cands >= n].min())


def spectral_noise(n: int, sf: float, rng: np.random.Generator,
                   gain: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Gaussian noise of ``n`` samples whose amplitude spectrum is ``gain(frequency in Hz)``,
    drawn straight in the frequency domain and brought back with one inverse real FFT.
    Unscaled: the caller sets the level."""
    m = _next_fast_len(n)
    freqs = np.fft.rfftfreq(m, 1.0 / sf)
    spec = (rng.standard_normal(freqs.size, dtype=np.float32)
            + 1j * rng.standard_normal(freqs.size, dtype=np.float32)).astype(np.complex64)
    spec *= gain(freqs).astype(np.float32)
    return np.fft.irfft(spec, m)[:n].astype(np.float64)


def bandlimited_noise(n: int, sf: float, rng: np.random.Generator, *,
                      rectified_uv: float = 1.0) -> np.ndarray:
    """Gaussian noise in the EMG band, scaled so that its rectified mean is ``rectified_uv``.

    Flat inside :func:`emg_band_hz`, zero outside, with raised-cosine skirts 5 Hz wide.
    """
    if n == 0:
        return np.zeros(0)
    low, high = emg_band_hz(sf)
    edge = 5.0

    def gain(f: np.ndarray) -> np.ndarray:
        g = (np.clip((f - (low - edge)) / edge, 0.0, 1.0)
             * np.clip(((high + edge) - f) / edge, 0.0, 1.0))
        return 0.5 - 0.5 * np.cos(np.pi * g)

    x = spectral_noise(n, sf, rng, gain)
    return x * (rectified_uv / RECTIFIED_PER_SIGMA / x.std())


def resting_drift(n: int, sf: float, rng: np.random.Generator, *,
                  fraction: float) -> np.ndarray:
    """A slow multiplicative drift of the resting EMG level: mean 1, range 1 +/- ``fraction``.

    Three sinusoids with periods of 20-120 min and random phases, evaluated once a second and
    interpolated; centred so that the night-average gain is exactly 1 (``noise_uv`` stays the
    average rectified level) and scaled so that the largest excursion is ``fraction``.
    """
    duration_s = n / sf
    t = np.arange(int(np.ceil(duration_s)) + 2, dtype=float)
    periods = rng.uniform(20 * 60, 120 * 60, size=3)
    phases = rng.uniform(0, 2 * np.pi, size=3)
    weights = rng.uniform(0.5, 1.0, size=3)
    s = (weights[:, None] * np.sin(2 * np.pi * t[None, :] / periods[:, None]
                                   + phases[:, None])).sum(axis=0)
    s -= s.mean()
    peak = np.abs(s).max()
    s = s / peak if peak > 0 else s
    gain_1hz = 1.0 + fraction * s
    gain = np.interp(np.arange(n) / sf, t, gain_1hz)
    return gain / gain.mean()


def beat_times(duration_s: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """R-peak times (s) at 55-72 bpm on average, RR kept within 50-80 bpm.

    Heart-rate variability: respiratory sinus arrhythmia (4%, 0.2-0.3 Hz), a slow 30-min wander
    (3%) and beat-to-beat jitter (1.5%). Returns the times and the mean heart rate (bpm).
    """
    hr = float(rng.uniform(55.0, 72.0))
    rr0 = 60.0 / hr
    n = int(np.ceil(duration_s / 0.75)) + 2
    t_approx = np.arange(n) * rr0
    rr = rr0 * (1.0
                + 0.04 * np.sin(2 * np.pi * rng.uniform(0.2, 0.3) * t_approx
                                + rng.uniform(0, 2 * np.pi))
                + 0.03 * np.sin(2 * np.pi * t_approx / 1800.0 + rng.uniform(0, 2 * np.pi))
                + 0.015 * rng.standard_normal(n))
    rr = np.clip(rr, 60.0 / 80.0, 60.0 / 50.0)
    beats = rng.uniform(0, rr0) + np.concatenate([[0.0], np.cumsum(rr[:-1])])
    return beats[beats < duration_s], hr


def qrs_train(beats_s: np.ndarray, n: int, sf: float, amplitude_uv: float, *,
              width_s: float = 0.004) -> np.ndarray:
    """QRS-like spikes at ``beats_s``: a Ricker (Mexican-hat) wavelet, peak ``amplitude_uv``.

    With ``width_s`` = 4 ms the positive lobe is 8 ms wide and the complex with its negative
    side lobes about 15-20 ms, the width of a QRS complex. Each spike is sampled at its exact
    (fractional) time, so its shape at 256 Hz depends on where the beat falls between samples,
    as in real data.
    """
    out = np.zeros(n)
    if amplitude_uv == 0 or beats_s.size == 0:
        return out
    half = int(np.ceil(5 * width_s * sf))
    k = np.arange(-half, half + 1)
    centre = np.floor(beats_s * sf).astype(np.int64)
    u = ((centre[:, None] + k[None, :]) / sf - beats_s[:, None]) / width_s
    wave = amplitude_uv * (1.0 - u**2) * np.exp(-0.5 * u**2)
    idx = centre[:, None] + k[None, :]
    keep = (idx >= 0) & (idx < n)
    out[idx[keep]] = wave[keep]  # beats are >= 0.75 s apart: indices are unique
    return out


def ragged_arange(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(start, start + length)`` per pair, and the owner of each value."""
    lengths = np.asarray(lengths, dtype=np.int64)
    owner = np.repeat(np.arange(lengths.size), lengths)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if lengths.size else lengths
    within = np.arange(owner.size) - np.repeat(first, lengths)
    return np.asarray(starts, dtype=np.int64)[owner] + within, owner


def burst_envelopes(lengths: np.ndarray, sf: float, peak_uv: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """Rectified-amplitude envelopes of EMG bursts (``lengths`` in samples), concatenated.

    Each burst rises along a raised cosine in 0.05-0.15 s (about 0.1 s), holds a plateau and
    falls in 0.1-0.3 s (never more than a quarter of the burst each way). The plateau fluctuates
    by a sum of three 1-4 Hz sinusoids (+/- about 25%) and has short dips (Poisson, 0.5 per
    second, 0.05-0.25 s long, down to 35-70% of the local level). A dip never reaches the resting
    level for 0.5 s, so a burst stays one leg movement under the offset rule. Each envelope is
    scaled so that its maximum is exactly ``peak_uv``.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    nb = lengths.size
    if nb == 0:
        return np.zeros(0)
    dur = lengths / sf
    _, owner = ragged_arange(np.zeros(nb, dtype=np.int64), lengths)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    tau = (np.arange(owner.size) - first[owner]) / sf  # time since burst onset

    rise = np.minimum(rng.uniform(0.05, 0.15, nb), 0.25 * dur)
    fall = np.minimum(rng.uniform(0.10, 0.30, nb), 0.25 * dur)
    r, f, d = rise[owner], fall[owner], dur[owner]
    to_end = d - tau
    shape = np.ones_like(tau)
    up = tau < r
    shape[up] = 0.5 - 0.5 * np.cos(np.pi * tau[up] / r[up])
    down = to_end < f
    shape[down] = 0.5 - 0.5 * np.cos(np.pi * to_end[down] / f[down])

    freq = rng.uniform(1.0, 4.0, (nb, 3))
    phase = rng.uniform(0, 2 * np.pi, (nb, 3))
    wobble = 1.0 + 0.08 * np.sin(2 * np.pi * freq[owner] * tau[:, None] + phase[owner]).sum(axis=1)

    dips = np.ones_like(tau)
    # Dips stay 0.2 s clear of the rising and falling edges and of each other: each has a slot
    # of its own, at least 0.5 s wide, so that no two of them add up to a 0.5-s quiet stretch.
    room = dur - rise - fall - 0.4
    n_dips = np.minimum(rng.poisson(0.5 * dur), np.clip(np.floor(room / 0.5), 0, 4)).astype(int)
    if n_dips.sum():
        who = np.repeat(np.arange(nb), n_dips)
        rank = np.arange(who.size) - np.repeat(np.cumsum(n_dips) - n_dips, n_dips)
        slot = room[who] / n_dips[who]
        width = rng.uniform(0.05, 0.25, who.size)
        start = (rise[who] + 0.2 + rank * slot
                 + rng.uniform(0, 1, who.size) * np.maximum(slot - width - 0.2, 0))
        n_w = np.maximum((width * sf).astype(np.int64), 1)
        idx, dip_owner = ragged_arange(first[who] + (start * sf).astype(np.int64), n_w)
        pos = (idx - first[who][dip_owner] - (start * sf).astype(np.int64)[dip_owner]) + 0.5
        floor = rng.uniform(0.35, 0.7, who.size)[dip_owner]
        depth = (1.0 - floor) * np.sin(np.pi * pos / n_w[dip_owner])
        np.minimum.at(dips, idx, 1.0 - depth)

    env = shape * wobble * dips
    return env * (peak_uv / np.maximum.reduceat(env, first))[owner]
