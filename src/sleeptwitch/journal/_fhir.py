"""FHIR R4 export: a journal as a Bundle of Observations, an assessment as a QuestionnaireResponse.

Everything is plain JSON-able dicts; nothing here needs a FHIR library. The same input always
gives the same output: resource ids are uuid5s derived from the person and the record's place in
the journal (night date, episode position, exposure name), and no timestamp of the export itself
is written. A value that was not recorded is left out, never written as ``false`` or ``0``.

The mapping (codes, units, categories) is documented in docs/journal-format.md, "FHIR export".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ASSESSMENT_SYSTEM", "CONDITION_SYSTEM", "CUSTOM_FACTOR_SYSTEM", "INTAKE_QUESTIONNAIRE",
    "INTAKE_SYSTEM", "JOURNAL_SYSTEM", "assessment_to_fhir", "intake_from_fhir",
    "journal_to_fhir",
]

logger = logging.getLogger("sleeptwitch")

BASE = "https://sleeptwitch.org/fhir"
JOURNAL_SYSTEM = f"{BASE}/CodeSystem/journal"
CUSTOM_FACTOR_SYSTEM = f"{BASE}/CodeSystem/custom-factor"
OBSERVER_SYSTEM = f"{BASE}/CodeSystem/observed-by"
INTAKE_SYSTEM = f"{BASE}/CodeSystem/intake"
ASSESSMENT_SYSTEM = f"{BASE}/CodeSystem/assessment"
TRIAGE_SYSTEM = f"{BASE}/CodeSystem/triage-level"
CONDITION_SYSTEM = f"{BASE}/CodeSystem/condition"
LIKELIHOOD_SYSTEM = f"{BASE}/CodeSystem/likelihood"
RED_FLAG_SYSTEM = f"{BASE}/CodeSystem/red-flag"
INTAKE_QUESTIONNAIRE = f"{BASE}/Questionnaire/intake"

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)

# Journal concepts: code -> display. Codes are ours; LOINC is added only where it is certain.
_CONCEPTS = {
    "night": "Sleep diary night (Consensus Sleep Diary)",
    "bedtime": "Got into bed",
    "lights-out": "Lights out (started trying to sleep)",
    "sleep-latency": "Sleep onset latency",
    "awakenings": "Number of awakenings in the night",
    "waso": "Wake after sleep onset",
    "wake-time": "Final awakening",
    "out-of-bed": "Got out of bed",
    "sleep-quality": "Sleep quality (1 very poor to 5 very good)",
    "daytime-sleepiness": "Sleepy the next day",
    "time-in-bed": "Time in bed",
    "total-sleep-time": "Total sleep time",
    "sleep-efficiency": "Sleep efficiency",
    "twitch-episode": "Twitch episode during sleep",
    "body-site": "Body part that moved",
    "intensity": "Intensity (1 to 5)",
    "woke": "The episode woke the person",
    "observed-by": "Observed by",
    "state": "State of the person (falling asleep, asleep, waking up, awake)",
    "pattern": "Movement pattern",
    "interval": "Time between repeated movements",
    "pain": "Pain during or after",
    "spreading": "Jerks spread to other body parts",
    "caffeine": "Caffeine taken that day",
    "caffeine-last": "Time of the last caffeinated drink",
    "alcohol": "Alcoholic drinks (standard drinks)",
    "nicotine": "Nicotine used",
    "exercise": "Exercise duration",
    "exercise-end": "Time the exercise ended",
    "stress": "Stress (1 to 5)",
    "screens": "Screen time before bed",
    "magnesium": "Magnesium supplement taken",
    "medication": "Medicine taken that day",
}
_LOINC = {"total-sleep-time": ("93832-4", "Sleep duration")}

# Intake body_parts -> SNOMED CT body structure (every code checked against public use).
_BODY_SITES = {
    "feet": ("56459004", "Foot structure"),
    "legs": ("61685007", "Lower limb structure"),
    "arms": ("53120007", "Upper limb structure"),
    "hands": ("85562004", "Hand structure"),
    "fingers": ("7569003", "Finger structure"),
    "trunk": ("22943007", "Trunk structure"),
    "abdomen": ("113345001", "Abdominal structure"),
    "whole_body": ("38266002", "Entire body as a whole"),
    "head": ("69536005", "Head structure"),
    "face": ("89545001", "Face structure"),
    "eyes": ("81745001", "Eye structure"),
    "jaw": ("661005", "Jaw region structure"),
}

# Night fields: (field, concept, kind); kinds: time, minutes, integer, boolean.
_NIGHT_ITEMS = (
    ("bedtime", "bedtime", "time"),
    ("lights_out", "lights-out", "time"),
    ("sleep_latency_min", "sleep-latency", "minutes"),
    ("awakenings", "awakenings", "integer"),
    ("awake_min", "waso", "minutes"),
    ("wake_time", "wake-time", "time"),
    ("out_of_bed", "out-of-bed", "time"),
    ("quality", "sleep-quality", "integer"),
    ("daytime_sleepiness", "daytime-sleepiness", "boolean"),
)

# Known exposures: name -> (concept, kind, observation category).
_EXPOSURES = {
    "caffeine_mg": ("caffeine", "mg", "social-history"),
    "caffeine_last": ("caffeine-last", "time", "social-history"),
    "alcohol_drinks": ("alcohol", "drinks", "social-history"),
    "nicotine": ("nicotine", "boolean", "social-history"),
    "exercise_min": ("exercise", "minutes", "activity"),
    "exercise_end": ("exercise-end", "time", "activity"),
    "stress": ("stress", "integer", "survey"),
    "screens_min": ("screens", "minutes", "activity"),
    "magnesium": ("magnesium", "boolean", "survey"),
    "medications": ("medication", "texts", "survey"),
}
_UNITS = {  # kind -> (UCUM code, human unit)
    "minutes": ("min", "min"),
    "seconds": ("s", "s"),
    "mg": ("mg", "mg"),
    "drinks": ("{drink}", "standard drink"),
    "percent": ("%", "%"),
    "number": ("1", "1"),
}
_CATEGORY_DISPLAY = {"survey": "Survey", "activity": "Activity",
                     "social-history": "Social History"}
_NOON = dt.time(12, 0)


# -- small builders ------------------------------------------------------------------------------
def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _concept(code: str) -> dict[str, Any]:
    codings = [_coding(JOURNAL_SYSTEM, code, _CONCEPTS[code])]
    if code in _LOINC:
        codings.append(_coding(LOINC, *_LOINC[code]))
    return {"coding": codings, "text": _CONCEPTS[code]}


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [_coding(CATEGORY_SYSTEM, code, _CATEGORY_DISPLAY[code])]}]


def _words(code: str) -> str:
    return code.replace("_", " ")


def _quantity(value: float, kind: str) -> dict[str, Any]:
    code, unit = _UNITS[kind]
    number = int(value) if float(value).is_integer() else float(value)
    return {"value": number, "unit": unit, "system": UCUM, "code": code}


def _coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [_coding(system, code, _words(code))], "text": _words(code)}


def _body_site(part: str) -> dict[str, Any]:
    codings = [_coding(SNOMED, *_BODY_SITES[part])] if part in _BODY_SITES else []
    codings.append(_coding(INTAKE_SYSTEM, part, _words(part)))
    return {"coding": codings, "text": _words(part)}


def _present(value: Any) -> bool:
    """Recorded: not missing, not null, not an empty text or list."""
    return value is not None and value != "" and value != []


# -- clock times ---------------------------------------------------------------------------------
def _zone(tz: str | dt.tzinfo) -> dt.tzinfo:
    if isinstance(tz, dt.tzinfo):
        return tz
    if isinstance(tz, str) and tz.upper() in ("UTC", "Z"):
        return dt.UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"Invalid value for 'tz': {tz!r} is not a time zone; give an IANA "
                         "name such as 'Europe/Berlin' or 'UTC', or a tzinfo.") from None


def _clock(hhmm: str) -> dt.time:
    hour, minute = hhmm.split(":")
    return dt.time(int(hour), int(minute))


def _in_window(date: dt.date, hhmm: str) -> dt.datetime:
    """Place a clock time in the night of ``date``: 12:00 on the date to 12:00 the next day."""
    time = _clock(hhmm)
    return dt.datetime.combine(date if time >= _NOON else date + dt.timedelta(days=1), time)


def _first_after(anchor: dt.datetime, hhmm: str) -> dt.datetime:
    candidate = dt.datetime.combine(anchor.date(), _clock(hhmm))
    return candidate if candidate >= anchor else candidate + dt.timedelta(days=1)


def _night_times(night: Mapping[str, Any]) -> dict[str, dt.datetime]:
    """The night's clock times as moments, by the rules of docs/journal-format.md."""
    date = dt.date.fromisoformat(night["date"])
    times = {name: _in_window(date, night[name]) for name in ("bedtime", "lights_out")
             if _present(night.get(name))}
    anchor = times.get("lights_out", times.get("bedtime"))
    for name in ("wake_time", "out_of_bed"):
        if _present(night.get(name)):
            times[name] = (_first_after(anchor, night[name]) if anchor is not None
                           else _in_window(date, night[name]))
    return times


