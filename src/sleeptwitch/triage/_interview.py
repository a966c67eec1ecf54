"""The interview: which question comes next, how an answer is read, how answers are merged.

One interview for every interface. The terminal (``sleeptwitch assess``), the web pages and the
journal only render the :class:`Question` it gives and hand the typed answer back; they decide
nothing. The interview is stateless: the answers so far are all it needs, so a web client can send
them with each request.

Answers are an intake mapping (DESIGN.md "Intake"), plus ``audience``. A question answered with
"don't know" is kept in the answers as ``None``: it was asked, and stays "not known" (never "no").
A list question answered "none of these" is an empty list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..knowledge import Knowledge, load_knowledge
from ..vocabulary import AUDIENCES, did_you_mean
from ._engine import Assessment, assess, facts_of
from ._intake import VOCABULARIES, Intake, IntakeError, Lifestyle, Workup, parse_intake
from ._logic import evaluate

__all__ = ["AnswerError", "Question", "InterviewStep", "next_step", "parse_answer",
           "merge_answer", "question_for", "AGE", "AUDIENCE", "MAX_QUESTIONS",
           "age_unit_question", "intake_of", "parse_age"]

AUDIENCE = "audience"
AGE = "age"
AGE_UNIT = "age_unit"
MAX_QUESTIONS = 40

_UNKNOWN = {"?", "dk", "don't know", "dont know", "do not know", "not sure", "unknown",
            "skip", "n/a"}
_NONE = {"none", "none of these", "no", "n", "nothing", "0", "neither"}
_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false"}
_AGE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-z]*)\s*$", re.I)
_MONTH_UNITS = {"m", "mo", "mos", "mth", "mths", "month", "months"}
_YEAR_UNITS = {"y", "yr", "yrs", "year", "years", "yo"}
_WEEK_UNITS = {"w", "wk", "wks", "week", "weeks"}


class AnswerError(ValueError):
    """An answer that could not be read; the message says what to type instead."""


@dataclass(frozen=True)
class Question:
    """One question, ready to render. ``kind``: choice, multi, bool, number or age."""

    id: str
    text: str
    kind: str
    why: str = ""
    options: tuple[tuple[str, str], ...] = ()
    allows_none: bool = False
    allows_unknown: bool = True
    citations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "kind": self.kind, "why": self.why,
                "options": [{"value": v, "label": label} for v, label in self.options],
                "allows_none": self.allows_none, "allows_unknown": self.allows_unknown,
                "citations": list(self.citations)}

    @property
    def hint(self) -> str:
        """How to answer, in a few words (for text interfaces)."""
        unknown = ", ? = don't know" if self.allows_unknown else ""
        none = ", 0 = none of these" if self.allows_none else ""
        return {"bool": f"y/n{unknown}",
                "number": f"a number{unknown}",
                "choice": f"a number from the list{unknown}",
                "multi": f"numbers separated by commas{none}{unknown}",
                "age": "a number with months or years, e.g. '4 months' or '34 years'",
                }[self.kind]


@dataclass(frozen=True)
class InterviewStep:
    """Where the interview stands: the next question, or the assessment when done."""

    done: bool
    question: Question | None
    progress: float
    assessment: Assessment | None
    answers: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done,
                "question": None if self.question is None else self.question.to_dict(),
                "progress": round(self.progress, 3),
                "assessment": None if self.assessment is None else self.assessment.to_dict()}


# -- questions -------------------------------------------------------------------------------------

def _field_kind(name: str) -> str:
    model, attr = Intake, name
    if name.startswith("lifestyle."):
        model, attr = Lifestyle, name.split(".", 1)[1]
    elif name.startswith("workup."):
        model, attr = Workup, name.split(".", 1)[1]
    annotation = str(model.model_fields[attr].annotation)
    if "tuple" in annotation:
        return "multi"
    if VOCABULARIES.get(name):
        return "choice"
    if "bool" in annotation:
        return "bool"
    return "number"


def _age_months(answers: Mapping[str, Any]) -> float | None:
    if answers.get("age_months") is not None:
        return float(answers["age_months"])
    if answers.get("age_years") is not None:
        return float(answers["age_years"]) * 12.0
    return None


def _audience(answers: Mapping[str, Any]) -> str | None:
    return answers.get("audience")


def question_for(name: str, answers: Mapping[str, Any], knowledge: Knowledge | None = None
                 ) -> Question:
    """The question for one intake field (or ``audience`` / ``age``), worded for the audience
    in ``answers`` and with only the options that fit the person's age."""
    k = knowledge if knowledge is not None else load_knowledge()
    aud = _audience(answers) or "patient"
    if name == AUDIENCE:
        return Question(AUDIENCE, k.message("ask_audience", "patient"), "choice",
                        options=tuple((a, k.message(f"audience_{a}", "patient"))
                                      for a in AUDIENCES), allows_unknown=False)
    if name == AGE:
        return Question(AGE, k.message("ask_age", aud), "age", allows_unknown=False)
    q = k.questions[name]
    kind = _field_kind(name)
    age = _age_months(answers)
    options: list[tuple[str, str]] = []
    for value in VOCABULARIES.get(name, ()):
        limits = (q.get("choice_ages") or {}).get(value, {})
        if age is not None and (age < limits.get("min_months", 0)
                                or age > limits.get("max_months", float("inf"))):
            continue  # e.g. Parkinson's disease is not offered for a baby
        label = (q.get("choices") or {}).get(value, value.replace("_", " "))
        options.append((value, k.text(label, aud)))
    return Question(name, k.text(q["text"], aud), kind, why=k.text(q["why"], aud),
                    options=tuple(options), allows_none=kind == "multi",
                    citations=tuple(q["references"]))


