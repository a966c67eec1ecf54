"""The intake: the findings an assessment takes (DESIGN.md "Intake").

Every field is optional except the age. A missing field means "not known", never "no".
Unknown fields and values are errors that name the field and list what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..vocabulary import (
    AUDIENCES,
    BODY_PARTS,
    EEG_PATTERNS,
    EEG_RESULTS,
    FAMILY_HISTORY,
    KNOWN_CONDITIONS,
    LEVELS,
    MEDICATIONS,
    OBSERVERS,
    PATTERNS,
    PROGRESSIONS,
    SCAN_RESULTS,
    SEIZURE_FEATURES,
    SENSATIONS,
    SIDES,
    SUBSTANCES,
    TIMING,
    option_message,
)

__all__ = ["Intake", "IntakeError", "parse_intake", "LEVELS", "AUDIENCES", "VOCABULARIES"]

Timing = Literal[TIMING]
BodyPart = Literal[BODY_PARTS]
Sensation = Literal[SENSATIONS]
KnownCondition = Literal[KNOWN_CONDITIONS]
Medication = Literal[MEDICATIONS]
Substance = Literal[SUBSTANCES]
FamilyHistory = Literal[FAMILY_HISTORY]
SeizureFeature = Literal[SEIZURE_FEATURES]
EegPattern = Literal[EEG_PATTERNS]

MAX_AGE_YEARS = 120


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Lifestyle(_Strict):
    """Lifestyle factors the articles name as triggers of sleep starts."""

    late_caffeine: bool | None = None
    late_exercise: bool | None = None
    high_stress: bool | None = None
    sleep_deprived: bool | None = None
    irregular_schedule: bool | None = None


class Workup(_Strict):
    """What tests have already shown (clinician-supplied)."""

    eeg: Literal[EEG_RESULTS] | None = None
    eeg_pattern: EegPattern | None = None
    eeg_during_event: bool | None = None
    plms_index: float | None = Field(default=None, ge=0, le=1000)
    ahi: float | None = Field(default=None, ge=0, le=300)
    labs_normal: bool | None = None
    ferritin_ug_l: float | None = Field(default=None, ge=0, le=100000)
    mri: Literal[SCAN_RESULTS] | None = None


class Intake(_Strict):
    """Findings about one person's movements. ``None`` always means "not known"."""

    age_months: float | None = Field(default=None, ge=0, le=MAX_AGE_YEARS * 12)
    age_years: float | None = Field(default=None, ge=0, le=MAX_AGE_YEARS)
    audience: Literal[AUDIENCES] | None = None
    observed_by: Literal[OBSERVERS] | None = None
    timing: tuple[Timing, ...] | None = None
    stops_when_woken: bool | None = None
    body_parts: tuple[BodyPart, ...] | None = None
    side: Literal[SIDES] | None = None
    pattern: Literal[PATTERNS] | None = None
    interval_seconds: float | None = Field(default=None, gt=0, le=86400)
    movement_duration_seconds: float | None = Field(default=None, gt=0, le=86400)
    episodes_per_night: float | None = Field(default=None, ge=0, le=10000)
    nights_per_week: float | None = Field(default=None, ge=0, le=7)
    all_night: bool | None = None
    events_per_hour: float | None = Field(default=None, ge=0, le=1000)
    duration_months: float | None = Field(default=None, ge=0, le=MAX_AGE_YEARS * 12)
    getting_worse: bool | None = None
    spreading: bool | None = None
    urge_to_move: bool | None = None
    urge_worse_at_rest: bool | None = None
    urge_relieved_by_moving: bool | None = None
    urge_worse_evening: bool | None = None
    sensations: tuple[Sensation, ...] | None = None
    premonitory_sensation: bool | None = None
    weakness: bool | None = None
    pain_after: bool | None = None
    disturbs_sleep: bool | None = None
    daytime_sleepiness: bool | None = None
    facial_involvement: bool | None = None
    eye_rolling_or_staring: bool | None = None
    impaired_awareness: bool | None = None
    stiffening_or_convulsion: bool | None = None
    confused_or_drowsy: bool | None = None
    fever: bool | None = None
    happening_now: bool | None = None
    episode_longer_than_5_min: bool | None = None
    repeated_without_recovery: bool | None = None
    recovered_fully: bool | None = None
    injury: bool | None = None
    breathing_difficulty: bool | None = None
    around_feeds: bool | None = None
    triggered_by_emotion: bool | None = None
    triggered_by_touch_or_sound: bool | None = None
    stops_when_limb_held: bool | None = None
    rocking_or_head_banging: bool | None = None
    teeth_grinding: bool | None = None
    snoring_or_breathing_pauses: bool | None = None
    developmental_concern: bool | None = None
    abnormal_neuro_exam: bool | None = None
    cognitive_decline: bool | None = None
    known_conditions: tuple[KnownCondition, ...] | None = None
    medications: tuple[Medication, ...] | None = None
    medication_changed_recently: bool | None = None
    substances: tuple[Substance, ...] | None = None
    lifestyle: Lifestyle | None = None
    eeg_abnormal: bool | None = None
    onset_age_months: float | None = Field(default=None, ge=0, le=MAX_AGE_YEARS * 12)
    episodes_per_day: float | None = Field(default=None, ge=0, le=10000)
    movements_per_cluster: float | None = Field(default=None, ge=0, le=10000)
    bout_duration_minutes: float | None = Field(default=None, gt=0, le=1440)
    progression: Literal[PROGRESSIONS] | None = None
    seizure_features: tuple[SeizureFeature, ...] | None = None
    dream_enactment: bool | None = None
    family_history: tuple[FamilyHistory, ...] | None = None
    workup: Workup | None = None

    @model_validator(mode="after")
    def _check_age(self) -> Intake:
        if (self.age_months is None) == (self.age_years is None):
            raise ValueError(
                "give exactly one of 'age_months' or 'age_years' (age in months for infants, "
                "e.g. age_months: 4; in years otherwise, e.g. age_years: 34)"
            )
        if self.onset_age_months is not None and self.onset_age_months > self.age_in_months + 1:
            raise ValueError(
                f"'onset_age_months' ({self.onset_age_months:g}) is later than the person's age "
                f"({self.age_in_months:g} months); the movements cannot begin after today"
            )
        return self

    @property
    def age_in_months(self) -> float:
        return self.age_months if self.age_months is not None else self.age_years * 12.0

    @property
    def resolved_audience(self) -> str:
        """The audience asked for, else ``parent`` for children under 16, ``patient`` otherwise."""
        if self.audience is not None:
            return self.audience
        return "parent" if self.age_in_months < 16 * 12 else "patient"

    def given(self) -> dict[str, Any]:
        """The fields that were answered, as plain JSON-able values."""
        return self.model_dump(mode="json", exclude_none=True)


