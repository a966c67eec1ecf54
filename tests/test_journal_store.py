"""The journal store on real databases (SQLite file and PostgreSQL server): migrations, round
trips, all-or-nothing imports, person scoping, concurrent writers and a crash mid-write."""

import json
import multiprocessing
import os
import stat
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select

from sleeptwitch.journal import Journal, JournalError, read_csv, validate_document
from sleeptwitch.journal._db import HEAD_REVISION
from sleeptwitch.journal._document import BODY_PARTS
from sleeptwitch.journal._exchange import to_csv_text
from sleeptwitch.journal._models import Base, Episode, Night

DOC = {
    "format": "sleeptwitch-journal/1",
    "person": {"name": "Sam", "birth_date": "1990-04-02"},
    "nights": [
        {"date": "2026-11-01", "bedtime": "23:10", "lights_out": "23:30",
         "sleep_latency_min": 20, "awakenings": 2, "awake_min": 15, "wake_time": "06:50",
         "out_of_bed": "07:05", "quality": 3, "daytime_sleepiness": True, "note": "late coding",
         "episodes": [
             {"time": "23:45", "state": "falling_asleep", "body_parts": ["legs", "feet"],
              "intensity": 3, "woke": True, "observed_by": "self", "pattern": "single_jerk",
              "note": "big one"},
             {"time": None, "body_parts": ["arms"], "observed_by": "partner",
              "pattern": "rhythmic", "interval_seconds": 25}],
         "exposures": {"caffeine_mg": 300, "caffeine_last": "16:30", "stress": 4,
                       "medications": ["melatonin"], "late_coding": True, "beers": 1.5}},
        {"date": "2026-11-02", "bedtime": "00:20", "quality": 4, "episodes": [],
         "exposures": {"caffeine_mg": 0, "nicotine": False}},
    ],
}


def _count(url, model):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar()
    finally:
        engine.dispose()


def test_migrations_reach_the_models(journal_url):
    """The Alembic head is the revision the code expects, and the migrated schema is exactly
    what the models describe (no drift between models and migrations)."""
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "sleeptwitch.journal:migrations")
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
    with Journal.open(journal_url) as journal, journal.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert context.get_current_revision() == HEAD_REVISION
        assert compare_metadata(context, Base.metadata) == []


def test_json_round_trip_loses_nothing(journal_url):
    with Journal.open(journal_url) as journal:
        counts = journal.import_document(DOC)
        assert counts == {"nights": 2, "episodes": 2, "exposures": 8, "replaced": 0}
        assert journal.document() == validate_document(DOC)
    # a second open of the same database sees the same journal
    with Journal.open(journal_url) as journal:
        assert journal.document("Sam") == validate_document(DOC)


EXTREME_VALUES = {"tiny": 8.674098755396067e-308, "sum": 0.1 + 0.2, "huge": 1.7976931348623157e308,
                  "big_int": 2**53 + 1, "negative": -1e-300, "zero": 0}


def test_exposure_values_come_back_exactly(journal_url):
    """Numbers at the edges of float64 (SQLite once kept bare numbers as REALs and rounded
    them) come back bit for bit, integers as integers."""
    with Journal.open(journal_url) as journal:
        journal.set_exposures("2026-11-01", EXTREME_VALUES)
        got = journal.night("2026-11-01")["exposures"]
    assert got == EXTREME_VALUES
    assert all(type(got[k]) is type(v) for k, v in EXTREME_VALUES.items())


