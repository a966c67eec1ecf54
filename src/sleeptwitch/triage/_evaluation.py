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
    """Accuracy figures over a case set, with the cases that missed."""

    n: int
    exact_triage: float
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
    ``acceptable_conditions``. "Safe" means the exact level or one level more cautious; a serious
    case (expected ``prompt_evaluation`` or ``urgent``) is under-triaged when it comes out lower.
    """
    k = knowledge if knowledge is not None else load_knowledge()
    cases = list(cases)
    exact = safe = top1 = top3 = under = serious = self_care = over = 0
    misses = []
    for case in cases:
        result = assess(case["intake"], k)
        want, got = case["expected_triage"], result.triage
        diff = _RANK[got] - _RANK[want]
        exact += diff == 0
        safe += diff in (0, 1)
        if want in _SERIOUS:
            serious += 1
            under += diff < 0
        if want == "reassure_self_care":
            self_care += 1
            over += diff > 0
        ranked = [c["id"] for c in result.conditions]
        right = {case["expected_condition"], *case.get("acceptable_conditions", ())}
        hit1 = bool(ranked[:1]) and ranked[0] in right
        hit3 = bool(right & set(ranked[:3]))
        top1 += hit1
        top3 += hit3
        if diff != 0 or not hit1:
            misses.append({"id": case.get("id"), "expected_triage": want, "triage": got,
                           "expected_condition": case["expected_condition"],
                           "ranked": ranked[:3], "red_flags": [r["id"] for r in result.red_flags]})
    n = len(cases) or 1
    return CaseReport(
        n=len(cases), exact_triage=exact / n, safe_triage=safe / n,
        under_triaged_serious=under, n_serious=serious,
        self_care_over_triaged=over / (self_care or 1), n_self_care=self_care,
        top1=top1 / n, top3=top3 / n, misses=tuple(misses),
    )
