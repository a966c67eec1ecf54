"""The journal exchange document (``sleeptwitch-journal/1``): validation with exact error paths.

Every other part of the journal (storage, statistics, FHIR, the report) works from this plain dict,
so it is checked here once: a bad entry raises :class:`JournalError` naming its path
(``nights[12].episodes[0].time``), what was wrong and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ..vocabulary import BODY_PARTS, OBSERVERS, PATTERNS, TIMING, did_you_mean, option_message

__all__ = [
    "FORMAT", "JournalError", "NIGHT_FIELDS", "EPISODE_FIELDS", "STANDARD_EXPOSURES",
    "validate_document", "validate_night", "validate_episode", "validate_exposures",
    "parse_clock", "parse_date", "empty_document",
]

FORMAT = "sleeptwitch-journal/1"
MAX_AGE_YEARS = 120
_FACTOR_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")



class JournalError(ValueError):
    """A journal entry that cannot be stored, with the path of the offending value."""

    def __init__(self, message: str, path: str | None = None):
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


# Field checkers: each returns the normalised value or raises JournalError(message, path).

def parse_clock(value: Any, path: str = "time") -> str | None:
    """``"23:40"`` -> ``"23:40"``; ``"7:05"`` -> ``"07:05"``; ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, dt.time):
        return f"{value.hour:02d}:{value.minute:02d}"
    match = _CLOCK.match(str(value).strip()) if isinstance(value, str) else None
    if not match:
        raise JournalError(f"{value!r} is not a clock time; write it as HH:MM, e.g. '23:40'.",
                           path)
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_date(value: Any, path: str = "date") -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise JournalError(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. "
                           "'2026-11-01'.", path) from None


def _number(value: Any, path: str, *, lo: float | None = 0, hi: float | None = None,
            integer: bool = False) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str):
            try:
                value = float(value) if not integer else int(value)
            except ValueError:
                raise JournalError(f"{value!r} is not a number.", path) from None
        else:
            raise JournalError(f"{value!r} is not a number.", path)
    if value != value or value in (float("inf"), float("-inf")):
        raise JournalError("must be a finite number.", path)
    if integer:
        if int(value) != value:
            raise JournalError(f"{value!r} must be a whole number.", path)
        value = int(value)
    if lo is not None and value < lo:
        raise JournalError(f"{value!r} is below the smallest allowed value {lo}.", path)
    if hi is not None and value > hi:
        raise JournalError(f"{value!r} is above the largest allowed value {hi}.", path)
    return value


