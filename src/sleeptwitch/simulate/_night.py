"""A whole night of two-leg tibialis anterior EMG with known truth: ``simulate_night``."""

from __future__ import annotations

import logging
import math
import numbers
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .._version import __version__
from ._emg import (
    RECTIFIED_PER_SIGMA,
    bandlimited_noise,
    beat_times,
    burst_envelopes,
    emg_band_hz,
    qrs_train,
    ragged_arange,
    resting_drift,
)
from ._events import (
    BILATERAL_MAX_LAG_S,
    LM_DURATION_S,
    RESPIRATORY_WINDOW_S,
    SERIES_GUARD_S,
    plan_events,
    respiratory_flags,
)
from ._hypnogram import EPOCH_S, simulate_hypnogram

__all__ = ["ARTEFACT_COLUMNS", "LEG_CHANNELS", "SimulatedNight", "random_streams", "simulate_night",
           "simulate_noise_only"]

logger = logging.getLogger("sleeptwitch")

LEG_CHANNELS = ("Leg L", "Leg R")
_SIDES = np.array(["left", "right"])
#: One random stream per part of the simulation, so that changing one part (the noise level, the
#: ECG leak) leaves every other part, and the truth, as it was for the same seed.
#: New streams go at the end: the first ones (and so every night simulated before) stay as
#: they were.
_STREAMS = ("hypnogram", "events", "bursts", "noise_left", "noise_right", "drift_left",
            "drift_right", "ecg", "mains", "extra_channels", "eeg")
#: The resting EMG level drifts by up to +/- 30% across the night.
DRIFT_FRACTION = 0.3
TRUTH_COLUMNS = ("onset", "duration", "side", "stage", "in_train", "train_id", "respiratory",
                 "peak_amplitude_uv")
_ANNOTATION_COLUMNS = ["onset", "duration", "description"]
#: Columns of ``SimulatedNight.artefacts`` (see :func:`simulate_scenario`).
ARTEFACT_COLUMNS = ("onset", "duration", "side", "kind", "unscorable", "amplitude_uv")


def _no_artefacts() -> pd.DataFrame:
    return pd.DataFrame({"onset": pd.Series(dtype=float), "duration": pd.Series(dtype=float),
                         "side": pd.Series(dtype=object), "kind": pd.Series(dtype=object),
                         "unscorable": pd.Series(dtype=bool),
                         "amplitude_uv": pd.Series(dtype=float)})


def random_streams(entropy: int) -> dict[str, np.random.Generator]:
    """The named random generators of a night simulated from ``params["entropy"]``."""
    children = np.random.SeedSequence(entropy).spawn(len(_STREAMS))
    return {name: np.random.default_rng(s) for name, s in zip(_STREAMS, children, strict=True)}


