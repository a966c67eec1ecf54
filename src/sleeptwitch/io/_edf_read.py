"""Read EDF / EDF+C / EDF+D / BDF(+) recordings with numpy: only the channels asked for."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ._annotations import annotations_frame, parse_tals
from ._common import RecordingError, logger, resolve_name, uv_factor, verbosity
from ._edf_header import Header, SignalHeader, read_header, record_start
from ._types import Recording, Signal

__all__ = ["RecordingFile", "open_recording", "read_recording"]


def _memmap(header: Header) -> np.memmap:
    """The complete data records as an ``(n_records, record_bytes)`` uint8 memory map."""
    return np.memmap(header.path, dtype=np.uint8, mode="r", offset=header.header_bytes,
                     shape=(header.n_records_complete, header.record_bytes))


def _digital(records: np.ndarray, sig: SignalHeader, bps: int) -> np.ndarray:
    """Digital values of one signal, shape ``(n_records, samples_per_record)``."""
    block = np.ascontiguousarray(
        records[:, sig.byte_offset:sig.byte_offset + sig.samples_per_record * bps])
    if bps == 2:
        return block.view("<i2")
    trip = block.reshape(len(block), -1, 3).astype(np.int32)
    value = trip[..., 0] | (trip[..., 1] << 8) | (trip[..., 2] << 16)
    return np.where(value >= 1 << 23, value - (1 << 24), value)


def _physical(digital: np.ndarray, sig: SignalHeader) -> tuple[np.ndarray, str]:
    """Physical values (µV for a voltage) and their unit; the range was checked by
    ``RecordingFile.resolve``."""
    gain = (sig.physical_max - sig.physical_min) / (sig.digital_max - sig.digital_min)
    offset = sig.physical_max - gain * sig.digital_max
    factor = uv_factor(sig.unit)
    unit = sig.unit
    if factor is not None:
        gain, offset, unit = gain * factor, offset * factor, "uV"
    out = digital.astype(np.float64)
    out *= gain
    out += offset
    return out, unit


def _record_annotations(records: np.ndarray, header: Header,
                        warnings: list[str]) -> tuple[np.ndarray | None, list]:
    """Time keeping of each record (or None) and every annotation, from the TALs."""
    ann = [s for s in header.signals if s.is_annotation]
    if not ann:
        return None, []
    bps = header.bytes_per_sample
    n = len(records)
    keeping = np.full(n, np.nan)
    rows: list[tuple[float, float, str]] = []
    bad = 0
    for j, sig in enumerate(ann):
        block = np.ascontiguousarray(
            records[:, sig.byte_offset:sig.byte_offset + sig.samples_per_record * bps])
        width = block.shape[1]
        raw = block.tobytes()
        todo = range(n)
        if j == 0 and n > 1 and not header.fmt.endswith("+D"):
            # Continuous file: records follow each other, so the time keeping of record k is the
            # first one's plus k record durations. Only records that hold more than their
            # time-keeping TAL need parsing: find them without a Python loop over all records.
            first, found, nbad = parse_tals(raw[:width])
            if first is not None:
                keeping[:] = first + np.arange(n) * header.record_duration_s
                end_of_first_tal = np.argmax(block == 0, axis=1)
                nxt = np.minimum(end_of_first_tal + 1, width - 1)
                more = (block[np.arange(n), nxt] != 0) & (end_of_first_tal + 1 < width)
                more[0] = False
                rows.extend(found)
                bad += nbad
                todo = np.flatnonzero(more)
        for k in todo:
            chunk = raw[k * width:(k + 1) * width]
            if j == 0:
                first, found, nbad = parse_tals(chunk)
                if first is not None and np.isnan(keeping[k]):
                    keeping[k] = first
            elif chunk.strip(b"\x00"):
                _, found, nbad = parse_tals(chunk)
            else:
                continue
            rows.extend(found)
            bad += nbad
    if bad:
        msg = f"{bad} malformed annotations (TALs) skipped"
        warnings.append(msg)
        logger.warning("%s: %s", header.path.name, msg)
    if np.isnan(keeping).all():
        return None, rows
    if np.isnan(keeping).any():
        msg = (f"{int(np.isnan(keeping).sum())} data records lack their time keeping; "
               "they are assumed to follow the previous record")
        warnings.append(msg)
        logger.warning("%s: %s", header.path.name, msg)
        idx = np.arange(n)
        good = ~np.isnan(keeping)
        last = np.maximum.accumulate(np.where(good, idx, -1))
        base = np.where(last >= 0, keeping[np.maximum(last, 0)], keeping[good][0])
        keeping = np.where(good, keeping, base + (idx - last) * header.record_duration_s)
    return keeping, rows


def _layout(keeping: np.ndarray, record_s: float, warnings: list[str],
            path_name: str) -> tuple[np.ndarray, float]:
    """Record onsets relative to the first record, and the span they cover (EDF+D)."""
    rel = keeping - keeping[0]
    ends = rel + record_s
    span = float(ends.max()) if len(rel) else 0.0
    step = np.diff(rel)
    tol = 1e-6 + 1e-6 * record_s
    gaps = step - record_s
    n_gaps = int((gaps > tol).sum())
    if (gaps < -tol).any():
        msg = (f"{int((gaps < -tol).sum())} data records start before the previous one ends "
               "(overlapping or out of order); later records overwrite earlier ones")
        warnings.append(msg)
        logger.warning("%s: %s", path_name, msg)
    if n_gaps:
        total = float(gaps[gaps > tol].sum())
        msg = f"discontinuous EDF+D: {n_gaps} gaps ({total:.1f} s) filled with NaN"
        warnings.append(msg)
        logger.warning("%s: %s", path_name, msg)
    return rel, span


class RecordingFile:
    """An EDF, EDF+C, EDF+D, BDF or BDF+ file opened for reading: the header, the time keeping
    and every annotation are read at once, each signal only when asked for
    (:meth:`read_signal`, safe to call from several threads at a time). Made by
    :func:`open_recording`.

    Attributes
    ----------
    header : Header
    annotations : DataFrame
        As :attr:`Recording.annotations`.
    start : datetime
        Time of the first sample.
    duration_s : float
        Span in seconds, gaps of a discontinuous file included.
    warnings : list of str
        What was unusual about the file so far (reading signals may add to it).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        header = read_header(path)
        self.header, self._name = header, header.path.name
        self.warnings = list(header.warnings)
        if header.n_records_complete == 0:
            raise RecordingError(
                f"{self._name} is truncated: the header promises {header.n_records} data "
                f"records of {header.record_bytes} bytes but not one is complete (the file has "
                f"{header.path.stat().st_size} bytes). Copy the file again from its source.")
        records = _memmap(header)
        try:
            keeping, rows = _record_annotations(records, header, self.warnings)
        finally:
            del records
        first = float(keeping[0]) if keeping is not None else 0.0
        self._rel = self._span = None
        if header.fmt.endswith("+D") and keeping is not None:
            self._rel, self._span = _layout(keeping, header.record_duration_s, self.warnings,
                                            self._name)
        elif header.fmt.endswith("+D"):
            msg = "EDF+D file without time keeping; records read as contiguous"
            self.warnings.append(msg)
            logger.warning("%s: %s", self._name, msg)
        self.duration_s = float(self._span if self._span is not None else (
            header.n_records_complete * header.record_duration_s))
        self.start = record_start(header, first)
        self.annotations = annotations_frame((o - first, d, t) for o, d, t in rows)

    def resolve(self, channel: str) -> str:
        """The file's label for ``channel`` (exact, else case-insensitive), once it is known to
        be readable: an error that lists the labels when there is none, or says why the
        channel cannot be read (no samples, an empty scaling range)."""
        ch = resolve_name(channel, self.header.ch_names,
                          fix="Pass channels=None to load them all, or pick from the list.")
        sig = self.header.data_signals[ch]
        if sig.samples_per_record == 0:
            raise RecordingError(
                f"{self._name}: channel {ch!r} has 0 samples per data record (an empty "
                "signal). Leave it out with channels=[...].")
        if sig.digital_max == sig.digital_min or sig.physical_max == sig.physical_min:
            raise RecordingError(
                f"{self._name}: channel {ch!r} has digital range {sig.digital_min}..."
                f"{sig.digital_max} and physical range {sig.physical_min:g}.."
                f"{sig.physical_max:g}; values cannot be scaled from an empty range. Leave the "
                "channel out (channels=[...]) or repair the header with an EDF header editor.")
        return ch

    def read_signal(self, channel: str) -> Signal:
        """One channel's samples, in µV when its unit is a voltage; NaN fills EDF+D gaps."""
        ch = self.resolve(channel)
        sig, header = self.header.data_signals[ch], self.header
        records = _memmap(header)
        try:
            digital = _digital(records, sig, header.bytes_per_sample)
        finally:
            del records
        values, unit = _physical(digital, sig)
        sf = header.sf[ch]
        if self._rel is not None and self._span is not None:
            values, n_missing = _place(values, self._rel, sf, self._span)
        else:
            values, n_missing = values.reshape(-1), 0
        # Digital values are never NaN: the only missing samples are the filled gaps.
        return Signal(name=ch, data=values, sf=sf, unit=unit, transducer=sig.transducer,
                      prefilter=sig.prefilter, n_missing=n_missing)

    def recording(self, signals: Sequence[Signal] = ()) -> Recording:
        """A :class:`Recording` of this file with the given signals (read by this object)."""
        return Recording(path=self.header.path, start=self.start, duration_s=self.duration_s,
                         signals={s.name: s for s in signals}, ch_names=self.header.ch_names,
                         annotations=self.annotations, warnings=tuple(self.warnings),
                         fmt=self.header.fmt)