def _minutes(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 60.0


def _derived(night: Mapping[str, Any], times: Mapping[str, dt.datetime]) -> dict[str, float]:
    """Time in bed and total sleep time (minutes) and sleep efficiency (%), where known."""
    out: dict[str, float] = {}
    start = times.get("bedtime", times.get("lights_out"))
    end = times.get("out_of_bed", times.get("wake_time"))
    if start is not None and end is not None:
        out["time-in-bed"] = _minutes(start, end)
    latency, awake = night.get("sleep_latency_min"), night.get("awake_min")
    if "lights_out" in times and "wake_time" in times and _present(latency) and _present(awake):
        tst = _minutes(times["lights_out"], times["wake_time"]) - latency - awake
        if tst >= 0:
            out["total-sleep-time"] = round(tst, 2)
        else:
            logger.debug("night %s: total sleep time comes out negative; not exported",
                         night["date"])
    if out.get("time-in-bed") and "total-sleep-time" in out:
        out["sleep-efficiency"] = round(100.0 * out["total-sleep-time"] / out["time-in-bed"], 1)
    return out


# -- the journal ---------------------------------------------------------------------------------
class _Export:
    """One journal export in progress: the person, the time zone and the entries so far."""

    def __init__(self, patient_uuid: str, zone: dt.tzinfo):
        self.patient_uuid = patient_uuid
        self.zone = zone
        self.entries: list[dict[str, Any]] = []

    def stamp(self, moment: dt.datetime) -> str:
        return moment.replace(tzinfo=self.zone).isoformat(timespec="seconds")

    def add(self, resource: dict[str, Any], at: int | None = None) -> str:
        entry = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        if at is None:
            self.entries.append(entry)
        else:
            self.entries[at] = entry
        return entry["fullUrl"]

    def observation(self, key: str, code: dict[str, Any], category: str,
                    **fields: Any) -> dict[str, Any]:
        obs = {"resourceType": "Observation", "id": _uuid(self.patient_uuid, key),
               "status": "final", "category": _category(category), "code": code,
               "subject": {"reference": f"urn:uuid:{self.patient_uuid}"}}
        obs.update({k: v for k, v in fields.items() if v is not None and v != []})
        return obs

    def night(self, night: Mapping[str, Any]) -> None:
        key = f"night/{night['date']}"
        times = _night_times(night)
        components = []
        for name, concept, kind in _NIGHT_ITEMS:
            value = night.get(name)
            if not _present(value):
                continue
            if kind == "time":
                typed = {"valueDateTime": self.stamp(times[name])}
            elif kind == "minutes":
                typed = {"valueQuantity": _quantity(value, "minutes")}
            elif kind == "integer":
                typed = {"valueInteger": int(value)}
            else:
                typed = {"valueBoolean": value}
            components.append({"code": _concept(concept), **typed})
        for concept, value in _derived(night, times).items():
            unit = "percent" if concept == "sleep-efficiency" else "minutes"
            components.append({"code": _concept(concept),
                               "valueQuantity": _quantity(value, unit)})

        start = times.get("bedtime", times.get("lights_out"))
        end = times.get("out_of_bed", times.get("wake_time"))
        if start is None and end is None:
            effective = {"effectiveDateTime": night["date"]}
        else:
            effective = {"effectivePeriod": {
                k: self.stamp(v) for k, v in (("start", start), ("end", end)) if v is not None}}

        at = len(self.entries)
        self.entries.append({})  # the night goes before its members; filled in below
        date = dt.date.fromisoformat(night["date"])
        members = [self.episode(episode, date, f"{key}/episode/{i}")
                   for i, episode in enumerate(night.get("episodes") or ())]
        for name, value in (night.get("exposures") or {}).items():
            members += self.exposure(name, value, date, f"{key}/exposure/{name}")
        self.add(self.observation(
            key, _concept("night"), "survey", **effective, component=components,
            note=[{"text": night["note"]}] if _present(night.get("note")) else None,
            hasMember=[{"reference": ref} for ref in members]), at=at)

    def episode(self, episode: Mapping[str, Any], date: dt.date, key: str) -> str:
        sites = [_body_site(part) for part in episode.get("body_parts") or ()]
        components = [{"code": _concept("body-site"), "valueCodeableConcept": s} for s in sites]
        if _present(episode.get("intensity")):
            components.append({"code": _concept("intensity"),
                               "valueInteger": int(episode["intensity"])})
        for name in ("woke", "pain", "spreading"):
            if _present(episode.get(name)):
                components.append({"code": _concept(name), "valueBoolean": episode[name]})
        if _present(episode.get("observed_by")):
            components.append({"code": _concept("observed-by"),
                               "valueCodeableConcept": _coded(OBSERVER_SYSTEM,
                                                              episode["observed_by"])})
        for name in ("state", "pattern"):
            if _present(episode.get(name)):
                components.append({"code": _concept(name),
                                   "valueCodeableConcept": _coded(INTAKE_SYSTEM, episode[name])})
        if _present(episode.get("interval_seconds")):
            components.append({"code": _concept("interval"), "valueQuantity": _quantity(
                episode["interval_seconds"], "seconds")})

        if _present(episode.get("time")):
            effective = {"effectiveDateTime": self.stamp(_in_window(date, episode["time"]))}
        else:  # "during the night", time not known: the whole night window
            noon = dt.datetime.combine(date, _NOON)
            effective = {"effectivePeriod": {
                "start": self.stamp(noon), "end": self.stamp(noon + dt.timedelta(days=1))}}
        return self.add(self.observation(
            key, _concept("twitch-episode"), "survey", **effective,
            bodySite=sites[0] if len(sites) == 1 else None, component=components,
            note=[{"text": episode["note"]}] if _present(episode.get("note")) else None))

    def exposure(self, name: str, value: Any, date: dt.date, key: str) -> list[str]:
        if not _present(value):
            return []
        day = {"effectiveDateTime": date.isoformat()}  # the exposures are of that day
        if name not in _EXPOSURES:  # a custom factor of the user's
            code = _coded(CUSTOM_FACTOR_SYSTEM, name)
            typed = ({"valueBoolean": value} if isinstance(value, bool)
                     else {"valueQuantity": _quantity(value, "number")})
            return [self.add(self.observation(key, code, "survey", **day, **typed))]
        concept, kind, category = _EXPOSURES[name]
        if kind == "texts":
            return [self.add(self.observation(f"{key}/{i}", _concept(concept), category, **day,
                                              valueCodeableConcept={"text": item}))
                    for i, item in enumerate(value) if _present(item)]
        if kind == "boolean":
            typed = {"valueBoolean": value}
        elif kind == "time":
            typed = {"valueDateTime": self.stamp(_in_window(date, value))}
        elif kind == "integer":
            typed = {"valueInteger": int(value)}
        else:
            typed = {"valueQuantity": _quantity(value, kind)}
        return [self.add(self.observation(key, _concept(concept), category, **day, **typed))]


def journal_to_fhir(document: Mapping[str, Any], *, patient_id: str | None = None,
                    tz: str | dt.tzinfo = "UTC") -> dict[str, Any]:
    """Export a journal exchange document as a FHIR R4 ``Bundle`` of type ``collection``.

    Parameters
    ----------
    document : dict
        A ``sleeptwitch-journal/1`` exchange document (docs/journal-format.md); it is validated
        first.
    patient_id : str, optional
        A stable id for the person. A UUID is used as the Patient's id as it is; any other text
        is hashed into one. Default: derived from the person's name and birth date.
    tz : str or tzinfo
        The time zone the journal's clock times were written in (FHIR needs an offset on every
        time of day): an IANA name such as ``"Europe/Berlin"``, or a tzinfo. Default ``"UTC"``.

    Returns
    -------
    dict
        The Bundle: the Patient first, then per night (by date) its Observation followed by one
        per episode and one per recorded exposure, which the night lists in ``hasMember``.
        Every entry has a ``urn:uuid:`` fullUrl; references resolve inside the bundle.

    Raises
    ------
    JournalError
        For a document that is not a valid journal, naming the first bad entry by its path
        (``nights[3].bedtime``).
    """
    from ._document import validate_document

    zone = _zone(tz)
    document = validate_document(document)
    person = document["person"]
    if patient_id is not None:
        try:
            patient_uuid = str(uuid.UUID(str(patient_id)))
        except ValueError:
            patient_uuid = _uuid("patient", str(patient_id))
    else:
        patient_uuid = _uuid("person", str(person.get("name")), str(person.get("birth_date")))

    patient: dict[str, Any] = {"resourceType": "Patient", "id": patient_uuid}
    if _present(person.get("name")):
        patient["name"] = [{"text": person["name"]}]
    if _present(person.get("birth_date")):
        patient["birthDate"] = person["birth_date"]

    export = _Export(patient_uuid, zone)
    export.add(patient)
    for night in document["nights"]:
        export.night(night)
    return {"resourceType": "Bundle", "id": _uuid(patient_uuid, "bundle", _digest(document)),
            "type": "collection", "entry": export.entries}


# -- the assessment ------------------------------------------------------------------------------
_GROUPS = ("lifestyle", "workup")  # intake fields that are objects: QuestionnaireResponse groups


def _answer(field: str, value: Any) -> dict[str, Any]:
    from sleeptwitch.triage import VOCABULARIES

    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int | float):
        return {"valueDecimal": value}
    if isinstance(value, str) and field in VOCABULARIES:
        return {"valueCoding": _coding(INTAKE_SYSTEM, value, _words(value))}
    return {"valueString": str(value)}


