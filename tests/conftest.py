import os
import tempfile

import pytest
from hypothesis import settings

from sleeptwitch.knowledge import load_knowledge

# Keep the knowledge cache of the test run out of the user's home.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="sleeptwitch-test-cache-")

# CI runs with a fixed seed so that a red run can be reproduced; locally, explore.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge()