@dataclass(frozen=True, eq=False, repr=False)
class SimulatedNight:
    """A simulated night: leg EMG in µV, the hypnogram, and the truth behind them.

    Attributes
    ----------
    signals : dict of str to ndarray
        ``{"Leg L": ..., "Leg R": ...}``: tibialis anterior surface EMG in µV (float64).
    sf : float
        Sampling frequency in Hz.
    hypnogram : ndarray of str
        One stage per 30-s epoch: ``"W"``, ``"N1"``, ``"N2"``, ``"N3"`` or ``"R"``; it covers the
        signals exactly (``len(hypnogram) * 30 * sf == len(signal)``).
    truth : DataFrame
        One row per true LM per leg: ``onset``, ``duration`` (s), ``side`` (``"left"`` or
        ``"right"``), ``stage`` (at the onset), ``in_train`` (bool), ``train_id`` (int, -1 outside
        a train), ``respiratory`` (onset from 2 s before to 10.25 s after the end of a
        respiratory event, the WASM 2016 window), ``peak_amplitude_uv`` (peak of the burst's own
        rectified envelope, 25-150 µV, added to the resting EMG).
        Bilateral LMs are two rows, one per leg, with onsets less than 0.5 s apart.
    fragments : DataFrame
        Bursts shorter than 0.5 s that are not LMs: ``onset``, ``duration``, ``side``.
    respiratory : DataFrame
        ``onset``, ``duration``, ``description`` (``"Obstructive apnea"`` or ``"Hypopnea"``).
    arousals : DataFrame
        ``onset``, ``duration``, ``description`` (``"Arousal"``).
    params : dict
        Every setting used, the seed and the entropy that reproduces the night, and the numbers
        of events actually placed (``n_plm_trains_placed``, ...).
    artefacts : DataFrame
        What is not an LM, one row per artefact per leg (empty for :func:`simulate_night`;
        filled by :func:`simulate_scenario`): ``onset``, ``duration``, ``side``, ``kind``,
        ``unscorable``, ``amplitude_uv``.
    other_signals : dict of str to ndarray
        Further channels recorded with the legs (``"ECG"``), in their physical units.
    channel_sf : dict of str to float
        Sampling rate of each channel, when it is not ``sf`` (legs at different rates, ECG).
    beats_s : ndarray or None
        R-peak times (s) of the heartbeat that leaks onto the legs, when it does.
    """

    signals: dict[str, np.ndarray]
    sf: float
    hypnogram: np.ndarray
    truth: pd.DataFrame
    fragments: pd.DataFrame
    respiratory: pd.DataFrame
    arousals: pd.DataFrame
    params: dict
    artefacts: pd.DataFrame = field(default_factory=_no_artefacts)
    other_signals: dict[str, np.ndarray] = field(default_factory=dict)
    channel_sf: dict[str, float] = field(default_factory=dict)
    beats_s: np.ndarray | None = None

    def sf_of(self, name: str) -> float:
        """Sampling rate (Hz) of the channel ``name``."""
        return float(self.channel_sf.get(name, self.sf))

    def __repr__(self) -> str:
        n_train = int(self.truth["in_train"].sum())
        return (f"SimulatedNight({len(self.hypnogram) * EPOCH_S / 3600:g} h, {self.sf:g} Hz, "
                f"{len(self.truth)} LMs ({n_train} in {self.params['n_plm_trains_placed']} "
                f"trains), {len(self.fragments)} fragments, {len(self.respiratory)} respiratory "
                f"events, seed={self.params['seed']})")

    def annotations(self, *, include_lms: bool = False) -> pd.DataFrame:
        """The night's annotations as an ``onset``, ``duration``, ``description`` table.

        Stages as ``"Sleep stage W"`` ... ``"Sleep stage R"`` (one row per run of equal
        epochs), respiratory events, arousals and, with ``include_lms``, every true LM as
        ``"Limb movement - left"`` or ``"Limb movement - right"``; sorted by onset.
        """
        hypno = self.hypnogram
        starts = np.flatnonzero(np.r_[True, hypno[1:] != hypno[:-1]])
        runs = np.diff(np.r_[starts, hypno.size])
        parts = [pd.DataFrame({"onset": starts * EPOCH_S, "duration": runs * EPOCH_S,
                               "description": "Sleep stage " + hypno[starts].astype(object)}),
                 self.respiratory[_ANNOTATION_COLUMNS], self.arousals[_ANNOTATION_COLUMNS]]
        if include_lms:
            parts.append(pd.DataFrame({
                "onset": self.truth["onset"], "duration": self.truth["duration"],
                "description": "Limb movement - " + self.truth["side"].astype(object)}))
        out = pd.concat([p for p in parts if len(p)], ignore_index=True)
        out = out.sort_values("onset", kind="mergesort").reset_index(drop=True)
        return out.astype({"onset": float, "duration": float})


def _check_range(name: str, value, low: float, high: float = np.inf, *,
                 low_open: bool = False, integer: bool = False) -> None:
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(
            value, numbers.Integral if integer else numbers.Real):
        raise TypeError(f"'{name}' must be {kind}, got {value!r}.")
    below = value <= low if low_open else value < low
    if below or value > high or (not integer and not math.isfinite(value)):
        lo = f"> {low:g}" if low_open else f">= {low:g}"
        hi = "" if high == np.inf else f" and <= {high:g}"
        raise ValueError(f"Invalid value for '{name}': must be {lo}{hi}, got {value!r}.")


