"""The assessment engine: ``assess(intake) -> Assessment``, pure and deterministic."""

from ._intake import AUDIENCES, LEVELS, VOCABULARIES, Intake, IntakeError, parse_intake
from ._logic import evaluate

__all__ = ["AUDIENCES", "LEVELS", "VOCABULARIES", "Intake", "IntakeError", "evaluate",
           "intake_fields", "parse_intake"]


def intake_fields() -> dict[str, tuple[str, ...] | None]:
    """Every field an expression may read, with its allowed values (None: number or bool)."""
    from ._intake import Lifestyle, Workup

    out: dict[str, tuple[str, ...] | None] = {}
    for model, prefix in ((Intake, ""), (Lifestyle, "lifestyle."), (Workup, "workup.")):
        for name in model.model_fields:
            if name in ("lifestyle", "workup"):
                continue
            out[prefix + name] = VOCABULARIES.get(prefix + name)
    return out


from ._engine import Assessment, assess, facts_of  # noqa: E402

__all__ += ["Assessment", "assess", "facts_of"]

from ._evaluation import CaseReport, evaluate_cases  # noqa: E402

__all__ += ["CaseReport", "evaluate_cases"]

from ._interview import (  # noqa: E402
    AGE,
    AUDIENCE,
    MAX_QUESTIONS,
    AnswerError,
    InterviewStep,
    Question,
    age_unit_question,
    intake_of,
    merge_answer,
    next_step,
    parse_age,
    parse_answer,
    question_for,
)

__all__ += ["AGE", "AUDIENCE", "MAX_QUESTIONS", "AnswerError", "InterviewStep", "Question",
            "age_unit_question", "intake_of", "merge_answer", "next_step", "parse_age",
            "parse_answer", "question_for"]
