"""The in-memory recording: :class:`Signal` and :class:`Recording`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ._annotations import ANNOTATION_COLUMNS

__all__ = ["Recording", "Signal"]


def _empty_annotations() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("onset", "duration") else object)
                         for c in ANNOTATION_COLUMNS})


@dataclass(frozen=True, eq=False, repr=False)
class Signal:
    """One channel.

    Attributes
    ----------
    name : str
        The channel label.
    data : ndarray of float64
        Physical values; in µV when the file's unit was a voltage (V, mV, µV). NaN marks
        samples the recording does not have (gaps of an EDF+D file).
    sf : float
        Sampling frequency in Hz.
    unit : str
        ``"uV"`` after conversion; any other unit (``"%"``, ``"degC"``...) as in the file.
    transducer, prefilter : str
        As written in the file header.
    n_missing : int, optional
        How many samples are NaN, when the reader knows it (it fills the gaps itself); None
        when not known. :meth:`missing_samples` counts them in that case.
    """

    name: str
    data: np.ndarray
    sf: float
    unit: str
    transducer: str = ""
    prefilter: str = ""
    n_missing: int | None = None

    def missing_samples(self) -> int:
        """Number of samples the recording does not have (NaN in ``data``)."""
        if self.n_missing is not None:
            return self.n_missing
        return int(np.isnan(self.data).sum())

    @property
    def duration_s(self) -> float:
        """Length of ``data`` in seconds."""
        return len(self.data) / self.sf if self.sf else 0.0

    @property
    def times(self) -> np.ndarray:
        """Time of each sample in seconds from the start of the recording."""
        return np.arange(len(self.data)) / self.sf

    def __repr__(self) -> str:
        return (f"<Signal {self.name!r} {self.sf:g} Hz, {self.unit or 'no unit'}, "
                f"{len(self.data)} samples ({self.duration_s:g} s)>")


@dataclass(frozen=True, eq=False, repr=False)
class Recording:
    """A recording read by :func:`read_recording`.

    Attributes
    ----------
    path : Path or None
        Where it was read from.
    start : datetime
        Time of the first sample (local time, as written in the file).
    duration_s : float
        Span in seconds, gaps of a discontinuous file included.
    signals : dict of str to Signal
        The channels that were loaded, keyed by label.
    ch_names : tuple of str
        Every data channel in the file, loaded or not (annotation signals excluded).
    annotations : DataFrame
        ``onset`` (s from ``start``), ``duration`` (s, 0 when the file gives none),
        ``description``, ``kind`` (``"stage"``, ``"respiratory"``, ``"arousal"``, ``"lm"``,
        ``"other"``), ``stage`` (``"W"``, ``"N1"``, ``"N2"``, ``"N3"``, ``"R"`` or ``""``),
        ``side`` (``"left"``, ``"right"`` or ``""``).
    warnings : tuple of str
        What was unusual about the file and how it was handled.
    fmt : str
        ``"EDF"``, ``"EDF+C"``, ``"EDF+D"``, ``"BDF"``, ``"BDF+C"`` or ``"BDF+D"``.
    """

    path: Path | None
    start: datetime
    duration_s: float
    signals: dict[str, Signal]
    ch_names: tuple[str, ...]
    annotations: pd.DataFrame = field(default_factory=_empty_annotations)
    warnings: tuple[str, ...] = ()
    fmt: str = "EDF+C"

    def __getitem__(self, name: str) -> Signal:
        """The loaded signal called ``name`` (case-insensitive fallback)."""
        from ._common import resolve_name

        return self.signals[resolve_name(
            name, list(self.signals), what="loaded channel",
            fix="Load it with read_recording(path, channels=[...]).")]

    def __repr__(self) -> str:
        where = self.path.name if self.path is not None else "(in memory)"
        return (f"<Recording {where!r} {self.fmt}, {self.duration_s / 3600:.2f} h, "
                f"{len(self.ch_names)} channels ({len(self.signals)} loaded), "
                f"{len(self.annotations)} annotations, {len(self.warnings)} warnings>")
