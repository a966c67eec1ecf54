"""The sleep journal: nights, twitch episodes and evening exposures; honest trigger statistics.

Storage is SQLAlchemy 2 with Alembic migrations (SQLite by default, PostgreSQL by URL). Everything
else works from the exchange document (``sleeptwitch-journal/1``, docs/journal-format.md).
Names are imported on first use so that ``import sleeptwitch.journal`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Journal": "._store",
    "DEFAULT_PERSON": "._store",
    "JournalError": "._document",
    "FORMAT": "._document",
    "validate_document": "._document",
    "resolve_url": "._db",
    "default_database_path": "._db",
    "read_csv": "._exchange",
    "write_csv": "._exchange",
    "read_journal_file": "._exchange",
    "write_journal_file": "._exchange",
    "analyse": "._analytics",
    "trigger_associations": "._analytics",
    "simulate_journal": "._simulate",
    "journal_to_fhir": "._fhir",
    "assessment_to_fhir": "._fhir",
    "intake_from_fhir": "._fhir",
    "journal_intake": "._patterns",
    "journal_patterns": "._patterns",
    "merge_intakes": "._patterns",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sleeptwitch.journal' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
