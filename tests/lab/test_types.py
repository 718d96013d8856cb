import json
import math

import pytest

from physml.lab import Check, Result


@pytest.mark.parametrize(
    ("comparison", "measured", "expected", "tolerance", "passed"),
    [
        ("close", 1.0, 1.05, 0.1, True),
        ("close", 1.0, 1.2, 0.1, False),
        ("close", 1.0, 0.9, 0.1, True),
        ("at_least", 0.89, 0.88, 0.0, True),
        ("at_least", 0.87, 0.88, 0.0, False),
        ("at_least", 0.87, 0.88, 0.02, True),
        ("at_most", 0.5, 0.4, 0.0, False),
        ("at_most", 0.3, 0.4, 0.0, True),
        ("close", math.nan, 0.0, math.inf, False),
    ],
)
def test_check_passes_by_its_comparison(comparison, measured, expected, tolerance, passed):
    assert Check("c", measured, expected, 0.1, tolerance, comparison).passed is passed


def test_check_rejects_bad_fields():
    with pytest.raises(ValueError, match="comparison must be one of"):
        Check("c", 1, 1, comparison="roughly")
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        Check("c", 1, 1, tolerance=-1)
    with pytest.raises(TypeError, match="measured must be a real number"):
        Check("c", "abc", 1)


def test_check_pull():
    assert Check("c", 1.2, 1.0, uncertainty=0.1).pull == pytest.approx(2.0)
    assert math.isnan(Check("c", 1.2, 1.0).pull)


def _result(**kw):
    base = dict(name="x", claim="c", source="s", preset="quick", params={"a": 1}, seed=3)
    base.update(kw)
    return Result(**base)


def test_verdicts():
    assert _result().verdict == "not reproduced"  # no checks: nothing was shown
    assert _result(checks=[Check("a", 1, 1)]).verdict == "reproduced"
    assert _result(checks=[Check("a", 1, 1), Check("b", 1, 2)]).verdict == "not reproduced"
    assert _result(checks=[Check("a", 1, 1)], error="Traceback").verdict == "error"


def test_result_json_has_the_architecture_format(tmp_path):
    r = _result(checks=[Check("a", 1.5, 1.0, 0.2, 1.0)], metrics={"nan": math.nan, "arr": (1, 2)},
                figures=["f.png"], seconds=1.23456, versions={"python": "3.11"})
    data = json.loads(r.to_json())
    assert list(data) == ["name", "claim", "source", "preset", "params", "seed", "seconds", "versions",
                          "provenance", "checks", "metrics", "figures", "verdict"]
    assert set(data["checks"][0]) >= {"name", "measured", "uncertainty", "expected", "tolerance", "passed"}
    assert data["checks"][0]["passed"] is True
    assert data["verdict"] == "reproduced"
    assert data["metrics"] == {"nan": "nan", "arr": [1, 2]}
    path = tmp_path / "result.json"
    path.write_text(r.to_json())
    back = Result.load(path)
    assert back.to_dict() == r.to_dict()


def test_load_rejects_incomplete_results(tmp_path):
    path = tmp_path / "result.json"
    path.write_text('{"name": "x"}')
    with pytest.raises(ValueError, match="missing key"):
        Result.load(path)
    path.write_text('{"name": ')
    with pytest.raises(ValueError, match="not valid JSON"):
        Result.load(path)
