import pytest

from sleeptwitch.knowledge import load_knowledge


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge()