def age_unit_question(value: float, answers: Mapping[str, Any],
                      knowledge: Knowledge | None = None) -> Question:
    """"Is that 4 months or 4 years?" for a bare number (months first for a parent)."""
    k = knowledge if knowledge is not None else load_knowledge()
    aud = _audience(answers) or "patient"
    months, years = f"{value:g} months", f"{value:g} years"
    options = ((months, months), (years, years))
    if aud != "parent":
        options = options[::-1]
    return Question(AGE_UNIT, k.message("ask_age_unit", aud).format(value=f"{value:g}"),
                    "choice", options=options, allows_unknown=False)


# -- reading answers -------------------------------------------------------------------------------

def parse_age(text: str) -> dict[str, float] | float:
    """'4 months' -> {'age_months': 4}; '34 years' -> {'age_years': 34}; '6 weeks' -> months.

    A bare number ('4') is returned as the number itself: the unit must be asked, never guessed.
    """
    match = _AGE.match(str(text).strip().lower())
    if not match:
        raise AnswerError("give the age as a number with 'months' or 'years', e.g. '4 months' "
                          "or '34 years'")
    value = float(match.group(1).replace(",", "."))
    unit = match.group(2)
    if not unit:
        return value
    if unit in _MONTH_UNITS:
        return {"age_months": value}
    if unit in _YEAR_UNITS:
        return {"age_years": value}
    if unit in _WEEK_UNITS:
        return {"age_months": round(value * 7 / 30.4375, 2)}
    hint = did_you_mean(unit, ("months", "years", "weeks"))
    raise AnswerError(f"{unit!r} is not a unit of age; write months, years or weeks"
                      + (f" (did you mean {hint!r}?)" if hint else ""))


def parse_answer(question: Question, raw: Any) -> Any:
    """Read one typed answer. Returns the value (``None`` = don't know).

    For the age, a bare number returns a float: ask :func:`age_unit_question` next. Raises
    :class:`AnswerError` with what to type instead.
    """
    text = str(raw).strip().lower() if raw is not None else ""
    if question.allows_unknown and (raw is None or text in _UNKNOWN or text == ""):
        return None
    if question.kind == "age":
        return parse_age(text)
    if question.kind == "bool":
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise AnswerError("answer y (yes), n (no) or ? (don't know)")
    if question.kind == "number":
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise AnswerError("answer with a number, or ? if you don't know") from None
        if value < 0:
            raise AnswerError("the number cannot be negative")
        return value
    values = [v for v, _ in question.options]
    if question.kind == "multi" and text in _NONE:
        return []
    picks = [p.strip() for p in re.split(r"[,;\s]+", text) if p.strip()]
    chosen: list[str] = []
    for pick in picks:
        if pick.isdigit() and 1 <= int(pick) <= len(values):
            chosen.append(values[int(pick) - 1])
        elif pick in values:
            chosen.append(pick)
        else:
            hint = did_you_mean(pick, values)
            raise AnswerError(f"{pick!r} is not on the list; pick from 1 to {len(values)}"
                              + (f" (did you mean {hint!r}?)" if hint else "")
                              + (", 0 for none of these" if question.allows_none else ""))
    if not chosen:
        raise AnswerError(f"pick from 1 to {len(values)}")
    if question.kind == "choice":
        if len(chosen) != 1:
            raise AnswerError("pick exactly one number from the list")
        return chosen[0]
    return list(dict.fromkeys(chosen))