def test_a_journal_made_by_the_first_schema_is_upgraded_without_loss(tmp_path):
    """A journal written at revision 0001 (exposure values in a JSON column) is migrated on
    open: its rows are all there, and new values are then kept exactly."""
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", "sleeptwitch.journal:migrations")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_initial")
        connection.exec_driver_sql("INSERT INTO person (id, name) VALUES (1, 'Sam')")
        connection.exec_driver_sql("INSERT INTO night (id, person_id, date) "
                                   "VALUES (1, 1, '2026-11-01')")
        connection.exec_driver_sql(
            "INSERT INTO exposure (night_id, name, value) VALUES "
            "(1, 'caffeine_mg', '300'), (1, 'beers', '1.5'), (1, 'medications', "
            "'[\"melatonin\"]'), (1, 'late_coding', 'true'), (1, 'caffeine_last', '\"16:30\"'),"
            "(1, 'sum', '0.30000000000000004'), (1, 'third', '0.3333333333333333'), "
            "(1, 'huge', '1.7976931348623157e+308'), (1, 'big_int', '9007199254740993')")
        # what revision 0001 did with bare numbers: kept them as SQLite REALs and INTEGERs
        assert dict(connection.exec_driver_sql(
            "SELECT name, typeof(value) FROM exposure WHERE name IN ('sum', 'big_int')").all()) \
            == {"sum": "real", "big_int": "integer"}
    engine.dispose()
    with Journal.open(url) as journal:
        with journal.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
                == HEAD_REVISION
        assert journal.night("2026-11-01", "Sam")["exposures"] == {
            "caffeine_mg": 300, "beers": 1.5, "medications": ["melatonin"],
            "late_coding": True, "caffeine_last": "16:30", "sum": 0.1 + 0.2, "third": 1 / 3,
            "huge": 1.7976931348623157e308, "big_int": 2**53 + 1}
        validate_document(journal.document("Sam"))   # still a valid journal to export
        journal.set_exposures("2026-11-01", {"tiny": EXTREME_VALUES["tiny"]}, "Sam")
        assert journal.night("2026-11-01", "Sam")["exposures"]["tiny"] == EXTREME_VALUES["tiny"]


def test_edit_and_delete(journal_url):
    with Journal.open(journal_url) as journal:
        journal.import_document(DOC)
        night = journal.night("2026-11-01")
        first = night["episodes"][0]["id"]
        journal.edit_episode(first, {"intensity": 5, "note": None})
        journal.record_night("2026-11-01", {"quality": 1, "note": None})
        journal.set_exposures("2026-11-01", {"stress": 2, "beers": None, "naps": 1})
        night = journal.night("2026-11-01")
        assert night["episodes"][0]["intensity"] == 5 and night["episodes"][0]["note"] is None
        assert night["quality"] == 1 and night["note"] is None
        assert night["exposures"]["stress"] == 2 and "beers" not in night["exposures"]
        assert night["exposures"]["naps"] == 1
        journal.delete_episode(first)
        assert len(journal.night("2026-11-01")["episodes"]) == 1
        journal.delete_night("2026-11-01")
        assert [n["date"] for n in journal.document()["nights"]] == ["2026-11-02"]
        with pytest.raises(JournalError, match="no night of 2026-11-01"):
            journal.delete_night("2026-11-01")
    # the night's episodes and exposures went with it (cascade on both backends)
    assert _count(journal_url, Episode) == 0


def test_import_is_all_or_nothing(journal_url):
    bad = json.loads(json.dumps(DOC))
    bad["nights"] += [{"date": f"2026-12-{d:02d}", "episodes": [{"time": "22:00"}]}
                      for d in range(1, 15)]
    bad["nights"][12]["episodes"][0]["time"] = "24:61"
    with Journal.open(journal_url) as journal:
        with pytest.raises(JournalError) as err:
            journal.import_document(bad)
        assert err.value.path == "nights[12].episodes[0].time"
        assert "HH:MM" in str(err.value)
        assert journal.people() == []
        # a conflict found inside the transaction also leaves nothing behind
        journal.import_document(DOC)
        clash = json.loads(json.dumps(DOC))
        clash["nights"].append({"date": "2026-11-03", "quality": 2})
        with pytest.raises(JournalError, match="already has the night of 2026-11-01 and 1 more"):
            journal.import_document(clash)
        assert len(journal.document()["nights"]) == 2
        assert journal.import_document(clash, replace=True)["replaced"] == 2
        assert len(journal.document()["nights"]) == 3
    assert _count(journal_url, Night) == 3


