"""`python -m sleeptwitch.knowledge [FOLDER]`: check a knowledge base and list its problems."""

import sys

from sleeptwitch.knowledge import check_knowledge, load_knowledge
from sleeptwitch.triage import intake_fields

root = sys.argv[1] if len(sys.argv) > 1 else None
knowledge = load_knowledge(root)
problems = check_knowledge(knowledge, fields=intake_fields())
for p in problems:
    print(p)
print(f"{len(problems)} problem(s) in {len(knowledge.raw)} files; version {knowledge.version}")
sys.exit(1 if problems else 0)
