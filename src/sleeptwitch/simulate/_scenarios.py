"""Named real-world scenarios: ``simulate_scenario("realistic")`` and friends.

A scenario starts from :func:`simulate_night` (the muscle's own activity: LMs, PLM trains,
fragments, with exact truth) and adds what real recordings of the tibialis anterior carry, each
with exact truth in ``night.artefacts`` (one row per artefact per leg). Sources:
``sources/leg-movement-rules.md`` (recording practice, EFM, ALMA, HFT) and the AASM technical
specifications quoted there (leg EMG 10-100 Hz, >= 200 Hz sampling).

What counts as an LM here follows the WASM 2016 / AASM LM definition, which is about amplitude
and time only: a rise of 8 µV over resting EMG lasting 0.5-10 s, ended by 0.5 s within 2 µV of
rest. So:

- EFM potentials (20-150 ms), ALMA bursts (0.1-0.4 s) and short HFT bursts (0.25-0.4 s) are not
  LMs. The simulator keeps at least 0.6 s of rest between two bursts on the same leg, so that no
  train of them can count as one movement under the offset rule.
- HFT bursts of 0.6-1.0 s are LMs by that definition (the standards give HFT and ALMA their own
  scoring rules but do not take such bursts out of the LM count); they are in ``truth``, isolated
  (> 95 s from any other LM), at intervals < 5 s, so they never join a PLM series.
- Movement and position-change artefacts, pops, sweat, mains and ECG are not LMs. Movement
  artefacts (broadband, hundreds of µV, seconds long), railed stretches and mains-dominated
  stretches are *unscorable*: no true LM lies in them, and a scorer should leave them out of the
  time base. An LM may ride on a position shift (low-frequency only) and keeps its own times.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..vocabulary import check_option
from ._artefacts import (
    AMPLIFIER_HIGHPASS_HZ,
    add_events,
    amplifier_highpass,
    ecg_waveform,
    hann_slow_swing,
    mains_hum,
    pop_decays,
    slow_band_noise,
)
from ._emg import (
    RECTIFIED_PER_SIGMA,
    bandlimited_noise,
    beat_times,
    burst_envelopes,
    emg_band_hz,
    ragged_arange,
)
from ._events import respiratory_flags
from ._hypnogram import EPOCH_S
from ._night import (
    ARTEFACT_COLUMNS,
    LEG_CHANNELS,
    TRUTH_COLUMNS,
    SimulatedNight,
    _no_artefacts,
    random_streams,
    simulate_night,
    simulate_noise_only,
)

__all__ = ["ARTEFACT_COLUMNS", "SCENARIOS", "Scenario", "simulate_scenario",
           "unscorable_intervals"]

logger = logging.getLogger("sleeptwitch")

_SIDES = ("left", "right")
_EDGE_S = 15.0
#: Layers draw from streams of their own, spawned after the night's (``random_streams``), so
#: adding or changing one layer leaves the others and the LM truth as they were.
_LAYERS = ("wander", "ecg_leak", "movement", "pops", "efm", "alma", "hft", "sweat", "mains",
           "rails", "white", "ecg_channel")


@dataclass(frozen=True)
class Scenario:
    """What a named scenario adds to a simulated night (see :data:`SCENARIOS`)."""

    description: str
    wideband: bool = False
    ecg_leak: bool = False
    arousal_artefacts: bool = False
    pops: bool = False
    fragments: bool = False
    alma_hft: bool = False
    sweat: bool = False
    mains: bool = False
    rails: bool = False
    leg_sf: tuple[float, float] = (256.0, 256.0)
    ecg_sf: float = 500.0
    mains_hz: float = 50.0
    record_duration_s: float = 1.0
    #: Digital resolution (µV per step) and number of steps each side of zero of the leg
    #: channels as stored; None: the EDF writer's own choice (range from the data, 16 bits).
    step_uv: float | None = None
    digital_max: int = 32767
    noise_only_rms_uv: float | None = None
    white_noise_rms_uv: float | None = None
    n_apneas: int = 10


_WB = {"wideband": True}
_ALL = {"wideband": True, "ecg_leak": True, "arousal_artefacts": True, "pops": True,
        "fragments": True, "alma_hft": True, "sweat": True, "mains": True, "rails": True,
        "record_duration_s": 30.0, "step_uv": 0.1, "digital_max": 32767}

#: The named scenarios, by name.
SCENARIOS: MappingProxyType[str, Scenario] = MappingProxyType({
    "clean": Scenario("band-limited EMG (20 Hz up), 2 µV resting level, no artefacts"),
    "wideband": Scenario("recorded with a 0.3-Hz high-pass only: breathing-locked baseline "
                         "wander, slow drift and a DC offset on each leg", **_WB),
    "ecg_leak": Scenario("wideband + heartbeat on the leg leads (R peaks 10-50 µV) and an ECG "
                         "channel at 500 Hz", ecg_leak=True, **_WB),
    "arousal_artefacts": Scenario("wideband + movement artefacts at awakenings and arousals "
                                  "(unscorable) and position shifts under LM arousals",
                                  arousal_artefacts=True, **_WB),
    "pops": Scenario("wideband + electrode pops, single and in clusters", pops=True, **_WB),
    "fragments": Scenario("wideband + excessive fragmentary myoclonus (20-150 ms potentials, "
                          "runs of 20-40 min at 5-20/min)", fragments=True, **_WB),
    "alma_hft": Scenario("wideband + ALMA (alternating 0.1-0.4 s bursts) and hypnagogic foot "
                         "tremor (0.3-1.2 Hz bursts)", alma_hft=True, **_WB),
    "sweat": Scenario("wideband + sweat artefact (0.1-0.8 Hz swings of 50-300 µV for 10-60 "
                      "min)", sweat=True, **_WB),
    "mains": Scenario("wideband + 50-Hz hum with its 3rd harmonic and one loose-electrode "
                      "stretch dominated by mains (unscorable)", mains=True, **_WB),
    "clipping": Scenario("wideband, amplifier range +/-800 µV, lead-off stretches railed at "
                         "the range (unscorable)", rails=True, step_uv=0.025, digital_max=32000,
                         **_WB),
    "mixed_rates": Scenario("wideband; Leg L at 200 Hz, Leg R at 500 Hz, ECG at 512 Hz; 30-s "
                            "data records", ecg_leak=True, leg_sf=(200.0, 500.0), ecg_sf=512.0,
                            record_duration_s=30.0, **_WB),
    "coarse_resolution": Scenario("wideband, leg channels stored at 31.25 µV per digital step "
                                  "(as some home-PSG devices do): unscorable", step_uv=31.25,
                                  digital_max=32000, **_WB),
    "realistic": Scenario("everything together: wideband, ECG leak, movement artefacts, pops, "
                          "EFM, ALMA/HFT, sweat, mains, rails; legs at 200 Hz, 0.1 µV steps, "
                          "30-s records", leg_sf=(200.0, 200.0), **_ALL),
    "realistic_mixed": Scenario("as realistic, with Leg L at 256 Hz, Leg R at 500 Hz, ECG at "
                                "512 Hz and 60-Hz mains", leg_sf=(256.0, 500.0), ecg_sf=512.0,
                                mains_hz=60.0, **_ALL),
    "noise_5uv": Scenario("no movements; resting EMG of 5 µV rms", noise_only_rms_uv=5.0),
    "noise_10uv": Scenario("no movements; resting EMG of 10 µV rms", noise_only_rms_uv=10.0),
    "white_noise_30uv": Scenario("no movements; both legs white noise of 30 µV rms "
                                 "(unscorable)", noise_only_rms_uv=2.0, white_noise_rms_uv=30.0),
})


def _layer_streams(entropy: int) -> dict[str, np.random.Generator]:
    n_night = len(random_streams(entropy))
    children = np.random.SeedSequence(entropy).spawn(n_night + len(_LAYERS))[n_night:]
    return {name: np.random.default_rng(s) for name, s in zip(_LAYERS, children, strict=True)}


class _Busy:
    """Where each leg already has activity: new bursts keep clear of it."""

    def __init__(self) -> None:
        self.on: list[list[float]] = [[], []]
        self.off: list[list[float]] = [[], []]

    def add(self, leg: int, on, off) -> None:
        self.on[leg].extend(np.atleast_1d(on).tolist())
        self.off[leg].extend(np.atleast_1d(off).tolist())

    def clear(self, leg: int, on: np.ndarray, off: np.ndarray, margin_s: float) -> np.ndarray:
        """True where [on - margin, off + margin] touches nothing on ``leg``."""
        b_on, b_off = np.asarray(self.on[leg]), np.asarray(self.off[leg])
        on, off = np.atleast_1d(on), np.atleast_1d(off)
        if b_on.size == 0:
            return np.ones(on.size, dtype=bool)
        order = np.argsort(b_on)
        b_on, reach = b_on[order], np.maximum.accumulate(b_off[order])
        j = np.searchsorted(b_on, off + margin_s, side="left") - 1
        return ~((j >= 0) & (reach[np.maximum(j, 0)] + margin_s > on))


@dataclass
class _Leg:
    """One leg being built: muscle EMG (``x``) and the slow layer before the amplifier's
    high-pass (``slow``)."""

    name: str
    sf: float
    x: np.ndarray
    slow: np.ndarray

    @property
    def n(self) -> int:
        return self.x.size


def _stage_at(hypno: np.ndarray, t: np.ndarray) -> np.ndarray:
    return hypno[np.clip((np.asarray(t) // EPOCH_S).astype(np.int64), 0, hypno.size - 1)]


def _pick(rng, busy: _Busy, legs: tuple[int, ...], length_s: float, margin_s: float,
          hypno: np.ndarray, stages: tuple[str, ...], duration_s: float, *,
          lo: float | None = None, hi: float | None = None, extra=None) -> float | None:
    """A random onset whose event (``length_s``) fits, starts in one of ``stages`` and keeps
    ``margin_s`` clear of everything on ``legs``; None when 400 tries find none."""
    lo = _EDGE_S if lo is None else max(lo, _EDGE_S)
    hi = duration_s - _EDGE_S - length_s if hi is None else min(hi, duration_s - _EDGE_S
                                                                 - length_s)
    if hi <= lo:
        return None
    t = rng.uniform(lo, hi, 400)
    ok = np.isin(_stage_at(hypno, t), stages) & np.isin(_stage_at(hypno, t + length_s), stages)
    for leg in legs:
        ok &= busy.clear(leg, t, t + length_s, margin_s)
    if extra is not None:
        ok &= extra(t)
    hit = np.flatnonzero(ok)
    return float(t[hit[0]]) if hit.size else None


def _render_bursts(leg: _Leg, onset_s, duration_s, peak_uv, rng) -> tuple[np.ndarray, np.ndarray]:
    """EMG-band bursts (as LMs are drawn) added to the leg; returns the rendered times."""
    onset_s, duration_s = np.atleast_1d(onset_s), np.atleast_1d(duration_s)
    if onset_s.size == 0:
        return onset_s, duration_s
    start = np.round(onset_s * leg.sf).astype(np.int64)
    length = np.maximum(np.round(duration_s * leg.sf).astype(np.int64), 1)
    env = burst_envelopes(length, leg.sf, np.atleast_1d(peak_uv).astype(float), rng)
    burst = env * bandlimited_noise(int(length.sum()), leg.sf, rng)
    idx, _ = ragged_arange(start, length)
    keep = idx < leg.n
    np.add.at(leg.x, idx[keep], burst[keep])
    return start / leg.sf, length / leg.sf


def _rows(onset, duration, leg: int, kind: str, unscorable: bool, amplitude) -> pd.DataFrame:
    onset = np.atleast_1d(np.asarray(onset, dtype=float))
    return pd.DataFrame({"onset": onset,
                         "duration": np.broadcast_to(np.asarray(duration, float), onset.shape),
                         "side": _SIDES[leg], "kind": kind, "unscorable": unscorable,
                         "amplitude_uv": np.broadcast_to(np.asarray(amplitude, float),
                                                         onset.shape)})


# -- layers ------------------------------------------------------------------------------------
def _wideband(legs, rng, duration_s) -> dict:
    """Breathing-locked wander (5-20 µV), slow drift (0.02-0.3 Hz, 5-15 µV sd) and a DC offset
    of +/- 20-150 µV per leg. One breathing rate (12-18/min) for both legs."""
    breath_hz = rng.uniform(0.2, 0.3)
    offsets = []
    for leg in legs:
        t = np.arange(leg.n) / leg.sf
        wobble = 0.3 * slow_band_noise(leg.n, leg.sf, rng, 0.002, 0.02)
        leg.slow += rng.uniform(5, 20) * np.sin(2 * np.pi * breath_hz * t + wobble
                                                + rng.uniform(0, 2 * np.pi))
        leg.slow += rng.uniform(5, 15) * slow_band_noise(leg.n, leg.sf, rng, 0.02, 0.3)
        offsets.append(float(rng.choice([-1, 1]) * rng.uniform(20, 150)))
    return {"breath_hz": breath_hz, "dc_offset_uv": offsets}


def _ecg_leak(legs, rng, beats) -> dict:
    """Each leg sees the heart's field: R peaks of 10-50 µV (either polarity), +/- 10% with
    breathing and +/- 20% slowly."""
    r_uv = []
    for leg in legs:
        r = rng.uniform(10, 50) * (1 if rng.random() < 0.7 else -1)
        slow = 1 + 0.2 * np.clip(slow_band_noise(beats.size, 1.0, rng, 0.0005, 0.01), -1, 1)
        breath = 1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.2, 0.3) * beats)
        leg.slow += ecg_waveform(beats, leg.n, leg.sf, r * slow * breath)
        r_uv.append(float(r))
    return {"ecg_leak_r_uv": r_uv}


def _movement(legs, rng, busy, hypno, arousals, truth, duration_s):
    """Movement artefacts at awakenings (3-20 s) and at movement arousals in sleep (about one an
    hour, 2-8 s, with an Arousal annotation); both legs mostly. Slow swings of 300-2000 µV plus
    broadband EMG of 80-400 µV. Position shifts (slow only, 100-600 µV, 2-6 s) under half the
    arousals that follow an LM."""
    rows, new_arousals = [], []
    wake = hypno == "W"
    starts = np.flatnonzero(wake[1:] & ~wake[:-1]) + 1  # awakenings out of sleep
    ends = np.r_[np.flatnonzero(~wake[1:] & wake[:-1]) + 1, hypno.size]
    spots = [(s * EPOCH_S, ends[np.searchsorted(ends, s)] * EPOCH_S, ("W",)) for s in starts]
    n_spont = int(rng.poisson(duration_s / 3600))
    spots += [(None, None, ("N1", "N2", "R"))] * n_spont
    ar_on = arousals["onset"].to_numpy()
    for lo, hi, stages in spots:
        dur = float(np.clip(rng.lognormal(np.log(6.0 if lo is not None else 4.0), 0.5),
                            3.0 if lo is not None else 2.0, 20.0 if lo is not None else 8.0))
        both = rng.random() < 0.8
        which = (0, 1) if both else (int(rng.integers(0, 2)),)

        def far_from_arousals(t, d=dur):
            a = np.asarray(ar_on if not new_arousals else np.r_[ar_on, [r[0] for r in
                                                                        new_arousals]])
            if a.size == 0:
                return np.ones(t.size, dtype=bool)
            return np.abs(t[:, None] - a[None, :]).min(axis=1) > 25.0 + d

        t0 = _pick(rng, busy, (0, 1), dur, 2.0, hypno, stages, duration_s,
                   lo=lo, hi=None if hi is None else hi - 2.0,
                   extra=None if lo is not None else far_from_arousals)
        if t0 is None:
            continue
        for k in which:
            leg = legs[k]
            d = dur * rng.uniform(0.85, 1.0)
            o = t0 + rng.uniform(0, dur - d)
            swing = rng.uniform(300, 2000)
            on, du = _render_bursts(leg, o, d, rng.uniform(80, 400), rng)
            a = int(round(on[0] * leg.sf))
            add_events(leg.slow, [a], [hann_slow_swing(int(round(du[0] * leg.sf)), leg.sf, rng,
                                                       swing)])
            rows.append(_rows(on, du, k, "movement", True, swing))
            busy.add(k, on, on + du)
        if lo is None:  # a movement arousal in sleep
            new_arousals.append((t0 - rng.uniform(0.0, 1.0), min(max(dur + 1.0, 3.0), 15.0)))
    # Position shifts under arousals that follow an LM.
    lm_on = np.sort(truth["onset"].to_numpy())
    for a_on in ar_on:
        j = np.searchsorted(lm_on, a_on, side="right") - 1
        if j < 0 or a_on - lm_on[j] > 0.5 or rng.random() >= 0.5:
            continue
        dur = rng.uniform(2.0, 6.0)
        for k, leg in enumerate(legs):
            swing = rng.uniform(100, 600)
            a = int(round(a_on * leg.sf))
            n = int(round(dur * leg.sf))
            add_events(leg.slow, [a], [hann_slow_swing(n, leg.sf, rng, swing, high_hz=1.5)])
            rows.append(_rows(a / leg.sf, n / leg.sf, k, "position_shift", False, swing))
    extra = pd.DataFrame(new_arousals, columns=["onset", "duration"]).assign(
        description="Arousal")
    return rows, extra


def _pops(legs, rng, busy, hypno, duration_s):
    """Single pops (about 2 an hour per leg) and 1-2 clusters of a loose electrode (8-40 pops in
    1-4 min on one leg): steps of 150-1500 µV (either sign) decaying in 0.05-0.4 s."""
    rows = []
    any_stage = ("W", "N1", "N2", "N3", "R")
    plans = []  # (leg, onsets)
    for k in (0, 1):
        n = int(rng.poisson(2 * duration_s / 3600))
        t = rng.uniform(_EDGE_S, duration_s - _EDGE_S - 3, n)
        plans.append((k, t))
    for _ in range(int(rng.integers(1, 3))):
        k = int(rng.integers(0, 2))
        span = rng.uniform(60, 240)
        t0 = _pick(rng, busy, (k,), span, 0.0, hypno, any_stage, duration_s)
        if t0 is not None:
            plans.append((k, t0 + np.sort(rng.uniform(0, span, int(rng.integers(8, 41))))))
    for k, t in plans:
        tau = rng.uniform(0.05, 0.4, t.size)
        end = t + 6 * tau
        ok = busy.clear(k, t, end, 1.5)
        # pops of one plan keep 0.5 s apart from each other, for a clean truth
        t, tau, end = t[ok], tau[ok], end[ok]
        order = np.argsort(t)
        t, tau, end = t[order], tau[order], end[order]
        keep, last_end = [], -np.inf
        for i in range(t.size):  # once per pop
            if t[i] > last_end + 0.5:
                keep.append(i)
                last_end = end[i]
        t, tau, end = t[keep], tau[keep], end[keep]
        amp = rng.uniform(150, 1500, t.size) * rng.choice([-1.0, 1.0], t.size)
        leg = legs[k]
        leg.slow += pop_decays(t, amp, tau, leg.n, leg.sf)
        on = np.round(t * leg.sf) / leg.sf
        rows.append(_rows(on, 6 * tau, k, "pop", False, amp))
        busy.add(k, on, on + 6 * tau)
    return rows


def _efm(legs, rng, busy, hypno, duration_s):
    """Excessive fragmentary myoclonus: 2-3 runs of 20-40 min starting in NREM, each leg firing
    potentials of 20-150 ms (envelope peak 20-150 µV) at 5-20 a minute, 0.6 s apart at least
    and 1 s clear of any other burst on the leg."""
    rows = []
    for _ in range(int(rng.integers(2, 4))):
        span = rng.uniform(20, 40) * 60
        t0 = _pick(rng, _Busy(), (), span, 0.0, hypno, ("N1", "N2", "N3"), duration_s)
        if t0 is None:
            continue
        for k, leg in enumerate(legs):
            rate = rng.uniform(5, 20) / 60
            m = int(span * rate * 1.5) + 10
            dur = rng.uniform(0.02, 0.15, m)
            gaps = 0.6 + rng.exponential(1 / rate, m)
            on = t0 + np.cumsum(np.r_[0.0, (dur + gaps)[:-1]])
            keep = (on + dur < t0 + span) & busy.clear(k, on, on + dur, 1.0)
            on, dur = on[keep], dur[keep]
            peak = rng.uniform(20, 150, on.size)
            on, du = _render_bursts(leg, on, dur, peak, rng)
            rows.append(_rows(on, du, k, "efm", False, peak))
            busy.add(k, on, on + du)
    return rows


def _alma_hft(legs, rng, busy, hypno, lm_onsets, duration_s):
    """ALMA: 2-4 episodes of 10-20 s in wake, N1 or N2; bursts of 0.1-0.4 s (envelope peak
    20-80 µV) alternating between the legs at 1-2 Hz combined, 0.6 s clear on each leg.
    HFT: 2-4 episodes of 4-15 bursts on one leg in wake or N1 (sleep onset), 25-80 µV, either
    short (0.25-0.4 s, not LMs) or long (0.6-1.0 s, LMs) with 0.6-2.0 s between them
    (0.33-1.2 Hz)."""
    rows, lms, episodes = [], [], []
    for _ in range(int(rng.integers(2, 5))):
        rate = rng.uniform(1.0, 2.0)
        span = rng.uniform(10, 20)
        t0 = _pick(rng, busy, (0, 1), span, 3.0, hypno, ("W", "N1", "N2"), duration_s)
        if t0 is None:
            continue
        n = int(span * rate)
        on = t0 + np.arange(n) / rate
        first = int(rng.integers(0, 2))
        side = (first + np.arange(n)) % 2
        dur = rng.uniform(0.1, min(0.4, 2 / rate - 0.65), n)
        for k, leg in enumerate(legs):
            mine = side == k
            peak = rng.uniform(20, 80, mine.sum())
            o, d = _render_bursts(leg, on[mine], dur[mine], peak, rng)
            rows.append(_rows(o, d, k, "alma", False, peak))
            busy.add(k, o, o + d)
        episodes.append({"kind": "alma", "onset": float(t0), "duration": float(span),
                         "rate_hz": float(rate)})
    for _ in range(int(rng.integers(2, 5))):
        k = int(rng.integers(0, 2))
        long = rng.random() < 0.5
        n = int(rng.integers(4, 16))
        dur = rng.uniform(0.6, 1.0, n) if long else rng.uniform(0.25, 0.4, n)
        gap = np.maximum(rng.uniform(0.6, 2.0) * rng.uniform(0.9, 1.1, n), 0.6)
        rel = np.cumsum(np.r_[0.0, (dur + gap)[:-1]])
        span = float(rel[-1] + dur[-1])

        def far_from_lms(t, span=span, long=long, lm_onsets=lm_onsets):
            if not long or lm_onsets.size == 0:
                return np.ones(t.size, dtype=bool)
            j = np.searchsorted(lm_onsets, t)
            before = lm_onsets[np.maximum(j - 1, 0)]
            after = lm_onsets[np.minimum(j, lm_onsets.size - 1)]
            return ((j == 0) | (t - before > 95.0)) & (
                (j == lm_onsets.size) | (after - (t + span) > 95.0))

        t0 = _pick(rng, busy, (0, 1), span, 3.0, hypno, ("W", "N1"), duration_s,
                   extra=far_from_lms)
        if t0 is None:
            continue
        leg = legs[k]
        peak = rng.uniform(25, 80, n)
        o, d = _render_bursts(leg, t0 + rel, dur, peak, rng)
        busy.add(k, o, o + d)
        if long:
            lms.append(pd.DataFrame({"onset": o, "duration": d, "side": _SIDES[k],
                                     "peak_amplitude_uv": peak}))
            lm_onsets = np.sort(np.r_[lm_onsets, o])
        else:
            rows.append(_rows(o, d, k, "hft", False, peak))
        episodes.append({"kind": "hft", "onset": float(o[0]), "duration": float(span),
                         "side": _SIDES[k], "lm": bool(long), "n_bursts": n,
                         "rate_hz": float(1 / np.mean(dur + gap))})
    return rows, lms, episodes


def _sweat(legs, rng, duration_s):
    """1-2 episodes of 10-60 min, mostly on both legs: 0.1-0.8 Hz swings of 50-300 µV sd, with
    2-min ramps (slow only: they survive the 0.3-Hz high-pass in part)."""
    rows = []
    for _ in range(int(rng.integers(1, 3))):
        span = rng.uniform(10, 60) * 60
        t0 = rng.uniform(_EDGE_S, max(duration_s - _EDGE_S - span, _EDGE_S + 1))
        span = min(span, duration_s - _EDGE_S - t0)
        which = (0, 1) if rng.random() < 0.7 else (int(rng.integers(0, 2)),)
        for k in which:
            leg = legs[k]
            a, n = int(t0 * leg.sf), int(span * leg.sf)
            sd = rng.uniform(50, 300)
            ramp = np.clip(np.minimum(np.arange(n), n - 1 - np.arange(n)) / (120 * leg.sf), 0, 1)
            piece = sd * slow_band_noise(n, leg.sf, rng, 0.1, 0.8) * (0.5 - 0.5 * np.cos(
                np.pi * ramp))
            add_events(leg.slow, [a], [piece])
            rows.append(_rows(a / leg.sf, n / leg.sf, k, "sweat", False, sd))
    return rows


def _mains(legs, rng, busy, hypno, hz, duration_s):
    """Hum of 1-5 µV (+/- 50% slowly) on each leg, and one loose-electrode stretch of 3-10 min
    on one leg where it reaches 60-200 µV (unscorable)."""
    rows, amp = [], []
    k_loose = int(rng.integers(0, 2))
    span = rng.uniform(3, 10) * 60
    any_stage = ("W", "N1", "N2", "N3", "R")
    t0 = _pick(rng, busy, (k_loose,), span, 2.0, hypno, any_stage, duration_s)
    for k, leg in enumerate(legs):
        base = rng.uniform(1, 5)
        level = base * (1 + 0.5 * np.clip(slow_band_noise(leg.n, leg.sf, rng, 0.0003, 0.003),
                                          -1, 1))
        if k == k_loose and t0 is not None:
            a, n = int(round(t0 * leg.sf)), int(round(span * leg.sf))
            high = rng.uniform(60, 200)
            edge = np.clip(np.minimum(np.arange(n), n - 1 - np.arange(n)) / (2 * leg.sf), 0, 1)
            level[a:a + n] += high * (0.5 - 0.5 * np.cos(np.pi * edge))
            rows.append(_rows(a / leg.sf, n / leg.sf, k, "mains", True, high))
            busy.add(k, a / leg.sf, (a + n) / leg.sf)
        leg.x += mains_hum(leg.n, leg.sf, rng, level, hz)
        amp.append(float(base))
    return rows, {"mains_uv": amp, "mains_loose_electrode_placed": t0 is not None}


def _rails(legs, rng, busy, hypno, duration_s) -> tuple[list, list]:
    """1-2 lead-off stretches of 5-120 s on one leg: the amplifier sits at its rail."""
    rows, where = [], []
    any_stage = ("W", "N1", "N2", "N3", "R")
    for _ in range(int(rng.integers(1, 3))):
        k = int(rng.integers(0, 2))
        span = float(np.clip(rng.lognormal(np.log(20), 0.8), 5, 120))
        t0 = _pick(rng, busy, (k,), span, 2.0, hypno, any_stage, duration_s)
        if t0 is None:
            continue
        leg = legs[k]
        a, n = int(round(t0 * leg.sf)), int(round(span * leg.sf))
        sign = float(rng.choice([-1.0, 1.0]))
        where.append((k, a, n, sign))
        rows.append(_rows(a / leg.sf, n / leg.sf, k, "railed", True, sign))
        busy.add(k, a / leg.sf, (a + n) / leg.sf)
    return rows, where


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def unscorable_intervals(night: SimulatedNight) -> pd.DataFrame:
    """The night's unscorable stretches, either leg, merged: ``onset``, ``duration`` (s)."""
    art = night.artefacts
    art = art[art["unscorable"]] if len(art) else art
    if not len(art):
        return pd.DataFrame({"onset": pd.Series(dtype=float), "duration": pd.Series(dtype=float)})
    on = art["onset"].to_numpy(float)
    off = on + art["duration"].to_numpy(float)
    order = np.argsort(on)
    on, off = on[order], np.maximum.accumulate(off[order])
    new = np.r_[True, on[1:] > off[:-1]]
    starts = on[new]
    ends = off[np.r_[np.flatnonzero(new)[1:] - 1, off.size - 1]]
    return pd.DataFrame({"onset": starts, "duration": ends - starts})


