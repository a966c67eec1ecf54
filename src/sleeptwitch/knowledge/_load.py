"""Load the knowledge base: cited YAML files, one per item."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

__all__ = ["Knowledge", "KnowledgeError", "load_knowledge", "thaw", "DATA_DIR", "KINDS"]

logger = logging.getLogger("sleeptwitch")

DATA_DIR = Path(__file__).parent / "data"

#: folder name -> schema definition name
KINDS = {
    "conditions": "condition",
    "red_flags": "rule",
    "rules": "rule",
    "advice": "advice",
    "triggers": "trigger",
}

_SINGLES = ("citations", "questions", "messages", "engine")
_CACHE_FORMAT = 1

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(ValueError):
    """A knowledge file that cannot be read or does not follow the schema."""


def _read_yaml(path: Path) -> Any:
    try:
        with path.open("rb") as fh:
            return yaml.load(fh, Loader=_Loader)  # noqa: S506 - CSafeLoader/SafeLoader only
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot be read: {exc.strerror}") from None


@dataclass(frozen=True)
class Knowledge:
    """The loaded knowledge base. Items are plain mappings that follow the JSON Schema."""

    root: Path
    version: str
    citations: Mapping[str, Mapping[str, Any]]
    conditions: Mapping[str, Mapping[str, Any]]
    red_flags: Mapping[str, Mapping[str, Any]]
    rules: Mapping[str, Mapping[str, Any]]
    advice: Mapping[str, Mapping[str, Any]]
    triggers: Mapping[str, Mapping[str, Any]]
    questions: Mapping[str, Mapping[str, Any]]
    messages: Mapping[str, Mapping[str, Any]]
    engine: Mapping[str, Any]
    files: Mapping[str, Path] = field(repr=False)
    raw: Mapping[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        return (f"Knowledge(root={str(self.root)!r}, version={self.version!r}, "
                f"items={len(self.raw)})")

    def text(self, value: Any, audience: str) -> str:
        """Pick the wording for ``audience`` from a string or a per-audience mapping."""
        if type(value) is str:  # noqa: E721 - the common case, without an ABC check
            return value
        return value[audience] if isinstance(value, Mapping) else value

    def message(self, key: str, audience: str) -> str:
        return self.text(self.messages[key]["text"], audience)

    def rule(self, rule_id: str) -> Mapping[str, Any]:
        """A red flag, rule or trigger by id."""
        for table in (self.red_flags, self.rules, self.triggers):
            if rule_id in table:
                return table[rule_id]
        raise KeyError(rule_id)

    def item(self, item_id: str) -> Mapping[str, Any]:
        for table in (self.conditions, self.red_flags, self.rules, self.advice, self.triggers):
            if item_id in table:
                return table[item_id]
        raise KeyError(item_id)


def _freeze(value: Any) -> Any:
    """A read-only copy all the way down: mappings become read-only views of copies, lists
    become tuples, so a loaded item cannot be changed by the code that reads it."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable deep copy (dicts and lists) of frozen knowledge, e.g. for JSON output."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def load_knowledge(path: str | Path | None = None) -> Knowledge:
    """Load the knowledge base from ``path`` (default: the bundled one).

    The bundled knowledge is cached after the first load. Structure is checked lightly here
    (ids unique and matching file names); :func:`sleeptwitch.knowledge.check_knowledge` runs the
    full JSON Schema and reference checks.
    """
    root = Path(path) if path is not None else DATA_DIR
    if path is None:
        return _load_cached(str(root))
    return _load(root)


@functools.lru_cache(maxsize=4)
def _load_cached(root: str) -> Knowledge:
    return _load(Path(root))


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sleeptwitch"


def _listing(root: Path) -> list[Path]:
    files = [f for folder in KINDS for f in sorted((root / folder).glob("*.yaml"))]
    return files + [root / f"{name}.yaml" for name in _SINGLES]


def _load(root: Path) -> Knowledge:
    """Load from the YAML files, through a cache keyed by the files' names, sizes and mtimes.

    The cache holds only knowledge (never health data) and is rebuilt whenever a file changes;
    a cache that cannot be read or written is simply skipped.
    """
    if not root.is_dir():
        raise KnowledgeError(f"knowledge folder {root} does not exist")
    try:
        stamp = hashlib.sha256(repr([(str(f), f.stat().st_size, f.stat().st_mtime_ns)
                                     for f in _listing(root)]).encode()).hexdigest()[:20]
    except OSError:
        stamp = None
    cache = _cache_dir() / f"knowledge-{_CACHE_FORMAT}-{stamp}.pickle" if stamp else None
    if cache is not None and cache.is_file():
        try:
            with cache.open("rb") as fh:
                return _from_state(root, pickle.load(fh))
        except Exception:  # noqa: BLE001 - a bad cache is rebuilt, never trusted
            logger.debug("ignoring unreadable knowledge cache %s", cache)
    state = _read_state(root)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
        except OSError:
            logger.debug("knowledge cache not written to %s", cache)
    return _from_state(root, state)


def _read_state(root: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    files: dict[str, Path] = {}
    raw: dict[str, Any] = {}
    tables: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
    for folder in KINDS:
        for file in sorted((root / folder).glob("*.yaml")):
            data = _read_yaml(file)
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
            if not isinstance(data, dict) or "id" not in data:
                raise KnowledgeError(f"{file}: expected a mapping with an 'id'")
            item_id = data["id"]
            if item_id != file.stem:
                raise KnowledgeError(
                    f"{file}: id {item_id!r} must match the file name {file.stem!r}")
            if item_id in files:
                raise KnowledgeError(
                    f"{file}: duplicate id {item_id!r}, also defined in {files[item_id]}")
            files[item_id] = file
            raw[item_id] = data
            tables[folder][item_id] = data
    singles = {}
    for name in _SINGLES:
        file = root / f"{name}.yaml"
        singles[name] = _read_yaml(file)
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
        files[f"<{name}>"] = file
    return {"version_digest": digest.hexdigest()[:12], "files": files, "raw": raw,
            "tables": tables, "singles": singles}


def _from_state(root: Path, state: dict[str, Any]) -> Knowledge:
    singles, tables = state["singles"], state["tables"]
    engine = singles["engine"] or {}
    questions = {q["field"]: q for q in (singles["questions"] or {}).get("questions", [])}
    version = f"{engine.get('version', '0')}+{state['version_digest']}"
    logger.debug("loaded knowledge %s from %s (%d items)", version, root, len(state["raw"]))
    return Knowledge(
        root=root,
        version=version,
        citations=_freeze(singles["citations"] or {}),
        conditions=_freeze(tables["conditions"]),
        red_flags=_freeze(tables["red_flags"]),
        rules=_freeze(tables["rules"]),
        advice=_freeze(tables["advice"]),
        triggers=_freeze(tables["triggers"]),
        questions=_freeze(questions),
        messages=_freeze((singles["messages"] or {}).get("messages", {})),
        engine=_freeze(engine),
        files=_freeze(state["files"]),
        raw=_freeze({**state["raw"], **{f"<{k}>": v for k, v in singles.items()}}),
    )