def merge_answer(answers: Mapping[str, Any], question_id: str, value: Any) -> dict[str, Any]:
    """New answers with ``value`` for ``question_id``; the result is checked as an intake.

    Raises :class:`AnswerError` (the intake's own message) if the merged answers are invalid,
    leaving ``answers`` unchanged.
    """
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in answers.items()}
    if question_id == AUDIENCE:
        out[AUDIENCE] = value
    elif question_id in (AGE, AGE_UNIT):
        if isinstance(value, str):
            value = parse_age(value)
        if not isinstance(value, Mapping):
            raise AnswerError("the age needs a unit: months or years")
        out.pop("age_months", None)
        out.pop("age_years", None)
        out.update(value)
    elif "." in question_id:
        group, name = question_id.split(".", 1)
        out.setdefault(group, {})[name] = value
    else:
        out[question_id] = value
    if _age_months(out) is not None:
        try:
            parse_intake(_given(out))
        except IntakeError as exc:
            raise AnswerError(str(exc)) from None
    return out


def _given(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers without the "don't know" entries, as an intake mapping."""
    out: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if v is not None}
            if not value:
                continue
        if value is not None:
            out[key] = value
    return out


def _asked(answers: Mapping[str, Any]) -> set[str]:
    asked = set()
    for key, value in answers.items():
        if isinstance(value, Mapping):
            asked.update(f"{key}.{sub}" for sub in value)
        else:
            asked.add(key)
    return asked


# -- the next question -----------------------------------------------------------------------------

def _applicable(name: str, facts: Mapping[str, Any], aud: str, k: Knowledge) -> bool:
    q = k.questions[name]
    if aud not in q.get("audiences", (aud,)):
        return False
    return "ask_if" not in q or evaluate(q["ask_if"], facts) is not False


def next_step(answers: Mapping[str, Any], *, audience: str | None = None,
              knowledge: Knowledge | None = None, max_questions: int = MAX_QUESTIONS
              ) -> InterviewStep:
    """The next question for these answers, or the assessment once nothing more could change it.

    Order: who is answering, the age, the basic questions, then only what the engine says could
    change the triage level or the leading condition (its ``next_questions``), skipping anything
    already asked (a "don't know" counts as asked) or not applicable at this age.
    """
    k = knowledge if knowledge is not None else load_knowledge()
    answers = dict(answers)
    if audience is not None:
        answers[AUDIENCE] = audience
    if answers.get(AUDIENCE) is None:
        return InterviewStep(False, question_for(AUDIENCE, answers, k), 0.0, None, answers)
    if _age_months(answers) is None:
        return InterviewStep(False, question_for(AGE, answers, k), 0.05, None, answers)
    aud = answers[AUDIENCE]
    asked = _asked(answers)
    intake = parse_intake(_given(answers))
    facts = facts_of(intake)
    basics = [name for name, q in k.questions.items() if q.get("group") == "basics"]
    n_asked = len(asked - {AUDIENCE, "age_months", "age_years"})
    for name in basics:
        if name not in asked and _applicable(name, facts, aud, k):
            return InterviewStep(False, question_for(name, answers, k),
                                 _progress(n_asked, 0), None, answers)
    result = assess(intake, k)
    pending = [q["field"] for q in result.next_questions
               if q["field"] not in asked and _applicable(q["field"], facts, aud, k)]
    if pending and n_asked < max_questions:
        return InterviewStep(False, question_for(pending[0], answers, k),
                             _progress(n_asked, len(pending)), None, answers)
    return InterviewStep(True, None, 1.0, result, answers)


def _progress(n_asked: int, n_pending: int) -> float:
    """A rough share done: what was asked over what was asked plus what could still come."""
    return min(0.95, 0.1 + 0.85 * n_asked / (n_asked + n_pending + 4))


def intake_of(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers as an intake to save or assess ("don't know" entries left out)."""
    return _given(answers)

