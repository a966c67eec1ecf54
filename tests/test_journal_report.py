"""The doctor's report of a journal: HTML and PDF from a simulated journal in a real SQLite
database, checked against numbers computed here, the knowledge's sentences and their sources."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from sleeptwitch.cli import app
from sleeptwitch.journal import Journal, analyse, simulate_journal
from sleeptwitch.report._journal_figures import (
    plot_episodes_per_night,
    plot_trigger_forest,
)
from sleeptwitch.report._journal_report import build_journal_report, write_journal_report
from sleeptwitch.triage import assess

START, END = "2026-01-03", "2026-03-05"   # the journal runs 2026-01-05 .. 2026-03-05
DELETED = ("2026-01-20", "2026-01-21", "2026-02-10")
INTAKE = {"age_years": 35, "weakness": True, "timing": ["asleep", "awake"],
          "audience": "clinician"}
PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A 60-night simulated journal (caffeine after noon doubles the rate) in a SQLite file,
    three nights deleted, an assessment with a red flag saved; the document read back."""
    folder = tmp_path_factory.mktemp("journal")
    url = f"sqlite:///{folder / 'j.sqlite'}"
    document = simulate_journal(60, effects={"caffeine_after_noon": 2.5}, seed=3)
    for night in document["nights"][40:43]:   # a pattern for the doctor: jerks while awake
        night["episodes"].append({"time": "19:30", "state": "awake", "body_parts": ["arms"],
                                  "woke": False, "observed_by": "self"})
    with Journal.open(url) as journal:
        journal.import_document(document)
        for day in DELETED:
            journal.delete_night(day)
        result = assess(INTAKE).to_dict()
        journal.save_assessment(result, INTAKE)
        document = journal.document(start=START, end=END)
        saved = journal.latest_assessment()
    return {"url": url, "folder": folder, "document": document, "saved": saved,
            "result": result}


@pytest.fixture(scope="module")
def written(stored, knowledge):
    report = build_journal_report(stored["document"], analyse(stored["document"]),
                                  stored["saved"], start=START, end=END, knowledge=knowledge)
    out = stored["folder"] / "out"
    html_path = write_journal_report(report, out / "report.html", charts_dir=out / "charts")
    pdf_path = write_journal_report(report, out / "report.pdf")
    return {"report": report, "html": html_path.read_text(encoding="utf-8"),
            "pdf": pdf_path, "out": out}


class _Page(HTMLParser):
    """Knowledge sentences (p.msg) and any other text outside charts, sources and the
    assessment's own texts."""

    VOID = {"meta", "br", "img", "hr", "link", "input"}
    SKIP = {"svg", "style", "title", "script"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, set[str]]] = []
        self.msgs: list[list[str]] = []
        self.other: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in self.VOID:
            return
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        self.stack.append((tag, classes))
        if tag == "p" and "msg" in classes:
            self.msgs.append([a["data-key"], ""])

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        tags = {t for t, _ in self.stack}
        classes = set().union(*(c for _, c in self.stack)) if self.stack else set()
        if tags & self.SKIP:
            return
        if "msg" in classes:
            if "text" in classes:
                self.msgs[-1][1] += data
            return
        if classes & {"atext", "sources", "refs"}:
            return
        if data.strip():
            self.other.append(data.strip())


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _expected(document: dict) -> dict:
    counts = [len(n["episodes"]) for n in document["nights"]]
    woke = sum(any(e["woke"] for e in n["episodes"]) for n in document["nights"])
    return {"nights": len(counts), "median": statistics.median(counts), "low": min(counts),
            "high": max(counts), "total": sum(counts), "woke": woke}


def test_html_shows_the_summary_computed_here(stored, written):
    doc = written["html"]
    e = _expected(stored["document"])
    assert e["nights"] == 60 - len(DELETED)
    text = html.unescape(doc)
    assert f"{e['nights']} of 62 " in text                    # 62 calendar nights in the period
    assert f"median {e['median']:g} (range {e['low']}–{e['high']})" in text
    assert f">{e['total']}<" in doc
    assert f"{e['woke']} of {e['nights']} nights ({100 * e['woke'] / e['nights']:.0f}%)" in text
    # the simulated effect is found and is the top association
    assert written["report"].associations[0]["name"] == "caffeine_after_noon"
    assert "caffeine after noon" in text
    # the assessment: level, red flag, its text
    red_flag = stored["result"]["red_flags"][0]
    assert red_flag["name"] in text and red_flag["text"] in text
    assert "Prompt evaluation" in text or "Urgent" in text


def test_html_is_self_contained_with_inline_svg(written):
    doc = written["html"]
    page = _parse(doc)
    assert page.tags.count("svg") == 4
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert not re.search(r'(src|href)="(https?:)?//', doc)
    assert "@import" not in doc and "url(http" not in doc
    ids = re.findall(r'\bid="([^"]+)"', doc)
    assert len(ids) == len(set(ids)), "ids of the inline SVGs must be unique in the page"
    assert "@media print" in doc