def test_people_are_kept_apart(journal_url):
    with Journal.open(journal_url) as journal:
        journal.import_document(DOC)
        journal.add_person("Mia", "2026-03-01")
        journal.add_episode("2026-11-01", {"time": "20:00", "body_parts": ["feet"]}, "Mia")
        sam_episode = journal.night("2026-11-01", "Sam")["episodes"][0]["id"]
        with pytest.raises(JournalError, match="several people"):
            journal.document()
        with pytest.raises(JournalError, match=f"no episode {sam_episode} in Mia's journal"):
            journal.edit_episode(sam_episode, {"intensity": 1}, "Mia")
        with pytest.raises(JournalError, match=f"no episode {sam_episode} in Mia's journal"):
            journal.delete_episode(sam_episode, "Mia")
        mia = journal.document("Mia")
        assert [len(n["episodes"]) for n in mia["nights"]] == [1]
        assert journal.document("Sam")["nights"][0]["episodes"][0]["intensity"] == 3
        with pytest.raises(JournalError, match="already a person called 'Mia'"):
            journal.add_person("Mia")
        with pytest.raises(JournalError, match="no person called 'Zed'"):
            journal.document("Zed")


@pytest.mark.parametrize("birth, message", [("2099-01-01", "in the future"),
                                            ("1850-01-01", "older than 120")])
def test_absurd_birth_dates_are_refused(sqlite_url, birth, message):
    with Journal.open(sqlite_url) as journal, pytest.raises(JournalError, match=message):
        journal.add_person("X", birth)


def test_sqlite_file_is_private(sqlite_url, tmp_path):
    Journal.open(sqlite_url).close()
    mode = stat.S_IMODE(os.stat(tmp_path / "journal.sqlite").st_mode)
    assert mode & 0o077 == 0, oct(mode)


def test_default_database_lives_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("SLEEPTWITCH_DATABASE_URL", raising=False)
    with Journal.open() as journal:
        journal.add_episode("2026-11-01", {"time": "23:00"})
    assert (tmp_path / "data" / "sleeptwitch" / "journal.sqlite").exists()


