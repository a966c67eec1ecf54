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

__all__ = ["compile_expression", "evaluate", "expression_fields", "unknown_fields", "OPERATORS"]

Tri = bool | None

OPERATORS = ("is", "eq", "in", "contains_any", "contains_all", "contains_only",
             "lt", "le", "gt", "ge", "known")


_OPS = {
    "is": lambda v, a: v == a,
    "eq": lambda v, a: v == a,
    "in": lambda v, a: v in a,
    "contains_any": lambda v, a: not a.isdisjoint(v),
    "contains_all": lambda v, a: a.issubset(v),
    "contains_only": lambda v, a: len(v) > 0 and a.issuperset(v),
    "lt": lambda v, a: v < a,
    "le": lambda v, a: v <= a,
    "gt": lambda v, a: v > a,
    "ge": lambda v, a: v >= a,
}
_SET_OPS = ("contains_any", "contains_all", "contains_only")

# Compiled expressions, keyed by id() of the (long-lived) knowledge mapping they come from; the
# mapping itself is kept alongside so that an id is never confused with a reused one.
_COMPILED: dict[int, tuple[Mapping[str, Any], Any, frozenset[str], frozenset[str]]] = {}


def _compile(expr: Mapping[str, Any]):
    if "all" in expr or "any" in expr:
        # Kleene logic: one False decides an "all", one True an "any"; otherwise any unknown
        # part leaves the whole unknown.
        decisive = "any" in expr
        parts = [_compiled(e)[0] for e in expr["any" if decisive else "all"]]

        def combine(facts, rules):
            unknown = False
            for part in parts:
                result = part(facts, rules)
                if result is decisive:
                    return decisive
                if result is None:
                    unknown = True
            return None if unknown else not decisive
        return combine
    if "not" in expr:
        inner = _compiled(expr["not"])[0]

        def not_(facts, rules):
            result = inner(facts, rules)
            return None if result is None else not result
        return not_
    if "rule" in expr:
        rule_id = expr["rule"]
        return lambda facts, rules: rules.get(rule_id)
    field = expr["field"]
    known = expr.get("known")
    tests = []
    for op, arg in expr.items():
        if op in ("field", "known"):
            continue
        if op not in _OPS:
            raise ValueError(f"unknown operator {op!r}; allowed are {', '.join(OPERATORS)}")
        tests.append((_OPS[op], frozenset(arg) if op in _SET_OPS else arg))

    def clause(facts, rules):
        value = facts.get(field)
        if value is None:
            # "known: false" is the one question that has an answer when nothing is known.
            return (known is False) if known is not None else None
        if known is False:
            return False
        return all(test(value, arg) for test, arg in tests)
    return clause


def _fields(expr: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    if "all" in expr or "any" in expr:
        parts = [_compiled(e) for e in expr.get("all", expr.get("any"))]
        return (frozenset().union(*(p[1] for p in parts)),
                frozenset().union(*(p[2] for p in parts)))
    if "not" in expr:
        return _compiled(expr["not"])[1:]
    if "rule" in expr:
        return frozenset(), frozenset([expr["rule"]])
    return frozenset([expr["field"]]), frozenset()


def _compiled(expr: Mapping[str, Any]):
    hit = _COMPILED.get(id(expr))
    if hit is not None and hit[0] is expr:
        return hit[1:]
    entry = (_compile(expr), *_fields(expr))
    _COMPILED[id(expr)] = (expr, *entry)
    return entry


def compile_expression(expr: Mapping[str, Any]):
    """The expression as a function ``(facts, rules) -> True | False | None`` (cached)."""
    return _compiled(expr)[0]


def evaluate(expr: Mapping[str, Any], facts: Mapping[str, Any],
             rules: Mapping[str, Tri] | None = None) -> Tri:
    """Evaluate ``expr`` against ``facts`` (field -> value, ``None`` = not known)."""
    return _compiled(expr)[0](facts, rules if rules is not None else {})


def expression_fields(expr: Mapping[str, Any]) -> frozenset[str]:
    """Every intake field an expression reads."""
    return _compiled(expr)[1]


def expression_rules(expr: Mapping[str, Any]) -> frozenset[str]:
    """Every rule id an expression refers to with ``{rule: ID}``."""
    return _compiled(expr)[2]


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
    if "all" in expr:
        # Only the first undecided part of an "all": if it turns out False the rest is moot
        # (a follow-up question is not asked before the question it follows).
        for e in expr["all"]:
            first = unknown_fields(e, facts, rules, rule_exprs)
            if first:
                return first
    elif "any" in expr:
        for e in expr["any"]:
            out.extend(f for f in unknown_fields(e, facts, rules, rule_exprs) if f not in out)
    elif "not" in expr:
        out = unknown_fields(expr["not"], facts, rules, rule_exprs)
    elif "rule" in expr:
        if rule_exprs and expr["rule"] in rule_exprs:
            out = unknown_fields(rule_exprs[expr["rule"]], facts, rules, rule_exprs)
    else:
        out = [expr["field"]]
    return out
