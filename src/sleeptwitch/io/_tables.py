"""Text tables that come with recordings: hypnograms (CSV/TSV) and BIDS ``events.tsv``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import RecordingError, logger

__all__ = ["read_events_tsv", "read_hypnogram"]

_STAGE_LABELS = {
    "W": ("w", "wake", "awake", "wakefulness", "0"),
    "N1": ("n1", "s1", "1", "nrem1"),
    "N2": ("n2", "s2", "2", "nrem2"),
    "N3": ("n3", "n4", "s3", "s4", "3", "4", "nrem3", "nrem4", "sws"),
    "R": ("r", "rem", "5"),
    "?": ("?", "unscored", "unknown", "u", "movement", "movementtime", "mt", "m", "-1", "-2",
          "6", "9", "art", "artifact", "artefact", "na", "n/a", "nan"),
}
_STAGE_MAP = {label: stage for stage, labels in _STAGE_LABELS.items() for label in labels}
_ALLOWED = ("W, Wake, 0, N1, S1, 1, N2, S2, 2, N3, S3, S4, 3, 4, R, REM, 5 (with or without a "
            "'Sleep stage' prefix), and ?, unscored, movement, -1 for epochs without a stage")
_STAGE_COLS = ("stage", "stages", "sleep_stage", "sleepstage", "sleep stage", "hypnogram",
               "hypno", "label", "description", "annotation", "value", "score", "scoring")
_ONSET_COLS = ("onset", "onset_s", "start", "start_s", "time", "time_s", "seconds", "sec", "t")
_EPOCH_COLS = ("epoch", "epochs", "epoch_number", "epoch_no", "epoch_index", "n")
_DURATION_COLS = ("duration", "duration_s", "dur")


def _read_lines(path: Path, what: str) -> list[tuple[int, str]]:
    if not path.is_file():
        raise RecordingError(f"{what} file not found: {str(path)!r}. Check the path.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return [(i, line.rstrip("\r\n")) for i, line in enumerate(text.split("\n"), start=1)
            if line.strip()]


def _stage(label: str) -> str | None:
    text = label.strip().strip("\"'").lower().split("|")[0].strip()
    text = re.sub(r"^(?:sleep[\s_-]*)?stage[\s_-]*", "", text)
    text = re.sub(r"[\s_-]*sleep$", "", text)
    if re.fullmatch(r"-?\d+(?:\.0*)?", text):
        text = str(int(float(text)))
    else:
        text = re.sub(r"[\s_]", "", text)
    return _STAGE_MAP.get(text)


def _split(line: str, sep: str | None) -> list[str]:
    if sep is None:
        return [line.strip()]
    return [f.strip().strip("\"'") for f in (line.split(sep) if sep != " " else line.split())]


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def read_hypnogram(path: str | os.PathLike, *, epoch_s: float = 30.0) -> np.ndarray:
    """Read a hypnogram of fixed-length epochs from a CSV or TSV file.

    Accepted layouts: one column of stages, one per epoch (with or without a header line); or
    a header naming a stage column (``stage``, ``sleep_stage``, ``hypnogram``, ``label``...)
    and optionally ``onset`` (s; with ``duration`` a row may span several epochs) or
    ``epoch`` (numbered from 0 or 1). Lines starting with ``#`` are comments.

    Labels map to ``"W"``, ``"N1"``, ``"N2"``, ``"N3"``, ``"R"`` or ``"?"`` (unscored,
    movement time, artefact): W/Wake/0, N1/S1/1, N2/S2/2, N3/S3/S4/3/4, R/REM/5, with or
    without a ``Sleep stage`` prefix. Note that numeric 4 is read as N3 (Rechtschaffen & Kales
    S4); files using YASA's integers (4 = REM) must be converted first.

    Parameters
    ----------
    path : str or path-like
        The hypnogram file.
    epoch_s : float
        Epoch length in seconds.

    Returns
    -------
    ndarray of str
        One stage per epoch; epochs an onset-based file skips are ``"?"``.

    Raises
    ------
    RecordingError
        Missing file, unknown stage label or non-numeric onset, naming the line.
    """
    path = Path(path)
    if not epoch_s or epoch_s <= 0:
        raise RecordingError(f"epoch_s must be positive, got {epoch_s!r}")
    lines = [(n, line) for n, line in _read_lines(path, "Hypnogram")
             if not line.lstrip().startswith("#")]
    if not lines:
        raise RecordingError(f"{path.name} holds no stages. Put one stage per line "
                             "(W, N1, N2, N3, R) or columns onset,stage.")
    first = lines[0][1]
    sep = next((s for s in ("\t", ",", ";") if s in first), None)
    if sep is None and len(first.split()) > 1 and _stage(first) is None and (
            _column(first.split(), _STAGE_COLS) is not None):
        sep = " "
    fields0 = _split(first, sep)
    stage_col = _column(fields0, _STAGE_COLS)
    has_header = stage_col is not None or (
        _column(fields0, _ONSET_COLS + _EPOCH_COLS) is not None)
    if has_header:
        if stage_col is None:
            raise RecordingError(
                f"{path.name}, line {lines[0][0]}: no stage column in the header {fields0}; "
                f"name it one of: {', '.join(_STAGE_COLS[:6])}.")
        header, rows = fields0, lines[1:]
    else:
        if len(fields0) > 1:
            raise RecordingError(
                f"{path.name}, line {lines[0][0]}: {len(fields0)} columns but no header line; "
                "add a header such as 'onset,stage' (or keep a single column of stages).")
        header, rows, stage_col = ["stage"], lines, 0
    onset_col = _column(header, _ONSET_COLS)
    epoch_col = _column(header, _EPOCH_COLS) if onset_col is None else None
    dur_col = _column(header, _DURATION_COLS)
    stages, starts, counts = [], [], []
    codes: set[str] = set()
    for n, line in rows:
        fields = _split(line, sep) if has_header else [line.strip()]
        if len(fields) <= max(c for c in (stage_col, onset_col, epoch_col, dur_col)
                              if c is not None):
            raise RecordingError(f"{path.name}, line {n}: {len(fields)} columns, the header "
                                 f"has {len(header)}: {line!r}")
        stage = _stage(fields[stage_col])
        if stage is None:
            raise RecordingError(f"{path.name}, line {n}: unknown sleep stage "
                                 f"{fields[stage_col]!r}. Allowed labels: {_ALLOWED}.")
        stages.append(stage)
        codes.add(fields[stage_col].strip())
        for col, out, what in ((onset_col, starts, "onset"), (epoch_col, starts, "epoch"),
                               (dur_col, counts, "duration")):
            if col is None:
                continue
            try:
                value = float(fields[col])
            except ValueError:
                value = float("nan")
            if not np.isfinite(value) or value < 0:
                raise RecordingError(f"{path.name}, line {n}: {what} {fields[col]!r} is not a "
                                     "number >= 0 (give it in seconds / as a count).")
            out.append(value)
    if not stages:
        raise RecordingError(f"{path.name} has a header but no stages.")
    if "4" in codes and "5" not in codes:
        logger.warning("%s: numeric stage 4 read as N3 (R&K S4) and no 5 (REM) present; if the "
                       "file uses YASA's integers (4 = REM), convert it first", path.name)
    if onset_col is None and epoch_col is None:
        repeat = (np.maximum(1, np.rint(np.array(counts) / epoch_s).astype(int)) if counts
                  else 1)
        return np.repeat(np.array(stages, dtype="<U2"), repeat)
    if onset_col is not None:
        index = np.array(starts) / epoch_s
        if np.any(np.abs(index - np.rint(index)) > 0.01):
            logger.warning("%s: some onsets are not on %g-s epoch boundaries; rounded to the "
                           "nearest epoch", path.name, epoch_s)
        index = np.rint(index).astype(int)
    else:
        index = np.rint(starts).astype(int)
        if index.min() >= 1:
            index -= 1  # numbered from 1
    span = (np.maximum(1, np.rint(np.array(counts) / epoch_s).astype(int)) if counts
            else np.ones(len(index), dtype=int))
    hypno = np.full(int((index + span).max()), "?", dtype="<U2")
    for i, k, stage in zip(index, span, stages, strict=True):
        hypno[i:i + k] = stage
    return hypno


_SIDES = {"l": "left", "left": "left", "r": "right", "right": "right", "b": "bilateral",
          "both": "bilateral", "bilateral": "bilateral", "n/a": "", "": ""}


def read_events_tsv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a BIDS ``events.tsv`` file (e.g. leg movements scored by a person).

    The first line names the tab-separated columns; ``onset`` and ``duration`` (seconds) are
    required, ``n/a`` marks a missing value. Numeric columns become numbers; ``type`` is
    lower-cased (``LM`` -> ``lm``) and ``side`` normalised (``L``/``left`` -> ``left``,
    ``R`` -> ``right``, ``B``/``both`` -> ``bilateral``).

    Returns
    -------
    DataFrame
        The columns of the file in order, one row per event, file order kept.

    Raises
    ------
    RecordingError
        Missing file, missing columns, or a line with a bad onset, duration or column count;
        the message names the line.
    """
    path = Path(path)
    lines = _read_lines(path, "Events")
    if not lines:
        raise RecordingError(f"{path.name} is empty; a BIDS events file starts with a header "
                             "line such as 'onset<TAB>duration<TAB>type<TAB>side'.")
    n0, head = lines[0]
    header = [h.strip() for h in head.split("\t")]
    if "onset" not in header or "duration" not in header:
        tabs = "" if "\t" in head else " (the line has no tab: columns must be tab-separated)"
        raise RecordingError(f"{path.name}, line {n0}: the header must name the columns "
                             f"'onset' and 'duration', got {header}{tabs}.")
    columns: dict[str, list[str]] = {h: [] for h in header}
    for n, line in lines[1:]:
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) != len(header):
            raise RecordingError(f"{path.name}, line {n}: {len(fields)} tab-separated values, "
                                 f"the header has {len(header)} ({', '.join(header)}).")
        for h, value in zip(header, fields, strict=True):
            columns[h].append(value)
    data: dict[str, pd.Series] = {}
    for h, values in columns.items():
        if h in ("onset", "duration"):
            data[h] = pd.Series(_times(path, lines[1:], h, values), dtype=float)
            continue
        present = [v for v in values if v != "n/a"]
        numeric = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce")
        if present and numeric.notna().all():
            data[h] = pd.Series([float(v) if v != "n/a" else np.nan for v in values],
                                dtype=float)
        else:
            clean = ["" if v == "n/a" else v for v in values]
            if h == "type":
                clean = [v.lower() for v in clean]
            elif h == "side":
                clean = [_SIDES.get(v.lower(), v.lower()) for v in clean]
            data[h] = pd.Series(clean, dtype=object)
    return pd.DataFrame(data, columns=header)


def _times(path: Path, lines: list[tuple[int, str]], column: str,
           values: list[str]) -> list[float]:
    out = []
    for (n, _), value in zip(lines, values, strict=True):
        if column == "duration" and value == "n/a":
            out.append(np.nan)
            continue
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not np.isfinite(number) or number < 0:
            raise RecordingError(f"{path.name}, line {n}: {column} {value!r} is not a number of "
                                 "seconds >= 0" + (" ('n/a' is allowed for duration)"
                                                  if column == "duration" else "") + ".")
        out.append(number)
    return out