def test_unreachable_database_is_a_clear_error(tmp_path):
    with pytest.raises(JournalError, match="cannot open the journal database"):
        Journal.open("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(JournalError, match="not a database URL"):
        Journal.open("postgresql+psycopg://:::")


# Exchange files -----------------------------------------------------------------------------

clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
maybe = lambda s: st.none() | s  # noqa: E731
episodes = st.fixed_dictionaries({}, optional={
    "time": maybe(clock), "body_parts": maybe(st.lists(st.sampled_from(BODY_PARTS),
                                                       max_size=3, unique=True)),
    "intensity": maybe(st.integers(1, 5)), "woke": maybe(st.booleans()),
    "observed_by": maybe(st.sampled_from(["self", "partner", "parent", "other"])),
    "interval_seconds": maybe(st.floats(0.5, 120, allow_nan=False)),
    "note": maybe(st.text("abc ,;\"\n\u00e9", min_size=1, max_size=12).filter(str.strip)),
})
exposures = st.fixed_dictionaries({}, optional={
    "caffeine_mg": st.integers(0, 800) | st.floats(0, 800, allow_nan=False),
    "caffeine_last": clock, "nicotine": st.booleans(), "stress": st.integers(1, 5),
    "medications": st.lists(st.sampled_from(["melatonin", "iron", "sertraline"]),
                            max_size=2, unique=True),
    "late_coding": st.booleans(), "cups_of_tea": st.integers(0, 9) | st.floats(-5, 5),
})
nights = st.lists(st.fixed_dictionaries(
    {"date": st.dates().map(lambda d: d.isoformat()), "episodes": st.lists(episodes, max_size=3),
     "exposures": exposures},
    optional={"bedtime": maybe(clock), "sleep_latency_min": maybe(st.integers(0, 120)),
              "awakenings": maybe(st.integers(0, 9)), "quality": maybe(st.integers(1, 5)),
              "daytime_sleepiness": maybe(st.booleans())}),
    max_size=6, unique_by=lambda n: n["date"])


@given(nights=nights, person=st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_csv_round_trip_loses_nothing(nights, person):
    doc = {"format": "sleeptwitch-journal/1", "nights": nights}
    if person:
        doc["person"] = {"name": "Ann, \"A\"", "birth_date": "1980-02-29"}
    checked = validate_document(doc)
    assert read_csv("journal.csv", text=to_csv_text(checked)) == checked


@given(nights=nights)
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_database_round_trip_loses_nothing(nights, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('rt') / 'j.sqlite'}"
    doc = validate_document({"format": "sleeptwitch-journal/1", "nights": nights})
    with Journal.open(url) as journal:
        journal.import_document(doc)
        assert journal.document()["nights"] == doc["nights"]


def test_malformed_csv_names_line_and_column():
    checked = validate_document(DOC)
    text = to_csv_text(checked)
    lines = text.splitlines()
    episode_line = next(i for i, line in enumerate(lines, 1) if line.startswith("episode,"))
    broken = text.replace("legs;feet", "legs;feat")
    with pytest.raises(JournalError, match=rf"line {episode_line}, column body_parts: "
                                           r".*got 'feat'. Did you mean 'feet'"):
        read_csv("j.csv", text=broken)
    with pytest.raises(JournalError, match="column record: .*got 'nite'. Did you mean 'night'"):
        read_csv("j.csv", text=text.replace("\nnight,", "\nnite,", 1))
    with pytest.raises(JournalError, match="needs the columns 'record' and 'date'"):
        read_csv("j.csv", text="a,b\n1,2\n")


# Concurrency and crashes ---------------------------------------------------------------------

def _writer(url, worker, count):
    with Journal.open(url) as journal:
        for i in range(count):
            journal.add_episode("2026-11-01", {"time": "23:00", "intensity": 1 + i % 5,
                                               "note": f"w{worker}-{i}"})
            journal.set_exposures("2026-11-01", {f"factor_{worker}": i})


def test_concurrent_writers_lose_nothing(journal_url):
    workers, count = 4, 25
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_writer, args=(journal_url, w, count))
             for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with Journal.open(journal_url) as journal:
        doc = journal.document()
    assert len(doc["nights"]) == 1  # the same night was created once, not once per writer
    notes = sorted(e["note"] for e in doc["nights"][0]["episodes"])
    assert notes == sorted(f"w{w}-{i}" for w in range(workers) for i in range(count))
    assert doc["nights"][0]["exposures"] == {f"factor_{w}": count - 1 for w in range(workers)}


CRASHING_IMPORT = textwrap.dedent("""
    import json, os, signal, sys
    from sqlalchemy import event
    from sleeptwitch.journal import Journal
    journal = Journal.open(sys.argv[1])
    journal.import_document(json.load(open(sys.argv[2])))   # a first import that completes
    doc = json.load(open(sys.argv[3]))
    state = {"statements": 0}

    @event.listens_for(journal.engine, "after_execute")
    def crash(*args):
        state["statements"] += 1
        if state["statements"] == 4:  # nights inserted, episodes not yet: die mid-transaction
            os.kill(os.getpid(), signal.SIGKILL)

    journal.import_document(doc)
""")


def test_a_process_killed_mid_write_leaves_the_database_consistent(journal_url, tmp_path):
    first = tmp_path / "first.json"
    first.write_text(json.dumps(DOC))
    big = {"format": "sleeptwitch-journal/1", "person": {"name": "Sam"},
           "nights": [{"date": f"2027-{1 + i // 28:02d}-{1 + i % 28:02d}",
                       "episodes": [{"time": "23:00"}] * 3, "exposures": {"stress": 2}}
                      for i in range(300)]}
    second = tmp_path / "second.json"
    second.write_text(json.dumps(big))
    script = tmp_path / "crash.py"
    script.write_text(CRASHING_IMPORT)
    proc = subprocess.run([sys.executable, str(script), journal_url, str(first), str(second)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr  # really killed, not a clean failure
    with Journal.open(journal_url) as journal:
        assert journal.document("Sam") == validate_document(DOC)  # the first import intact
        journal.import_document(big)  # and the journal still takes writes
        assert len(journal.document("Sam")["nights"]) == 302
    if journal_url.startswith("sqlite"):
        engine = create_engine(journal_url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()
