"""The Ising experiments (ising-exact, ising-critical, ising-slowing), run with their quick presets:
they reproduce their claims, and their checks fail when the physics does not hold."""

import json

import pytest

import physml.ebm
from physml.lab import ParameterError, run_experiments


def _run(tmp_path, name, **overrides):
    [result] = run_experiments([name], tmp_path, preset="quick", overrides=overrides)
    assert result.error is None, result.error
    return result


def _assert_reproduced(tmp_path, result):
    assert result.verdict == "reproduced", [c.to_dict() for c in result.checks]
    data = json.loads((tmp_path / result.name / "result.json").read_text())
    assert data["verdict"] == "reproduced"
    assert data["figures"]
    for fig in data["figures"]:
        assert (tmp_path / result.name / fig).stat().st_size > 10_000
    for check in result.checks:
        assert check.uncertainty > 0, check


@pytest.mark.slow
def test_ising_exact_agrees_with_kaufman(tmp_path):
    r = _run(tmp_path, "ising-exact")
    _assert_reproduced(tmp_path, r)
    # 3 temperatures x 2 algorithms x (energy, specific heat); all within z sigma and 5 %
    assert len(r.checks) == 12
    assert r.metrics["sigma_multiple"] == pytest.approx(3.34, abs=0.01)
    assert r.metrics["largest |relative deviation|"] < 0.05
    for c in r.checks:
        assert c.tolerance <= r.metrics["sigma_multiple"] * c.uncertainty * (1 + 1e-12)


def test_ising_exact_fails_when_the_relative_bound_is_below_the_noise(tmp_path):
    r = _run(
        tmp_path, "ising-exact", max_relative_error="1e-6", temperatures="2.269", algorithms="metropolis"
    )
    assert r.verdict == "not reproduced"
    assert not any(c.passed for c in r.checks)


@pytest.mark.slow
def test_ising_critical_finds_onsager(tmp_path):
    r = _run(tmp_path, "ising-critical")
    _assert_reproduced(tmp_path, r)
    [crossing] = r.metrics["crossings"]
    assert crossing["pair"] == [8, 16]
    assert abs(crossing["T"] - 2.269185) < 0.02
    assert 0.58 < crossing["U"] < 0.64


@pytest.mark.slow
def test_ising_critical_fails_for_a_wrong_critical_temperature(tmp_path, monkeypatch):

    monkeypatch.setattr(physml.ebm, "critical_temperature", lambda J=1.0: 2.3, raising=False)
    r = _run(tmp_path, "ising-critical", magnetisation_temperatures="2.0")
    tc = next(c for c in r.checks if c.name.startswith("T_c"))
    assert not tc.passed and r.verdict == "not reproduced"


@pytest.mark.slow
def test_ising_critical_small_lattice_misses_the_spontaneous_magnetisation(tmp_path):
    """An 8x8 lattice at T = 2.2 is about one correlation length across: its |m| is not Onsager's."""
    r = _run(tmp_path, "ising-critical", magnetisation_L="8", magnetisation_temperatures="2.2")
    m = next(c for c in r.checks if c.name.startswith("|m|"))
    assert not m.passed and m.measured > m.expected


@pytest.mark.slow
def test_ising_slowing_separates_local_and_cluster_dynamics(tmp_path):
    r = _run(tmp_path, "ising-slowing")
    _assert_reproduced(tmp_path, r)
    table = r.metrics["tau_int"]
    assert table["metropolis abs_magnetisation"]["z"] > 1.5
    assert table["wolff energy"]["z"] < 0.6
    # tau_int grows with L for local updates, and is of order one sweep for Wolff
    assert all(d > 0 for d in table["metropolis abs_magnetisation"]["effective_z"])
    assert max(table["wolff energy"]["tau_int"]) < 3


@pytest.mark.slow
def test_ising_slowing_checks_can_fail(tmp_path):
    # the quick preset fits L = 16, 32 only; without its stated allowance for corrections to scaling the
    # local exponent is too small, and no cluster algorithm has z <= 0
    r = _run(tmp_path, "ising-slowing", scaling_allowance="0", max_wolff_z="0")
    assert [c.passed for c in r.checks] == [False, False]


@pytest.mark.parametrize(
    ("name", "key", "value", "message"),
    [
        ("ising-exact", "L", "15", "L must be even"),
        ("ising-exact", "algorithms", "glauber", "algorithms must be one of"),
        ("ising-critical", "sizes", "16,8", "increasing"),
        ("ising-critical", "temperatures", "2.2,2.3", "at least 3 temperatures"),
        ("ising-slowing", "local_sweeps", "4000,8000", "one run length per size"),
        ("ising-slowing", "fit_min_L", "64", "at least two sizes"),
    ],
)
def test_impossible_parameters_are_usage_errors(tmp_path, name, key, value, message):
    with pytest.raises(ParameterError, match=message):
        run_experiments([name], tmp_path / "out", preset="quick", overrides={key: value})
    assert not (tmp_path / "out").exists()
