"""Measure the engine against a set of cases with known answers (triage level and condition)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..knowledge import Knowledge, load_knowledge
from ._engine import assess
from ._intake import LEVELS

__all__ = ["CaseReport", "evaluate_cases"]

_RANK = {level: i for i, level in enumerate(LEVELS)}
_SERIOUS = ("prompt_evaluation", "urgent")


@dataclass(frozen=True)
class CaseReport:
    """Accuracy figures over a case set, with the cases that missed.

    ``acceptable_triage``: the level is the expected one or a neighbour the case lists as
    acceptable. ``safe_triage``: not below the lowest acceptable level. ``under_triaged_serious``:
    cases that need ``prompt_evaluation`` or ``urgent`` and came out below every acceptable level.
    ``self_care_over_triaged``: self-care cases sent above every acceptable level.
    """

    n: int
    exact_triage: float
    acceptable_triage: float
    safe_triage: float
    under_triaged_serious: int
    n_serious: int
    self_care_over_triaged: float
    n_self_care: int
    top1: float
    top3: float
    misses: tuple[dict[str, Any], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v)
                for k, v in self.__dict__.items() if k != "misses"}


def evaluate_cases(cases: Iterable[Mapping[str, Any]], knowledge: Knowledge | None = None
                   ) -> CaseReport:
    """Run every case through :func:`assess` and compare with its expected answers.

    Each case has ``intake``, ``expected_triage``, ``expected_condition`` and optionally
    ``acceptable_triage`` (neighbouring levels a careful clinician could choose) and
    ``acceptable_conditions``.
    """
    k = knowledge if knowledge is not None else load_knowledge()
    cases = list(cases)
    exact = acceptable = safe = top1 = top3 = under = serious = self_care = over = 0
    misses = []
    for case in cases:
        result = assess(case["intake"], k)
        want, got = case["expected_triage"], result.triage
        allowed = {want, *case.get("acceptable_triage", ())}
        lowest = min(_RANK[level] for level in allowed)
        highest = max(_RANK[level] for level in allowed)
        exact += got == want
        acceptable += got in allowed
        safe += _RANK[got] >= lowest
        if want in _SERIOUS:
            serious += 1
            under += _RANK[got] < lowest
        if want == "reassure_self_care":
            self_care += 1
            over += _RANK[got] > highest
        ranked = [c["id"] for c in result.conditions]
        right = {case["expected_condition"], *case.get("acceptable_conditions", ())}
        hit1 = bool(ranked[:1]) and ranked[0] in right
        hit3 = bool(right & set(ranked[:3]))
        top1 += hit1
        top3 += hit3
        if got not in allowed or not hit1:
            misses.append({"id": case.get("id"), "expected_triage": want,
                           "acceptable": sorted(allowed, key=_RANK.__getitem__), "triage": got,
                           "expected_condition": case["expected_condition"],
                           "ranked": ranked[:3], "red_flags": [r["id"] for r in result.red_flags]})
    n = len(cases) or 1
    return CaseReport(
        n=len(cases), exact_triage=exact / n, acceptable_triage=acceptable / n,
        safe_triage=safe / n, under_triaged_serious=under, n_serious=serious,
        self_care_over_triaged=over / (self_care or 1), n_self_care=self_care,
        top1=top1 / n, top3=top3 / n, misses=tuple(misses),
    )
