"""The EDF/BDF header: 256 bytes about the file, then 256 bytes per signal (field by field)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from ._annotations import parse_tals
from ._common import RecordingError, logger, normalise_unit

__all__ = ["ANNOTATION_LABELS", "Header", "SignalHeader", "read_header"]

ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
BDF_VERSION = b"\xffBIOSEMI"
_REPAIR = ("The header is damaged: re-export the recording from the acquisition software, or "
           "repair the field with an EDF header editor (e.g. EDFbrowser's).")
# Signal header fields: name and width in bytes, in file order.
_SIGNAL_FIELDS = (("label", 16), ("transducer", 80), ("physical dimension", 8),
                  ("physical minimum", 8), ("physical maximum", 8), ("digital minimum", 8),
                  ("digital maximum", 8), ("prefiltering", 80), ("samples per data record", 8),
                  ("reserved", 32))


@dataclass(frozen=True)
class SignalHeader:
    """One signal as the header describes it (``unit`` as written in the file)."""

    label: str
    transducer: str
    unit: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    prefilter: str
    samples_per_record: int
    is_annotation: bool
    byte_offset: int  # of this signal within a data record


@dataclass(frozen=True, repr=False)
class Header:
    """What :func:`read_header` learns without reading the signals.

    ``ch_names``, ``sf`` and ``units`` cover the data signals only (annotation signals are
    left out); ``units`` are as written in the file (:func:`read_recording` converts volts to µV).
    ``duration_s`` is the wall-clock span from the start, gaps of an EDF+D file included;
    ``n_records`` is what the header promises and ``n_records_complete`` what the file holds.
    """

    path: Path
    fmt: str
    start: datetime
    n_records: int
    record_duration_s: float
    duration_s: float
    ch_names: tuple[str, ...]
    sf: dict[str, float]
    units: dict[str, str]
    n_records_complete: int
    header_bytes: int
    record_bytes: int
    bytes_per_sample: int
    signals: tuple[SignalHeader, ...]
    patient: str = ""
    recording_id: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def data_signals(self) -> dict[str, SignalHeader]:
        """Data signals keyed by their name in ``ch_names``."""
        data = [s for s in self.signals if not s.is_annotation]
        return dict(zip(self.ch_names, data, strict=True))

    def __repr__(self) -> str:
        return (f"<Header {self.path.name!r} {self.fmt}, {self.start:%Y-%m-%d %H:%M:%S}, "
                f"{self.duration_s / 3600:.2f} h, {len(self.ch_names)} channels>")


def _text(raw: bytes) -> str:
    return raw.decode("latin-1").strip()


def _number(raw: bytes, what: str, path: Path, *, integer: bool = False) -> float:
    text = _text(raw)
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not np.isfinite(value) or (integer and value != int(value)):
        kind = "an integer" if integer else "a number"
        raise RecordingError(f"{path.name}: corrupt header: {what} is {text!r}, not {kind}. "
                             + _REPAIR)
    return int(value) if integer else value


def _start(date: str, time: str, recording_id: str, path: Path,
           warnings: list[str]) -> datetime:
    m_d = re.fullmatch(r"(\d{1,2})\D(\d{1,2})\D(\d{2})", date)
    m_t = re.fullmatch(r"(\d{1,2})\D(\d{1,2})\D(\d{1,2})", time)
    if not (m_d and m_t):
        msg = (f"unreadable start date/time {date!r} {time!r} in the header; "
               "using 1985-01-01 00:00:00")
        warnings.append(msg)
        logger.warning("%s: %s", path.name, msg)
        return datetime(1985, 1, 1)
    day, month, yy = (int(g) for g in m_d.groups())
    year = 1900 + yy if yy >= 85 else 2000 + yy
    m_y = re.match(r"Startdate\s+\d{1,2}-[A-Za-z]{3}-(\d{4})", recording_id)
    if m_y and int(m_y.group(1)) % 100 == yy:
        year = int(m_y.group(1))  # EDF+ keeps the four-digit year in the recording field
    try:
        return datetime(year, month, day, *(int(g) for g in m_t.groups()))
    except ValueError:
        msg = f"invalid start date/time {date!r} {time!r}; using 1985-01-01 00:00:00"
        warnings.append(msg)
        logger.warning("%s: %s", path.name, msg)
        return datetime(1985, 1, 1)


def _dedupe(labels: list[str], warnings: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    dups = sorted(k for k, v in seen.items() if v > 1)
    if dups:
        warnings.append("duplicate channel labels renamed with ' (2)', ' (3)'...: "
                        + ", ".join(repr(d) for d in dups))
    return out


def read_header(path: str | os.PathLike) -> Header:
    """Read the header of an EDF, EDF+ or BDF(+) file (cheap: the signals are not read).

    Parameters
    ----------
    path : str or path-like
        The ``.edf`` / ``.bdf`` file.

    Returns
    -------
    Header
        ``ch_names``, ``sf`` (Hz per channel), ``units``, ``n_records``,
        ``record_duration_s``, ``fmt`` (``"EDF"``, ``"EDF+C"``, ``"EDF+D"``, ``"BDF"``,
        ``"BDF+C"``, ``"BDF+D"``), ``start`` and ``duration_s``.

    Raises
    ------
    RecordingError
        Missing file, not an EDF/BDF file, a corrupt or incomplete header.
    """
    path = Path(path)
    if not path.is_file():
        where = "" if path.parent.is_dir() else f" (the folder {str(path.parent)!r} is missing)"
        raise RecordingError(f"Recording file not found: {str(path)!r}{where}. "
                             "Check the path and the file name.")
    size = path.stat().st_size
    with open(path, "rb") as f:
        main = f.read(256)
        if len(main) < 256 or main[:8] not in (b"0       ", BDF_VERSION):
            raise RecordingError(
                f"{path.name} is not an EDF or BDF file: its first 8 bytes are {main[:8]!r}, "
                "expected b'0       ' (EDF) or b'\\xffBIOSEMI' (BDF). If it is another "
                "format, convert it to EDF first (e.g. with EDFbrowser or the vendor's export).")
        is_bdf = main[:8] == BDF_VERSION
        ns = _number(main[252:256], "the number of signals", path, integer=True)
        if ns < 1:
            raise RecordingError(f"{path.name}: the header declares {ns} signals; there is "
                                 "nothing to read. " + _REPAIR)
        raw = f.read(256 * ns)
    if len(raw) < 256 * ns:
        raise RecordingError(f"{path.name} is truncated inside its header: {ns} signals need "
                             f"{256 * (ns + 1)} header bytes but the file has {size} bytes. "
                             "Copy the file again from its source.")
    warnings: list[str] = []
    header_bytes = 256 * (ns + 1)
    declared = _number(main[184:192], "the number of header bytes", path, integer=True)
    if declared != header_bytes:
        logger.info("%s: header says %d header bytes, %d signals need %d; using %d",
                    path.name, declared, ns, header_bytes, header_bytes)
    n_records = _number(main[236:244], "the number of data records", path, integer=True)
    record_duration_s = _number(main[244:252], "the data record duration", path)
    reserved = _text(main[192:236])
    base = "BDF" if is_bdf else "EDF"
    fmt = base
    for tag in ("+C", "+D"):
        if reserved.startswith(("EDF" + tag, "BDF" + tag)):
            fmt = base + tag

    fields: dict[str, list[bytes]] = {}
    pos = 0
    for name, width in _SIGNAL_FIELDS:
        fields[name] = [raw[pos + i * width: pos + (i + 1) * width] for i in range(ns)]
        pos += width * ns
    labels = [_text(b) for b in fields["label"]]
    bps = 3 if is_bdf else 2
    signals: list[SignalHeader] = []
    offset = 0
    for i, label in enumerate(labels):
        where = f"signal {i + 1} ({label!r})"
        spr = _number(fields["samples per data record"][i],
                      f"the samples per data record of {where}", path, integer=True)
        if spr < 0:
            raise RecordingError(f"{path.name}: {where} has {spr} samples per data record. "
                                 + _REPAIR)
        signals.append(SignalHeader(
            label=label,
            transducer=_text(fields["transducer"][i]),
            unit=normalise_unit(_text(fields["physical dimension"][i])),
            physical_min=_number(fields["physical minimum"][i],
                                 f"the physical minimum of {where}", path),
            physical_max=_number(fields["physical maximum"][i],
                                 f"the physical maximum of {where}", path),
            digital_min=_number(fields["digital minimum"][i],
                                f"the digital minimum of {where}", path, integer=True),
            digital_max=_number(fields["digital maximum"][i],
                                f"the digital maximum of {where}", path, integer=True),
            prefilter=_text(fields["prefiltering"][i]),
            samples_per_record=spr,
            is_annotation=label in ANNOTATION_LABELS,
            byte_offset=offset,
        ))
        offset += spr * bps
    record_bytes = offset
    if record_bytes == 0:
        raise RecordingError(f"{path.name}: every signal has 0 samples per data record; the "
                             "file holds no data. " + _REPAIR)
    complete = max(0, (size - header_bytes) // record_bytes)
    if n_records < 0:
        raise RecordingError(
            f"{path.name}: the header gives {n_records} as the number of data records, which "
            "means the recorder never finished writing the file. It holds "
            f"{complete} complete records ({complete * record_duration_s:g} s); re-export it "
            "from the acquisition software, or set header bytes 236-243 to "
            f"{complete} with an EDF header editor.")
    if n_records == 0:
        raise RecordingError(f"{path.name} contains no data records (0 s of signal). Check that "
                             "the recording was exported completely.")
    data = [s for s in signals if not s.is_annotation]
    if data and record_duration_s <= 0:
        raise RecordingError(f"{path.name}: the data record duration is {record_duration_s:g} "
                             "s, but a file with signals needs a positive duration. " + _REPAIR)
    n_complete = min(complete, n_records)
    if complete < n_records:
        msg = (f"truncated file: the header promises {n_records} data records but only "
               f"{complete} are complete ({complete * record_duration_s:g} of "
               f"{n_records * record_duration_s:g} s)")
        if complete:
            msg += "; only the complete records are read"
        warnings.append(msg)
        logger.warning("%s: %s", path.name, msg)
    elif size > header_bytes + n_records * record_bytes:
        logger.info("%s: %d bytes after the last data record ignored", path.name,
                    size - header_bytes - n_records * record_bytes)

    recording_id = _text(main[88:168])
    start = _start(_text(main[168:176]), _text(main[176:184]), recording_id, path, warnings)
    ch_names = tuple(_dedupe([s.label for s in data], warnings))
    duration_s = n_complete * record_duration_s
    if fmt.endswith("+D") and n_complete:
        duration_s = _discontinuous_duration(path, signals, header_bytes, record_bytes,
                                             n_complete, record_duration_s, bps) or duration_s
    return Header(
        path=path, fmt=fmt, start=start, n_records=n_records,
        record_duration_s=record_duration_s, duration_s=duration_s, ch_names=ch_names,
        sf={n: (s.samples_per_record / record_duration_s if record_duration_s > 0 else 0.0)
            for n, s in zip(ch_names, data, strict=True)},
        units={n: s.unit for n, s in zip(ch_names, data, strict=True)},
        n_records_complete=n_complete, header_bytes=header_bytes, record_bytes=record_bytes,
        bytes_per_sample=bps, signals=tuple(signals), patient=_text(main[8:88]),
        recording_id=recording_id, warnings=tuple(warnings),
    )


def _discontinuous_duration(path: Path, signals: list[SignalHeader], header_bytes: int,
                            record_bytes: int, n_complete: int, record_duration_s: float,
                            bps: int) -> float | None:
    """EDF+D span: from the first record's onset to the end of the last record."""
    ann = next((s for s in signals if s.is_annotation), None)
    if ann is None:
        return None
    onsets = []
    with open(path, "rb") as f:
        for k in (0, n_complete - 1):
            f.seek(header_bytes + k * record_bytes + ann.byte_offset)
            onsets.append(parse_tals(f.read(ann.samples_per_record * bps))[0])
    if None in onsets:
        return None
    return float(onsets[1] - onsets[0] + record_duration_s)


def record_start(header: Header, first_onset: float | None) -> datetime:
    """The time of the first sample: header start plus the first record's time keeping."""
    if not first_onset:
        return header.start
    return header.start + timedelta(seconds=float(first_onset))