def test_every_sentence_comes_from_the_knowledge(written, knowledge, stored):
    report = written["report"]
    page = _parse(written["html"])
    shown = {key for key, _ in page.msgs}
    for key, text in page.msgs:
        assert text == knowledge.message(key, "clinician"), key
    expected = {"journal_goes_with_more", "journal_no_clear_link", "journal_not_enough_data",
                "journal_method", f"level_{stored['result']['triage']}", "not_reviewed_banner",
                "journal_patterns_found"}
    assert expected <= shown
    assert shown == set(report.messages)
    # Nothing else reads as a sentence: headings, labels, numbers and dates only.
    for text in page.other:
        assert not re.search(r"[.!?](\s|$)", text), text
    # each message's numbers point at the message's own references, and those are listed
    by_number = {c["number"]: c for c in report.citations}
    for key, entry in report.messages.items():
        refs = [r for r in knowledge.messages[key]["references"] if r in knowledge.citations]
        assert [by_number[n]["id"] for n in entry["refs"]] == refs, key
        for n in entry["refs"]:
            assert html.escape(by_number[n]["title"], quote=True) in written["html"]
    for ref in stored["result"]["red_flags"][0]["citations"]:
        assert html.escape(knowledge.citations[ref]["title"], quote=True) in written["html"]


def test_journal_patterns_in_the_assessment_are_said_so(written):
    report = written["report"]
    awake = [p for p in report.patterns if p["in_assessment"]]
    assert len(awake) == 1 and awake[0]["nights"] == 3, report.patterns
    assert report.assessment["patterns_found"]["key"] == "journal_patterns_found"


def test_pdf_is_a_real_pdf_with_the_summary(written, stored, knowledge):
    data = written["pdf"].read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", data)) >= 3
    if PDFTOTEXT is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is missing: .ci/run installs poppler-utils")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(written["pdf"]), "-"],
                         capture_output=True, text=True, check=True).stdout
    text = " ".join(out.split())
    pages = out.split("\f")
    e = _expected(stored["document"])
    first = " ".join(pages[0].split())
    assert "Simulated person" in first
    assert f"{e['nights']} of 62" in first
    assert f"median {e['median']:g} (range {e['low']}–{e['high']})" in first
    assert written["report"].assessment["level_label"] in first
    assert stored["result"]["red_flags"][0]["name"] in first
    assert "caffeine after noon" in first
    assert " ".join(knowledge.message("journal_method", "clinician").split()) in text
    for c in written["report"].citations:
        assert " ".join(c["title"].split()) in text, c["id"]


def test_charts_written_as_png_and_svg(written):
    charts = written["out"] / "charts"
    names = {"episodes_per_night", "timing", "triggers", "sleep"}
    assert {p.name for p in charts.iterdir()} == ({f"{n}.png" for n in names}
                                                  | {f"{n}.svg" for n in names})
    for name in names:
        assert (charts / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert "<svg" in (charts / f"{name}.svg").read_text(encoding="utf-8")[:2000]
    leftovers = [p for p in written["out"].rglob("*") if p.name.endswith(".tmp")]
    assert not leftovers


def test_empty_period_and_bad_suffix_are_clear_errors(stored, written, tmp_path):
    with Journal.open(stored["url"]) as journal:
        empty = journal.document(start="2030-01-01", end="2030-02-01")
    with pytest.raises(ValueError, match=re.escape(
            "no nights between 2030-01-01 and 2030-02-01; log nights with `sleeptwitch journal "
            "night` or widen --from/--to")):
        build_journal_report(empty, start="2030-01-01", end="2030-02-01")
    with pytest.raises(ValueError, match=r"must end in \.html or \.pdf"):
        write_journal_report(written["report"], tmp_path / "report.docx")
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match="allowed are 'parent', 'patient', 'clinician'"):
        build_journal_report(stored["document"], audience="doctor")
    with pytest.raises(ValueError, match="pass analyse"):
        build_journal_report(stored["document"], analyse(simulate_journal(20, seed=1)))


def test_patient_words_for_a_patient(stored, knowledge, tmp_path):
    report = build_journal_report(stored["document"], None, stored["saved"], audience="patient",
                                  start=START, end=END)
    path = write_journal_report(report, tmp_path / "r.html")
    page = _parse(path.read_text(encoding="utf-8"))
    assert page.msgs
    for key, text in page.msgs:
        assert text == knowledge.message(key, "patient"), key
    assert report.assessment["watch_for"]   # a patient sees the warning signs to watch for


