"""Find the EEG (and optional EOG and chin EMG) channels that automatic sleep staging uses."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..io import RecordingError
from ..io._common import resolve_name

__all__ = ["KINDS", "StagingError", "find_staging_channels"]

#: The channel kinds yasa's classifiers take, in the order of its arguments.
KINDS = ("eeg", "eog", "emg")


class StagingError(RecordingError):
    """Automatic sleep staging cannot run on this recording; the message says what to do."""


_REF = r"(?:m[12]|a[12]|ref|avg|ave|ler|cle|lm|mastoids?)"
# (pattern, priority) on the compact label; the lowest priority wins, then the file order.
# Central derivations against the contralateral mastoid come first: yasa's classifiers were
# trained on C4-M1 / C3-M2 (C4-A1 / C3-A2 in older montages).
_EEG = [
    (r"c4-?(?:m1|a1)", 0),
    (r"c3-?(?:m2|a2)", 1),
    (r"eeg1?", 2),                         # SHHS: "EEG" is C4-A1
    (r"eeg(?:sec|2)", 3),                  # SHHS: "EEG(sec)" / "EEG2" is C3-A2
    (rf"c[34z](?:-?{_REF})?", 4),          # other central references, or a bare electrode
    (rf"f[34z](?:-?{_REF})?", 5),
    (rf"o[12z](?:-?{_REF})?", 6),
    (r"fpz-?cz", 7),                       # Sleep-EDF bipolar derivations
    (r"pz-?oz", 8),
    (rf"(?:fp[12z]|p[34z]|t[3-6]|c[34z])(?:-?(?:{_REF}|[a-z]{{1,2}}\d?z?))?", 9),
    (r"eeg\d+", 10),                       # numbered, no derivation given
]
_EOG = [
    (r"(?:loc|e1|leog|lefteye)-?(?:m2|a2)", 0),
    (rf"(?:loc|e1|leog|lefteye)(?:-?{_REF})?", 1),
    (rf"(?:roc|e2|reog|righteye)(?:-?{_REF})?", 2),
    (r"eog", 3),
]
# Labels that start with "EOG": the side may be a bare letter or number ("EOG L", "EOG1").
_EOG_PREFIXED = [
    (rf"(?:l|left|lefthoriz|1)(?:-?{_REF})?", 1),
    (rf"(?:r|right|righthoriz|2)(?:-?{_REF})?", 2),
]
_EMG = [
    (r"(?:emg)?chin\w*(?:-?\w+)?|\w*chin(?:emg)?", 0),
    (r"(?:emg)?(?:subm\w*|ment\w*)(?:-?\w+)?", 0),
    (r"emg(?:\d(?:-?emg\d)?)?", 1),        # SHHS: "EMG" is the chin; yasa's example "EMG1-EMG2"
]
_TABLES = {"eeg": _EEG, "eog": _EOG, "emg": _EMG}
_FIX = {
    "eeg": "Name it with --eeg CHANNEL (eeg=... in Python)",
    "eog": "Name it with eog=... in Python",
    "emg": "Name it with emg=... in Python",
}


def _compact(name: str) -> str:
    """Lower case without spaces and punctuation (keeps '-'), e.g. 'EEG C4:M1' -> 'eegc4-m1'."""
    text = name.strip().lower().replace("–", "-").replace(":", "-").replace("/", "-")
    return re.sub(r"[\s_.()\[\]+]", "", text).strip("-")


def _rank(name: str, kind: str) -> int | None:
    text = _compact(name)
    prefix = {"eeg": "eeg", "eog": "eog", "emg": "emg"}[kind]
    candidates = [(text, _TABLES[kind])]
    if text.startswith(prefix) and len(text) > len(prefix):
        rest = text[len(prefix):].lstrip("-")
        candidates.append((rest, _TABLES[kind] + (_EOG_PREFIXED if kind == "eog" else [])))
    ranks = [priority for body, table in candidates for pattern, priority in table
             if re.fullmatch(pattern, body)]
    return min(ranks) if ranks else None


def _best(names: Sequence[str], kind: str, taken: set[str]) -> str | None:
    ranked = [(r, i, n) for i, n in enumerate(names)
              if n not in taken and (r := _rank(n, kind)) is not None]
    return min(ranked)[2] if ranked else None


def find_staging_channels(ch_names: Sequence[str], *, eeg: str | None = None,
                          eog: str | None = None, emg: str | None = None,
                          include: Sequence[str] = KINDS,
                          exclude: Sequence[str] = ()) -> dict[str, str | None]:
    """The channels automatic sleep staging should use: one EEG, optionally EOG and chin EMG.

    Labels are matched case-insensitively, ignoring spaces, punctuation and an ``EEG`` / ``EOG``
    / ``EMG`` prefix. In order of preference:

    - EEG: ``C4-M1``, ``C3-M2`` (also ``C4-A1``, ``C3-A2``, ``EEG C4-A1``, ``C4:M1``); SHHS
      ``EEG`` then ``EEG(sec)`` / ``EEG2``; other central, frontal and occipital derivations
      (``C4``, ``Cz``, ``F4-M1``, ``O2-M1``...); Sleep-EDF ``Fpz-Cz`` then ``Pz-Oz``.
    - EOG: ``LOC-M2`` / ``E1-M2`` (also ``LOC-A2``, ``EOG E1-M2``), ``LOC``, ``E1``,
      ``EOG L``, ``EOG(L)``; then the right eye (``ROC``, ``E2``...); then a lone ``EOG``.
    - chin EMG: ``Chin``, ``EMG Chin``, ``Chin1-Chin2``, ``Submental``; then ``EMG``,
      ``EMG1-EMG2``.

    Parameters
    ----------
    ch_names : sequence of str
        The labels, e.g. :attr:`Recording.ch_names`.
    eeg, eog, emg : str, optional
        Explicit channel names; each must be in ``ch_names`` (case-insensitive fallback).
    include : sequence of {'eeg', 'eog', 'emg'}
        The kinds to look for; the EEG is always needed.
    exclude : sequence of str
        Labels never picked automatically, e.g. the leg EMG channels.

    Returns
    -------
    dict
        ``{"eeg": label, "eog": label or None, "emg": label or None}``, labels exactly as in
        ``ch_names``.

    Raises
    ------
    StagingError
        An explicit name that is not in ``ch_names``, or no EEG channel; the message lists the
        labels and how to name a channel.

    Examples
    --------
    >>> find_staging_channels(["Leg L", "Leg R", "EEG C4-A1", "EOG(L)", "EMG Chin"])
    {'eeg': 'EEG C4-A1', 'eog': 'EOG(L)', 'emg': 'EMG Chin'}
    """
    names = [str(n) for n in ch_names]
    kinds = list(dict.fromkeys(include))
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValueError(f"Invalid value for 'include': allowed are {', '.join(KINDS)}, "
                         f"got {bad[0]!r}.")
    given = {"eeg": eeg, "eog": eog, "emg": emg}
    out: dict[str, str | None] = dict.fromkeys(KINDS)
    taken = {str(n) for n in exclude}
    for kind in KINDS:  # explicit names first, so that the search does not take them
        if given[kind] is not None:
            try:
                out[kind] = resolve_name(given[kind], names, what=f"{kind.upper()} channel",
                                         fix=_FIX[kind] + " from the list.")
            except RecordingError as exc:
                raise StagingError(str(exc)) from None
            taken.add(out[kind])
    for kind in KINDS:
        if out[kind] is None and (kind in kinds or kind == "eeg"):
            out[kind] = _best(names, kind, taken)
            if out[kind] is not None:
                taken.add(out[kind])
    if out["eeg"] is None:
        listing = ", ".join(repr(n) for n in names) or "(none)"
        raise StagingError(
            f"No EEG channel for automatic sleep staging among the channels {listing}. "
            f"{_FIX['eeg']}, e.g. a central derivation such as C4-M1; or give a hypnogram file "
            "(--hypnogram FILE); or score without sleep stages (--staging off).")
    return out