def simulate_scenario(name: str, duration_h: float = 8.0, *, seed: int | None = 0
                      ) -> SimulatedNight:
    """Simulate a night of one of the named real-world :data:`SCENARIOS`.

    Parameters
    ----------
    name : str
        One of ``SCENARIOS`` (``"clean"``, ``"wideband"``, ``"ecg_leak"``, ...,
        ``"realistic"``, ``"white_noise_30uv"``).
    duration_h : float
        Length in hours (whole 30-s epochs).
    seed : int or None
        Same seed, same night. The LMs of every scenario with movements are those of
        ``simulate_night(duration_h, n_apneas=10, seed=seed)`` at the left leg's rate (plus
        long HFT bursts in ``alma_hft`` and ``realistic``).

    Returns
    -------
    SimulatedNight
        With ``artefacts`` (one row per artefact per leg: ``onset``, ``duration``, ``side``,
        ``kind``, ``unscorable``, ``amplitude_uv``), ``other_signals`` (``"ECG"`` where the
        heart leaks), ``channel_sf`` (the rate of every channel), ``beats_s`` (R-peak times)
        and ``params["scenario"]``; :func:`write_simulated_edf` writes it with the scenario's
        data-record length, prefiltering field and digital resolution.

    Notes
    -----
    ``amplitude_uv`` is per kind: the slow swing's peak (``movement``, ``position_shift``),
    the step (``pop``, signed), the standard deviation (``sweat``), the envelope peak (``efm``,
    ``alma``, ``hft``), the hum (``mains``), the rail's sign (``railed``), the clipped level
    (``clipped``), the digital step (``coarse``) and the rms (``noise``).
    """
    check_option("name", name, list(SCENARIOS),
                 extra="See sleeptwitch.simulate.SCENARIOS for what each one adds.")
    sc = SCENARIOS[name]
    sf_l, sf_r = sc.leg_sf
    if sc.noise_only_rms_uv is not None:
        def make(sf):
            return simulate_noise_only(duration_h, sf, noise_uv=sc.noise_only_rms_uv
                                       * RECTIFIED_PER_SIGMA, seed=seed)
    else:
        def make(sf):
            return simulate_night(duration_h, sf, n_apneas=sc.n_apneas, seed=seed)
    night = make(sf_l)
    right = night if sf_r == sf_l else make(sf_r)
    entropy = night.params["entropy"]
    rng = _layer_streams(entropy)
    hypno = night.hypnogram
    duration_s = night.params["duration_s"]
    legs = [_Leg(name, src.sf, src.signals[name].copy(), np.zeros(src.signals[name].size))
            for name, src in zip(LEG_CHANNELS, (night, right), strict=True)]
    truth = pd.concat([night.truth[night.truth["side"] == "left"],
                       right.truth[right.truth["side"] == "right"]], ignore_index=True)
    fragments = pd.concat([night.fragments[night.fragments["side"] == "left"],
                           right.fragments[right.fragments["side"] == "right"]],
                          ignore_index=True)
    busy = _Busy()
    for k, side in enumerate(_SIDES):
        for table in (truth, fragments):
            mine = table[table["side"] == side]
            busy.add(k, mine["onset"], mine["onset"] + mine["duration"])

    rows: list[pd.DataFrame] = []
    extra: dict = {}
    arousals = night.arousals
    beats, _ = beat_times(duration_s, random_streams(entropy)["ecg"])
    other, channel_sf = {}, {"Leg L": sf_l, "Leg R": sf_r}
    if sc.wideband:
        extra.update(_wideband(legs, rng["wander"], duration_s))
    if sc.ecg_leak:
        extra.update(_ecg_leak(legs, rng["ecg_leak"], beats))
        n = int(round(duration_s * sc.ecg_sf))
        ecg_rng = rng["ecg_channel"]
        ecg = ecg_waveform(beats, n, sc.ecg_sf, 1000.0) + 10.0 * ecg_rng.standard_normal(n)
        ecg += 30.0 * slow_band_noise(n, sc.ecg_sf, ecg_rng, 0.05, 0.5)
        other["ECG"] = amplifier_highpass(ecg, sc.ecg_sf)
        channel_sf["ECG"] = sc.ecg_sf
    if sc.arousal_artefacts:
        r, new = _movement(legs, rng["movement"], busy, hypno, arousals, truth, duration_s)
        rows += r
        if len(new):
            arousals = pd.concat([arousals, new], ignore_index=True).sort_values(
                "onset", kind="mergesort").reset_index(drop=True)
    if sc.rails:
        r, rail_spots = _rails(legs, rng["rails"], busy, hypno, duration_s)
        rows += r
    else:
        rail_spots = []
    if sc.mains:
        r, info = _mains(legs, rng["mains"], busy, hypno, sc.mains_hz, duration_s)
        rows += r
        extra.update(info)
    if sc.alma_hft:
        lm_on = np.sort(truth["onset"].to_numpy())
        r, hft_lms, episodes = _alma_hft(legs, rng["alma"], busy, hypno, lm_on, duration_s)
        rows += r
        extra["alma_hft_episodes"] = episodes
        if hft_lms:
            new = pd.concat(hft_lms, ignore_index=True)
            new = new.assign(stage=_stage_at(hypno, new["onset"].to_numpy()), in_train=False,
                             train_id=-1, respiratory=respiratory_flags(
                                 new["onset"].to_numpy(), night.respiratory))
            truth = pd.concat([truth, new[list(TRUTH_COLUMNS)]], ignore_index=True)
    if sc.pops:
        rows += _pops(legs, rng["pops"], busy, hypno, duration_s)
    if sc.fragments:
        rows += _efm(legs, rng["efm"], busy, hypno, duration_s)
    if sc.sweat:
        rows += _sweat(legs, rng["sweat"], duration_s)

    # The amplifier: slow layers through its high-pass, then the DC offset, rails and ADC.
    signals, adc = {}, {}
    for k, leg in enumerate(legs):
        x = leg.x
        if sc.white_noise_rms_uv is not None:
            x = sc.white_noise_rms_uv * rng["white"].standard_normal(leg.n)
            rows.append(_rows(0.0, duration_s, k, "noise", True, sc.white_noise_rms_uv))
        if leg.slow.any():
            x = x + amplifier_highpass(leg.slow, leg.sf)
        if sc.wideband:
            x = x + extra["dc_offset_uv"][k]
        if sc.step_uv is not None:
            limit = sc.step_uv * sc.digital_max
            for kk, a, n, sign in rail_spots:
                if kk == k:
                    x[a:a + n] = sign * 10 * limit
            x = np.clip(np.round(x / sc.step_uv), -sc.digital_max, sc.digital_max) * sc.step_uv
            adc[leg.name] = {"step_uv": sc.step_uv, "digital_max": sc.digital_max}
            railed = np.abs(x) >= limit - sc.step_uv / 2
            if railed.any():
                on, off = _runs(railed)
                done = pd.concat(rows, ignore_index=True) if rows else None
                if done is not None and len(done):
                    mine = done[(done["side"] == _SIDES[k]) & done["unscorable"]]
                    m_on = mine["onset"].to_numpy() * leg.sf
                    m_off = m_on + mine["duration"].to_numpy() * leg.sf
                    inside = ((on[:, None] >= m_on[None, :] - 1)
                              & (off[:, None] <= m_off[None, :] + 1)).any(axis=1)
                    on, off = on[~inside], off[~inside]
                rows.append(_rows(on / leg.sf, (off - on) / leg.sf, k, "clipped", False, limit))
            if sc.step_uv > 2.0:
                rows.append(_rows(0.0, duration_s, k, "coarse", True, sc.step_uv))
        signals[leg.name] = x

    art = (pd.concat([r for r in rows if len(r)], ignore_index=True)
           if any(len(r) for r in rows) else _no_artefacts())
    art = art.astype({"onset": float, "duration": float, "unscorable": bool,
                      "amplitude_uv": float})
    art = art.sort_values(["onset", "side"], kind="mergesort").reset_index(drop=True)
    truth = truth.sort_values(["onset", "side"], kind="mergesort").reset_index(drop=True)
    fragments = fragments.sort_values(["onset", "side"], kind="mergesort").reset_index(drop=True)
    hi = [min(0.45 * s, emg_band_hz(s)[1]) for s in (sf_l, sf_r)]
    prefilter = (f"HP:{AMPLIFIER_HIGHPASS_HZ:g}Hz" if sc.wideband
                 else f"HP:{emg_band_hz(sf_l)[0]:g}Hz LP:{hi[0]:g}Hz")
    counts = art.groupby("kind").size().to_dict() if len(art) else {}
    params = {**night.params, "generator": "sleeptwitch.simulate.simulate_scenario",
              "scenario": name, "scenario_description": sc.description,
              "leg_sf": (float(sf_l), float(sf_r)), "record_duration_s": sc.record_duration_s,
              "prefilter": prefilter, "adc": adc,
              "amplifier_highpass_hz": AMPLIFIER_HIGHPASS_HZ if sc.wideband else None,
              "n_artefacts": {str(k): int(v) for k, v in counts.items()},
              "n_lm_truth": len(truth), **extra}
    return replace(night, signals=signals, truth=truth, fragments=fragments, arousals=arousals,
                   artefacts=art, other_signals=other, channel_sf=channel_sf, beats_s=beats,
                   params=params)
