"""Three-valued evaluation of the knowledge base's finding expressions.

An expression is a mapping, as written in the YAML files:

- ``{all: [e, ...]}``, ``{any: [e, ...]}``, ``{not: e}``
- ``{field: NAME, OP: VALUE, ...}`` with OP one of ``is``, ``eq``, ``in``, ``contains_any``,
  ``contains_all``, ``contains_only``, ``lt``, ``le``, ``gt``, ``ge``, ``known``; several OPs in one
  clause must all hold.
- ``{rule: ID}``: the result of a red flag, rule or trigger evaluated earlier.

Results are ``True``, ``False`` or ``None`` (not known). A finding that was not given is not known,
and an unknown is never read as "no": ``all`` is False only if some part is False, ``any`` is True
only if some part is True (Kleene logic).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["evaluate", "expression_fields", "unknown_fields", "OPERATORS"]

Tri = bool | None

OPERATORS = ("is", "eq", "in", "contains_any", "contains_all", "contains_only",
             "lt", "le", "gt", "ge", "known")


def _apply(op: str, value: Any, arg: Any) -> bool:
    if op == "is" or op == "eq":
        return value == arg
    if op == "in":
        return value in arg
    if op == "contains_any":
        return not set(value).isdisjoint(arg)
    if op == "contains_all":
        return set(arg) <= set(value)
    if op == "contains_only":
        return len(value) > 0 and set(value) <= set(arg)
    if op == "lt":
        return value < arg
    if op == "le":
        return value <= arg
    if op == "gt":
        return value > arg
    if op == "ge":
        return value >= arg
    raise ValueError(f"unknown operator {op!r}; allowed are {', '.join(OPERATORS)}")


def evaluate(expr: Mapping[str, Any], facts: Mapping[str, Any],
             rules: Mapping[str, Tri] | None = None) -> Tri:
    """Evaluate ``expr`` against ``facts`` (field -> value, ``None`` = not known)."""
    if "all" in expr:
        results = [evaluate(e, facts, rules) for e in expr["all"]]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if "any" in expr:
        results = [evaluate(e, facts, rules) for e in expr["any"]]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    if "not" in expr:
        inner = evaluate(expr["not"], facts, rules)
        return None if inner is None else not inner
    if "rule" in expr:
        return (rules or {}).get(expr["rule"])
    value = facts.get(expr["field"])
    ops = [(op, arg) for op, arg in expr.items() if op != "field"]
    if value is None:
        # "known: false" is the one question that has an answer when nothing is known.
        return all(arg is False for op, arg in ops if op == "known") if any(
            op == "known" for op, _ in ops) else None
    return all((arg is True) if op == "known" else _apply(op, value, arg) for op, arg in ops)


def expression_fields(expr: Mapping[str, Any]) -> set[str]:
    """Every intake field an expression reads."""
    if "all" in expr or "any" in expr:
        return set().union(*(expression_fields(e) for e in expr.get("all", expr.get("any"))))
    if "not" in expr:
        return expression_fields(expr["not"])
    if "rule" in expr:
        return set()
    return {expr["field"]}


def expression_rules(expr: Mapping[str, Any]) -> set[str]:
    """Every rule id an expression refers to with ``{rule: ID}``."""
    if "all" in expr or "any" in expr:
        return set().union(*(expression_rules(e) for e in expr.get("all", expr.get("any"))))
    if "not" in expr:
        return expression_rules(expr["not"])
    return {expr["rule"]} if "rule" in expr else set()


def unknown_fields(expr: Mapping[str, Any], facts: Mapping[str, Any],
                   rules: Mapping[str, Tri] | None = None,
                   rule_exprs: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Fields whose answers could still settle an expression that is not known yet.

    Only parts that are themselves undecided are followed, so a field inside an ``all`` that is
    already False elsewhere is not asked about. Order follows the expression.
    """
    if evaluate(expr, facts, rules) is not None:
        return []
    out: list[str] = []
    if "all" in expr or "any" in expr:
        for e in expr.get("all", expr.get("any")):
            out.extend(f for f in unknown_fields(e, facts, rules, rule_exprs) if f not in out)
    elif "not" in expr:
        out = unknown_fields(expr["not"], facts, rules, rule_exprs)
    elif "rule" in expr:
        if rule_exprs and expr["rule"] in rule_exprs:
            out = unknown_fields(rule_exprs[expr["rule"]], facts, rules, rule_exprs)
    else:
        out = [expr["field"]]
    return out
