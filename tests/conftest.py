import os

import pytest
from hypothesis import settings

from sleeptwitch.knowledge import load_knowledge

# CI runs with a fixed seed so that a red run can be reproduced; locally, explore.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge()
