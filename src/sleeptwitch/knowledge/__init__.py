"""The knowledge base: conditions, red flags, rules, advice, triggers and citations as data."""

from ._check import check_knowledge, knowledge_schema
from ._load import DATA_DIR, KINDS, Knowledge, KnowledgeError, load_knowledge, thaw

__all__ = ["DATA_DIR", "KINDS", "Knowledge", "KnowledgeError", "check_knowledge", "thaw",
           "knowledge_schema", "load_knowledge"]
