"""The assessment engine: a pure function from an intake and the knowledge to an Assessment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..knowledge import Knowledge, load_knowledge, thaw
from ._intake import AUDIENCES, LEVELS, Intake, parse_intake
from ._logic import compile_expression, evaluate, expression_fields, unknown_fields

__all__ = ["Assessment", "assess", "facts_of"]

_RANK = {level: i for i, level in enumerate(LEVELS)}


def _max_level(levels: Iterable[str]) -> str:
    return max(levels, key=_RANK.__getitem__, default=LEVELS[0])


@dataclass(frozen=True)
class Assessment:
    """The result of :func:`assess`; ``to_dict()`` gives the DESIGN.md JSON shape."""

    triage: str
    audience: str
    conditions: tuple[dict[str, Any], ...]
    red_flags: tuple[dict[str, Any], ...]
    watch_for: tuple[dict[str, Any], ...]
    rules: tuple[dict[str, Any], ...]
    advice: tuple[dict[str, Any], ...]
    avoid: tuple[dict[str, Any], ...]
    citations: tuple[dict[str, Any], ...]
    next_questions: tuple[dict[str, Any], ...]
    knowledge_version: str
    trace: tuple[dict[str, Any], ...]
    summary: dict[str, Any] = field(default_factory=dict)
    provisional: bool = False
    intake: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The DESIGN.md JSON shape, as a fresh deep copy: changing it changes nothing else."""
        return thaw({
            "triage": self.triage,
            "audience": self.audience,
            "summary": self.summary,
            "provisional": self.provisional,
            "conditions": list(self.conditions),
            "red_flags": list(self.red_flags),
            "watch_for": list(self.watch_for),
            "rules": list(self.rules),
            "advice": list(self.advice),
            "avoid": list(self.avoid),
            "citations": list(self.citations),
            "next_questions": list(self.next_questions),
            "knowledge_version": self.knowledge_version,
            "intake": self.intake,
            "trace": list(self.trace),
        })


def facts_of(intake: Intake) -> dict[str, Any]:
    """Flatten an intake to field -> value, ``None`` meaning not known.

    ``age_months`` is always known: the age in months whichever unit was given.
    """
    facts: dict[str, Any] = {}
    for name in type(intake).model_fields:
        value = getattr(intake, name)
        if name in ("lifestyle", "workup"):
            model = type(intake).model_fields[name].annotation.__args__[0]
            for sub in model.model_fields:
                facts[f"{name}.{sub}"] = None if value is None else getattr(value, sub)
        else:
            facts[name] = value
    facts["age_months"] = intake.age_in_months
    facts["age_years"] = intake.age_in_months / 12.0
    facts["audience"] = intake.resolved_audience
    return facts


