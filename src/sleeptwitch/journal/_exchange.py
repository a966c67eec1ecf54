"""Journal files: the JSON exchange document and its one-file CSV form (docs/journal-format.md).

Reading is all-or-nothing: the whole file is checked before anything is returned, and an error
names the line and column (CSV) or the path (JSON) of the first bad entry. Writing goes to a
temporary file that replaces the target only when complete, so a crash never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from .._files import atomic_write
from ..vocabulary import option_message
from ._document import (
    EPISODE_FIELDS,
    FORMAT,
    NIGHT_FIELDS,
    STANDARD_EXPOSURES,
    JournalError,
    validate_document,
)

__all__ = ["read_csv", "write_csv", "read_journal_file", "write_journal_file", "to_csv_text"]

_CLASH = {"time": "episode_time", "note": "episode_note"}
_EPISODE_COLUMNS = [_CLASH.get(f, f) for f in EPISODE_FIELDS]
_NIGHT_COLUMNS = ["date", *NIGHT_FIELDS]
_PERSON_COLUMNS = ["person_name", "person_birth_date"]
_LIST_FIELDS = {"body_parts", "medications"}
#: An empty list ("no medicines") differs from an empty cell ("not recorded").
_EMPTY_LIST = "none"
_PATH = re.compile(r"^nights\[(\d+)\](?:\.episodes\[(\d+)\])?(?:\.(?:exposures\.)?([a-z_0-9]+))?")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value) if value else _EMPTY_LIST
    return str(value)


def _columns(document: dict[str, Any]) -> list[str]:
    custom = sorted({k for n in document["nights"] for k in n.get("exposures", {})}
                    - set(STANDARD_EXPOSURES))
    return ["record", *_NIGHT_COLUMNS, *STANDARD_EXPOSURES, *custom, *_EPISODE_COLUMNS,
            *_PERSON_COLUMNS]


def to_csv_text(document: dict[str, Any]) -> str:
    doc = validate_document(document)
    columns = _columns(doc)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    person = doc["person"]
    if person["name"] is not None or person["birth_date"] is not None:
        writer.writerow({"record": "person", "person_name": _cell(person["name"]),
                         "person_birth_date": _cell(person["birth_date"])})
    for night in doc["nights"]:
        row = {"record": "night", **{c: _cell(night.get(c)) for c in _NIGHT_COLUMNS}}
        row.update({k: _cell(v) for k, v in night["exposures"].items()})
        writer.writerow(row)
        for episode in night["episodes"]:
            row = {"record": "episode", "date": night["date"]}
            row.update({_CLASH.get(k, k): _cell(v) for k, v in episode.items()})
            writer.writerow(row)
    return buffer.getvalue()


def write_csv(document: dict[str, Any], path: str | Path) -> None:
    _atomic_write(Path(path), to_csv_text(document))


def _parse_scalar(text: str) -> Any:
    """A custom factor's cell: true/false, an int, a float, else the text (rejected later)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _from_cell(name: str, text: str) -> Any:
    if text == "":
        return None
    if name in _LIST_FIELDS:
        if text.strip().lower() == _EMPTY_LIST:
            return []
        return [part.strip() for part in text.split(";") if part.strip()]
    if name in ("bedtime", "lights_out", "wake_time", "out_of_bed", "time", "caffeine_last",
                "exercise_end", "note", "date", "state", "observed_by", "pattern"):
        return text
    return _parse_scalar(text)


