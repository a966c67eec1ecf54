"""A central EEG derivation (e.g. C4-M1) whose rhythms follow a hypnogram: ``simulate_eeg``.

Textbook AASM features of each stage (no figure for them in ``sources/``), amplitudes in µV as
recorded against the contralateral mastoid:

- W: posterior alpha (8-12 Hz) that waxes and wanes, much beta and muscle activity above 20 Hz.
- N1: alpha gives way to low-amplitude theta (4-7 Hz); occasional vertex sharp waves.
- N2: theta/delta background with sleep spindles (11-15 Hz, 0.5-2 s) and K-complexes (a sharp
  negative wave then a slower positive one, > 0.5 s, often > 75 µV).
- N3: high-amplitude delta (0.5-2 Hz, > 75 µV peak to peak) over much of the epoch.
- R: low-amplitude mixed frequencies, theta, bursts of saw-tooth waves (2-6 Hz); no spindles or
  K-complexes; atonia leaves little muscle activity.

Nothing here loops over samples: each rhythm is drawn for the whole night as band-limited noise
and weighted sample by sample by the stage; events (spindles, K-complexes, vertex and saw-tooth
waves) are drawn as a Poisson process per epoch and added with one ``bincount``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

from ._emg import ragged_arange, spectral_noise
from ._hypnogram import EPOCH_S, STAGES

__all__ = ["simulate_eeg"]

# rms (µV) of each rhythm per stage, in the order of STAGES (W, N1, N2, N3, R).
_RHYTHMS_UV = {
    "background": (6.0, 7.0, 9.0, 10.0, 6.0),    # 1/f, 0.5-30 Hz
    "delta": (3.0, 6.0, 20.0, 45.0, 10.0),       # 0.5-2 Hz
    "theta": (3.0, 10.0, 8.0, 6.0, 9.0),         # 4-7 Hz
    "alpha": (14.0, 4.0, 1.0, 0.5, 1.5),         # ~10 Hz in W; ~8.5 Hz in R (1-2 Hz slower)
    "beta": (3.5, 2.5, 1.5, 1.0, 1.5),           # 15-30 Hz
    "muscle": (5.0, 2.0, 1.0, 1.0, 0.5),         # 20 Hz and above (scalp EMG)
}
# Events per minute of each stage (W, N1, N2, N3, R).
_EVENTS_PER_MIN = {
    "spindle": (0.0, 0.0, 8.0, 1.5, 0.0),
    "k_complex": (0.0, 0.2, 2.5, 0.3, 0.0),
    "vertex": (0.0, 2.0, 0.3, 0.0, 0.0),
    "sawtooth": (0.0, 0.0, 0.0, 0.0, 2.0),
}
#: Stage changes are blended over this many seconds, so the signal has no steps at epoch edges.
_BLEND_S = 4.0


def _band(lo: float, hi: float, edge: float) -> Callable[[np.ndarray], np.ndarray]:
    def gain(f: np.ndarray) -> np.ndarray:
        g = np.clip((f - (lo - edge)) / edge, 0.0, 1.0) * np.clip(((hi + edge) - f) / edge, 0, 1)
        return 0.5 - 0.5 * np.cos(np.pi * g)

    return gain


def _unit_rms(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return x / sd if sd > 0 else x


def _stage_weights(codes: np.ndarray, table: tuple[float, ...], sf: float, n: int) -> np.ndarray:
    """Per-sample value of ``table[stage]``, blended across epoch edges (moving average)."""
    per_epoch = np.asarray(table, dtype=float)[codes]
    step = int(round(EPOCH_S * sf))
    w = np.repeat(per_epoch, step)[:n]
    k = max(int(_BLEND_S * sf), 1)
    c = np.concatenate([[0.0], np.cumsum(np.pad(w, (k // 2, k - 1 - k // 2), mode="edge"))])
    return (c[k:] - c[:-k]) / k


def _event_onsets(codes: np.ndarray, rate_per_min: tuple[float, ...],
                  rng: np.random.Generator) -> np.ndarray:
    """Poisson onsets (s) in the epochs of each stage at its rate."""
    lam = np.asarray(rate_per_min, dtype=float)[codes] * EPOCH_S / 60.0
    counts = rng.poisson(lam)
    starts = np.repeat(np.arange(codes.size) * EPOCH_S, counts)
    return np.sort(starts + rng.uniform(0.0, EPOCH_S, starts.size))


def _add_events(x: np.ndarray, sf: float, onsets_s: np.ndarray, dur_s: np.ndarray,
                shape) -> None:
    """Add one waveform per event: ``shape(tau, k)`` with tau in [0, 1) and k the event index."""
    if onsets_s.size == 0:
        return
    lengths = np.maximum((dur_s * sf).astype(np.int64), 1)
    idx, owner = ragged_arange(np.round(onsets_s * sf).astype(np.int64), lengths)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    tau = (np.arange(idx.size) - first[owner]) / lengths[owner]
    wave = shape(tau, owner)
    keep = idx < x.size
    x += np.bincount(idx[keep], weights=wave[keep], minlength=x.size)


def simulate_eeg(hypnogram, sf: float = 128.0, *,
                 seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """One EEG channel (µV) whose spectrum and graphoelements follow ``hypnogram``.

    Parameters
    ----------
    hypnogram : array of str
        One stage per 30-s epoch: ``"W"``, ``"N1"``, ``"N2"``, ``"N3"`` or ``"R"`` (``"?"`` is
        rendered as wake).
    sf : float
        Sampling frequency in Hz (at least 64).
    seed : int, Generator or None
        Same seed and hypnogram, same signal.

    Returns
    -------
    ndarray of float64
        ``len(hypnogram) * 30 * sf`` samples in µV (rms about 15 µV in wake, 25 in N2 and 50
        in N3).

    Examples
    --------
    >>> x = simulate_eeg(["W", "N2", "N3"], sf=100.0, seed=1)
    >>> x.shape
    (9000,)
    """
    if isinstance(sf, bool) or not isinstance(sf, numbers.Real) or not 64 <= sf <= 10_000:
        raise ValueError(f"Invalid value for 'sf': must be >= 64 and <= 10000 Hz, got {sf!r}.")
    hyp = np.asarray(hypnogram, dtype=str)
    unknown = sorted(set(hyp.tolist()) - set(STAGES) - {"?"})
    if unknown:
        raise ValueError(f"Invalid stages in 'hypnogram': {unknown}; allowed are "
                         f"{', '.join(STAGES)} and '?'.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sf = float(sf)
    codes = np.select([hyp == s for s in STAGES], list(range(len(STAGES))), 0)
    n = int(round(hyp.size * EPOCH_S * sf))
    if n == 0:
        return np.zeros(0)
    nyq = 0.45 * sf
    bands = {
        "background": lambda f: np.where((f >= 0.5) & (f <= 30.0),
                                         1.0 / np.maximum(f, 0.5), 0.0),
        "delta": _band(0.5, 2.0, 0.3),
        "theta": _band(4.0, 7.0, 1.0),
        "beta": _band(15.0, 30.0, 2.0),
        "muscle": _band(20.0, nyq - 2.0, 2.0),
    }
    x = np.zeros(n)
    for name, gain in bands.items():
        x += _unit_rms(spectral_noise(n, sf, rng, gain)) * _stage_weights(
            codes, _RHYTHMS_UV[name], sf, n)
    # Alpha: narrow band at 10 Hz (wake) that waxes and wanes; REM has a slower, weaker one.
    slow = _unit_rms(spectral_noise(n, sf, rng, _band(0.05, 0.3, 0.05)))
    wax = np.clip(1.0 + 0.5 * slow, 0.2, None)
    alpha_hz = rng.uniform(9.5, 10.5)
    for centre, table in ((alpha_hz, (1.0, 1.0, 1.0, 1.0, 0.0)),
                          (alpha_hz - 1.5, (0.0, 0.0, 0.0, 0.0, 1.0))):
        peak = _unit_rms(spectral_noise(n, sf, rng, _band(centre - 0.7, centre + 0.7, 0.5)))
        x += peak * wax * _stage_weights(codes, tuple(
            a * t for a, t in zip(_RHYTHMS_UV["alpha"], table, strict=True)), sf, n)

    t_sp = _event_onsets(codes, _EVENTS_PER_MIN["spindle"], rng)
    sp_hz, sp_uv = rng.uniform(11.5, 14.5, t_sp.size), rng.uniform(15.0, 35.0, t_sp.size)
    sp_dur, sp_phase = rng.uniform(0.6, 1.8, t_sp.size), rng.uniform(0, 2 * np.pi, t_sp.size)
    _add_events(x, sf, t_sp, sp_dur, lambda tau, k: sp_uv[k] * np.sin(np.pi * tau) ** 2 * np.sin(
        2 * np.pi * sp_hz[k] * tau * sp_dur[k] + sp_phase[k]))

    # K-complex: a sharp negative wave (plotted upwards by EEG convention) then a slower
    # positive one; about 1 s in all.
    t_kc = _event_onsets(codes, _EVENTS_PER_MIN["k_complex"], rng)
    kc_uv = rng.uniform(70.0, 150.0, t_kc.size)
    _add_events(x, sf, t_kc, np.full(t_kc.size, 1.2), lambda tau, k: kc_uv[k] * (
        -np.exp(-0.5 * ((tau - 0.25) / 0.08) ** 2)
        + 0.6 * np.exp(-0.5 * ((tau - 0.6) / 0.15) ** 2)))

    t_vx = _event_onsets(codes, _EVENTS_PER_MIN["vertex"], rng)
    vx_uv = rng.uniform(30.0, 60.0, t_vx.size)
    _add_events(x, sf, t_vx, np.full(t_vx.size, 0.4), lambda tau, k: -vx_uv[k] * np.exp(
        -0.5 * ((tau - 0.5) / 0.15) ** 2))

    # Saw-tooth waves: 2-5 s runs of triangular 2-4 Hz waves (slow rise, sharp fall).
    t_st = _event_onsets(codes, _EVENTS_PER_MIN["sawtooth"], rng)
    st_hz, st_uv = rng.uniform(2.0, 4.0, t_st.size), rng.uniform(20.0, 40.0, t_st.size)
    st_dur = rng.uniform(2.0, 5.0, t_st.size)
    _add_events(x, sf, t_st, st_dur, lambda tau, k: st_uv[k] * np.sin(np.pi * tau) * (
        2.0 * ((tau * st_dur[k] * st_hz[k]) % 1.0) - 1.0))
    return x
