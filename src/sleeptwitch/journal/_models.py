"""SQLAlchemy 2 models of the journal: people, nights, episodes, exposures, saved assessments.

Exposures are one row per factor (name + JSON value) so that custom factors need no schema change.
A column left NULL means "not recorded", never "no".
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "Person", "Night", "Episode", "Exposure", "SavedAssessment", "JSONText"]


class JSONText(TypeDecorator):
    """JSON stored as TEXT. SQLite gives a column declared ``JSON`` numeric affinity, so a value
    that is a bare number is kept as a REAL and comes back as SQLite rounds it
    (8.674098755396067e-308 returns as ...066e-308); TEXT keeps the JSON exactly as written."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else json.dumps(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else json.loads(value)


# A factor's value may be a bare number: exact as TEXT on SQLite, JSON elsewhere.
EXPOSURE_VALUE = JSON().with_variant(JSONText(), "sqlite")

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    nights: Mapped[list[Night]] = relationship(back_populates="person",
                                               cascade="all, delete-orphan",
                                               passive_deletes=True)


class Night(Base):
    __tablename__ = "night"
    __table_args__ = (
        UniqueConstraint("person_id", "date", name="uq_night_person_date"),
        CheckConstraint("quality BETWEEN 1 AND 5", name="quality_1_5"),
        CheckConstraint("sleep_latency_min >= 0", name="latency_nonnegative"),
        CheckConstraint("awakenings >= 0", name="awakenings_nonnegative"),
        CheckConstraint("awake_min >= 0", name="awake_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    bedtime: Mapped[str | None] = mapped_column(String(5))
    lights_out: Mapped[str | None] = mapped_column(String(5))
    sleep_latency_min: Mapped[float | None] = mapped_column(Float)
    awakenings: Mapped[int | None] = mapped_column(Integer)
    awake_min: Mapped[float | None] = mapped_column(Float)
    wake_time: Mapped[str | None] = mapped_column(String(5))
    out_of_bed: Mapped[str | None] = mapped_column(String(5))
    quality: Mapped[int | None] = mapped_column(Integer)
    daytime_sleepiness: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(),
                                                    onupdate=func.now())

    person: Mapped[Person] = relationship(back_populates="nights")
    episodes: Mapped[list[Episode]] = relationship(back_populates="night",
                                                   cascade="all, delete-orphan",
                                                   passive_deletes=True,
                                                   order_by="Episode.id")
    exposures: Mapped[list[Exposure]] = relationship(back_populates="night",
                                                     cascade="all, delete-orphan",
                                                     passive_deletes=True,
                                                     order_by="Exposure.name")


class Episode(Base):
    __tablename__ = "episode"
    __table_args__ = (
        CheckConstraint("intensity BETWEEN 1 AND 5", name="intensity_1_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    night_id: Mapped[int] = mapped_column(ForeignKey("night.id", ondelete="CASCADE"),
                                          index=True)
    time: Mapped[str | None] = mapped_column(String(5))
    state: Mapped[str | None] = mapped_column(String(20))
    body_parts: Mapped[list[str] | None] = mapped_column(JSON)
    intensity: Mapped[int | None] = mapped_column(Integer)
    woke: Mapped[bool | None] = mapped_column(Boolean)
    observed_by: Mapped[str | None] = mapped_column(String(20))
    pattern: Mapped[str | None] = mapped_column(String(20))
    interval_seconds: Mapped[float | None] = mapped_column(Float)
    pain: Mapped[bool | None] = mapped_column(Boolean)
    spreading: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    night: Mapped[Night] = relationship(back_populates="episodes")


class Exposure(Base):
    __tablename__ = "exposure"
    __table_args__ = (UniqueConstraint("night_id", "name", name="uq_exposure_night_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    night_id: Mapped[int] = mapped_column(ForeignKey("night.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[Any] = mapped_column(EXPOSURE_VALUE)

    night: Mapped[Night] = relationship(back_populates="exposures")


class SavedAssessment(Base):
    """An assessment made from the journal, kept so the doctor's report can show the latest."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    knowledge_version: Mapped[str] = mapped_column(String(80))
    intake: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