def _intake_items(given: Mapping[str, Any], fields: Sequence[str],
                  prefix: str = "") -> list[dict[str, Any]]:
    from sleeptwitch.triage import intake_fields

    items = []
    for name in fields:
        value = given.get(name)
        link = prefix + name
        if not prefix and name in _GROUPS:
            if isinstance(value, Mapping):
                sub = _intake_items(value, [f.split(".", 1)[1] for f in intake_fields()
                                            if f.startswith(f"{name}.")], f"{name}.")
                if sub:
                    items.append({"linkId": link, "item": sub})
            continue
        values = list(value) if isinstance(value, list | tuple) else [value]
        answers = [_answer(link, v) for v in values if v is not None]
        if answers:
            items.append({"linkId": link, "answer": answers})
    return items


def _outcome(result: Mapping[str, Any], subject: Mapping[str, Any] | None) -> dict[str, Any]:
    """The assessment's outcome as an Observation derived from the QuestionnaireResponse."""
    level = str(result["triage"])
    summary = result.get("summary") or {}
    value = {"coding": [_coding(TRIAGE_SYSTEM, level, _words(level))]}
    if summary.get("level_text"):
        value["text"] = summary["level_text"]
    components = []
    for cond in result.get("conditions") or ():
        code = {"coding": [_coding(CONDITION_SYSTEM, cond["id"], cond.get("name"))]}
        if cond.get("icd10cm"):
            code["coding"].append(_coding(ICD10CM, cond["icd10cm"]))
        if cond.get("name"):
            code["text"] = cond["name"]
        likelihood = str(cond.get("likelihood"))
        components.append({"code": code, "valueCodeableConcept": {
            "coding": [_coding(LIKELIHOOD_SYSTEM, likelihood, likelihood)]}})
    for flag in result.get("red_flags") or ():
        components.append({
            "code": {"coding": [_coding(ASSESSMENT_SYSTEM, "red-flag", "Red flag present")]},
            "valueCodeableConcept": {
                "coding": [_coding(RED_FLAG_SYSTEM, flag["id"], flag.get("name"))],
                **({"text": flag["name"]} if flag.get("name") else {})}})
    notes = [{"text": summary[key]} for key in ("provisional_text", "fallback_text")
             if summary.get(key)]
    obs: dict[str, Any] = {
        "resourceType": "Observation", "id": "outcome",
        # Provisional: unanswered questions could still raise the level.
        "status": "preliminary" if result.get("provisional") else "final",
        "category": _category("survey"),
        "code": {"coding": [_coding(ASSESSMENT_SYSTEM, "triage-outcome",
                                    "sleeptwitch assessment outcome")],
                 "text": "sleeptwitch assessment outcome"},
    }
    if subject:
        obs["subject"] = dict(subject)
    obs["derivedFrom"] = [{"reference": "#"}]  # the QuestionnaireResponse that contains it
    obs["method"] = {"text": f"sleeptwitch assessment, knowledge "
                             f"{result.get('knowledge_version', 'unknown')}"}
    obs["valueCodeableConcept"] = value
    if components:
        obs["component"] = components
    if notes:
        obs["note"] = notes
    return obs


