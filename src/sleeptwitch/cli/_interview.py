"""The terminal face of the interview (``sleeptwitch assess`` without ``--answers``).

Everything it decides comes from :mod:`sleeptwitch.triage` (``next_step``, ``parse_answer``,
``merge_answer``): this module only prints questions and reads lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.prompt import Prompt

from ..knowledge import Knowledge
from ..triage import (
    AGE,
    MAX_QUESTIONS,
    AnswerError,
    Question,
    age_unit_question,
    intake_of,
    merge_answer,
    next_step,
    parse_answer,
)

__all__ = ["run_interview", "offer_to_save", "InputEnded"]


class InputEnded(Exception):
    """The input ran out (end of a piped file, or Ctrl-D) before the interview was done."""


def _reader(console: Console, ask: Callable[[str], str] | None) -> Callable[[str], str]:
    base = ask or (lambda prompt: Prompt.ask(prompt, console=console, default="",
                                             show_default=False))

    def read(prompt: str) -> str:
        try:
            return base(prompt)
        except EOFError:
            raise InputEnded from None
    return read


def _show(question: Question, console: Console) -> None:
    console.print(f"[bold]{question.text}[/bold]")
    if question.why:
        console.print(f"[dim]{question.why}[/dim]")
    for i, (_, label) in enumerate(question.options, start=1):
        console.print(f"  {i}. {label}")
    if question.allows_none:
        console.print("  0. none of these")


def _ask_until_read(question: Question, console: Console,
                    read: Callable[[str], str]) -> Any:
    while True:
        raw = read(f"  ({question.hint})")
        try:
            return parse_answer(question, raw)
        except AnswerError as exc:
            console.print(f"[red]{exc}[/red]")


def run_interview(knowledge: Knowledge, console: Console, *, audience: str | None = None,
                  ask: Callable[[str], str] | None = None,
                  max_questions: int = MAX_QUESTIONS,
                  known: dict[str, Any] | None = None) -> dict[str, Any]:
    """Interview the user; returns the answers as an intake mapping ("don't know" left out).

    ``known``: findings already in hand (e.g. from the journal); only the rest is asked."""
    read = _reader(console, ask)
    answers: dict[str, Any] = dict(known or {})
    if audience is not None:
        answers["audience"] = audience
    try:
        return _interview(answers, knowledge, console, read, max_questions)
    except InputEnded:
        if "age_months" in answers or "age_years" in answers:
            console.print("[dim]The input ended; assessing the answers given so far.[/dim]")
            return intake_of(answers)
        raise


def _interview(answers: dict[str, Any], knowledge: Knowledge, console: Console,
               read: Callable[[str], str], max_questions: int) -> dict[str, Any]:
    while True:
        step = next_step(answers, knowledge=knowledge, max_questions=max_questions)
        if step.done:
            return intake_of(answers)
        question = step.question
        _show(question, console)
        value = _ask_until_read(question, console, read)
        if question.id == AGE and not isinstance(value, dict):
            # A bare number: never guess months or years.
            question = age_unit_question(value, answers, knowledge)
            _show(question, console)
            value = _ask_until_read(question, console, read)
        try:
            answers.update(merge_answer(answers, question.id, value))
        except AnswerError as exc:
            console.print(f"[red]{exc}[/red]")


def offer_to_save(intake: dict[str, Any], console: Console,
                  ask: Callable[[str], str] | None = None) -> Path | None:
    """Ask whether to save the answers as a JSON intake file (to finish or share later)."""
    try:
        raw = _reader(console, ask)("Save these answers to a file, to finish or share later? "
               "(a file name such as intake.json, or Enter to skip)").strip()
    except InputEnded:
        return None
    if not raw or raw.lower() in ("?", "n", "no", "skip"):
        return None
    path = Path(raw).expanduser()
    if path.suffix.lower() not in (".json", ".yaml", ".yml"):
        path = path.with_suffix(".json")
    from .._files import atomic_write

    try:
        atomic_write(path, json.dumps(intake, indent=2, ensure_ascii=False) + "\n", private=True)
    except OSError as exc:
        console.print(f"[red]Could not save to {path}: {exc.strerror}. Nothing was written.[/red]")
        return None
    console.print(f"Saved. Continue later with: sleeptwitch assess --answers {path}")
    return path