def read_csv(path: str | Path, *, text: str | None = None) -> dict[str, Any]:
    """Read the one-file CSV form into a checked exchange document."""
    if text is None:
        text = _read_text(Path(path))
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "record" not in header or "date" not in header:
        raise JournalError(f"{path}: line 1: a journal CSV needs the columns 'record' and 'date' "
                           "(see docs/journal-format.md); this header has: "
                           f"{', '.join(header) or 'nothing'}.")
    nights: dict[str, dict[str, Any]] = {}
    night_lines: list[int] = []
    episode_lines: dict[tuple[int, int], int] = {}
    episode_keys = set(_EPISODE_COLUMNS)
    person = None
    for row in reader:
        line = reader.line_num
        if None in row:
            raise JournalError(f"{path}: line {line}: more cells than header columns.")
        kind = (row.get("record") or "").strip()
        if kind == "person":
            if person is not None:
                raise JournalError(f"{path}: line {line}: a second person row; a journal file "
                                   "holds one person.")
            person = {"name": row.get("person_name") or None,
                      "birth_date": row.get("person_birth_date") or None}
            continue
        date = (row.get("date") or "").strip()
        if not date:
            raise JournalError(f"{path}: line {line}, column date: every row needs the date of "
                               "its night (YYYY-MM-DD).")
        if kind == "night":
            night = {"date": date}
            exposures = {}
            for column, cell in row.items():
                if column in ("record", "date", *_PERSON_COLUMNS) or column in episode_keys:
                    if column in episode_keys and cell:
                        raise JournalError(f"{path}: line {line}, column {column}: an episode "
                                           "field on a night row; put episodes on rows with "
                                           "record=episode.")
                    continue
                value = _from_cell(column, cell)
                if column in NIGHT_FIELDS:
                    night[column] = value
                elif value is not None:
                    exposures[column] = value
            night["exposures"] = exposures
            if date in nights and nights[date].get("_seen"):
                raise JournalError(f"{path}: line {line}: a second night row for {date}; keep "
                                   "one row per night.")
            episodes = nights.get(date, {}).get("episodes", [])
            if date not in nights:
                night_lines.append(line)
            nights[date] = {**night, "episodes": episodes, "_seen": True}
        elif kind == "episode":
            if date not in nights:
                nights[date] = {"date": date, "episodes": [], "exposures": {}}
                night_lines.append(line)
            episode = {}
            for column in _EPISODE_COLUMNS:
                value = _from_cell(column.removeprefix("episode_"), row.get(column) or "")
                if value is not None:
                    episode[EPISODE_FIELDS_BY_COLUMN[column]] = value
            night_index = list(nights).index(date)
            episode_lines[(night_index, len(nights[date]["episodes"]))] = line
            nights[date]["episodes"].append(episode)
        else:
            raise JournalError(f"{path}: line {line}, column record: "
                               + option_message("record", kind, ("night", "episode")))
    for night in nights.values():
        night.pop("_seen", None)
    document = {"format": FORMAT, "nights": list(nights.values())}
    if person is not None:
        document["person"] = person
    try:
        return validate_document(document)
    except JournalError as exc:
        raise _located(exc, path, night_lines, episode_lines) from None


EPISODE_FIELDS_BY_COLUMN = {_CLASH.get(f, f): f for f in EPISODE_FIELDS}


def _located(exc: JournalError, path: Any, night_lines: list[int],
             episode_lines: dict[tuple[int, int], int]) -> JournalError:
    match = _PATH.match(exc.path or "")
    if not match:
        return JournalError(f"{path}: {exc}")  # the person row, or the file as a whole
    night, episode, field = match.groups()
    if episode is not None:
        line = episode_lines.get((int(night), int(episode)))
        field = _CLASH.get(field, field) if field else None
    else:
        line = night_lines[int(night)] if int(night) < len(night_lines) else None
    message = str(exc).split(": ", 1)[1] if ": " in str(exc) else str(exc)
    where = f"line {line}" + (f", column {field}" if field else "")
    return JournalError(f"{path}: {where}: {message}")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise JournalError(f"{path} does not exist.") from None
    except UnicodeDecodeError:
        raise JournalError(f"{path} is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in "
                           "spreadsheet programs).") from None


def read_journal_file(path: str | Path) -> dict[str, Any]:
    """A ``.json`` exchange document or a ``.csv`` journal, checked whole."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return read_csv(path)
    if path.suffix.lower() != ".json":
        raise JournalError(f"{path}: unknown file type {path.suffix!r}; give a .json or .csv "
                           "journal file.")
    text = _read_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JournalError(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON "
                           f"({exc.msg}).") from None
    try:
        return validate_document(document)
    except JournalError as exc:
        raise JournalError(f"{path}: {exc}") from None


def write_journal_file(document: dict[str, Any], path: str | Path) -> None:
    path = Path(path)
    if path.suffix.lower() == ".csv":
        write_csv(document, path)
    elif path.suffix.lower() == ".json":
        _atomic_write(path, json.dumps(validate_document(document), indent=1,
                                       ensure_ascii=False) + "\n")
    else:
        raise JournalError(f"{path}: unknown file type {path.suffix!r}; export to .json or "
                           ".csv.")


def _atomic_write(path: Path, text: str) -> None:
    atomic_write(path, text, private=True)
