"""The journal store: people, nights, episodes and exposures in a SQL database.

Every change is one short transaction, so a process killed mid-write leaves either the whole change
or none of it, and concurrent writers queue for the lock instead of losing entries. Reads and writes
are always scoped to one person: an episode id of another person is "not found".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ._db import open_engine
from ._document import (
    EPISODE_FIELDS,
    FORMAT,
    NIGHT_FIELDS,
    JournalError,
    check_birth_date,
    empty_document,
    parse_date,
    validate_document,
    validate_episode,
    validate_exposures,
)
from ._models import Episode, Exposure, Night, Person, SavedAssessment

__all__ = ["Journal", "DEFAULT_PERSON"]

DEFAULT_PERSON = "me"


def _as_date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(parse_date(value))


class Journal:
    """A handle on one journal database. Open with :meth:`open`; use as a context manager."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, database_url: str | None = None) -> Journal:
        return cls(open_engine(database_url))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # People ------------------------------------------------------------------------------------

    def people(self) -> list[dict[str, Any]]:
        with self._transaction() as session:
            rows = session.execute(select(Person.name, Person.birth_date).order_by(Person.name))
            return [{"name": n, "birth_date": b.isoformat() if b else None} for n, b in rows]

    def add_person(self, name: str, birth_date: str | None = None) -> dict[str, Any]:
        name = _person_name(name)
        born = None
        if birth_date is not None:
            birth_date = parse_date(birth_date, "birth_date")
            check_birth_date(birth_date)
            born = dt.date.fromisoformat(birth_date)
        try:
            with self._transaction() as session:
                session.add(Person(name=name, birth_date=born))
        except IntegrityError:
            raise JournalError(f"there is already a person called {name!r}; pick another name."
                               ) from None
        return {"name": name, "birth_date": birth_date}

    def set_birth_date(self, birth_date: str, person: str | None = None) -> None:
        birth_date = parse_date(birth_date, "birth_date")
        check_birth_date(birth_date)
        with self._transaction() as session:
            row = self._person(session, person)
            row.birth_date = dt.date.fromisoformat(birth_date)

    def _person(self, session: Session, name: str | None, *, create: bool = True) -> Person:
        if name is not None:
            row = session.scalar(select(Person).where(Person.name == name))
            if row is None:
                known = [n for (n,) in session.execute(select(Person.name))]
                raise JournalError(f"no person called {name!r} in this journal"
                                   + (f"; known: {', '.join(sorted(known))}." if known else
                                      f"; add them with: sleeptwitch journal person add {name!r}"))
            return row
        rows = session.scalars(select(Person).order_by(Person.id).limit(2)).all()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            known = [n for (n,) in session.execute(select(Person.name).order_by(Person.name))]
            raise JournalError("this journal has several people; say whose entry it is with "
                               f"--person (one of: {', '.join(known)}).")
        if not create:
            raise JournalError("the journal is empty: nothing has been logged yet.")
        session.execute(_insert(session, Person).values(name=DEFAULT_PERSON)
                        .on_conflict_do_nothing())
        return session.scalars(select(Person).where(Person.name == DEFAULT_PERSON)).one()

    def person(self, name: str | None = None) -> dict[str, Any]:
        with self._transaction() as session:
            row = self._person(session, name)
            return {"name": row.name,
                    "birth_date": row.birth_date.isoformat() if row.birth_date else None}

    # Nights ------------------------------------------------------------------------------------

    def _night(self, session: Session, person: Person, date: dt.date,
               *, create: bool) -> Night | None:
        query = select(Night).where(Night.person_id == person.id, Night.date == date)
        night = session.scalar(query)
        if night is None and create:
            # Another writer may create the same night between our read and our insert.
            session.execute(_insert(session, Night).values(person_id=person.id, date=date)
                            .on_conflict_do_nothing())
            night = session.scalar(query)
        return night

    def record_night(self, date: str | dt.date, fields: Mapping[str, Any],
                     person: str | None = None) -> dict[str, Any]:
        """Create or update one night; a field given as ``None`` is cleared."""
        day = _as_date(date)
        checked = _check_partial(fields, NIGHT_FIELDS, "night")
        with self._transaction() as session:
            row = self._person(session, person)
            night = self._night(session, row, day, create=True)
            for key, value in checked.items():
                setattr(night, key, value)
        return self.night(day, person)

    def night(self, date: str | dt.date, person: str | None = None) -> dict[str, Any]:
        day = _as_date(date)
        doc = self.document(person, start=day, end=day, ids=True)
        if not doc["nights"]:
            raise JournalError(f"there is no night of {day.isoformat()} in the journal.")
        return doc["nights"][0]

    def delete_night(self, date: str | dt.date, person: str | None = None) -> None:
        day = _as_date(date)
        with self._transaction() as session:
            row = self._person(session, person, create=False)
            night = self._night(session, row, day, create=False)
            if night is None:
                raise JournalError(f"there is no night of {day.isoformat()} to delete.")
            session.delete(night)

    # Episodes ----------------------------------------------------------------------------------

    def add_episode(self, date: str | dt.date, fields: Mapping[str, Any],
                    person: str | None = None) -> int:
        day = _as_date(date)
        episode = validate_episode(dict(fields))
        with self._transaction() as session:
            row = self._person(session, person)
            night = self._night(session, row, day, create=True)
            item = Episode(night_id=night.id, **episode)
            session.add(item)
            session.flush()
            return item.id

    def _episode(self, session: Session, episode_id: int, person: str | None) -> Episode:
        row = self._person(session, person, create=False)
        item = session.scalar(select(Episode).join(Night).where(Episode.id == episode_id,
                                                                Night.person_id == row.id))
        if item is None:
            raise JournalError(f"there is no episode {episode_id} in {row.name}'s journal; "
                               "see the ids with: sleeptwitch journal list")
        return item

    def edit_episode(self, episode_id: int, fields: Mapping[str, Any],
                     person: str | None = None) -> dict[str, Any]:
        checked = _check_partial(fields, EPISODE_FIELDS, "episode")
        with self._transaction() as session:
            item = self._episode(session, episode_id, person)
            for key, value in checked.items():
                setattr(item, key, value)
            return {"id": item.id, **{k: getattr(item, k) for k in EPISODE_FIELDS}}

    def delete_episode(self, episode_id: int, person: str | None = None) -> None:
        with self._transaction() as session:
            session.delete(self._episode(session, episode_id, person))

    # Exposures ---------------------------------------------------------------------------------

    def set_exposures(self, date: str | dt.date, values: Mapping[str, Any],
                      person: str | None = None) -> dict[str, Any]:
        """Record factors for the evening of ``date``; a factor given as ``None`` is removed."""
        day = _as_date(date)
        removed = [k for k, v in values.items() if v is None]
        checked = validate_exposures({k: v for k, v in values.items() if v is not None})
        with self._transaction() as session:
            row = self._person(session, person)
            night = self._night(session, row, day, create=True)
            if removed:
                session.execute(delete(Exposure).where(Exposure.night_id == night.id,
                                                       Exposure.name.in_(removed)))
            if checked:
                upsert = _insert(session, Exposure)
                session.execute(
                    upsert.on_conflict_do_update(index_elements=["night_id", "name"],
                                                 set_={"value": upsert.excluded.value}),
                    [{"night_id": night.id, "name": k, "value": v} for k, v in checked.items()])
        return self.night(day, person)["exposures"]

    # Documents ---------------------------------------------------------------------------------

    def document(self, person: str | None = None, *, start: str | dt.date | None = None,
                 end: str | dt.date | None = None, ids: bool = False) -> dict[str, Any]:
        """One person's journal as an exchange document (``sleeptwitch-journal/1``).

        ``ids=True`` adds each episode's database ``id`` (for listing and editing; not part of
        the exchange format).
        """
        with self._transaction() as session:
            if person is None and session.scalar(select(Person.id).limit(1)) is None:
                return empty_document(DEFAULT_PERSON)  # reading never creates anyone
            row = self._person(session, person)
            query = select(Night).where(Night.person_id == row.id).order_by(Night.date)
            if start is not None:
                query = query.where(Night.date >= _as_date(start))
            if end is not None:
                query = query.where(Night.date <= _as_date(end))
            nights = session.execute(query.with_only_columns(
                Night.id, Night.date, *(getattr(Night, f) for f in NIGHT_FIELDS))).all()
            night_ids = [n.id for n in nights]
            episodes: dict[int, list[dict[str, Any]]] = {}
            exposures: dict[int, dict[str, Any]] = {}
            for chunk in _chunks(night_ids, 5000):
                for item in session.execute(
                        select(Episode.night_id, Episode.id,
                               *(getattr(Episode, f) for f in EPISODE_FIELDS))
                        .where(Episode.night_id.in_(chunk)).order_by(Episode.id)):
                    entry = {f: getattr(item, f) for f in EPISODE_FIELDS}
                    if ids:
                        entry = {"id": item.id, **entry}
                    episodes.setdefault(item.night_id, []).append(entry)
                for night_id, name, value in session.execute(
                        select(Exposure.night_id, Exposure.name, Exposure.value)
                        .where(Exposure.night_id.in_(chunk)).order_by(Exposure.name)):
                    exposures.setdefault(night_id, {})[name] = value
            person_out = {"name": row.name,
                          "birth_date": row.birth_date.isoformat() if row.birth_date else None}
        out_nights = []
        for n in nights:
            night = {"date": n.date.isoformat(), **{f: getattr(n, f) for f in NIGHT_FIELDS}}
            night["episodes"] = episodes.get(n.id, [])
            night["exposures"] = exposures.get(n.id, {})
            out_nights.append(night)
        return {"format": FORMAT, "person": person_out, "nights": out_nights}

    def import_document(self, document: Any, person: str | None = None, *,
                        replace: bool = False) -> dict[str, int]:
        """Add a whole exchange document in one transaction: all of it or, on any error, nothing.

        A night already in the journal is an error unless ``replace`` is true, when the imported
        night replaces it (its episodes and exposures too).
        """
        doc = validate_document(document)
        name = person or doc["person"]["name"]
        with self._transaction() as session:
            if name is not None and session.scalar(
                    select(Person.id).where(Person.name == name)) is None:
                session.add(Person(name=_person_name(name)))
                session.flush()
            row = self._person(session, name)
            born = doc["person"]["birth_date"]
            if born is not None:
                if row.birth_date is None:
                    row.birth_date = dt.date.fromisoformat(born)
                elif row.birth_date.isoformat() != born:
                    raise JournalError(
                        f"the file gives {row.name}'s birth date as {born}, the journal has "
                        f"{row.birth_date.isoformat()}; correct one of them, or import with "
                        "--person to put the nights under another name.", "person.birth_date")
            dates = [dt.date.fromisoformat(n["date"]) for n in doc["nights"]]
            existing = set()
            for chunk in _chunks(dates, 5000):
                existing.update(session.scalars(select(Night.date).where(
                    Night.person_id == row.id, Night.date.in_(chunk))))
            if existing and not replace:
                first = min(existing)
                index = dates.index(first)
                more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
                raise JournalError(
                    f"{row.name}'s journal already has the night of {first.isoformat()}{more}; "
                    "import with --replace to overwrite those nights, or remove them from the "
                    "file.", f"nights[{index}].date")
            if existing:
                session.execute(delete(Night).where(Night.person_id == row.id,
                                                    Night.date.in_(sorted(existing))))
            counts = {"nights": 0, "episodes": 0, "exposures": 0, "replaced": len(existing)}
            if not dates:
                return counts
            ids = session.execute(insert(Night).returning(Night.id, Night.date), [
                {"person_id": row.id, "date": day,
                 **{f: n[f] for f in NIGHT_FIELDS}}
                for day, n in zip(dates, doc["nights"], strict=True)]).all()
            by_date = {d: i for i, d in ids}
            episode_rows = [{"night_id": by_date[day], **e}
                            for day, n in zip(dates, doc["nights"], strict=True)
                            for e in n["episodes"]]
            exposure_rows = [{"night_id": by_date[day], "name": k, "value": v}
                             for day, n in zip(dates, doc["nights"], strict=True)
                             for k, v in n["exposures"].items()]
            if episode_rows:
                session.execute(insert(Episode), episode_rows)
            if exposure_rows:
                session.execute(insert(Exposure), exposure_rows)
            counts.update(nights=len(ids), episodes=len(episode_rows),
                          exposures=len(exposure_rows))
        return counts

    # Assessments -------------------------------------------------------------------------------

    def save_assessment(self, result: Mapping[str, Any], intake: Mapping[str, Any],
                        person: str | None = None, *, when: dt.datetime | None = None) -> int:
        with self._transaction() as session:
            row = self._person(session, person)
            item = SavedAssessment(person_id=row.id, created_at=when or dt.datetime.now(),
                                   knowledge_version=str(result.get("knowledge_version", "")),
                                   intake=dict(intake), result=dict(result))
            session.add(item)
            session.flush()
            return item.id

    def latest_assessment(self, person: str | None = None) -> dict[str, Any] | None:
        with self._transaction() as session:
            row = self._person(session, person)
            item = session.scalar(select(SavedAssessment)
                                  .where(SavedAssessment.person_id == row.id)
                                  .order_by(SavedAssessment.created_at.desc(),
                                            SavedAssessment.id.desc()).limit(1))
            if item is None:
                return None
            return {"created_at": item.created_at.isoformat(timespec="minutes"),
                    "intake": item.intake, "result": item.result}

    def rename_person(self, old: str, new: str) -> None:
        with self._transaction() as session:
            row = self._person(session, old, create=False)
            try:
                session.execute(update(Person).where(Person.id == row.id)
                                .values(name=_person_name(new)))
                session.flush()
            except IntegrityError:
                raise JournalError(f"there is already a person called {new!r}.") from None


def _insert(session: Session, model: type):
    """The dialect's INSERT, which has ``on_conflict_do_nothing/update`` (SQLite, PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        raise JournalError(f"the journal supports SQLite and PostgreSQL, not {dialect}.")
    return dialect_insert(model)


def _person_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise JournalError("a person's name must be 1 to 80 characters.", "person.name")
    return name


def _check_partial(fields: Mapping[str, Any], checkers: Mapping[str, Any],
                   what: str) -> dict[str, Any]:
    out = {}
    for key, value in fields.items():
        if key not in checkers:
            allowed = ", ".join(checkers)
            raise JournalError(f"unknown {what} field {key!r}; allowed are {allowed}.", key)
        out[key] = checkers[key](value, key)
    return out


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]

