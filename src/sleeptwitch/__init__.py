"""sleeptwitch: is this twitching during sleep normal, or does it need a doctor?"""

from ._version import __version__

__all__ = ["__version__", "assess", "parse_intake", "load_knowledge"]


def __getattr__(name: str):
    # Keep `import sleeptwitch` light; load the heavier parts on first use.
    if name in ("assess", "parse_intake"):
        from . import triage

        return getattr(triage, name)
    if name == "load_knowledge":
        from .knowledge import load_knowledge

        return load_knowledge
    raise AttributeError(f"module 'sleeptwitch' has no attribute {name!r}")
