"""Write a simulated night as an EDF+ file that looks like a polysomnogram."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._eeg import simulate_eeg
from ._emg import bandlimited_noise, beat_times, ragged_arange, spectral_noise
from ._hypnogram import EPOCH_S, STAGES
from ._night import LEG_CHANNELS, SimulatedNight, random_streams

if TYPE_CHECKING:
    from ..io import Signal

__all__ = ["write_simulated_edf"]

#: Default start: 22:30, a usual lights-off time.
_DEFAULT_START = datetime(2024, 1, 1, 22, 30, 0)
#: Label and sampling rate of the stage-following EEG written with ``eeg=True``.
EEG_CHANNEL, EEG_SF = "C4-M1", 128.0


def _stage_gain(night: SimulatedNight, sf: float, n: int, gains: dict[str, float]) -> np.ndarray:
    """A per-sample gain that follows the hypnogram."""
    per_stage = np.array([gains[s] for s in STAGES])
    codes = np.select([night.hypnogram == s for s in STAGES], list(range(len(STAGES))), 0)
    return np.repeat(per_stage[codes], int(round(EPOCH_S * sf)))[:n]


def _eeg(night: SimulatedNight, sf: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """EEG-like: 1/f noise of 0.3-35 Hz, larger in N3, with alpha (10 Hz) in wake."""
    x = spectral_noise(n, sf, rng, lambda f: np.where((f >= 0.3) & (f <= 35.0),
                                                      1.0 / np.sqrt(np.maximum(f, 0.3)), 0.0))
    x *= 15.0 / x.std()
    gain = _stage_gain(night, sf, n, {"W": 0.6, "N1": 0.8, "N2": 1.0, "N3": 2.5, "R": 0.7})
    wake = _stage_gain(night, sf, n, {"W": 1.0, "N1": 0.2, "N2": 0.0, "N3": 0.0, "R": 0.0})
    alpha = 12.0 * wake * np.sin(2 * np.pi * rng.uniform(9.0, 11.0) * np.arange(n) / sf)
    return x * gain + alpha


def _ecg(night: SimulatedNight, sf: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """ECG-like, on the same beats as the leak in the leg channels: P, QRS and T waves (µV)."""
    rng_ecg = random_streams(night.params["entropy"])["ecg"]
    beats, _ = beat_times(night.params["duration_s"], rng_ecg)
    t = np.arange(int(-0.25 * sf), int(0.45 * sf)) / sf  # shorter than the shortest RR (0.75 s)
    u = t / 0.008
    template = (120 * np.exp(-0.5 * ((t + 0.16) / 0.025) ** 2)          # P
                + 1000 * (1 - u**2) * np.exp(-0.5 * u**2)               # QRS
                + 300 * np.exp(-0.5 * ((t - 0.28) / 0.05) ** 2))        # T
    idx, _ = ragged_arange(np.round(beats * sf).astype(np.int64) + int(-0.25 * sf),
                               np.full(beats.size, t.size))
    pos = np.arange(idx.size) % t.size
    keep = (idx >= 0) & (idx < n)
    x = 10.0 * rng.standard_normal(n)
    np.add.at(x, idx[keep], template[pos[keep]])
    return x


def _chin(night: SimulatedNight, sf: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Chin EMG: resting tone highest in wake, lowest in REM (atonia)."""
    gain = _stage_gain(night, sf, n, {"W": 2.0, "N1": 1.2, "N2": 1.0, "N3": 0.9, "R": 0.3})
    return bandlimited_noise(n, sf, rng, rectified_uv=4.0) * gain


