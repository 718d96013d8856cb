import re
from pathlib import Path

from physml.cli import catalogue_markdown
from physml.lab import list_experiments

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_catalogue_is_current():
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- catalogue:start -->\n(.*?)\n<!-- catalogue:end -->", text, re.S)
    assert match, "README lacks the catalogue markers"
    expected = catalogue_markdown(list_experiments())
    assert match.group(1) == expected, "regenerate with: physml list --markdown"
