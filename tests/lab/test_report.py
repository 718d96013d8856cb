"""The HTML report is tested by parsing it, as a browser would."""

import base64
from html.parser import HTMLParser

import pytest

from physml._core import format_measurement
from physml.lab import Check, Result, run_experiments, write_report


class Page(HTMLParser):
    """Collects the structure we check: tables, images, ids, text."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.images: list[dict] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "a":
            self.links.append(attrs.get("href", ""))
        if tag in ("script", "link") or (tag == "img" and not attrs.get("src", "").startswith("data:")):
            self.external.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture
def run_dir(tmp_path, temporary_experiments):
    @temporary_experiments("tmp-good", claim="Good <claim> & fine.", source="talk A", quick=dict(x=1.0),
                           full=dict(x=1.0))
    def good(ctx, x):
        ctx.check("value", 1.2346, 1.2, uncertainty=0.0123, tolerance=0.1)
        ctx.metric("count", 42)
        fig = ctx.new_figure()
        fig.add_subplot().plot([0, 1], [1, 0])
        ctx.figure(fig, "line")

    @temporary_experiments("tmp-bad", claim="Bad claim.", source="talk B")
    def bad(ctx):
        ctx.check("bound", 0.5, 0.9, uncertainty=0.01, comparison="at_least")

    run_experiments(["tmp-good", "tmp-bad"], tmp_path / "run")
    return tmp_path / "run"


def test_report_is_self_contained_and_complete(run_dir):
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    html = path.read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    assert html.startswith("<!DOCTYPE html>")
    assert page.external == []  # no scripts, stylesheets or images fetched from elsewhere
    summary = page.tables[0]
    assert summary[0] == ["Experiment", "Claim", "Source", "Verdict", "Time"]
    rows = {row[0]: row for row in summary[1:]}
    assert rows["tmp-good"][1] == "Good <claim> & fine." and rows["tmp-good"][3] == "reproduced"
    assert rows["tmp-bad"][3] == "not reproduced"
    assert {"tmp-good", "tmp-bad"} <= page.ids
    assert {"#tmp-good", "#tmp-bad"} <= set(page.links)
    checks = [t for t in page.tables if t and t[0][:3] == ["Check", "Measured", "Expected"]]
    assert len(checks) == 2
    flat = [row for t in checks for row in t[1:]]
    value = next(r for r in flat if r[0] == "value")
    assert value[1] == "1.235 ± 0.012" and value[2] == "≈ 1.2" and value[5] == "passed"
    bound = next(r for r in flat if r[0] == "bound")
    assert bound[2] == "≥ 0.9" and bound[5] == "failed"
    [img] = page.images
    data = base64.b64decode(img["src"].split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(page.text)
    assert "1 reproduced, 1 not reproduced, 0 error" in " ".join(text.split())
    assert any(row == ["count", "42"] for t in page.tables for row in t)
    assert any(row == ["x", "1"] for t in page.tables for row in t)
    assert "<claim>" not in html  # escaped


def test_report_marks_missing_figure(run_dir):
    (run_dir / "tmp-good" / "line.png").unlink()
    html = write_report(run_dir).read_text()
    assert "Figure line.png is missing" in html


def test_report_shows_errors(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    r = Result("x", "claim", "src", "quick", {}, 0, error="Traceback ...\nValueError: bad <input>")
    (folder / "result.json").write_text(r.to_json())
    html = write_report(tmp_path).read_text()
    assert "ValueError: bad &lt;input&gt;" in html and "v-error" in html


@pytest.mark.parametrize(
    ("m", "u", "text"),
    [
        (0.8912, 0.0031, "0.8912 ± 0.0031"),
        (1.2346, 0.0123, "1.235 ± 0.012"),
        (2.0, 0.0, "2"),
        (123456.0, 789.0, "123460 ± 790"),
        (1.5e-9, 2.5e-11, "(1.500 ± 0.025)e-09"),
        (float("nan"), 1.0, "nan"),
    ],
)
def test_measurement_formatting(m, u, text):
    assert format_measurement(m, u) == text


def test_check_formatting_in_console():
    from physml.lab import format_result

    r = Result("x", "c", "s", "quick", {}, 0, checks=[Check("acc", 0.9, 0.88, 0.003, 0, "at_least")])
    out = format_result(r)
    assert "0.9000 ± 0.0030" in out and "≥ 0.88" in out and "ok" in out


def test_long_values_fold_into_a_summary_with_the_whole_value(tmp_path):
    import json

    from physml.lab._format import LONG_VALUE, format_value

    table = [{"activation": a, "C_W": cw, "K": [0.5**i + cw for i in range(30)]} for a in ("tanh", "relu")
             for cw in (0.5, 1.0, 2.0)]
    metrics = {"configurations": table, "digest": "f" * 400, "short": [1, 2, 3]}
    r = Result("x", "claim", "src", "quick", {"n": 1, "names": ["layer"] * 50}, 0,
               checks=[Check("ok", 1.0, 1.0)], metrics=metrics)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "result.json").write_text(r.to_json())
    html = write_report(tmp_path).read_text()
    assert len(format_value(table)) > LONG_VALUE
    page = Page()
    page.feed(html)
    rows = {row[0]: row[1] for t in page.tables for row in t if len(row) == 2}
    assert rows["short"] == "[1, 2, 3]" and rows["n"] == "1"  # short values stay in full
    # the long ones: a summary that says how many items, then the whole value as JSON
    assert rows["configurations"].startswith("6 items: [activation: tanh, C_W: 0.5, K: [1.5, 1, 0.75")
    assert rows["digest"].startswith("400 characters: ffff") and rows["names"].startswith("50 items: [layer")
    blocks = html.split("<pre>")[1:]
    assert len(blocks) == 3
    import html as html_lib

    values = [json.loads(html_lib.unescape(b.split("</pre>")[0])) for b in blocks]
    assert values == [table, "f" * 400, ["layer"] * 50]
    assert html.count("<details>") == 3 and html.count('href="x/result.json"') == 3


@pytest.mark.parametrize(
    ("value", "summary"),
    [
        (3.5, None),
        ("a" * 120, None),
        (list(range(8)), None),
        ("word " * 40, "200 characters: word word word word word word word word word word word word …"),
        (list(range(100)), "100 items: [0, 1, 2, 3, 4, 5, 6, 7, …]"),  # shortened by format_value
        ({"a": [[1, 2]] * 9}, "1 entry: a: [" + "[1, 2], " * 8 + "…]"),
        ({f"key{i}": "v" * 20 for i in range(9)},
         "9 entries: key0: " + "v" * 20 + ", key1: " + "v" * 20 + ", key2 …"),
    ],
)
def test_value_summaries(value, summary):
    from physml.lab._format import summarize_value

    assert summarize_value(value) == summary