def simulate_night(duration_h: float = 8.0, sf: float = 256.0, *, noise_uv: float = 2.0,
                   ecg_uv: float = 0.0, n_plm_trains: int = 6, n_isolated: int = 40,
                   bilateral_fraction: float = 0.3, n_fragments: int = 60, n_apneas: int = 0,
                   wake_fraction: float = 0.1, mains_uv: float = 0.0, mains_hz: float = 50.0,
                   seed: int | None = 0) -> SimulatedNight:
    """Simulate a night of left and right tibialis anterior EMG with known leg movements.

    Parameters
    ----------
    duration_h : float
        Length of the recording in hours, rounded to whole 30-s epochs.
    sf : float
        Sampling frequency in Hz (at least 100; the AASM recommends >= 200 Hz for leg EMG).
    noise_uv : float
        Night-average rectified mean of the resting EMG, in µV. For Gaussian noise of standard
        deviation sigma the rectified mean is sigma * sqrt(2/pi), so the rms is
        ``noise_uv * sqrt(pi/2)`` (about 1.25 x). The level drifts by up to +/- 30% across the
        night.
    ecg_uv : float
        Peak of the QRS-like spikes of an ECG leak, in µV (0: none).
    n_plm_trains : int
        PLM trains of 4-40 LMs at onset-to-onset intervals of 15-40 s, starting in N1/N2 mostly.
    n_isolated : int
        LMs outside trains, in any stage, most often in wake.
    bilateral_fraction : float
        Share of LMs that have a partner on the other leg (onsets less than 0.5 s apart).
    n_fragments : int
        Bursts of 0.1-0.4 s, too short to be LMs.
    n_apneas : int
        Apneas and hypopneas of 10-40 s in sleep, each followed by an LM and an arousal.
    wake_fraction : float
        Share of 30-s epochs scored wake (sleep-onset latency plus brief awakenings).
    mains_uv, mains_hz : float
        Amplitude (µV) and frequency of mains hum; off by default.
    seed : int or None
        Same seed, same night. With ``None`` a fresh seed is drawn; ``params["entropy"]`` passed as
        ``seed`` reproduces that night.

    Returns
    -------
    SimulatedNight

    Notes
    -----
    When the night is too short for the events asked for, as many as fit are placed, a warning
    is logged and ``params`` says how many (``n_plm_trains_placed``, ``n_isolated_placed``, ...).
    LMs outside trains keep more than 95 s from any other group of LMs, so ``in_train`` is
    exactly the PLM series membership under WASM 2016 and AASM alike.

    Examples
    --------
    >>> night = simulate_night(duration_h=1.0, seed=1)
    >>> sorted(night.signals)
    ['Leg L', 'Leg R']
    """
    _check_range("duration_h", duration_h, 0.0, 48.0, low_open=True)
    _check_range("sf", sf, 100.0, 10_000.0)
    _check_range("noise_uv", noise_uv, 0.0, low_open=True)
    for name, value in (("ecg_uv", ecg_uv), ("mains_uv", mains_uv)):
        _check_range(name, value, 0.0)
    _check_range("mains_hz", mains_hz, 0.0, sf / 2, low_open=True)
    for name, value in (("n_plm_trains", n_plm_trains), ("n_isolated", n_isolated),
                        ("n_fragments", n_fragments), ("n_apneas", n_apneas)):
        _check_range(name, value, 0, integer=True)
    _check_range("bilateral_fraction", bilateral_fraction, 0.0, 1.0)
    _check_range("wake_fraction", wake_fraction, 0.0, 1.0)
    if seed is not None:
        _check_range("seed", seed, 0, integer=True)

    sf = float(sf)
    n_epochs = max(1, int(round(duration_h * 3600 / EPOCH_S)))
    duration_s = n_epochs * EPOCH_S
    n = int(round(duration_s * sf))
    entropy = int(np.random.SeedSequence(seed).entropy)
    rng = random_streams(entropy)

    hypno = simulate_hypnogram(n_epochs, wake_fraction, rng["hypnogram"])
    plan = plan_events(hypno, duration_s, rng["events"], n_plm_trains=n_plm_trains,
                       n_isolated=n_isolated, bilateral_fraction=bilateral_fraction,
                       n_fragments=n_fragments, n_apneas=n_apneas)

    # Events start and end on samples; the truth gives the rendered times.
    bursts = pd.concat([plan.lms, plan.fragments], ignore_index=True)
    start = np.round(bursts["onset"].to_numpy() * sf).astype(np.int64)
    length = np.maximum(np.round(bursts["duration"].to_numpy() * sf).astype(np.int64), 1)
    side = bursts["side"].to_numpy(np.int64)
    envelope = burst_envelopes(length, sf, bursts["peak_amplitude_uv"].to_numpy(), rng["bursts"])
    # The burst is EMG too: band-limited noise of unit rectified mean, shaped by the envelope,
    # so its rectified amplitude follows the envelope.
    burst = envelope * bandlimited_noise(int(length.sum()), sf, rng["bursts"])
    idx, owner = ragged_arange(start, length)

    beats, heart_rate = beat_times(duration_s, rng["ecg"])
    ecg = qrs_train(beats, n, sf, ecg_uv)
    t = np.arange(n) / sf if mains_uv else None
    mains_phase = rng["mains"].uniform(0, 2 * np.pi, 2)
    signals = {}
    for leg, name in enumerate(LEG_CHANNELS):
        x = (bandlimited_noise(n, sf, rng[f"noise_{_SIDES[leg]}"], rectified_uv=noise_uv)
             * resting_drift(n, sf, rng[f"drift_{_SIDES[leg]}"], fraction=DRIFT_FRACTION))
        mine = side[owner] == leg
        x[idx[mine]] += burst[mine]  # bursts on one leg never overlap
        x += ecg
        if mains_uv:
            x += mains_uv * np.sin(2 * np.pi * mains_hz * t + mains_phase[leg])
        signals[name] = x

    n_lm = len(plan.lms)
    onset, duration = start[:n_lm] / sf, length[:n_lm] / sf
    epoch = np.minimum((onset // EPOCH_S).astype(np.int64), n_epochs - 1)
    truth = pd.DataFrame({
        "onset": onset, "duration": duration, "side": _SIDES[side[:n_lm]],
        "stage": hypno[epoch], "in_train": plan.lms["train_id"].to_numpy() >= 0,
        "train_id": plan.lms["train_id"].to_numpy(np.int64),
        "respiratory": respiratory_flags(onset, plan.respiratory),
        "peak_amplitude_uv": plan.lms["peak_amplitude_uv"].to_numpy(float),
    })
    fragments = pd.DataFrame({"onset": start[n_lm:] / sf, "duration": length[n_lm:] / sf,
                              "side": _SIDES[side[n_lm:]]})

    requested = {"n_plm_trains": n_plm_trains, "n_isolated": n_isolated,
                 "n_fragments": n_fragments, "n_apneas": n_apneas}
    for key, what in (("n_plm_trains", "PLM trains"), ("n_isolated", "isolated LMs"),
                      ("n_fragments", "fragments"), ("n_apneas", "respiratory events")):
        got, want = plan.placed[f"{key}_placed"], requested[key]
        if got < want:
            logger.warning("simulate_night: a %g-h night with this hypnogram has room for %d of "
                           "the %d %s asked for; lower the number or lengthen the night.",
                           duration_s / 3600, got, want, what)
    params = {
        "generator": "sleeptwitch.simulate.simulate_night", "version": __version__,
        "seed": seed, "entropy": entropy, "duration_h": duration_s / 3600,
        "duration_s": duration_s, "n_epochs": n_epochs, "sf": sf, "noise_uv": float(noise_uv),
        "noise_sigma_uv": noise_uv / RECTIFIED_PER_SIGMA, "band_hz": emg_band_hz(sf),
        "drift_fraction": DRIFT_FRACTION, "ecg_uv": float(ecg_uv),
        "heart_rate_bpm": heart_rate, "mains_uv": float(mains_uv), "mains_hz": float(mains_hz),
        **requested, **plan.placed, "bilateral_fraction": float(bilateral_fraction),
        "wake_fraction": float(wake_fraction),
        "wake_fraction_actual": float(np.mean(hypno == "W")),
        "lm_duration_s": LM_DURATION_S, "bilateral_max_lag_s": BILATERAL_MAX_LAG_S,
        "series_guard_s": SERIES_GUARD_S, "respiratory_window_s": RESPIRATORY_WINDOW_S,
    }
    return SimulatedNight(signals=signals, sf=sf, hypnogram=hypno, truth=truth,
                          fragments=fragments, respiratory=plan.respiratory,
                          arousals=plan.arousals, params=params)


def simulate_noise_only(duration_h: float, sf: float = 256.0, *, noise_uv: float = 7.5,
                        ecg_uv: float = 0.0, seed: int | None = 0) -> SimulatedNight:
    """A night with no bursts at all: resting EMG (with drift and optional ECG leak) only.

    For false-positive checks: the truth, fragments, respiratory events and arousals are empty
    tables with their usual columns. The default 7.5 µV rectified mean is about 9.4 µV rms, inside
    the 5-10 µV rms range of the project's noise target (leg-movement-rules.md). With the same
    seed and ``noise_uv``, the background equals that of :func:`simulate_night`.
    """
    night = simulate_night(duration_h, sf, noise_uv=noise_uv, ecg_uv=ecg_uv, n_plm_trains=0,
                           n_isolated=0, n_fragments=0, n_apneas=0, seed=seed)
    return replace(night, params={**night.params,
                                  "generator": "sleeptwitch.simulate.simulate_noise_only"})
