import pytest

from physml.lab import ParameterError, UnknownExperimentError, get_experiment, list_experiments
from physml.lab._registry import select_experiments


def test_catalogue_contains_the_first_experiments():
    names = [e.name for e in list_experiments()]
    assert {"layer-example", "fashion-mlp"} <= set(names)
    assert names == sorted(names)
    for e in list_experiments():
        assert e.claim and e.source
        assert set(e.quick) == set(e.full)


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownExperimentError) as info:
        get_experiment("fashion-mpl")
    assert "fashion-mlp" in str(info.value)
    assert info.value.suggestions[0] == "fashion-mlp"


def test_select_by_glob_and_substring():
    assert [e.name for e in select_experiments("layer-*")] == ["layer-example"]
    assert "fashion-mlp" in [e.name for e in select_experiments("fashion")]
    with pytest.raises(UnknownExperimentError):
        select_experiments("no-such-thing-*")


def test_resolve_converts_overrides_to_the_preset_types():
    exp = get_experiment("fashion-mlp")
    params = exp.resolve("quick", {"epochs": "7", "learning_rate": "0.1", "hidden": "64,32"})
    assert params["epochs"] == 7 and isinstance(params["epochs"], int)
    assert params["learning_rate"] == 0.1
    assert params["hidden"] == (64, 32)
    assert exp.resolve("full")["n_train"] == 60000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nonsense": "1"}, "has no parameter 'nonsense'"),
        ({"epoch": "1"}, "did you mean 'epochs'"),
        ({"epochs": "many"}, "--set epochs=many: expected an integer"),
        ({"learning_rate": "fast"}, "expected a number"),
        ({"learning_rate": "nan"}, "not NaN"),
        ({"hidden": "64,x"}, "expected an integer"),
    ],
)
def test_resolve_rejects_bad_overrides(overrides, message):
    with pytest.raises(ParameterError, match=message):
        get_experiment("fashion-mlp").resolve("quick", overrides)


def test_parameterless_experiment_says_so():
    with pytest.raises(ParameterError, match="it takes no parameters"):
        get_experiment("layer-example").resolve("quick", {"nonsense": "1"})


def test_bool_and_string_parameters(temporary_experiments):
    @temporary_experiments("tmp-types", claim="c", source="s", quick=dict(flag=False, mode="a"),
                           full=dict(flag=True, mode="b"))
    def f(ctx, flag, mode):
        pass

    exp = get_experiment("tmp-types")
    assert exp.resolve("quick", {"flag": "yes", "mode": "zz"}) == {"flag": True, "mode": "zz"}
    with pytest.raises(ParameterError, match="expected a boolean"):
        exp.resolve("quick", {"flag": "maybe"})
    with pytest.raises(ParameterError, match="preset must be one of"):
        exp.resolve("medium")


def test_registration_is_validated(temporary_experiments):
    with pytest.raises(ValueError, match="kebab-case"):
        temporary_experiments("Bad_Name", claim="c", source="s")(lambda ctx: None)
    with pytest.raises(ValueError, match="differ in keys"):
        temporary_experiments("tmp-a", claim="c", source="s", quick={"a": 1}, full={"b": 1})(
            lambda ctx, a: None
        )
    with pytest.raises(ValueError, match="do not match preset keys"):
        temporary_experiments("tmp-b", claim="c", source="s", quick={"a": 1}, full={"a": 2})(
            lambda ctx, b: None
        )
    with pytest.raises(ValueError, match="different types"):
        temporary_experiments("tmp-c", claim="c", source="s", quick={"a": 1}, full={"a": "x"})(
            lambda ctx, a: None
        )