def _bool(value: Any, path: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise JournalError(f"{value!r} is not yes/no; write true or false.", path)


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _choice(value: Any, path: str, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise JournalError(option_message(path.rsplit(".", 1)[-1].split("[")[0], value,
                                          allowed), path)
    return value


def _choices(value: Any, path: str, allowed: tuple[str, ...]) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]
    if not isinstance(value, list | tuple):
        raise JournalError(f"{value!r} must be a list of {', '.join(allowed)}.", path)
    out = []
    for i, item in enumerate(value):
        out.append(_choice(item, f"{path}[{i}]", allowed))
    return sorted(set(out), key=out.index)


def _text(value: Any, path: str, *, limit: int = 2000) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise JournalError(f"{value!r} must be text.", path)
    if not value.strip():
        return None
    if len(value) > limit:
        raise JournalError(f"text is {len(value)} characters long; the limit is {limit}.", path)
    return value


NIGHT_FIELDS: dict[str, Any] = {
    "bedtime": lambda v, p: parse_clock(v, p),
    "lights_out": lambda v, p: parse_clock(v, p),
    "sleep_latency_min": lambda v, p: _number(v, p, hi=24 * 60),
    "awakenings": lambda v, p: _number(v, p, hi=200, integer=True),
    "awake_min": lambda v, p: _number(v, p, hi=24 * 60),
    "wake_time": lambda v, p: parse_clock(v, p),
    "out_of_bed": lambda v, p: parse_clock(v, p),
    "quality": lambda v, p: _number(v, p, lo=1, hi=5, integer=True),
    "daytime_sleepiness": _bool,
    "note": _text,
}

EPISODE_FIELDS: dict[str, Any] = {
    "time": lambda v, p: parse_clock(v, p),
    "state": lambda v, p: _choice(v, p, TIMING),
    "body_parts": lambda v, p: _choices(v, p, BODY_PARTS),
    "intensity": lambda v, p: _number(v, p, lo=1, hi=5, integer=True),
    "woke": _bool,
    "observed_by": lambda v, p: _choice(v, p, OBSERVERS),
    "pattern": lambda v, p: _choice(v, p, PATTERNS),
    "interval_seconds": lambda v, p: _number(v, p, lo=0.1, hi=3600),
    "pain": _bool,
    "spreading": _bool,
    "note": _text,
}


def _medications(value: Any, path: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise JournalError("must be a list of medicine names.", path)
    return [_text(v.strip(), f"{path}[{i}]", limit=80) for i, v in enumerate(value) if v.strip()]


STANDARD_EXPOSURES: dict[str, Any] = {
    "caffeine_mg": lambda v, p: _number(v, p, hi=5000),
    "caffeine_last": lambda v, p: parse_clock(v, p),
    "alcohol_drinks": lambda v, p: _number(v, p, hi=100),
    "nicotine": _bool,
    "exercise_min": lambda v, p: _number(v, p, hi=24 * 60),
    "exercise_end": lambda v, p: parse_clock(v, p),
    "stress": lambda v, p: _number(v, p, lo=1, hi=5, integer=True),
    "screens_min": lambda v, p: _number(v, p, hi=24 * 60),
    "magnesium": _bool,
    "medications": _medications,
}


def _custom_factor(value: Any, path: str) -> bool | float | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE
    try:
        return _number(value, path, lo=None, hi=None)
    except JournalError:
        raise JournalError(f"{value!r} is neither yes/no nor a number; a custom factor is "
                           "true/false or a number.", path) from None


def _fields(entry: Any, path: str, checkers: Mapping[str, Any], *, extra: tuple[str, ...] = (),
            what: str) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise JournalError(f"expected an object with {what} fields, got {type(entry).__name__}.",
                           path)
    allowed = (*checkers, *extra)
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key in extra:
            continue
        if key not in checkers:
            raise JournalError(option_message(what, key, allowed, what="field name"),
                               f"{path}.{key}" if path else key)
        out[key] = checkers[key](value, f"{path}.{key}" if path else key)
    return out


def validate_episode(entry: Any, path: str = "episode") -> dict[str, Any]:
    """The normalised episode dict (every documented field present, ``None`` if not recorded)."""
    checked = _fields(entry, path, EPISODE_FIELDS, what="episode")
    return {name: checked.get(name) for name in EPISODE_FIELDS}


def _near_exposure(key: Any) -> str:
    hint = did_you_mean(key, tuple(STANDARD_EXPOSURES))
    return f" Did you mean {hint!r}?" if hint else ""


def validate_exposures(entry: Any, path: str = "exposures") -> dict[str, Any]:
    """Recorded exposures only (a missing factor stays missing), custom factors included."""
    if entry is None:
        return {}
    if not isinstance(entry, Mapping):
        raise JournalError("expected an object mapping factor names to values.", path)
    out: dict[str, Any] = {}
    for key, value in entry.items():
        where = f"{path}.{key}"
        if key in STANDARD_EXPOSURES:
            checked = STANDARD_EXPOSURES[key](value, where)
        elif isinstance(key, str) and _FACTOR_NAME.match(key):
            checked = _custom_factor(value, where)
        else:
            raise JournalError(
                f"{key!r} is not a valid factor name; use lower-case letters, digits and _, "
                "starting with a letter, at most 40 characters (e.g. 'late_coding')."
                + _near_exposure(key), where)
        if checked is not None:
            out[key] = checked
    return out


def validate_night(entry: Any, path: str = "night") -> dict[str, Any]:
    """The normalised night with its ``episodes`` list and ``exposures`` mapping."""
    checked = _fields(entry, path, NIGHT_FIELDS, extra=("date", "episodes", "exposures"),
                      what="night")
    if "date" not in entry:
        raise JournalError("every night needs a 'date' (YYYY-MM-DD, the evening it starts).",
                           f"{path}.date")
    night = {"date": parse_date(entry["date"], f"{path}.date")}
    night.update({name: checked.get(name) for name in NIGHT_FIELDS})
    episodes = entry.get("episodes") or []
    if not isinstance(episodes, list):
        raise JournalError("must be a list of episodes.", f"{path}.episodes")
    night["episodes"] = [validate_episode(e, f"{path}.episodes[{i}]")
                         for i, e in enumerate(episodes)]
    night["exposures"] = validate_exposures(entry.get("exposures"), f"{path}.exposures")
    return night


def _person(entry: Any, today: dt.date | None = None) -> dict[str, Any]:
    if entry is None:
        return {"name": None, "birth_date": None}
    if not isinstance(entry, Mapping):
        raise JournalError("expected an object with 'name' and 'birth_date'.", "person")
    unknown = set(entry) - {"name", "birth_date"}
    if unknown:
        raise JournalError(f"unknown person field {sorted(unknown)[0]!r}; allowed are name, "
                           "birth_date.", "person")
    name = _text(entry.get("name"), "person.name", limit=80)
    birth = entry.get("birth_date")
    if birth is not None:
        birth = parse_date(birth, "person.birth_date")
        check_birth_date(birth, today=today)
    return {"name": name, "birth_date": birth}


def check_birth_date(birth: str, *, today: dt.date | None = None) -> None:
    today = today or dt.date.today()
    born = dt.date.fromisoformat(birth)
    if born > today:
        raise JournalError(f"{birth} is in the future; give the date of birth.",
                           "person.birth_date")
    if (today - born).days > MAX_AGE_YEARS * 366:
        raise JournalError(f"{birth} makes the person older than {MAX_AGE_YEARS} years; check "
                           "the year.", "person.birth_date")


def validate_document(document: Any) -> dict[str, Any]:
    """Check a whole exchange document; return it normalised, nights sorted by date.

    Raises :class:`JournalError` at the first bad entry, naming its path.
    """
    if not isinstance(document, Mapping):
        raise JournalError("a journal document is a JSON object with 'format' and 'nights'.")
    fmt = document.get("format")
    if fmt != FORMAT:
        raise JournalError(f"format is {fmt!r}; this reader takes {FORMAT!r}.", "format")
    unknown = set(document) - {"format", "person", "nights"}
    if unknown:
        raise JournalError(f"unknown top-level field {sorted(unknown)[0]!r}; allowed are format, "
                           "person, nights.")
    nights_in = document.get("nights", [])
    if not isinstance(nights_in, list):
        raise JournalError("must be a list of nights.", "nights")
    nights = [validate_night(n, f"nights[{i}]") for i, n in enumerate(nights_in)]
    seen: dict[str, int] = {}
    for i, night in enumerate(nights):
        if night["date"] in seen:
            first = seen[night["date"]]
            raise JournalError(f"{night['date']} appears twice (also at nights[{first}]); merge "
                               "the two entries into one night.", f"nights[{i}].date")
        seen[night["date"]] = i
    nights.sort(key=lambda n: n["date"])
    return {"format": FORMAT, "person": _person(document.get("person")), "nights": nights}


def empty_document(name: str | None = None, birth_date: str | None = None) -> dict[str, Any]:
    return {"format": FORMAT, "person": {"name": name, "birth_date": birth_date}, "nights": []}