def assessment_to_fhir(assessment: Any, intake: Any = None, *,
                       subject: str | None = None) -> dict[str, Any]:
    """Export an assessment as a FHIR R4 ``QuestionnaireResponse``.

    The answered intake fields are the response's ``item``s (linkId = field name; ``lifestyle``
    and ``workup`` are groups whose items are ``lifestyle.late_caffeine`` ...). A field not
    known is absent. The outcome (triage level, conditions with ICD-10-CM codes where the
    knowledge has them, red flags present) is an Observation contained in the response as
    ``#outcome`` and ``derivedFrom`` it, the way SDC extracts observations from a response.

    Parameters
    ----------
    assessment : Assessment or dict
        What :func:`sleeptwitch.triage.assess` returned, or its ``to_dict()``.
    intake : Intake or dict, optional
        The findings the assessment was made from. Default: the ones the assessment carries.
    subject : str, optional
        A reference to the person (``"Patient/123"``, ``"urn:uuid:..."``).

    Returns
    -------
    dict
        The QuestionnaireResponse, status ``completed``, for the questionnaire
        :data:`INTAKE_QUESTIONNAIRE`. Its id is derived from the intake and the knowledge
        version, so the same assessment exports identically.
    """
    from sleeptwitch.triage import Intake, parse_intake

    result = assessment.to_dict() if hasattr(assessment, "to_dict") else assessment
    if not isinstance(result, Mapping) or "triage" not in result:
        raise ValueError("expected an Assessment (from sleeptwitch.triage.assess) or its "
                         f"to_dict(), got {type(assessment).__name__}")
    given = parse_intake(intake).given() if intake is not None else dict(
        result.get("intake") or {})
    ref = {"reference": subject} if subject else None
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": _uuid("assessment", _digest({"intake": given,
                                           "knowledge": result.get("knowledge_version")})),
        "contained": [_outcome(result, ref)],
        "questionnaire": INTAKE_QUESTIONNAIRE,
        "status": "completed",
    }
    if ref:
        response["subject"] = ref
    items = _intake_items(given, list(Intake.model_fields))
    if items:
        response["item"] = items
    return response