def _findings(expr: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, Any]:
    """The answered findings an expression read, for the trace."""
    return {f: _jsonable(facts[f]) for f in sorted(expression_fields(expr))
            if facts.get(f) is not None}


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class _Run:
    """One assessment in progress; collects citations and the trace as it goes."""

    def __init__(self, intake: Intake, knowledge: Knowledge, audience: str):
        self.k = knowledge
        self.audience = audience
        self.facts = facts_of(intake)
        self.refs: list[str] = []
        self.trace: list[dict[str, Any]] = []
        self.rule_results: dict[str, bool | None] = {}
        self.set_aside: list[Mapping[str, Any]] = []
        self.rule_exprs = {rid: r["when"] for table in (knowledge.red_flags, knowledge.rules,
                                                        knowledge.triggers)
                           for rid, r in table.items()}

    def cite(self, refs: Iterable[str]) -> list[str]:
        refs = list(refs)
        self.refs.extend(r for r in refs if r not in self.refs)
        return refs

    def text(self, value: Any) -> str:
        return self.k.text(value, self.audience)

    # -- rules, red flags, triggers ------------------------------------------------------------
    def evaluate_rules(self) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]],
                                      list[Mapping[str, Any]]]:
        fired: dict[str, list[Mapping[str, Any]]] = {"red_flag": [], "rule": [], "trigger": []}
        facts, results = self.facts, self.rule_results
        for kind, rid, item, when, unless in _rule_plan(self.k):
            result = when(facts, results)
            set_aside = False
            if result and unless is not None and unless(facts, results) is True:
                # A test result that answers the flag's own reason sets it aside; only a
                # result known to be reassuring does, so an unknown never silences a flag.
                result, set_aside = False, True
                self.set_aside.append(item)
            self.rule_results[rid] = result
            self.trace.append({
                "step": kind, "id": rid, "result": result,
                "level": item.get("level"),
                # the answered findings of a rule that did not fire are left out (speed)
                "findings": {} if result is False and not set_aside
                else _findings(item["when"], self.facts),
                "references": list(item["references"]),
                **({"set_aside_by": _findings(item["unless"], self.facts)}
                   if set_aside else {}),
            })
            if result:
                fired[kind].append(item)
        return fired["red_flag"], fired["rule"], fired["trigger"]

    # -- conditions ----------------------------------------------------------------------------
    def score_conditions(self) -> list[dict[str, Any]]:
        scored = []
        age = self.facts["age_months"]
        facts, rules = self.facts, self.rule_results
        for cid, cond, requirements, features in _condition_plan(self.k):
            reasons: list[dict[str, Any]] = []
            excluded = False
            lo = cond["age"].get("min_months", 0)
            hi = cond["age"].get("max_months")
            if age < lo or (hi is not None and age > hi):
                excluded = True
                reasons.append({"direction": "against", "finding": {"age_months": age},
                                "text": self.k.message("reason_outside_age", self.audience)
                                .format(min=_fmt_months(lo), max=_fmt_months(hi)),
                                "citations": list(cond["references"])})
            open_requirements = []
            for req, test in requirements:
                result = test(facts, rules)
                if result is False:
                    excluded = True
                    reasons.append({"direction": "against", "text": self.text(req["reason"]),
                                    "finding": _findings(req["when"], facts),
                                    "citations": list(req["references"])})
                elif result is None:
                    open_requirements.append(req)
            score = float(cond["prior"])
            open_features = []
            # An excluded condition is never shown, ranked or asked about: its features are
            # not weighed (the reasons it was excluded are kept for the trace).
            for feat, test in () if excluded else features:
                result = test(facts, rules)
                if result is None:
                    open_features.append(feat)
                elif result:
                    score += feat["weight"]
                    reasons.append({
                        "direction": "for" if feat["weight"] > 0 else "against",
                        "text": self.text(feat["reason"]), "weight": feat["weight"],
                        "finding": _findings(feat["when"], facts),
                        "citations": list(feat["references"]),
                    })
            scored.append({"id": cid, "cond": cond, "score": score, "excluded": excluded,
                           "reasons": reasons, "open_features": open_features,
                           "open_requirements": open_requirements,
                           "likelihood": self.likelihood(score, bool(open_requirements))})
            self.trace.append({"step": "condition", "id": cid, "score": score,
                               "excluded": excluded,
                               "fired": [r["text"] for r in reasons]})
        scored.sort(key=lambda c: (c["excluded"], -c["score"], -c["cond"]["prior"], c["id"]))
        return scored

    def likelihood(self, score: float, open_requirements: bool = False) -> str:
        # A condition whose defining criteria are not all answered yet is at most "possible".
        if score >= self.k.engine["likely_score"] and not open_requirements:
            return "likely"
        if score >= self.k.engine["possible_score"]:
            return "possible"
        return "unlikely"

    # -- questions -----------------------------------------------------------------------------
    def next_questions(self, triage: str, ranked: list[dict[str, Any]],
                       settle: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Unanswered findings that could change the triage level or the leading condition.

        ``settle``: findings that could earn reassurance (asked first after the red flags)."""
        wanted: dict[str, dict[str, Any]] = {}

        def want(fld: str, level: str | None, because: str, weight: float) -> None:
            entry = wanted.setdefault(fld, {"field": fld, "could_raise_to": None,
                                            "because": [], "_weight": 0.0})
            if level and (entry["could_raise_to"] is None
                          or _RANK[level] > _RANK[entry["could_raise_to"]]):
                entry["could_raise_to"] = level
            if because not in entry["because"]:
                entry["because"].append(because)
            entry["_weight"] = max(entry["_weight"], abs(weight))

        for table in (self.k.red_flags, self.k.rules):
            for rid, item in table.items():
                if self.rule_results.get(rid) is None and _RANK[item["level"]] > _RANK[triage]:
                    for fld in unknown_fields(item["when"], self.facts, self.rule_results,
                                              self.rule_exprs):
                        want(fld, item["level"], rid, 100 + _RANK[item["level"]])
        for fld in settle:
            want(fld, None, "reassurance_not_earned", 90)
        live = [c for c in ranked if not c["excluded"]]
        if live:
            margin = self.k.engine["change_margin"]
            top = live[0]
            runner = live[1]["score"] if len(live) > 1 else self.k.engine["possible_score"]
            for feat in top["open_features"]:
                if feat["weight"] < 0 and top["score"] + feat["weight"] < runner - margin:
                    for fld in unknown_fields(feat["when"], self.facts, self.rule_results,
                                              self.rule_exprs):
                        want(fld, None, top["id"], feat["weight"])
            for req in top["open_requirements"]:
                for fld in unknown_fields(req["when"], self.facts, self.rule_results,
                                          self.rule_exprs):
                    want(fld, None, top["id"], 50)
            for other in live[1:4]:
                for feat in other["open_features"]:
                    if feat["weight"] > 0 and other["score"] + feat["weight"] > (
                            top["score"] + margin):
                        for fld in unknown_fields(feat["when"], self.facts, self.rule_results,
                                                  self.rule_exprs):
                            want(fld, None, other["id"], feat["weight"])
        out = []
        for entry in sorted(wanted.values(), key=lambda e: (
                -(_RANK[e["could_raise_to"]] if e["could_raise_to"] else -1),
                -e["_weight"], e["field"])):
            question = self.k.questions.get(entry["field"])
            if question is None:
                continue  # every field has a question; the knowledge check enforces it
            if self.audience not in question.get("audiences", (self.audience,)):
                continue  # not a question this audience can answer (e.g. EEG details)
            if "ask_if" in question and evaluate(question["ask_if"], self.facts) is False:
                continue  # cannot apply to this person (e.g. dream enactment for a baby)
            out.append({
                "field": entry["field"],
                "question": self.text(question["text"]),
                "why": self.text(question["why"]),
                "could_raise_to": entry["could_raise_to"],
                "because": entry["because"],
                "citations": self.cite(question["references"]),
            })
        return out


def _per_knowledge(build):
    """Cache ``build(knowledge)`` once per loaded knowledge base (keyed by identity; the base
    itself is kept beside the plan so that a reused id is never mistaken for it)."""
    cache: dict[int, tuple[Knowledge, list]] = {}

    def plan(knowledge: Knowledge) -> list:
        hit = cache.get(id(knowledge))
        if hit is not None and hit[0] is knowledge:
            return hit[1]
        built = build(knowledge)
        cache[id(knowledge)] = (knowledge, built)
        return built

    plan.__doc__ = build.__doc__
    return plan


@_per_knowledge
def _watch_plan(knowledge: Knowledge) -> list:
    """Serious red flags to watch for, most serious first, with the audiences that can notice
    them (some finding of theirs is one that audience is asked about)."""
    floor = _RANK[knowledge.engine["watch_min_level"]]
    plan = []
    for rid, item in sorted(knowledge.red_flags.items(),
                            key=lambda kv: (-_RANK[kv[1]["level"]], kv[0])):
        if _RANK[item["level"]] < floor:
            continue
        audiences = frozenset(
            a for a in AUDIENCES
            if any(a in knowledge.questions.get(fld, {}).get("audiences", (a,))
                   for fld in expression_fields(item["when"])))
        plan.append((rid, item, compile_expression(item["when"]), audiences))
    return plan


@_per_knowledge
def _rule_plan(knowledge: Knowledge) -> list:
    """Triggers, red flags and rules in evaluation order with their expressions compiled."""
    plan = [(kind, rid, table[rid], compile_expression(table[rid]["when"]),
             compile_expression(table[rid]["unless"]) if "unless" in table[rid] else None)
            for kind, table in (("trigger", knowledge.triggers), ("red_flag", knowledge.red_flags),
                                ("rule", knowledge.rules))
            for rid in sorted(table)]
    return plan


@_per_knowledge
def _condition_plan(knowledge: Knowledge) -> list:
    """Conditions with their expressions compiled, once per knowledge base."""
    plan = [(cid, cond,
             [(req, compile_expression(req["when"])) for req in cond.get("requires", ())],
             [(feat, compile_expression(feat["when"])) for feat in cond["features"]])
            for cid, cond in sorted(knowledge.conditions.items())]
    return plan


def _reassurance_gaps(leading: Mapping[str, Any] | None, facts: Mapping[str, Any]) -> list[str]:
    """The defining questions of a benign leader that are still unanswered.

    An entry ``a|b`` is answered when either is (e.g. development or the examination)."""
    if leading is None:
        return []
    gaps = []
    for entry in leading["cond"].get("reassure_requires", ()):
        names = entry.split("|")
        if all(facts.get(f) is None for f in names):
            gaps.append(names[0])
    return gaps


def _advice_fits(item: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Advice is shown only within its age range and never against a known finding."""
    age = item.get("age") or {}
    if facts["age_months"] < age.get("min_months", 0):
        return False
    if age.get("max_months") is not None and facts["age_months"] > age["max_months"]:
        return False
    return not ("not_when" in item and evaluate(item["not_when"], facts) is True)


def _fmt_months(months: float | None) -> str:
    if months is None:
        return "any age"
    if months >= 24 and months % 12 == 0:
        return f"{months / 12:g} years"
    return f"{months:g} months"


def assess(intake: Intake | Mapping[str, Any], knowledge: Knowledge | None = None, *,
           audience: str | None = None) -> Assessment:
    """Assess an intake against the knowledge base.

    Parameters
    ----------
    intake : Intake or mapping
        The findings (DESIGN.md "Intake"); a mapping is validated first.
    knowledge : Knowledge, optional
        Default: the bundled knowledge base.
    audience : {'parent', 'patient', 'clinician'}, optional
        Whose words to use; overrides ``intake.audience``.

    Returns
    -------
    Assessment
        Pure and deterministic: the same intake and knowledge give the same result.
    """
    intake = parse_intake(intake)
    if audience is not None:
        intake = parse_intake({**intake.given(), "audience": audience})
    k = knowledge if knowledge is not None else load_knowledge()
    aud = intake.resolved_audience
    run = _Run(intake, k, aud)

    red_flags, rules, triggers = run.evaluate_rules()
    ranked = run.score_conditions()
    live = [c for c in ranked if not c["excluded"]]

    # Triage: the highest of every fired red flag and rule, the leading condition's level and
    # the level of every likely condition. Red flags therefore can only raise the level.
    contributions: list[tuple[str, str]] = [(r["level"], r["id"]) for r in (*red_flags, *rules)]
    leading = live[0] if live and live[0]["score"] >= k.engine["possible_score"] else None
    if leading is not None:
        # A leader that is only "possible" contributes at most the cap: weak evidence for a
        # serious condition earns a visit, and only red flags or a likely condition go higher.
        # Every red flag is at least the cap, so a red flag that changes the leader cannot
        # lower the level.
        level = leading["cond"]["triage"]
        if leading["likelihood"] != "likely":
            level = min(level, k.engine["possible_level_cap"], key=_RANK.__getitem__)
        contributions.append((level, leading["id"]))
    for c in live:
        if c["likelihood"] == "likely":
            contributions.append((c["cond"]["triage"], c["id"]))
    if leading is None:
        contributions.append((k.engine["fallback_level"], "fallback_no_benign_explanation"))
    triage = _max_level(level for level, _ in contributions) if contributions else LEVELS[0]
    # Reassurance must be earned: a benign leader that is "likely", with every question that
    # defines it answered. Otherwise the person is seen, and told which answers could settle it.
    settle: list[str] = []
    if triage == LEVELS[0]:
        settle = _reassurance_gaps(leading, run.facts)
        if settle or leading is None or leading["likelihood"] != "likely":
            triage = k.engine["unearned_reassurance_level"]
            contributions.append((triage, "reassurance_not_earned"))
            if leading is not None:
                settle += [f for feat in leading["open_features"] if feat["weight"] > 0
                           for f in unknown_fields(feat["when"], run.facts, run.rule_results,
                                                   run.rule_exprs) if f not in settle]
            settle = settle or ["timing"]
    run.trace.append({"step": "triage", "level": triage,
                      "contributions": [{"level": lv, "from": src} for lv, src in contributions]})

    shown = [c for c in live if c["score"] >= k.engine["possible_score"]][
        : k.engine["max_conditions"]]
    if not shown:
        shown = live[:3]
    conditions = []
    for c in shown:
        cond = c["cond"]
        conditions.append({
            "id": c["id"],
            "name": run.text(cond["names"]),
            "likelihood": c["likelihood"],
            "score": c["score"],
            "triage": cond["triage"],
            "summary": run.text(cond["summary"]),
            "icd10cm": (cond.get("icd10cm") or {}).get("code"),
            "reasons": c["reasons"],
            "status": cond["status"],
            "citations": run.cite(cond["references"]),
        })
        for r in c["reasons"]:
            run.cite(r["citations"])

    def item_out(item: Mapping[str, Any], text_key: str = "text") -> dict[str, Any]:
        return {"id": item["id"], "text": run.text(item[text_key]),
                "citations": run.cite(item["references"])}

    red_out = [{**item_out(r), "name": r["name"], "level": r["level"],
                "findings": _findings(r["when"], run.facts)} for r in red_flags]
    # Warning signs to watch for: red flags that did not fire but can occur at this age.
    age_only = {"age_months": run.facts["age_months"], "age_years": run.facts["age_years"],
                "audience": aud}
    # Only the serious ones, and only those this audience can notice (some finding of theirs is
    # one this audience is asked about).
    watch = [{"id": rid, "name": item["name"], "level": item["level"],
              "citations": run.cite(item["references"])}
             for rid, item, when, audiences in _watch_plan(k)
             if aud in audiences and not run.rule_results.get(rid)
             and when(age_only, {}) is not False]
    rules_out = [{**item_out(r), "name": r["name"], "level": r["level"],
                  "findings": _findings(r["when"], run.facts)} for r in rules]

    advice_ids: list[str] = []
    avoid_ids: list[str] = []
    sources = [*red_flags, *rules, *triggers]
    sources += [c["cond"] for c in shown if c is shown[0] or c["likelihood"] == "likely"]
    for src in sources:
        advice_ids += src.get("advice", [])
        avoid_ids += src.get("avoid", [])
        if aud == "clinician":
            avoid_ids += src.get("pitfalls", [])

    def advice_out(ids: list[str]) -> list[dict[str, Any]]:
        out, seen = [], set()
        for aid in ids:
            item = k.advice[aid]
            if aid in seen or aud not in item.get("audiences", (aud,)):
                continue
            if not _advice_fits(item, run.facts):
                continue
            seen.add(aid)
            out.append({**item_out(item), "kind": item["kind"]})
        return out

    advice = advice_out(advice_ids)
    avoid = advice_out(avoid_ids)
    triggers_out = [{"id": t["id"], "name": run.text(t["names"]), "text": run.text(t["text"]),
                     "citations": run.cite(t["references"])} for t in triggers]
    questions = run.next_questions(triage, ranked, settle)
    provisional = bool(settle) or any(q["could_raise_to"] for q in questions)
    level_msg = k.messages[f"level_{triage}"]
    summary: dict[str, Any] = {
        "level_text": run.text(level_msg["text"]), "triggers": triggers_out,
        "text_citations": {"level_text": run.cite(level_msg["references"])}}
    if provisional:
        msg = k.messages["provisional"]
        summary["provisional_text"] = run.text(msg["text"])
        summary["text_citations"]["provisional_text"] = run.cite(msg["references"])
    if settle:
        msg = k.messages["reassurance_not_earned"]
        summary["reassurance_text"] = run.text(msg["text"])
        summary["text_citations"]["reassurance_text"] = run.cite(msg["references"])
    if triage == "urgent":
        msg = k.messages["emergency_safety_net"]
        summary["safety_net_text"] = run.text(msg["text"])
        summary["text_citations"]["safety_net_text"] = run.cite(msg["references"])
    if run.set_aside:
        summary["set_aside"] = [
            {"id": item["id"], "name": item["name"], "text": run.text(item["unless_reason"]),
             "citations": run.cite(item["unless_references"])} for item in run.set_aside]
    if leading is None:
        msg = k.messages["no_benign_explanation"]
        summary["fallback_text"] = run.text(msg["text"])
        summary["text_citations"]["fallback_text"] = run.cite(msg["references"])

    citations = [{"id": ref, "title": k.citations[ref]["title"],
                  "source": k.citations[ref]["source"], "status": k.citations[ref]["status"]}
                 for ref in run.refs]
    return Assessment(
        triage=triage, audience=aud, conditions=tuple(conditions), red_flags=tuple(red_out),
        watch_for=tuple(watch), rules=tuple(rules_out), advice=tuple(advice),
        avoid=tuple(avoid),
        citations=tuple(citations), next_questions=tuple(questions),
        knowledge_version=k.version, trace=tuple(run.trace), summary=summary,
        provisional=provisional, intake=intake.given(),
    )
