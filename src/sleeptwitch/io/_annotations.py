"""EDF+ annotations: time-stamped annotation lists (TALs) and what their labels mean.

A TAL is ``+onset[\\x15duration]\\x14text\\x14[text\\x14...]\\x00``; the first TAL of the first
annotation signal in each data record is empty and gives the record's onset (time keeping).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ._common import RecordingError

__all__ = ["ANNOTATION_COLUMNS", "STAGES", "annotations_frame", "classify_annotation",
           "format_tal", "hypnogram_from_annotations", "parse_tals"]

#: Columns of :attr:`Recording.annotations`, in order.
ANNOTATION_COLUMNS = ("onset", "duration", "description", "kind", "stage", "side")
#: Sleep stage codes used throughout sleeptwitch ("?" is unscored or movement time).
STAGES = ("W", "N1", "N2", "N3", "R", "?")

_NUMBER = re.compile(rb"^[+-]\d+(\.\d*)?$|^[+-]\.\d+$")


def parse_tals(raw: bytes) -> tuple[float | None, list[tuple[float, float, str]], int]:
    """Parse one data record's annotation bytes.

    Returns
    -------
    keeping : float or None
        Onset of the first TAL (the record's time keeping), or None if the record has none.
    annotations : list of (onset, duration, text)
        Every non-empty text; duration is 0.0 when the TAL gives none.
    bad : int
        Number of TALs that could not be parsed (skipped).
    """
    keeping: float | None = None
    out: list[tuple[float, float, str]] = []
    bad = 0
    for tal in raw.split(b"\x00"):
        if not tal:
            continue
        head, _, rest = tal.partition(b"\x14")
        onset_b, _, dur_b = head.partition(b"\x15")
        if not _NUMBER.match(onset_b) or (dur_b and not re.match(rb"^\d+(\.\d*)?$|^\.\d+$",
                                                                 dur_b)):
            bad += 1
            continue
        onset = float(onset_b)
        if keeping is None:
            keeping = onset
        duration = float(dur_b) if dur_b else 0.0
        for text in rest.split(b"\x14"):
            if text:
                out.append((onset, duration, text.decode("utf-8", errors="replace").strip()))
    return keeping, out, bad


def _number(x: float) -> str:
    text = f"{x:.7f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def format_tal(onset: float, duration: float | None, texts: Sequence[str]) -> bytes:
    """One TAL as bytes (UTF-8 texts), e.g. ``+12.5\\x150.8\\x14LM\\x14\\x00``."""
    sign = "-" if onset < 0 else "+"
    head = sign + _number(abs(onset))
    if duration is not None and np.isfinite(duration) and duration > 0:
        head += "\x15" + _number(duration)
    body = b"".join(t.encode("utf-8") + b"\x14" for t in texts)
    return head.encode("ascii") + b"\x14" + (body or b"\x14") + b"\x00"


# -- label classification -----------------------------------------------------------------------
_STAGE_TOKENS = {
    "w": "W", "wake": "W", "awake": "W", "wakefulness": "W", "0": "W",
    "1": "N1", "n1": "N1", "s1": "N1", "nrem1": "N1",
    "2": "N2", "n2": "N2", "s2": "N2", "nrem2": "N2",
    "3": "N3", "4": "N3", "n3": "N3", "n4": "N3", "s3": "N3", "s4": "N3", "nrem3": "N3",
    "nrem4": "N3", "sws": "N3",
    "r": "R", "rem": "R", "5": "R",
    "?": "", "unscored": "", "unknown": "", "mt": "", "movement": "", "movement time": "",
    "artifact": "", "artefact": "", "9": "", "6": "",
}
_STAGE_RE = re.compile(
    r"(?:sleep[\s_-]*)?stage[\s_-]*(?P<tok>\w+|\?)(?:[\s_-]*sleep)?"
    r"|(?P<tok2>rem|nrem[\s_-]*[1-4]|wake|n[1-4]|s[1-4]|w|r)(?:[\s_-]*sleep)?"
    r"|(?P<tok3>awake|wakefulness|unscored|movement time|movement|mt|\?)"
)
_RESP_RE = re.compile(
    r"apn[o]?ea|hypopn[o]?ea|\brera\b|respiratory[\s_-]*effort|respiratory[\s_-]*event"
    r"|\bresp[\s_.-]*event|cheyne|periodic[\s_-]*breathing|\bsdb\b|\bobstructive\b"
)
_AROUSAL_RE = re.compile(r"arousal|\baro\b|micro[\s_-]*awakening")
_LM_RE = re.compile(r"\b(?:limb|leg)s?[\s_-]*(?:movement|mvt|jerk)s?\b|\bp?lms?\b|\bp?lm[lr]\b")
_LEFT_RE = re.compile(r"\bleft\b|\(l\)|\blt\b|\bp?lml\b|\bsx\b|\bsin\b|[\s_-]l\b")
_RIGHT_RE = re.compile(r"\bright\b|\(r\)|\brt\b|\bp?lmr\b|\bdx\b|[\s_-]r\b")


def _classify_part(part: str) -> tuple[str, str, str]:
    text = part.strip().lower()
    if not text:
        return "other", "", ""
    m = _STAGE_RE.fullmatch(text)
    if m:
        tok = re.sub(r"[\s_-]", "", (m.group("tok") or m.group("tok2") or m.group("tok3")))
        tok = {"movementtime": "movement time"}.get(tok, tok)
        if tok in _STAGE_TOKENS:
            return "stage", _STAGE_TOKENS[tok], ""
    if _RESP_RE.search(text):
        return "respiratory", "", ""
    if _AROUSAL_RE.search(text):
        return "arousal", "", ""
    if _LM_RE.search(text):
        left, right = bool(_LEFT_RE.search(text)), bool(_RIGHT_RE.search(text))
        side = "left" if left and not right else "right" if right and not left else ""
        return "lm", "", side
    return "other", "", ""


def classify_annotation(description: str) -> tuple[str, str, str]:
    """What an annotation label means: ``(kind, stage, side)``.

    ``kind`` is ``"stage"``, ``"respiratory"``, ``"arousal"``, ``"lm"`` or ``"other"``; ``stage``
    is ``"W"``, ``"N1"``, ``"N2"``, ``"N3"``, ``"R"`` for a scored sleep stage and ``""``
    otherwise (an unscored epoch or movement time is kind ``"stage"`` with stage ``""``);
    ``side`` is ``"left"`` or ``"right"`` for a one-leg movement, else ``""``. NSRR labels such
    as ``"Stage 2 sleep|2"`` or ``"Limb movement - left|Limb Movement (Left)"`` are split at
    ``|`` and the first part that means something wins.

    Examples
    --------
    >>> classify_annotation("Sleep stage 4")
    ('stage', 'N3', '')
    >>> classify_annotation("Periodic leg movement - left|PLM (Left)")
    ('lm', '', 'left')
    """
    for part in str(description).split("|"):
        result = _classify_part(part)
        if result[0] != "other":
            return result
    return "other", "", ""


def annotations_frame(rows: Iterable[tuple[float, float, str]]) -> pd.DataFrame:
    """A DataFrame with :data:`ANNOTATION_COLUMNS` from ``(onset, duration, description)`` rows.

    Rows are sorted by onset (stable); an empty input gives an empty frame with the same columns.
    """
    rows = list(rows)
    cache: dict[str, tuple[str, str, str]] = {}
    kinds = [cache.setdefault(d, classify_annotation(d)) for _, _, d in rows]
    df = pd.DataFrame({
        "onset": np.array([r[0] for r in rows], dtype=float),
        "duration": np.array([r[1] for r in rows], dtype=float),
        "description": pd.Series([r[2] for r in rows], dtype=object),
        "kind": pd.Series([k[0] for k in kinds], dtype=object),
        "stage": pd.Series([k[1] for k in kinds], dtype=object),
        "side": pd.Series([k[2] for k in kinds], dtype=object),
    })
    return df.sort_values("onset", kind="stable").reset_index(drop=True)


def hypnogram_from_annotations(annotations: pd.DataFrame, *, duration_s: float,
                               epoch_s: float = 30.0) -> np.ndarray:
    """Epoch-by-epoch stages (``"W"``, ``"N1"``, ``"N2"``, ``"N3"``, ``"R"``, ``"?"``).

    Stage annotations (``kind == "stage"``) fill the epochs they cover (a zero duration means
    one epoch); epochs no stage annotation covers are ``"?"``.

    Parameters
    ----------
    annotations : DataFrame
        As in :attr:`Recording.annotations`.
    duration_s : float
        Recording duration; gives the number of epochs (a last partial epoch is dropped).
    epoch_s : float
        Epoch length in seconds.
    """
    if epoch_s <= 0:
        raise RecordingError(f"epoch_s must be positive, got {epoch_s!r}")
    n = int(np.floor(duration_s / epoch_s + 1e-9))
    hypno = np.full(n, "?", dtype="<U2")
    stages = annotations[annotations["kind"] == "stage"]
    for onset, duration, stage in zip(stages["onset"], stages["duration"], stages["stage"],
                                      strict=True):
        first = int(np.floor(onset / epoch_s + 1e-6))
        count = max(1, int(np.rint(duration / epoch_s))) if np.isfinite(duration) else 1
        hypno[max(first, 0):max(first + count, 0)] = stage or "?"
    return hypno
