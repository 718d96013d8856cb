"""The public surface of physml.ebm: explicit, complete, and lazy about PyTorch."""

import importlib
import subprocess
import sys

import pytest

import physml.ebm


def test_every_exported_name_resolves():
    for name in physml.ebm.__all__:
        assert getattr(physml.ebm, name) is not None, name
    assert sorted(dir(physml.ebm)) == sorted(physml.ebm.__all__)


def test_exports_match_the_private_modules_public_lists():
    for module, names in physml.ebm._EXPORTS.items():
        mod = importlib.import_module(f"physml.ebm.{module}")
        assert set(names) == set(mod.__all__), module
        for name in names:
            assert getattr(physml.ebm, name) is getattr(mod, name)


def test_unknown_name_is_an_attribute_error():
    try:
        physml.ebm.NoSuchModel  # noqa: B018
    except AttributeError as err:
        assert "NoSuchModel" in str(err)
    else:
        raise AssertionError("expected AttributeError")


def test_ising_side_does_not_import_torch():
    code = "import sys; from physml.ebm import simulate, kaufman, hopfield_run; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_rbm_modules_import_each_other_one_way_bottom_up():
    """Model -> samplers -> partition functions -> training -> estimator -> DBN: importing a
    module loads only the modules below it."""
    layers = ["_rbm_model", "_rbm_samplers", "_partition", "_raise", "_rbm_training", "_rbm", "_dbn"]
    code = (
        "import importlib, sys\n"
        f"for m in {layers!r}:\n"
        "    importlib.import_module('physml.ebm.' + m)\n"
        "    print(m, *sorted(k[11:] for k in sys.modules if k.startswith('physml.ebm.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == len(layers)
    for i, line in enumerate(lines):
        name, *loaded = line.split()
        assert name == layers[i] and sorted(loaded) == sorted(layers[: i + 1]), line
