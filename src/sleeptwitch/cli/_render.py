"""Render an assessment as text for the terminal. Every sentence comes from the knowledge."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from ..knowledge import Knowledge

__all__ = ["render_assessment"]

_STYLE = {
    "reassure_self_care": "green",
    "routine_visit": "yellow",
    "prompt_evaluation": "dark_orange",
    "urgent": "bold red",
}


def _refs(citations: list[str], numbers: dict[str, int]) -> str:
    return " " + "".join(f"[{numbers[c]}]" for c in citations if c in numbers)


def render_assessment(result: dict[str, Any], knowledge: Knowledge, console: Console, *,
                      interactive: bool = False) -> None:
    """Print an assessment (the ``to_dict()`` form) in plain, cited sections.

    ``interactive``: the answers came from the interview, which asked everything it could; the
    questions left open are then listed as what a doctor may ask, not as questions to answer here.
    """
    aud = result["audience"]
    numbers = {c["id"]: i for i, c in enumerate(result["citations"], start=1)}
    level = result["triage"]
    style = _STYLE[level]
    head = Text(level.replace("_", " ").upper(), style=style)
    summary = result["summary"]
    body = [head, Text(summary["level_text"])]
    if "safety_net_text" in summary:
        body.append(Text(summary["safety_net_text"], style="bold"))
    for key in ("reassurance_text", "fallback_text", "provisional_text"):
        if key in summary:
            body.append(Text(summary[key], style="italic"))
    console.print(Panel(Group(*body), title="sleeptwitch", border_style=style))

    if result["red_flags"]:
        lines = [Text(rf["text"] + _refs(rf["citations"], numbers)) for rf in result["red_flags"]]
        console.print(Panel(Group(*lines), title="Warning signs found", border_style="red"))

    for item in summary.get("set_aside", ()):
        console.print(Text(f"  {item['name']}: {item['text']}" + _refs(item["citations"], numbers),
                           style="dim"))

    if result["conditions"]:
        console.print(Text("What it may be", style="bold"))
        for c in result["conditions"]:
            console.print(Text(f"  {c['name']} - {c['likelihood']}", style="bold"))
            console.print(Text(f"    {c['summary']}" + _refs(c["citations"], numbers)))
            for r in c["reasons"]:
                mark = "+" if r["direction"] == "for" else "-"
                console.print(Text(f"    {mark} {r['text']}" + _refs(r["citations"], numbers),
                                   style="green" if mark == "+" else "dim"))

    for key, title in (("advice", "What helps"), ("avoid", "What to avoid")):
        if result[key]:
            console.print(Text(title, style="bold"))
            for item in result[key]:
                console.print(Text(f"  * {item['text']}" + _refs(item["citations"], numbers)))

    triggers = result["summary"].get("triggers", [])
    if triggers:
        console.print(Text("Possible triggers in your answers", style="bold"))
        for t in triggers:
            console.print(Text(f"  * {t['name']}: {t['text']}" + _refs(t["citations"], numbers)))

    if result["watch_for"] and level != "urgent":
        console.print(Text("Warning signs to watch for", style="bold"))
        for w in result["watch_for"]:
            console.print(Text(f"  ! {w['name']}" + _refs(w["citations"], numbers)))

    if result["next_questions"]:
        title = (knowledge.message("interview_unanswered", aud) if interactive
                 else "Questions that could change this")
        console.print(Text(title, style="bold"))
        for q in result["next_questions"]:
            console.print(Text(f"  ? {q['question']}" + _refs(q["citations"], numbers)))

    console.print(Text("Sources", style="bold"))
    for c in result["citations"]:
        console.print(Text(f"  [{numbers[c['id']]}] {c['title']}. {c['source']} ({c['status']})",
                           style="dim"))
    console.print(Text(knowledge.message("not_reviewed_banner", aud), style="italic dim"))
    console.print(Text(f"knowledge {result['knowledge_version']}", style="dim"))