def open_recording(path: str | os.PathLike, *,
                   verbose: bool | str | int | None = None) -> RecordingFile:
    """Open a recording: read its header, time keeping and annotations, and leave the signals
    to :meth:`RecordingFile.read_signal` (for reading channels one at a time or on several
    threads). :func:`read_recording` reads everything asked for at once.

    Raises
    ------
    RecordingError
        Missing, unreadable or truncated file.
    """
    with verbosity(verbose):
        return RecordingFile(path)


def read_recording(path: str | os.PathLike, *, channels: Sequence[str] | None = None,
                   verbose: bool | str | int | None = None) -> Recording:
    """Read an EDF, EDF+C, EDF+D, BDF or BDF+ recording.

    Only the channels asked for are read, straight from a memory map of the file. Physical
    values in V, mV or µV are converted once to µV; gaps of a discontinuous (EDF+D) file are
    filled with NaN so that sample ``i`` is always at ``i / sf`` seconds from ``start``.

    Parameters
    ----------
    path : str or path-like
        The recording.
    channels : sequence of str, optional
        Labels of the channels to load (exact, else case-insensitive). Default: every data
        channel. Annotations are always read.
    verbose : bool, str or int, optional
        Logging level of the ``sleeptwitch`` logger during the call.

    Returns
    -------
    Recording

    Raises
    ------
    RecordingError
        Missing or unreadable file, unknown channel, or no complete data record.
    """
    with verbosity(verbose):
        rf = RecordingFile(path)
        if channels is None:
            channels = rf.header.ch_names
        elif isinstance(channels, str):
            channels = [channels]
        # every channel checked before any signal is read
        wanted = list(dict.fromkeys(rf.resolve(c) for c in channels))
        rec = rf.recording([rf.read_signal(ch) for ch in wanted])
        logger.info("%s: read %d of %d channels, %.1f s, %d annotations", rf.header.path.name,
                    len(rec.signals), len(rf.header.ch_names), rec.duration_s,
                    len(rec.annotations))
        return rec


def _place(values: np.ndarray, rel: np.ndarray, sf: float,
           span: float) -> tuple[np.ndarray, int]:
    """Put each record at its onset on a NaN-filled timeline (vectorised); also the number of
    samples left NaN."""
    n_rec, spr = values.shape
    starts = np.rint(rel * sf).astype(np.int64)
    if n_rec and np.array_equal(starts, np.arange(n_rec) * spr):
        return values.reshape(-1), 0  # no gaps after all
    total = max(int(np.rint(span * sf)), int(starts.max()) + spr if n_rec else 0)
    out = np.full(total, np.nan)
    out[(starts[:, None] + np.arange(spr)).reshape(-1)] = values.reshape(-1)
    return out, int(np.isnan(out).sum())
