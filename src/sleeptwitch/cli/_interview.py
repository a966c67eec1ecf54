"""The interactive, adaptive interview behind ``sleeptwitch assess``.

The audience comes first, then the age (in months for infants), then the basic questions; after
that the engine itself picks each next question: only findings that could still change the triage
level or the leading condition are asked. "Don't know" is always allowed and stays "not known".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.prompt import Prompt

from ..knowledge import Knowledge
from ..triage import VOCABULARIES, IntakeError, assess, parse_intake
from ..triage._intake import Intake, Lifestyle, Workup
from ..triage._logic import evaluate

__all__ = ["run_interview", "parse_age"]

_SKIP = ("?", "", "dk", "don't know", "dont know", "not sure", "skip")
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|mo|month|months|y|yr|yrs|year|years)?\s*$", re.I)


def parse_age(text: str) -> dict[str, float]:
    """'4 months' -> {'age_months': 4}; '34' or '34 years' -> {'age_years': 34}."""
    match = _AGE.match(text)
    if not match:
        raise ValueError("give the age as a number with 'months' or 'years', e.g. '4 months' "
                         "or '34 years'")
    value = float(match.group(1))
    unit = (match.group(2) or "y").lower()
    return {"age_months": value} if unit.startswith("m") else {"age_years": value}


def _field_kind(field: str) -> tuple[str, tuple[str, ...] | None]:
    model, name = Intake, field
    if field.startswith("lifestyle."):
        model, name = Lifestyle, field.split(".", 1)[1]
    elif field.startswith("workup."):
        model, name = Workup, field.split(".", 1)[1]
    annotation = str(model.model_fields[name].annotation)
    vocab = VOCABULARIES.get(field)
    if "tuple" in annotation:
        return "list", vocab
    if vocab:
        return "choice", vocab
    if "bool" in annotation:
        return "bool", None
    return "number", None


def _set(answers: dict[str, Any], field: str, value: Any) -> None:
    if "." in field:
        group, name = field.split(".", 1)
        answers.setdefault(group, {})[name] = value
    else:
        answers[field] = value


class _Asker:
    def __init__(self, knowledge: Knowledge, console: Console,
                 ask: Callable[[str], str] | None = None):
        self.k = knowledge
        self.console = console
        self._ask = ask or (lambda prompt: Prompt.ask(prompt, console=console, default="?",
                                                      show_default=False))

    def question(self, field: str, audience: str) -> Any:
        """Ask one question; returns the value, or None for "don't know"."""
        q = self.k.questions[field]
        kind, vocab = _field_kind(field)
        labels = {v: self.k.text(q.get("choices", {}).get(v, v.replace("_", " ")), audience)
                  for v in (vocab or ())}
        self.console.print(f"[bold]{self.k.text(q['text'], audience)}[/bold]")
        self.console.print(f"[dim]{self.k.text(q['why'], audience)}[/dim]")
        if vocab:
            for i, v in enumerate(vocab, start=1):
                self.console.print(f"  {i}. {labels[v]}")
        hint = {"bool": "y/n, ? = don't know", "number": "a number, ? = don't know",
                "choice": "a number from the list, ? = don't know",
                "list": "numbers separated by commas, ? = don't know"}[kind]
        while True:
            raw = self._ask(f"  ({hint})").strip().lower()
            if raw in _SKIP:
                return None
            try:
                return self._parse(raw, kind, vocab)
            except ValueError as exc:
                self.console.print(f"[red]{exc}[/red]")

    @staticmethod
    def _parse(raw: str, kind: str, vocab: tuple[str, ...] | None) -> Any:
        if kind == "bool":
            if raw in ("y", "yes", "true"):
                return True
            if raw in ("n", "no", "false"):
                return False
            raise ValueError("answer y (yes), n (no) or ? (don't know)")
        if kind == "number":
            try:
                return float(raw)
            except ValueError:
                raise ValueError("answer with a number, or ? if you don't know") from None
        picks = [p.strip() for p in raw.replace(" ", ",").split(",") if p.strip()]
        values = []
        for p in picks:
            if p.isdigit() and 1 <= int(p) <= len(vocab):
                values.append(vocab[int(p) - 1])
            elif p in vocab:
                values.append(p)
            else:
                raise ValueError(f"{p!r} is not on the list; pick from 1 to {len(vocab)}")
        if kind == "choice":
            if len(values) != 1:
                raise ValueError("pick exactly one number from the list")
            return values[0]
        return values


def run_interview(knowledge: Knowledge, console: Console, *, audience: str | None = None,
                  ask: Callable[[str], str] | None = None, max_questions: int = 40
                  ) -> dict[str, Any]:
    """Interview the user and return the answers as an intake mapping."""
    asker = _Asker(knowledge, console, ask)
    answers: dict[str, Any] = {}
    if audience is None:
        choice = asker._ask("Who is answering? 1. a parent  2. the person themselves  "
                            "3. a clinician").strip()
        audience = {"1": "parent", "2": "patient", "3": "clinician"}.get(
            choice, choice if choice in ("parent", "patient", "clinician") else "patient")
    answers["audience"] = audience
    while True:
        raw = asker._ask("How old is the person? (e.g. '4 months' or '34 years')")
        try:
            answers.update(parse_age(raw))
            parse_intake(answers)
            break
        except (ValueError, IntakeError) as exc:
            console.print(f"[red]{exc}[/red]")

    asked: set[str] = set()

    def applicable(field: str) -> bool:
        q = knowledge.questions[field]
        if audience not in q.get("audiences", (audience,)):
            return False
        if "ask_if" not in q:
            return True
        from ..triage import facts_of

        return evaluate(q["ask_if"], facts_of(parse_intake(answers))) is not False

    def ask(field: str) -> None:
        asked.add(field)
        value = asker.question(field, audience)
        if value is not None:
            _set(answers, field, value)
            try:
                parse_intake(answers)
            except IntakeError as exc:
                console.print(f"[red]{exc}[/red]")
                _set(answers, field, None)

    for field, q in knowledge.questions.items():
        if q.get("group") == "basics" and applicable(field):
            ask(field)
    for _ in range(max_questions):
        result = assess(_clean(answers), knowledge)
        pending = [q["field"] for q in result.next_questions
                   if q["field"] not in asked and applicable(q["field"])]
        if not pending:
            break
        ask(pending[0])
    return _clean(answers)


def _clean(answers: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in answers.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
            if not value:
                continue
        if value is not None:
            out[key] = value
    return out
