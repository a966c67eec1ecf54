"""Automatic sleep staging with yasa's pre-trained classifiers: ``stage_sleep``.

yasa (Vallat & Walker 2021, eLife 10:e70092) ships LightGBM classifiers trained on about 3000
NSRR nights. They take one central EEG, optionally one EOG and one chin EMG, resampled to
100 Hz, and return one of W, N1, N2, N3, R per 30-s epoch with the probability of each. yasa,
mne and lightgbm are imported inside :func:`stage_sleep` only: ``import sleeptwitch`` stays fast
and works without the ``staging`` extra.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..io import Recording
from ._channels import KINDS, StagingError, find_staging_channels

__all__ = ["MIN_DURATION_S", "MIN_SF_HZ", "StagingResult", "stage_sleep"]

logger = logging.getLogger("sleeptwitch")

#: yasa refuses channels sampled at 80 Hz or less (it works at 100 Hz).
MIN_SF_HZ = 80.0
#: yasa's features are smoothed over 2- and 7.5-min windows; it warns below 5 minutes.
MIN_DURATION_S = 300.0
_YASA_SF = 100.0
_EPOCH_S = 30.0
_STAGE = {"WAKE": "W", "W": "W", "N1": "N1", "N2": "N2", "N3": "N3", "REM": "R", "R": "R"}
_COLUMNS = ("W", "N1", "N2", "N3", "R")
#: An epoch is left unscored ("?") when more than this share of its EEG is missing.
_MAX_MISSING = 0.5
_INSTALL = 'pip install "sleeptwitch[staging]"'


@dataclass(frozen=True, eq=False, repr=False)
class StagingResult:
    """Sleep stages estimated by :func:`stage_sleep`.

    Attributes
    ----------
    hypnogram : ndarray of str
        One stage per 30-s epoch, ``"W"``, ``"N1"``, ``"N2"``, ``"N3"``, ``"R"``, or ``"?"`` where
        the EEG is missing; the representation of :func:`sleeptwitch.io.read_hypnogram`.
    confidence : ndarray of float
        Probability of the chosen stage in each epoch (NaN for ``"?"``).
    proba : DataFrame
        Probability of each stage (columns ``W``, ``N1``, ``N2``, ``N3``, ``R``) per epoch.
    channels : dict
        ``{"eeg": label, "eog": label or None, "emg": label or None}``: what was used.
    params : dict
        ``method`` (``"yasa"``), ``yasa_version``, ``classifier`` (e.g. ``"eeg+emg"``),
        ``epoch_s``, ``metadata``.
    warnings : tuple of str
        What was unusual (a channel left out, missing EEG) and how it was handled.
    """

    hypnogram: np.ndarray
    confidence: np.ndarray
    proba: pd.DataFrame
    channels: dict[str, str | None]
    params: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """Epoch count, mean confidence, share of epochs below 0.5 confidence, stage shares."""
        scored = self.hypnogram != "?"
        conf = self.confidence[scored]
        return {
            "n_epochs": int(self.hypnogram.size),
            "mean_confidence": round(float(conf.mean()), 3) if conf.size else None,
            "low_confidence_fraction": round(float((conf < 0.5).mean()), 3) if conf.size
            else None,
            **{f"fraction_{s.lower()}": round(float((self.hypnogram == s).mean()), 3)
               if self.hypnogram.size else 0.0 for s in _COLUMNS},
        }

    def to_frame(self) -> pd.DataFrame:
        """``onset``, ``duration`` (s), ``stage``, ``confidence``: one row per epoch.

        Written as TSV, :func:`sleeptwitch.io.read_hypnogram` reads it back.
        """
        n = self.hypnogram.size
        return pd.DataFrame({"onset": np.arange(n) * _EPOCH_S, "duration": np.full(n, _EPOCH_S),
                             "stage": self.hypnogram.astype(object),
                             "confidence": np.round(self.confidence, 3)})

    def __repr__(self) -> str:
        s = self.summary()
        used = "+".join(v for v in self.channels.values() if v)
        return (f"<StagingResult {s['n_epochs']} epochs from {used}, mean confidence "
                f"{s['mean_confidence']}>")


def _import_yasa() -> tuple[Any, Any]:
    try:
        import mne
        import yasa
    except ImportError as exc:
        raise ImportError(f"Automatic sleep staging needs yasa (and mne), which could not be "
                          f"imported ({exc}). Install them with: {_INSTALL}") from exc
    return yasa, mne


def _resample(x: np.ndarray, sf: float) -> np.ndarray:
    """To 100 Hz, polyphase with anti-aliasing (what yasa would do itself, channel by channel)."""
    if sf == _YASA_SF:
        return x
    from scipy.signal import resample_poly

    ratio = (Fraction(_YASA_SF) / Fraction(sf).limit_denominator(1000)).limit_denominator(1000)
    return resample_poly(x, ratio.numerator, ratio.denominator)


def _load(recording: Recording | str | os.PathLike, chosen: dict[str, str | None]) -> Recording:
    if isinstance(recording, Recording):
        missing = [c for c in chosen.values() if c and c not in recording.signals]
        if missing:
            raise StagingError(f"Channel(s) {', '.join(map(repr, missing))} are in the recording "
                               "but were not loaded. Load them with read_recording(path, "
                               "channels=[...]) or pass the file's path instead.")
        return recording
    from ..io import read_recording

    return read_recording(recording, channels=[c for c in chosen.values() if c])


def stage_sleep(recording: Recording | str | os.PathLike, *, eeg: str | None = None,
                eog: str | None = None, emg: str | None = None,
                include: tuple[str, ...] | list[str] = KINDS, exclude: tuple[str, ...] = (),
                metadata: dict | None = None, verbose: bool | str | int | None = None,
                ) -> StagingResult:
    """Estimate sleep stages (W, N1, N2, N3, R per 30-s epoch) with yasa's classifiers.

    The channels are found by :func:`find_staging_channels` unless named. An EOG or chin EMG
    that is missing, too slowly sampled or flat is left out (with a warning); the classifier
    matching the channels used is picked by yasa. Signals are taken in µV as read, resampled to
    100 Hz and handed to ``yasa.SleepStaging`` as an ``mne.io.RawArray`` in volts.

    Parameters
    ----------
    recording : Recording, str or path-like
        A recording whose staging channels are loaded, or the path of an EDF/BDF file (only
        those channels are then read).
    eeg, eog, emg : str, optional
        Channel names that override the automatic choice.
    include : sequence of {'eeg', 'eog', 'emg'}
        Which kinds to use when found; the EEG is always needed.
    exclude : sequence of str
        Labels never picked automatically (e.g. the leg EMG channels).
    metadata : dict, optional
        ``{"age": years, "male": bool}``, passed to yasa (which then picks its "+demo"
        classifier).
    verbose : bool, str or int, optional
        Logging level of the ``sleeptwitch`` logger during the call.

    Returns
    -------
    StagingResult
        One stage per whole 30-s epoch of the recording, with per-epoch confidence.

    Raises
    ------
    ImportError
        yasa is not installed; the message gives the install command.
    StagingError
        No EEG channel or an unknown channel name; an EEG sampled at 80 Hz or less; less than
        5 min of EEG; a flat or missing EEG. The message names the problem and the fix.
    """
    from ..io._common import verbosity

    with verbosity(verbose):
        names = recording.ch_names if isinstance(recording, Recording) else None
        if names is None:
            from ..io import read_header

            names = read_header(recording).ch_names
        chosen = find_staging_channels(names, eeg=eeg, eog=eog, emg=emg, include=include,
                                       exclude=exclude)
        yasa, mne = _import_yasa()
        rec = _load(recording, chosen)
        where = rec.path.name if rec.path is not None else "recording"
        if rec.duration_s < MIN_DURATION_S:
            raise StagingError(
                f"{where} lasts {rec.duration_s / 60:.1f} min; automatic sleep staging needs at "
                f"least {MIN_DURATION_S / 60:g} min (yasa's features span several minutes). "
                "Give a hypnogram file with --hypnogram FILE, or score without sleep stages "
                "(--staging off).")
        notes: list[str] = []
        n_epochs = int(np.floor(rec.duration_s / _EPOCH_S + 1e-9))
        data, missing = {}, np.zeros(n_epochs)
        for kind in KINDS:
            if chosen[kind] is None:
                continue
            sig = rec.signals[chosen[kind]]
            problem = _check_channel(sig, kind, where)
            if problem:
                notes.append(problem + "; staged without it")
                logger.warning("%s: %s", where, notes[-1])
                chosen[kind] = None
                continue
            data[kind], gaps = _at_100_hz(sig, n_epochs)
            if kind == "eeg":
                missing = gaps
        unscored = missing > _MAX_MISSING
        if unscored.any():
            notes.append(f"EEG {chosen['eeg']!r} is missing in {int(unscored.sum())} epochs; "
                         "they are left unscored ('?')")
        used = [k for k in KINDS if k in data]
        info = mne.create_info([chosen[k] for k in used], _YASA_SF, used, verbose=False)
        raw = mne.io.RawArray(np.vstack([data[k] for k in used]) * 1e-6, info, verbose=False)
        with warnings.catch_warnings():
            # yasa's classifiers were pickled with an older scikit-learn; loading them warns.
            warnings.filterwarnings("ignore", message=".*unpickle estimator.*")
            predicted = yasa.SleepStaging(raw, eeg_name=chosen["eeg"], eog_name=chosen["eog"],
                                          emg_name=chosen["emg"], metadata=metadata).predict()
        hyp = np.full(n_epochs, "?", dtype="<U2")
        stages = [_STAGE.get(str(v).upper(), "?") for v in predicted.hypno.to_numpy()[:n_epochs]]
        hyp[:len(stages)] = stages
        proba = (predicted.proba.rename(columns=lambda c: _STAGE.get(str(c).upper(), str(c)))
                 .reset_index(drop=True).reindex(index=range(n_epochs), columns=list(_COLUMNS)))
        hyp[unscored] = "?"
        proba.loc[unscored, :] = np.nan
        confidence = proba.max(axis=1).to_numpy(float, copy=True)
        confidence[hyp == "?"] = np.nan
        params = {"method": "yasa", "yasa_version": getattr(yasa, "__version__", "unknown"),
                  "classifier": "+".join(used), "epoch_s": _EPOCH_S,
                  "metadata": dict(metadata) if metadata else None}
        return StagingResult(hyp, confidence, proba, dict(chosen), params, tuple(notes))


def _at_100_hz(sig: Any, n_epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """The channel's whole epochs at 100 Hz (gaps filled with its median), and the share of
    each epoch that was missing."""
    per_epoch = int(round(_EPOCH_S * sig.sf))
    x = sig.data[:n_epochs * per_epoch]
    gap = np.isnan(x)
    missing = np.zeros(n_epochs)
    if gap.any():
        counts = np.add.reduceat(gap, np.arange(0, x.size, per_epoch)) / per_epoch
        missing[:counts.size] = counts
        x = np.where(gap, np.nanmedian(x), x)
    y = _resample(x, sig.sf)
    size = n_epochs * int(_EPOCH_S * _YASA_SF)
    return np.pad(y[:size], (0, max(0, size - y.size))), missing


def _check_channel(sig: Any, kind: str, where: str) -> str | None:
    """Why a channel cannot be used: raises for the EEG, returns the reason for EOG / EMG."""
    fix = ("Name another EEG channel with --eeg CHANNEL, give a hypnogram file with --hypnogram "
           "FILE, or score without sleep stages (--staging off).")
    problem = None
    if sig.sf <= MIN_SF_HZ:
        problem = (f"{kind.upper()} channel {sig.name!r} is sampled at {sig.sf:g} Hz; yasa's "
                   f"staging needs more than {MIN_SF_HZ:g} Hz")
    elif np.isnan(sig.data).all():
        problem = f"{kind.upper()} channel {sig.name!r} holds no samples (all missing)"
    elif np.nanpercentile(np.abs(sig.data - np.nanmedian(sig.data)), 90) < 0.1:
        problem = (f"{kind.upper()} channel {sig.name!r} is flat (or in volts labelled as µV): "
                   "90% of its samples are within 0.1 µV of the median")
    elif sig.unit not in ("uV", "µV"):
        problem = (f"{kind.upper()} channel {sig.name!r} has the unit {sig.unit!r}, not a "
                   "voltage")
    if problem and kind == "eeg":
        raise StagingError(f"{where}: {problem}. {fix}")
    return problem
