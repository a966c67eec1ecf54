"""Named, cited leg-movement rule sets (``wasm2016``, ``aasm``), loaded from YAML data files."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

import yaml

from ..vocabulary import option_message

__all__ = ["RuleSet", "load_rules", "RULE_SETS"]

_DIR = Path(__file__).parent / "rules"
RULE_SETS = tuple(sorted(p.stem for p in _DIR.glob("*.yaml")))


@dataclass(frozen=True)
class RuleSet:
    """Parameters of one scoring standard. Times in seconds, amplitudes in µV above rest.

    ``bilateral_merge`` is ``'gap'`` (WASM: LMs of either leg that overlap or are less than
    ``bilateral_gap_s`` apart, offset to onset, form one candidate) or ``'onset'`` (AASM: an LM
    and an LM of the other leg with onsets less than ``bilateral_gap_s`` apart count as one
    movement; a second LM of the same leg is never absorbed). ``respiratory`` is ``'flag'``
    (WASM: candidates overlapping ``respiratory_window`` around the event's end are rCLMs) or
    ``'exclude'`` (AASM: movements, as counted after joining the legs, overlapping the event
    widened by ``respiratory_window`` are not scored). ``clm_max_member_duration_s`` limits
    each one-leg LM of a bilateral candidate; with ``non_clm_breaks_series`` false, non-CLMs
    are left out of the sequence instead of ending a series. A ``None`` limit is no limit.
    """

    id: str
    name: str
    version: int
    status: str
    references: tuple[str, ...]
    onset_threshold_uv: float
    offset_threshold_uv: float
    offset_min_s: float
    min_duration_s: float
    max_duration_s: float | None
    same_leg_merge_gap_s: float | None
    bilateral_merge: str
    bilateral_gap_s: float
    clm_max_duration_s: float | None
    clm_max_duration_bilateral_s: float | None
    clm_max_lms_bilateral: int | None
    clm_max_member_duration_s: float | None
    non_clm_breaks_series: bool
    plm_min_count: int
    imi_min_s: float
    imi_max_s: float
    respiratory: str
    respiratory_window: tuple[float, float]
    arousal_gap_s: float

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@cache
def load_rules(rules: str | RuleSet = "wasm2016") -> RuleSet:
    """The rule set called ``rules`` (``'wasm2016'`` or ``'aasm'``).

    Raises
    ------
    ValueError
        Naming the allowed rule sets, with a suggestion for a near miss.
    """
    if isinstance(rules, RuleSet):
        return rules
    if rules not in RULE_SETS:
        raise ValueError(option_message("rules", rules, RULE_SETS, cutoff=0.3))
    data = yaml.safe_load((_DIR / f"{rules}.yaml").read_text(encoding="utf-8"))
    data["references"] = tuple(data["references"])
    data["respiratory_window"] = tuple(data["respiratory_window"])
    return RuleSet(**data)
