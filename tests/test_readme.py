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


def test_citations_name_talks_not_file_paths():
    """A reader cannot find 'seeds/003': the package, the docs and the README cite talks by speaker,
    title and venue (docs/talks.md)."""
    root = Path(__file__).resolve().parents[1]
    paths = [root / "README.md", *(root / "docs").glob("*.md"), *(root / "src" / "physml").rglob("*.py")]
    hits = [f"{p.relative_to(root)}:{i}" for p in paths
            for i, line in enumerate(p.read_text().splitlines(), 1) if "seeds/" in line]
    assert not hits, hits
