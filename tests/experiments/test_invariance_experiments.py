"""The invariance experiments end to end with their quick presets, and settings that must fail."""

import json

import pytest

from physml.lab import ParameterError, run_experiments

NAMES = ["triangles-relevance", "invariant-embedding", "ml-by-the-numbers"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.slow
def test_quick_presets_reproduce(tmp_path):
    results = run_experiments(NAMES, tmp_path, preset="quick")
    for r in results:
        assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
        data = json.loads((tmp_path / r.name / "result.json").read_text())
        assert data["figures"] and all((tmp_path / r.name / f).is_file() for f in data["figures"])
    by_name = {r.name: r for r in results}
    dims = [c for c in by_name["triangles-relevance"].checks if c.name.startswith("dimension,")]
    assert [c.expected for c in dims] == [6, 4, 3, 2] and all(c.uncertainty > 0 for c in dims)
    numbers = by_name["ml-by-the-numbers"]
    assert numbers.checks[0].measured == 615_440
    compute = numbers.metrics["training_compute"]
    # fashion-mlp quick: one 784-128-10 MLP, 5 epochs of 10,000 images, 3 x forward per image
    quick = next(c for c in compute if c["run"] == "fashion-mlp (quick)")
    assert quick["flops"] == 3 * ((2 * 784 * 128 + 128) + (2 * 128 * 10 + 10)) * 5 * 10_000


def test_an_untrained_map_fails_the_invariance_check(tmp_path):
    [r] = run_experiments(["triangles-relevance"], tmp_path, preset="quick",
                          overrides={"embed_steps": "1", "n_repeats": "2"})
    check = next(c for c in r.checks if c.name.startswith("learned map: orbit"))
    assert not check.passed and r.verdict == "not reproduced"


def test_an_embedding_trained_for_the_wrong_group_is_not_rotation_invariant(tmp_path):
    [r] = run_experiments(["invariant-embedding"], tmp_path, preset="quick",
                          overrides={"group": "translation", "steps": "100"})
    assert not r.checks[0].passed and r.verdict == "not reproduced"


def test_a_miscounting_flop_counter_fails(tmp_path, monkeypatch):
    import dataclasses

    import physml.scaling

    real = physml.scaling.count_flops

    def off_by_one_bias(model, shape=None, **kw):
        c = real(model, shape, **kw)
        return dataclasses.replace(c, forward_flops=c.forward_flops + 1)

    monkeypatch.setattr(physml.scaling, "count_flops", off_by_one_bias)
    [r] = run_experiments(["ml-by-the-numbers"], tmp_path, preset="quick")
    failed = [c.name for c in r.checks if not c.passed]
    assert len(failed) == 9 and all("forward" in n for n in failed)


@pytest.mark.parametrize(("name", "key", "value", "message"), [
    ("triangles-relevance", "sizes", "64,32,128", "increasing"),
    ("triangles-relevance", "sizes", "8,16,99999", "exceeds"),
    ("invariant-embedding", "group", "lorentz", "unknown group"),
])
def test_parameters_are_validated_before_running(tmp_path, name, key, value, message):
    with pytest.raises(ParameterError, match=message):
        run_experiments([name], tmp_path / "out", preset="quick", overrides={key: value})
    assert not (tmp_path / "out").exists()