def intake_from_fhir(response: Mapping[str, Any]) -> dict[str, Any]:
    """The intake answers of a QuestionnaireResponse made by :func:`assessment_to_fhir`.

    The inverse of the export: ``parse_intake(intake_from_fhir(qr))`` gives back the intake.
    """
    from typing import get_origin

    from sleeptwitch.triage import Intake

    lists = {name for name, info in Intake.model_fields.items()
             if any(get_origin(arg) is tuple for arg in getattr(info.annotation, "__args__", ()))}

    def read(items: Sequence[Mapping[str, Any]], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in items:
            name = str(item["linkId"]).removeprefix(prefix)
            if "item" in item:
                out[name] = read(item["item"], f"{name}.")
                continue
            values = []
            for answer in item.get("answer") or ():
                for key in ("valueBoolean", "valueDecimal", "valueInteger", "valueString"):
                    if key in answer:
                        values.append(answer[key])
                if "valueCoding" in answer:
                    values.append(answer["valueCoding"]["code"])
            if values:
                out[name] = values if prefix + name in lists else values[0]
        return out

    if response.get("resourceType") != "QuestionnaireResponse":
        raise ValueError("expected a QuestionnaireResponse, got "
                         f"{response.get('resourceType')!r}")
    return read(response.get("item") or (), "")
