"""Find the left and right tibialis anterior EMG channels among a recording's labels."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._common import RecordingError, logger, resolve_name

__all__ = ["find_leg_channels"]

_SIDE = {"left": r"(?:l|left|lt|sx|sin|sinistra)", "right": r"(?:r|right|rt|dx|destra)"}
# Words that mean "leg EMG" in a label; with a side marker before or after them.
_LEG = r"(?:legs?|tib|tibial|tibialis|anttib|anttibial|anttibialis|anteriortibialis|at|lm|plm|limb)"
_BARE = {"left": r"(?:sx|sin)", "right": r"(?:dx)"}  # CAP: SX1-SX2 / DX1-DX2, bare "sin"
_ELECTRODE = r"\d?[+-]?"
_FIX = ("Name the channels with --left NAME --right NAME (left=..., right=... in Python).")


def _patterns(side: str) -> list[re.Pattern[str]]:
    s = _SIDE[side]
    unit = rf"(?:{s}-?{_LEG}|{_LEG}-?{s}|{_BARE[side]}){_ELECTRODE}"
    second = rf"(?:{unit}|ref\d?|[am]\d|\d)"
    numbered = {"left": "1", "right": "2"}[side]
    return [re.compile(rf"{unit}(?:-?{second})?"),
            # Stanford: "Leg 1" / "Leg 2" (taken as left / right; there is no side marker)
            re.compile(rf"legs?{numbered}[+-]?")]


_PATTERNS = {side: _patterns(side) for side in ("left", "right")}


def _compact(name: str) -> str:
    """Lower case without spaces, punctuation or a leading 'EMG' (keeps + and -)."""
    text = name.strip().lower()
    text = re.sub(r"^emg(?=[\s_.:/-])", "", text)
    text = re.sub(r"[\s_.:/()\[\]]", "", text).lstrip("-")
    return text.replace("–", "-")


def _rank(name: str, side: str) -> tuple[int, int] | None:
    """(pattern priority, electrode preference) when ``name`` is a ``side`` leg channel."""
    text = _compact(name)
    for priority, pattern in enumerate(_PATTERNS[side]):
        if pattern.fullmatch(text):
            # A bipolar derivation or plain label beats a lone '+' electrode, which beats '-'.
            pref = 2 if text.endswith("-") and text.count("-") == 1 else int(
                text.endswith("+"))
            return priority, pref
    return None


def _best(ch_names: Sequence[str], side: str) -> str | None:
    ranked = [(r, i, n) for i, n in enumerate(ch_names) if (r := _rank(n, side)) is not None]
    return min(ranked)[2] if ranked else None


def find_leg_channels(ch_names: Sequence[str], *, left: str | None = None,
                      right: str | None = None) -> tuple[str, str]:
    """The (left, right) tibialis anterior EMG channels of a recording.

    Labels are matched case-insensitively, ignoring spaces, punctuation and an ``EMG``
    prefix. Recognised families, left / right:

    - ``LAT`` / ``RAT`` (also ``EMG LAT``, ``LAT1-LAT2``, ``LAT-REF``)
    - ``Leg L`` / ``Leg R``, ``Leg/L``, ``Left Leg``, ``LLEG`` / ``RLEG``, ``L-Leg``, ``Leg left``
    - ``lleg+`` / ``rleg+`` and ``lleg-`` / ``rleg-`` electrodes (a ``lleg+-lleg-`` derivation
      is preferred, then the ``+`` electrode, then the ``-`` one)
    - ``PLML`` / ``PLMR``, ``LM L`` / ``LM R``
    - ``SX1-SX2`` / ``DX1-DX2`` (CAP), ``TIB Sx`` / ``TIB Dx``, ``tib sin`` / ``tib dx``
    - ``EMG Ant Tibial L`` / ``EMG Ant Tibial R`` (MASS), ``L TIB`` / ``R TIB``
    - ``Leg 1`` / ``Leg 2`` (Stanford): these labels carry no side, so ``Leg 1`` is taken as
      the left leg and ``Leg 2`` as the right one; a sided label is preferred when present.

    Parameters
    ----------
    ch_names : sequence of str
        The labels, e.g. :attr:`Recording.ch_names` or :attr:`Header.ch_names`.
    left, right : str, optional
        Explicit channel names; each must be in ``ch_names`` (case-insensitive fallback).

    Returns
    -------
    (left, right) : tuple of str
        Labels exactly as in ``ch_names``.

    Raises
    ------
    RecordingError
        An explicit name that is not in ``ch_names``; no leg channel at all; or one leg found
        and the other neither found nor given. The message lists the labels and the fix.
    """
    names = [str(n) for n in ch_names]
    listing = ", ".join(repr(n) for n in names) or "(none)"
    chosen = {}
    for side, given in (("left", left), ("right", right)):
        if given is not None:
            chosen[side] = resolve_name(given, names, what=f"{side} leg channel",
                                        fix=_FIX)
        else:
            chosen[side] = _best(names, side)
    found = {side: chosen[side] for side in ("left", "right") if chosen[side] is not None}
    if len(found) == 2:
        if (left, right) == (None, None) and re.fullmatch(r"legs?1[+-]?",
                                                           _compact(found["left"])):
            logger.info("leg channels %r (left) and %r (right): numbered labels, assumed "
                        "1 = left, 2 = right", found["left"], found["right"])
        return found["left"], found["right"]
    if not found:
        combined = [n for n in names if re.fullmatch(r"(?:legs?|lm|plm|legmov\w*|tibs?)\d?",
                                                     _compact(n))]
        note = (f" ({', '.join(repr(c) for c in combined)} may hold both legs on one channel; "
                "sleeptwitch scores each leg separately.)" if combined else "")
        raise RecordingError(
            f"No leg EMG channel recognised among: {listing}.{note} {_FIX}")
    have, missing = next(iter(found.items())), ("right" if "left" in found else "left")
    raise RecordingError(
        f"Found the {have[0]} leg channel {have[1]!r} but no {missing} leg channel among: "
        f"{listing}. Name it with --{missing} NAME ({missing}=... in Python).")