def _spo2(night: SimulatedNight, sf: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """SpO2 (%): about 96%, with a 3-6% desaturation some 20 s after each respiratory event ends."""
    t = np.arange(n) / sf
    ends = (night.respiratory["onset"] + night.respiratory["duration"]).to_numpy()
    depth = rng.uniform(3.0, 6.0, ends.size)
    dips = (depth[:, None] * np.exp(-0.5 * ((t[None, :] - ends[:, None] - 20.0) / 8.0) ** 2)
            ).sum(axis=0) if ends.size else 0.0
    return np.clip(96.0 + 0.4 * rng.standard_normal(n) - dips, 70.0, 100.0)


_Maker = Callable[[SimulatedNight, float, int, np.random.Generator], np.ndarray]
#: Extra channels in the order they are added: (label, sampling rate in Hz, unit, generator).
_EXTRA: tuple[tuple[str, float, str, _Maker], ...] = (
    ("C3-M2", 128.0, "uV", _eeg),
    ("ECG", 250.0, "uV", _ecg),
    ("SpO2", 1.0, "%", _spo2),
    ("Chin", 200.0, "uV", _chin),
    ("C4-M1", 128.0, "uV", _eeg),
    ("E1-M2", 64.0, "uV", _eeg),
)


def _staging_eeg(night: SimulatedNight, rng: np.random.Generator) -> Signal:
    from ..io import Signal

    return Signal(EEG_CHANNEL, simulate_eeg(night.hypnogram, EEG_SF, seed=rng), EEG_SF, unit="uV")


def _set_adc(path: Path, adc: dict[str, dict]) -> None:
    """Store the named channels as an amplifier with ``step_uv`` per digital step and rails at
    +/- ``digital_max`` steps would: rewrite their header range and their samples in place.

    The writer chooses each channel's range from its data; a real amplifier's range is fixed,
    and a railed sample sits exactly at the digital limit. The channel's data must already be
    whole steps (``simulate_scenario`` quantises it)."""
    with open(path, "r+b") as f:
        main = f.read(256)
        ns = int(main[252:256])
        n_records = int(main[236:244])
        head = bytearray(f.read(256 * ns))
        field = {}
        pos = 0
        for name, width in (("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8),
                            ("pmax", 8), ("dmin", 8), ("dmax", 8), ("prefilter", 80),
                            ("spr", 8), ("reserved", 32)):
            field[name] = (pos, width)
            pos += width * ns
        labels = [head[field["label"][0] + 16 * i: field["label"][0] + 16 * (i + 1)]
                  .decode().strip() for i in range(ns)]
        spr = [int(head[field["spr"][0] + 8 * i: field["spr"][0] + 8 * (i + 1)])
               for i in range(ns)]
        rec = sum(spr)
        for name, spec in adc.items():
            i = labels.index(name)
            step, dmax = float(spec["step_uv"]), int(spec["digital_max"])
            pmax = f"{step * dmax:.7g}"
            if len(pmax) > 7 or abs(float(pmax) - step * dmax) > 1e-9 * step * dmax:
                raise ValueError(f"channel {name!r}: a range of {step:g} x {dmax} µV does not fit "
                                 "an EDF header field exactly; choose another digital_max.")
            for key, text in (("pmin", "-" + pmax), ("pmax", pmax), ("dmin", str(-dmax)),
                              ("dmax", str(dmax))):
                start, width = field[key]
                head[start + width * i: start + width * (i + 1)] = text.ljust(width).encode()
            data = np.memmap(path, dtype="<i2", mode="r+", offset=256 * (ns + 1),
                             shape=(n_records, rec))
            values = spec["data"]
            dig = np.zeros(n_records * spr[i])
            dig[:values.size] = np.clip(np.round(values / step), -dmax, dmax)
            first = sum(spr[:i])
            data[:, first:first + spr[i]] = dig.reshape(n_records, spr[i]).astype("<i2")
            data.flush()
            del data
        f.seek(256)
        f.write(bytes(head))


def write_simulated_edf(night: SimulatedNight, path: str | os.PathLike, *,
                        extra_channels: int = 0, include_lm_annotations: bool = False,
                        fmt: str = "EDF+C", start: datetime | None = None, eeg: bool = False,
                        stage_annotations: bool = True,
                        record_duration_s: float | None = None) -> Path:
    """Write a simulated night to an EDF+ (or BDF+) file, with its annotations.

    Parameters
    ----------
    night : SimulatedNight
        From :func:`simulate_night` or :func:`simulate_noise_only`.
    path : str or path-like
        Output file.
    extra_channels : int
        How many PSG-like channels to add besides ``"Leg L"`` and ``"Leg R"``, at sampling rates
        of their own: ``"C3-M2"`` (EEG, 128 Hz), ``"ECG"`` (250 Hz), ``"SpO2"`` (%, 1 Hz),
        ``"Chin"`` (EMG, 200 Hz), ``"C4-M1"`` (128 Hz), ``"E1-M2"`` (64 Hz); beyond six,
        EEG-like ``"EEG 7"``, ``"EEG 8"``... at 128 Hz.
    include_lm_annotations : bool
        Also write every true LM as ``"Limb movement - left"`` / ``"Limb movement - right"``.
    fmt : {'EDF+C', 'BDF+C'}
        File format.
    start : datetime, optional
        Start of the recording; default 2024-01-01 22:30:00.
    eeg : bool
        Add ``"C4-M1"`` (128 Hz), an EEG whose rhythms follow the night's hypnogram (see
        :func:`simulate_eeg`), so that automatic sleep staging can be checked against the truth.
        When ``extra_channels`` already includes ``"C4-M1"``, that channel becomes this EEG.
    stage_annotations : bool
        Write the hypnogram as ``"Sleep stage ..."`` annotations (``False``: a recording whose
        stages were never scored).
    record_duration_s : float, optional
        Length of a data record; default the scenario's (``params["record_duration_s"]``),
        else 1 s.

    A night from :func:`simulate_scenario` also brings its own channels (``"ECG"``, which then
    replaces the extra channel of that name), each at its own rate, the prefiltering field
    (``params["prefilter"]``) and, for the legs, the amplifier's fixed range and digital step
    (``params["adc"]``: railed samples sit at the digital limit, as in real recordings).

    Returns
    -------
    Path
        The file written. Sampling rates must give whole samples per 1-s data record.
    """
    from ..io import Signal, write_edf

    if isinstance(extra_channels, bool) or not isinstance(extra_channels, int) \
            or extra_channels < 0:
        raise ValueError(f"'extra_channels' must be a whole number >= 0, got {extra_channels!r}.")
    if record_duration_s is None:
        record_duration_s = float(night.params.get("record_duration_s", 1.0))
    if fmt != "EDF+C" and night.params.get("adc"):
        raise ValueError(f"This scenario stores its legs as a 16-bit amplifier would; write it "
                         f"as fmt='EDF+C', not {fmt!r}.")
    prefilter = str(night.params.get("prefilter", ""))
    signals = [Signal(name, night.signals[name], night.sf_of(name), unit="uV",
                      prefilter=prefilter) for name in LEG_CHANNELS]
    signals += [Signal(name, data, night.sf_of(name), unit="uV",
                       prefilter="HP:0.3Hz" if name == "ECG" else "")
                for name, data in night.other_signals.items()]
    streams = random_streams(night.params["entropy"])
    rng = streams["extra_channels"]
    duration_s = len(night.hypnogram) * EPOCH_S
    for k in range(extra_channels):
        name, sf, unit, make = (_EXTRA[k] if k < len(_EXTRA)
                                else (f"EEG {k + 1}", 128.0, "uV", _eeg))
        if eeg and name == EEG_CHANNEL:
            signals.append(_staging_eeg(night, streams["eeg"]))
            continue
        if name in night.other_signals:
            continue
        n = int(round(duration_s * sf))
        signals.append(Signal(name, make(night, sf, n, rng), sf, unit=unit))
    if eeg and EEG_CHANNEL not in [sig.name for sig in signals]:
        signals.append(_staging_eeg(night, streams["eeg"]))
    annotations = night.annotations(include_lms=include_lm_annotations)
    if not stage_annotations:
        annotations = annotations[~annotations["description"].str.startswith("Sleep stage")]
    out = write_edf(path, signals, annotations=annotations,
                    start=_DEFAULT_START if start is None else start, fmt=fmt,
                    record_duration_s=record_duration_s)
    adc = night.params.get("adc") or {}
    if adc:
        _set_adc(out, {name: {**spec, "data": night.signals[name]} for name, spec in adc.items()})
    return out
