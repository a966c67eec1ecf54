"""Write EDF+C / BDF+C files (signals and annotations) with numpy."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ._annotations import format_tal
from ._common import RecordingError, logger, uv_factor
from ._types import Signal

__all__ = ["write_annotations_edf", "write_edf"]

_DIGITAL = {"EDF": (-32768, 32767), "BDF": (-8388608, 8388607)}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_CHUNK_RECORDS = 512  # data records assembled in memory at a time


def _field(text: str, width: int, what: str) -> bytes:
    raw = text.encode("ascii", errors="replace")
    if len(raw) > width:
        raise RecordingError(f"{what} {text!r} is longer than the {width} characters EDF allows; "
                             "shorten it.")
    return raw.ljust(width)


def _num(x: float) -> str:
    """``x`` in at most 8 characters."""
    if float(x).is_integer() and abs(x) < 1e7:
        return str(int(x))
    for digits in range(8, 0, -1):
        text = f"{x:.{digits}g}"
        if "e" not in text and len(text) <= 8:
            return text
    raise RecordingError(f"the number {x!r} does not fit in an 8-character EDF header field")


def _physical_max(peak: float) -> str:
    """A number of at most 7 characters, about 2 % above ``peak`` ("-" + it fits in 8)."""
    target = peak * 1.02 if peak > 0 else 1.0
    for decimals in range(6, -1, -1):
        scale = 10.0 ** decimals
        text = f"{math.ceil(target * scale) / scale:.{decimals}f}"
        if len(text) <= 7 and float(text) > 0:
            return text
    raise RecordingError(f"a signal peaks at {peak:g}, too large for an EDF header field; "
                         "store it in a larger unit")


def _header(fmt: str, start: datetime, n_records: int, record_s: float,
            specs: list[dict]) -> bytes:
    base = fmt[:3]
    version = b"\xffBIOSEMI" if base == "BDF" else b"0".ljust(8)
    recording = (f"Startdate {start.day:02d}-{_MONTHS[start.month - 1]}-{start.year} X X "
                 "sleeptwitch")
    ns = len(specs)
    main = (version + _field("X X X X", 80, "patient") + _field(recording, 80, "recording")
            + start.strftime("%d.%m.%y").encode() + start.strftime("%H.%M.%S").encode()
            + _field(str(256 * (ns + 1)), 8, "header size") + _field(fmt, 44, "reserved")
            + _field(str(n_records), 8, "record count") + _field(_num(record_s), 8,
                                                                  "record duration")
            + _field(str(ns), 4, "signal count"))
    parts = [main]
    for key, width in (("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8),
                       ("pmax", 8), ("dmin", 8), ("dmax", 8), ("prefilter", 80),
                       ("spr", 8), ("reserved", 32)):
        for spec in specs:
            parts.append(_field(str(spec.get(key, "")), width, f"signal {key}"))
    return b"".join(parts)


def _start(start: datetime | None) -> tuple[datetime, float]:
    """Start truncated to the second (header) and its sub-second part (first TAL onset)."""
    start = start or datetime(1985, 1, 1)
    if start.tzinfo is not None:
        start = start.replace(tzinfo=None)
    if not 1985 <= start.year <= 2084:
        raise RecordingError(f"EDF can store start dates from 1985 to 2084, got {start:%Y-%m-%d}"
                             "; pass another start=.")
    return start.replace(microsecond=0), start.microsecond / 1e6


def _annotation_rows(annotations: pd.DataFrame | None) -> list[tuple[float, float, str]]:
    if annotations is None or len(annotations) == 0:
        return []
    missing = [c for c in ("onset", "description") if c not in annotations.columns]
    if missing:
        raise RecordingError(f"annotations need the columns onset, duration, description; "
                             f"missing: {', '.join(missing)}")
    onset = pd.to_numeric(annotations["onset"], errors="coerce").to_numpy(float)
    duration = (pd.to_numeric(annotations["duration"], errors="coerce").to_numpy(float)
                if "duration" in annotations.columns else np.zeros(len(onset)))
    bad = np.flatnonzero(~np.isfinite(onset) | (onset < 0))
    if bad.size:
        raise RecordingError(f"annotation row {int(bad[0])}: onset "
                             f"{annotations['onset'].iloc[bad[0]]!r} is not a time >= 0 s")
    rows = []
    for o, d, text in zip(onset, duration, annotations["description"].astype(str), strict=True):
        clean = "".join(ch for ch in text if ch not in "\x00\x14\x15").strip()
        if clean:
            rows.append((float(o), float(d), clean))
    return rows


def _tal_blocks(rows: list[tuple[float, float, str]], n_records: int, record_s: float,
                first_onset: float) -> list[bytes]:
    """Annotation bytes of each record: time keeping, then the annotations starting in it."""
    per_record: list[list[bytes]] = [[] for _ in range(n_records)]
    for onset, duration, text in rows:
        k = int(onset // record_s) if record_s > 0 else 0
        per_record[min(max(k, 0), n_records - 1)].append(
            format_tal(onset + first_onset, duration, [text]))
    return [format_tal(first_onset + k * record_s, None, []) + b"".join(tals)
            for k, tals in enumerate(per_record)]


def _write(path: Path, fmt: str, start: datetime | None, record_s: float,
           signals: Sequence[Signal], rows: list[tuple[float, float, str]],
           n_records: int) -> Path:
    base = fmt[:3]
    bps = 3 if base == "BDF" else 2
    dmin, dmax = _DIGITAL[base]
    head_start, first_onset = _start(start)
    specs, scaled = [], []
    for sig in signals:
        spr = sig.sf * record_s
        if abs(spr - round(spr)) > 1e-6 or round(spr) < 1:
            raise RecordingError(
                f"signal {sig.name!r}: {sig.sf:g} Hz x {record_s:g} s records is not a whole "
                "number of samples per record; choose record_duration_s so that it is "
                "(e.g. 1.0 for integer rates).")
        data = np.asarray(sig.data, dtype=np.float64)
        if data.ndim != 1:
            raise RecordingError(f"signal {sig.name!r}: data must be one-dimensional, got shape "
                                 f"{data.shape}")
        finite = np.isfinite(data)
        if not finite.all():
            logger.warning("signal %r: %d missing (NaN/inf) samples written as 0",
                           sig.name, int((~finite).sum()))
        peak = float(np.max(np.abs(data[finite]))) if finite.any() else 0.0
        pmax = _physical_max(peak)
        gain = (2 * float(pmax)) / (dmax - dmin)
        unit = sig.unit
        if uv_factor(unit) == 1.0:
            unit = "uV"
        specs.append({"label": sig.name, "transducer": sig.transducer[:80], "unit": unit,
                      "pmin": "-" + pmax, "pmax": pmax, "dmin": dmin, "dmax": dmax,
                      "prefilter": sig.prefilter[:80], "spr": int(round(spr))})
        scaled.append((np.where(finite, data, 0.0), gain, -float(pmax), int(round(spr))))
    tals = _tal_blocks(rows, n_records, record_s, first_onset)
    ann_spr = max(1, math.ceil(max(len(t) for t in tals) / bps))
    label = f"{base} Annotations"
    specs.append({"label": label, "unit": "", "pmin": dmin, "pmax": dmax, "dmin": dmin,
                  "dmax": dmax, "spr": ann_spr})
    rec_bytes = sum(s["spr"] for s in specs) * bps
    ann_bytes = np.zeros((n_records, ann_spr * bps), dtype=np.uint8)
    for k, block in enumerate(tals):
        ann_bytes[k, :len(block)] = np.frombuffer(block, dtype=np.uint8)
    path = Path(path)
    with open(path, "wb") as f:
        f.write(_header(f"{base}+C", head_start, n_records, record_s, specs))
        for r0 in range(0, n_records, _CHUNK_RECORDS):
            r1 = min(n_records, r0 + _CHUNK_RECORDS)
            out = np.empty((r1 - r0, rec_bytes), dtype=np.uint8)
            pos = 0
            for data, gain, pmin, spr in scaled:
                chunk = np.zeros((r1 - r0) * spr)
                part = data[r0 * spr:r1 * spr]
                chunk[:len(part)] = part
                dig = np.clip(np.rint((chunk - pmin) / gain + dmin), dmin, dmax).astype("<i4")
                raw = dig.view(np.uint8).reshape(-1, 4)[:, :bps]
                out[:, pos:pos + spr * bps] = raw.reshape(r1 - r0, spr * bps)
                pos += spr * bps
            out[:, pos:] = ann_bytes[r0:r1]
            out.tofile(f)
    logger.info("wrote %s (%s, %d signals, %d records of %g s, %d annotations)", path.name,
                f"{base}+C", len(signals), n_records, record_s, len(rows))
    return path


def write_edf(path: str | os.PathLike, signals: Sequence[Signal], *,
              annotations: pd.DataFrame | None = None, start: datetime | None = None,
              record_duration_s: float = 1.0, fmt: str = "EDF+C") -> Path:
    """Write signals (and annotations) to an EDF+C or BDF+C file.

    Each signal's physical range is chosen from its data, symmetric with a little headroom, so
    the round-trip error is below one digital step (EDF 16-bit, BDF 24-bit). Signals whose
    unit is µV are written as ``"uV"``. Shorter signals are padded with zeros to whole records.

    Parameters
    ----------
    path : str or path-like
        Output file.
    signals : sequence of Signal
        Each ``sf * record_duration_s`` must be a whole number.
    annotations : DataFrame, optional
        Columns ``onset`` (s from ``start``), ``duration`` (s) and ``description``.
    start : datetime, optional
        Start of the recording (default 1985-01-01 00:00:00, EDF's "unknown" date);
        fractions of a second are kept in the EDF+ time keeping.
    record_duration_s : float
        Data record duration in seconds.
    fmt : {'EDF+C', 'BDF+C'}

    Returns
    -------
    Path
        The file written.
    """
    if fmt not in ("EDF+C", "BDF+C"):
        raise RecordingError(f"Invalid value for 'fmt': allowed are 'EDF+C', 'BDF+C', got {fmt!r}")
    if not record_duration_s or record_duration_s <= 0:
        raise RecordingError(f"record_duration_s must be positive, got {record_duration_s!r}")
    signals = list(signals)
    if not signals:
        raise RecordingError("write_edf needs at least one signal; for annotations only use "
                             "write_annotations_edf")
    names = [s.name for s in signals]
    if len(set(names)) != len(names):
        raise RecordingError(f"channel names must be unique, got {names}")
    longest = max(len(s.data) / s.sf for s in signals)
    n_records = max(1, math.ceil(longest / record_duration_s - 1e-9))
    rows = _annotation_rows(annotations)
    return _write(Path(path), fmt, start, record_duration_s, signals, rows, n_records)


def write_annotations_edf(path: str | os.PathLike, annotations: pd.DataFrame, *,
                          start: datetime, duration_s: float) -> Path:
    """Write an EDF+C file that holds only annotations (e.g. scored events to open with a PSG).

    Parameters
    ----------
    path : str or path-like
        Output file (``.edf``).
    annotations : DataFrame
        Columns ``onset`` (s from ``start``), ``duration`` (s) and ``description``.
    start : datetime
        Start of the recording the annotations belong to.
    duration_s : float
        Duration of that recording; the file spans it in 1-s data records.
    """
    if not duration_s or duration_s <= 0:
        raise RecordingError(f"duration_s must be positive, got {duration_s!r}")
    n_records = max(1, math.ceil(duration_s - 1e-9))
    rows = _annotation_rows(annotations)
    return _write(Path(path), "EDF+C", start, 1.0, [], rows, n_records)
