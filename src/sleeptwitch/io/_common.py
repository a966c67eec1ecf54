"""Shared pieces of the recording I/O layer: the error type, logging, units, name lookup."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..vocabulary import did_you_mean

__all__ = ["RecordingError", "logger", "verbosity", "uv_factor", "resolve_name", "close_hint"]

logger = logging.getLogger("sleeptwitch")


class RecordingError(ValueError):
    """A recording, hypnogram or event file that cannot be used; the message says what to do."""


@contextmanager
def verbosity(verbose: bool | str | int | None) -> Iterator[None]:
    """Temporarily set the level of the ``sleeptwitch`` logger (MNE-style ``verbose``).

    ``None`` leaves the level alone, ``True`` means INFO, ``False`` WARNING; a level name or
    number is used as given. No handler is added: the application configures logging.
    """
    if verbose is None:
        yield
        return
    if isinstance(verbose, bool):
        level: int | str = logging.INFO if verbose else logging.WARNING
    elif isinstance(verbose, str):
        level = verbose.upper()
    else:
        level = int(verbose)
    old = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(old)


# Physical dimensions converted to microvolts when read, keyed by their normalised spelling.
_UV_FACTORS = {"v": 1e6, "mv": 1e3, "uv": 1.0, "µv": 1.0, "μv": 1.0, "nv": 1e-3,
               "volt": 1e6, "volts": 1e6, "millivolt": 1e3, "microvolt": 1.0, "microvolts": 1.0}


def normalise_unit(unit: str) -> str:
    """The unit as text, repairing µ that was UTF-8 encoded but decoded as latin-1."""
    return unit.replace("Âµ", "µ").replace("Î¼", "µ").replace("μ", "µ").strip()


def uv_factor(unit: str) -> float | None:
    """Factor that converts values in ``unit`` to µV, or ``None`` if it is not a voltage."""
    return _UV_FACTORS.get(normalise_unit(unit).replace(" ", "").lower())


def close_hint(name: str, candidates: Sequence[str]) -> str:
    """' Did you mean 'X'?' for the closest candidate, or ''."""
    hit = did_you_mean(name, candidates, cutoff=0.5)
    return f" Did you mean {hit!r}?" if hit else ""


def resolve_name(name: str, available: Sequence[str], *, what: str = "channel",
                 fix: str = "") -> str:
    """The entry of ``available`` that ``name`` refers to (exact, then case-insensitive).

    Raises
    ------
    RecordingError
        If there is no such entry; the message lists what is available and the closest match.
    """
    key = str(name).strip()
    if key in available:
        return key
    folded = [a for a in available if a.lower() == key.lower()]
    if len(folded) == 1:
        return folded[0]
    listing = ", ".join(repr(a) for a in available) or "(none)"
    raise RecordingError(
        f"Unknown {what} {name!r}.{close_hint(key, available)} Available are: {listing}."
        + (f" {fix}" if fix else "")
    )
