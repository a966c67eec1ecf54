"""From a journal to assessment findings: what the nights show, as intake fields, with evidence.

The journal can only add what it shows. A field is set only when the entries say something about
it; nothing recorded stays "not known". Where entries disagree, the finding that could raise the
triage level wins (any episode while awake puts ``awake`` in ``timing``; any painful episode sets
``pain_after``), because a red flag can only raise the level.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._document import validate_document

__all__ = ["JournalFindings", "journal_intake", "journal_patterns", "merge_intakes"]

#: A pattern seen on at least this share of recorded nights counts as "most nights".
MOST_NIGHTS = 0.5


@dataclass(frozen=True)
class JournalFindings:
    """Intake fields read from a journal, and for each the nights that show it."""

    intake: dict[str, Any]
    evidence: list[dict[str, Any]] = field(default_factory=list)


def _age(birth_date: str | None, on: dt.date) -> dict[str, float]:
    if not birth_date:
        return {}
    born = dt.date.fromisoformat(birth_date)
    months = (on.year - born.year) * 12 + (on.month - born.month) - (on.day < born.day)
    return {"age_months": float(max(months, 0))}


def _evidence(out: list, field_name: str, value: Any, dates: list[str], what: str) -> None:
    out.append({"field": field_name, "value": value, "nights": sorted(set(dates)),
                "what": what})


def _minutes(clock: str) -> int:
    hour, minute = clock.split(":")
    return int(hour) * 60 + int(minute)


def journal_intake(document: Mapping[str, Any], *, on: dt.date | None = None) -> JournalFindings:
    """Intake fields a journal supports, with evidence.

    ``on`` is the date the person's age is taken at (default: the last night in the journal).
    """
    doc = validate_document(document)
    nights = doc["nights"]
    intake: dict[str, Any] = {}
    evidence: list[dict[str, Any]] = []
    if not nights:
        return JournalFindings(_age(doc["person"]["birth_date"], on or dt.date.today()), [])
    on = on or dt.date.fromisoformat(nights[-1]["date"])
    intake.update(_age(doc["person"]["birth_date"], on))

    episodes = [(n["date"], e) for n in nights for e in n["episodes"]]

    states = {}
    for date, e in episodes:
        if e["state"]:
            states.setdefault(e["state"], []).append(date)
    if states:
        intake["timing"] = sorted(states)
        if "awake" in states:
            _evidence(evidence, "timing", "awake", states["awake"],
                      "episodes while awake (during waking hours)")

    parts = sorted({p for _, e in episodes for p in (e["body_parts"] or [])})
    if parts:
        intake["body_parts"] = parts

    rhythmic = [(d, e) for d, e in episodes if e["pattern"] == "rhythmic"]
    patterns = [e["pattern"] for _, e in episodes if e["pattern"]]
    if rhythmic:
        intake["pattern"] = "rhythmic"
        intervals = [e["interval_seconds"] for _, e in rhythmic if e["interval_seconds"]]
        if intervals:
            intake["interval_seconds"] = float(statistics.median(intervals))
        by_partner = [d for d, e in rhythmic if e["observed_by"] in ("partner", "parent")]
        periodic = [d for d, e in rhythmic if e["interval_seconds"]
                    and 20 <= e["interval_seconds"] <= 40]
        _evidence(evidence, "pattern", "rhythmic", [d for d, _ in rhythmic],
                  "rhythmic movements" + (f", every 20-40 s on {len(set(periodic))} nights"
                                          if periodic else "")
                  + (f", seen by a partner or parent on {len(set(by_partner))} nights"
                     if by_partner else ""))
    elif patterns:
        intake["pattern"] = statistics.mode(patterns)

    pain = [e["pain"] for _, e in episodes if e["pain"] is not None]
    if pain:
        intake["pain_after"] = any(pain)
        if any(pain):
            _evidence(evidence, "pain_after", True, [d for d, e in episodes if e["pain"]],
                      "pain with or after episodes")
    spreading = [e["spreading"] for _, e in episodes if e["spreading"] is not None]
    if spreading:
        intake["spreading"] = any(spreading)
        if any(spreading):
            _evidence(evidence, "spreading", True, [d for d, e in episodes if e["spreading"]],
                      "jerks spreading to other body parts")

    n_nights = len(nights)
    with_episode = [n["date"] for n in nights if n["episodes"]]
    intake["episodes_per_night"] = round(len(episodes) / n_nights, 2)
    intake["nights_per_week"] = round(7 * len(with_episode) / n_nights, 2)

    woke_known = [n for n in nights if any(e["woke"] is not None for e in n["episodes"])]
    woke = [n["date"] for n in woke_known if any(e["woke"] for e in n["episodes"])]
    if woke_known and len(woke) >= MOST_NIGHTS * n_nights:
        intake["disturbs_sleep"] = True
        _evidence(evidence, "disturbs_sleep", True, woke, "woken by episodes on most nights")
    elif woke_known and not woke and len(woke_known) >= MOST_NIGHTS * n_nights:
        intake["disturbs_sleep"] = False
    sleepy = [n for n in nights if n["daytime_sleepiness"] is not None]
    if sleepy:
        sleepy_dates = [n["date"] for n in sleepy if n["daytime_sleepiness"]]
        if len(sleepy_dates) >= MOST_NIGHTS * len(sleepy):
            intake["daytime_sleepiness"] = True
            _evidence(evidence, "daytime_sleepiness", True, sleepy_dates,
                      "sleepy the next day")
        elif not sleepy_dates:
            intake["daytime_sleepiness"] = False

    intake.update(_substances_and_lifestyle(nights))
    return JournalFindings(intake, evidence)


def _share(nights: list[dict[str, Any]], test) -> float | None:
    """Share of nights where ``test`` is True among nights where it is not None."""
    values = [v for v in (test(n) for n in nights) if v is not None]
    return sum(values) / len(values) if values else None


def _substances_and_lifestyle(nights: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    exp = [n["exposures"] for n in nights]
    used = []
    for name, key in (("caffeine", "caffeine_mg"), ("alcohol", "alcohol_drinks"),
                      ("nicotine", "nicotine")):
        if any(bool(e.get(key)) for e in exp):
            used.append(name)
    if used:
        out["substances"] = used
    lifestyle = {}
    late = _share(nights, lambda n: None if "caffeine_last" not in n["exposures"]
                  else _minutes(n["exposures"]["caffeine_last"]) >= 12 * 60)
    if late is not None:
        lifestyle["late_caffeine"] = late >= MOST_NIGHTS

    def late_exercise(n):
        end, bed = n["exposures"].get("exercise_end"), n["bedtime"]
        if end is None or bed is None:
            return None
        # both are placed in the night's 12:00-to-12:00 window
        gap = (_minutes(bed) - 720) % 1440 - (_minutes(end) - 720) % 1440
        return 0 <= gap <= 180

    share = _share(nights, late_exercise)
    if share is not None:
        lifestyle["late_exercise"] = share >= MOST_NIGHTS
    stress = [n["exposures"]["stress"] for n in nights if "stress" in n["exposures"]]
    if stress:
        lifestyle["high_stress"] = statistics.median(stress) >= 4
    bedtimes = [(_minutes(n["bedtime"]) - 720) % 1440 for n in nights if n["bedtime"]]
    if len(bedtimes) >= 7:
        lifestyle["irregular_schedule"] = statistics.pstdev(bedtimes) > 60
    if lifestyle:
        out["lifestyle"] = lifestyle
    return out


def journal_patterns(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Only the evidence: the journal patterns worth showing a doctor."""
    return journal_intake(document).evidence


def merge_intakes(answers: Mapping[str, Any], from_journal: Mapping[str, Any]) -> dict[str, Any]:
    """The person's own answers, with the journal's findings added.

    Lists are joined; for a yes/no, "yes" from either side wins (a red flag can only raise the
    level); anything else the person answered is kept as they said it.
    """
    merged = dict(from_journal)
    for key, value in answers.items():
        theirs = merged.get(key)
        if isinstance(value, list | tuple) and isinstance(theirs, list | tuple):
            merged[key] = sorted(set(value) | set(theirs), key=[*value, *theirs].index)
        elif isinstance(value, Mapping) and isinstance(theirs, Mapping):
            merged[key] = merge_intakes(value, theirs)
        elif isinstance(value, bool) and isinstance(theirs, bool):
            merged[key] = value or theirs
        else:
            merged[key] = value
    return merged
