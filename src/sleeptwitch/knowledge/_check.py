"""Full validation of a knowledge base: JSON Schema, references, vocabulary, vignettes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..vocabulary import option_message
from ._load import KINDS, Knowledge, thaw

__all__ = ["check_knowledge", "knowledge_schema"]

_SCHEMA_FILE = Path(__file__).parent / "schemas" / "knowledge.schema.json"


@lru_cache(maxsize=1)
def knowledge_schema() -> dict[str, Any]:
    """The JSON Schema every knowledge file follows (definitions under ``$defs``)."""
    return json.loads(_SCHEMA_FILE.read_text())


def _validator(definition: str):
    import jsonschema

    schema = knowledge_schema()
    sub = {"$schema": schema["$schema"], "$defs": schema["$defs"],
           "$ref": f"#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(sub)


def _walk_exprs(item: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    if "when" in item:
        yield item["when"]
    for key in ("features", "requires"):
        for part in item.get(key, ()):
            yield part["when"]
    if "ask_if" in item:
        yield item["ask_if"]


def _clauses(expr: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    if "all" in expr or "any" in expr:
        for e in expr.get("all", expr.get("any")):
            yield from _clauses(e)
    elif "not" in expr:
        yield from _clauses(expr["not"])
    else:
        yield expr


def check_knowledge(knowledge: Knowledge, *, fields: Mapping[str, tuple[str, ...] | None]
                    | None = None) -> list[str]:
    """Return every problem found in ``knowledge`` (empty when it is sound).

    ``fields`` maps each intake field usable in expressions to its allowed values (``None`` for
    numbers and booleans); when given, expressions are checked against it.
    """
    problems: list[str] = []
    validators = {name: _validator(name) for name in set(KINDS.values()) | {
        "citations", "questions", "messages", "engine"}}
    for item_id, data in knowledge.raw.items():
        if item_id.startswith("<"):
            kind = item_id.strip("<>")
        else:
            folder = knowledge.files[item_id].parent.name
            kind = KINDS[folder]
        where = knowledge.files[item_id]
        for err in sorted(validators[kind].iter_errors(thaw(data)), key=lambda e: list(e.path)):
            path = "/".join(str(p) for p in err.absolute_path) or "(top)"
            problems.append(f"{where.name}: {path}: {err.message[:300]}")

    cites = knowledge.citations
    advice = knowledge.advice
    conditions = knowledge.conditions
    rule_ids = set(knowledge.red_flags) | set(knowledge.rules) | set(knowledge.triggers)

    def check_refs(where: str, refs: Iterable[str]) -> None:
        for ref in refs:
            if ref not in cites:
                problems.append(f"{where}: reference {ref!r} is not in citations.yaml")

    def check_ids(where: str, ids: Iterable[str], table: Mapping[str, Any], what: str) -> None:
        for ref in ids:
            if ref not in table:
                problems.append(f"{where}: {what} {ref!r} does not exist")

    def check_expr(where: str, expr: Mapping[str, Any]) -> None:
        for clause in _clauses(expr):
            if "rule" in clause:
                if clause["rule"] not in rule_ids:
                    problems.append(
                        f"{where}: expression refers to unknown rule {clause['rule']!r}")
                continue
            if fields is None:
                continue
            name = clause.get("field")
            if name not in fields:
                problems.append(f"{where}: expression reads an unknown intake field. "
                                + option_message("field", name, sorted(fields),
                                                 what="field name"))
                continue
            allowed = fields[name]
            if allowed is None:
                continue
            for op, arg in clause.items():
                values = arg if isinstance(arg, list | tuple) else [arg]
                if op in ("eq", "in", "contains_any", "contains_all", "contains_only"):
                    for v in values:
                        if v not in allowed:
                            problems.append(f"{where}: " + option_message(name, v, allowed))

    for item_id, data in knowledge.raw.items():
        if item_id.startswith("<"):
            continue
        where = knowledge.files[item_id].name
        if not isinstance(data, Mapping):
            continue
        check_refs(where, data.get("references", ()))
        for part in (*data.get("features", ()), *data.get("requires", ())):
            check_refs(where, part.get("references", ()))
        for key in ("advice", "avoid", "pitfalls"):
            check_ids(where, data.get(key, ()), advice, "advice item")
        check_ids(where, data.get("suggests", ()), conditions, "condition")
        check_ids(where, data.get("conditions", ()), conditions, "condition")
        check_ids(where, data.get("triggers", ()), knowledge.triggers, "trigger")
        for expr in _walk_exprs(data):
            check_expr(where, expr)
        for v in data.get("vignettes", ()):
            exp = v.get("expect", {})
            for key in ("top", "excluded", "not_in_top"):
                if key in exp:
                    check_ids(f"{where} vignette {v.get('name')!r}", [exp[key]], conditions,
                              "condition")
            check_ids(f"{where} vignette {v.get('name')!r}", exp.get("in_top", ()), conditions,
                      "condition")
            if "red_flag" in exp:
                check_ids(f"{where} vignette {v.get('name')!r}", [exp["red_flag"]],
                          knowledge.red_flags, "red flag")
    for key, msg in knowledge.messages.items():
        check_refs(f"messages.yaml:{key}", msg.get("references", ()))
    for name, q in knowledge.questions.items():
        check_refs(f"questions.yaml:{name}", q.get("references", ()))
        if fields is not None and name not in fields:
            problems.append(f"questions.yaml: question for unknown intake field {name!r}")
        if "ask_if" in q:
            check_expr(f"questions.yaml:{name}", q["ask_if"])
    return problems
