import os
import tempfile
import uuid

import pytest
from hypothesis import settings

from sleeptwitch.knowledge import load_knowledge

# Keep the knowledge cache and any default journal of the test run out of the user's home.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="sleeptwitch-test-cache-")
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="sleeptwitch-test-data-")
os.environ.pop("SLEEPTWITCH_DATABASE_URL", None)

POSTGRES_URL = os.environ.get("SLEEPTWITCH_TEST_POSTGRES_URL")

# CI runs with a fixed seed so that a red run can be reproduced; locally, explore.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge()


def _postgres_schema_url() -> str:
    """A fresh schema on the test server, so each test starts from an empty database."""
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request, tmp_path):
    """A journal database URL on each backend: a SQLite file, and a real PostgreSQL server
    (started by .ci/run; CI fails rather than skips when it is missing)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite'}"
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("SLEEPTWITCH_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL")
        pytest.skip("no PostgreSQL server: `source .ci/postgres.sh` starts one")
    return _postgres_schema_url()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'journal.sqlite'}"
