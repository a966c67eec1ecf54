"""Documentation cannot drift: README commands exist, the code is lint-clean."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sleeptwitch.cli import app

ROOT = Path(__file__).resolve().parents[1]


_COMMAND_WORDS = {
    "schema", "intake", "knowledge", "assess", "conditions", "demo", "score", "compare",
    "journal", "night", "episode", "exposure", "list", "edit", "delete", "triggers", "stats",
    "report", "export", "import", "person", "add",
}


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    found = set()
    for line in re.findall(r"^sleeptwitch [^#\n]+", text, re.M):
        words = [w for w in line.split()[1:] if not w.startswith("-")]
        found.add(tuple(w for w in words[:3] if w in _COMMAND_WORDS))
    return sorted(found)


@pytest.mark.parametrize("words", _readme_commands())
def test_readme_commands_exist(words):
    res = CliRunner().invoke(app, [*words, "--help"])
    assert res.exit_code == 0, (words, res.output)


def test_quick_start_commands_are_in_ci():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    test_cmd = re.search(r'^(python3 -m pip install -e "\.\[test\]".*)$', readme, re.M).group(1)
    for part in test_cmd.split(" && "):
        assert part.split()[-1] in ci


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is in the [test] extra")
def test_code_is_lint_clean():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "benchmarks"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_intake_field_is_documented():
    from sleeptwitch.triage import intake_fields

    text = (ROOT / "docs" / "intake.md").read_text()
    missing = [f for f in intake_fields() if f"`{f}`" not in text]
    assert not missing, f"document these in docs/intake.md: {missing}"