def test_an_assessment_saved_in_patient_words_is_shown_in_the_reports_words(stored, knowledge,
                                                                           tmp_path):
    """Saved from `journal assess --audience patient`, shown in a clinician's report: assessed
    again from the saved intake in the clinician's words, with the same outcome. Under another
    knowledge version it is shown as saved, and the report says whose words those are."""
    patient_intake = {**INTAKE, "audience": "patient"}
    saved_for_patient = {"created_at": "2026-03-05T08:00:00", "intake": patient_intake,
                         "result": assess(patient_intake, knowledge).to_dict()}
    clinician = assess(INTAKE, knowledge).to_dict()
    patient_texts = [rf["text"] for rf in saved_for_patient["result"]["red_flags"]]
    clinician_texts = [rf["text"] for rf in clinician["red_flags"]]
    assert patient_texts != clinician_texts   # otherwise this test could not fail

    report = build_journal_report(stored["document"], None, saved_for_patient, start=START,
                                  end=END, knowledge=knowledge)
    view = report.assessment
    assert [rf["text"] for rf in view["red_flags"]] == clinician_texts
    assert view["audience"] == "clinician" and view["triage"] == clinician["triage"]
    text = write_journal_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "worded for clinician" in text

    older = json.loads(json.dumps(saved_for_patient))
    older["result"]["knowledge_version"] = "0.0.1-older"
    report = build_journal_report(stored["document"], None, older, start=START, end=END,
                                  knowledge=knowledge)
    assert [rf["text"] for rf in report.assessment["red_flags"]] == patient_texts
    text = write_journal_report(report, tmp_path / "r2.html").read_text(encoding="utf-8")
    assert "worded for patient" in text


def test_no_record_nights_differ_from_zero_nights(stored):
    from matplotlib.patches import Rectangle

    analysis = analyse(stored["document"])
    per_night = [dict(n) for n in analysis["per_night"]]
    per_night[5]["episodes"], per_night[5]["episodes_woke"] = None, None   # count not recorded
    per_night[6]["episodes"], per_night[6]["episodes_woke"] = 0, 0
    zero = sum(n["episodes"] == 0 for n in per_night)
    fig = plot_episodes_per_night(per_night, start=START, end=END)
    ax = fig.axes[0]
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert len(hatched) == 2 + len(DELETED) + 1      # two days before the journal starts
    markers = [ln for ln in ax.lines if ln.get_label() == "recorded 0"]
    assert len(markers) == 1 and len(markers[0].get_xdata()) == zero
    assert any(ln.get_label() == "rolling 7-night mean" for ln in ax.lines)


def test_forest_lists_factors_without_an_estimate_but_does_not_plot_them(stored):
    factors = analyse(stored["document"])["triggers"]["factors"]
    missing = [f for f in factors if f["verdict"] == "not_enough_data"]
    fig = plot_trigger_forest(factors)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(factors) - len(missing)
    assert ax.get_xscale() == "log"
    assert any(ln.get_xdata()[0] == 1.0 and ln.get_xdata()[1] == 1.0 for ln in ax.lines)
    if missing:
        assert "not enough data" in ax.get_xlabel()


def test_cli_report_end_to_end(stored, tmp_path):
    runner = CliRunner()
    base = ["journal", "--database-url", stored["url"], "report"]
    res = runner.invoke(app, [*base, "--from", START, "--to", END, "--out",
                              str(tmp_path / "r.pdf"), "--charts", str(tmp_path / "charts")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 4
    res = runner.invoke(app, [*base, "--out", str(tmp_path / "r.html"), "--audience", "parent"])
    assert res.exit_code == 0, res.output
    assert "<svg" in (tmp_path / "r.html").read_text(encoding="utf-8")
    res = runner.invoke(app, [*base, "--from", "2030-01-01", "--to", "2030-02-01", "--out",
                              str(tmp_path / "e.pdf")])
    assert res.exit_code == 2
    assert "no nights between 2030-01-01 and 2030-02-01" in res.output
    assert not (tmp_path / "e.pdf").exists()
    res = runner.invoke(app, [*base, "--out", str(tmp_path / "r.txt")])
    assert res.exit_code == 2 and ".pdf or .html" in res.output


@pytest.mark.slow
def test_ten_year_journal_report(tmp_path):
    """3,650 nights, about 20,000 episodes: both formats are written (weekly charts)."""
    document = simulate_journal(3650, seed=5, episodes_per_night=5.5)
    assert 18000 < sum(len(n["episodes"]) for n in document["nights"]) < 22000
    report = build_journal_report(document, analyse(document))
    doc = write_journal_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert doc.count("<svg") == 4 and "weekly mean" in doc
    assert write_journal_report(report, tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_benchmark_script_runs_small(tmp_path):
    """The speed benchmark's code path, on a short journal."""
    out = subprocess.run([sys.executable, "benchmarks/journal_report_speed.py", "--nights", "30",
                          "--json"], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["nights"] == 30 and result["report_s"] > 0 and result["ratio"] > 0