VOCABULARIES: dict[str, tuple[str, ...]] = {}
#: Fields whose answer is a list of values (an empty list means "none of these").
LIST_FIELDS: set[str] = set()


def _collect_vocabularies() -> None:
    from typing import get_args

    def literal_values(annotation: Any) -> tuple[str, ...]:
        values: list[str] = []
        for arg in get_args(annotation):
            if getattr(arg, "__origin__", None) is Literal or str(arg).startswith("typing.Literal"):
                values.extend(get_args(arg))
            else:
                values.extend(literal_values(arg))
        return tuple(v for v in values if isinstance(v, str))

    for model, prefix in ((Intake, ""), (Lifestyle, "lifestyle."), (Workup, "workup.")):
        for name, info in model.model_fields.items():
            values = literal_values(info.annotation)
            if "tuple" in str(info.annotation):
                LIST_FIELDS.add(prefix + name)
            if values:
                VOCABULARIES[prefix + name] = values


_collect_vocabularies()


class IntakeError(ValueError):
    """An intake that cannot be assessed; the message names the field and what is allowed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Invalid intake:\n" + "\n".join(f"  - {p}" for p in problems))


def _field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _describe_error(err: Mapping[str, Any]) -> str:
    loc = [str(part) for part in err.get("loc", ())]
    # Drop tuple indices from the location for vocabulary lookup: body_parts.1 -> body_parts.
    path = ".".join(loc)
    key = ".".join(p for p in loc if not p.isdigit())
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "extra_forbidden":
        parent = Lifestyle if key.startswith("lifestyle.") else (
            Workup if key.startswith("workup.") else Intake)
        where = path.rsplit(".", 1)[0] if "." in path else "intake"
        return option_message(where, loc[-1], _field_names(parent), what="field name")
    if kind == "literal_error" and key in VOCABULARIES:
        return option_message(path, value, VOCABULARIES[key],
                              extra="For 'none of these' give an empty list []."
                              if key in LIST_FIELDS else "")
    if not loc:
        return str(err.get("msg", "invalid intake")).removeprefix("Value error, ")
    return f"invalid value {value!r} for '{path}': {err.get('msg', kind)}"


def parse_intake(data: Any) -> Intake:
    """Validate raw data (a mapping from JSON/YAML) into an :class:`Intake`.

    Raises
    ------
    IntakeError
        Naming every field that is unknown, of the wrong type or out of range.
    """
    if isinstance(data, Intake):
        return data
    if not isinstance(data, Mapping):
        raise IntakeError([
            f"the intake must be a mapping of field names to answers, got {type(data).__name__}"
        ])
    try:
        return Intake.model_validate(dict(data))
    except ValidationError as exc:
        raise IntakeError([_describe_error(e) for e in exc.errors()]) from None
