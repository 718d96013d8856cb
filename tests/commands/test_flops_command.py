"""physml flops MODEL-SPEC: counts for each family, run compute, and usage errors (exit 2)."""

import json
import os
import subprocess
import sys

import pytest

from physml.cli import main


def test_dense_layer_counts(capsys):
    assert main(["flops", "dense:784,784"]) == 0
    out = capsys.readouterr().out
    assert "615,440" in out and "1,230,096" in out and "3,690,288" in out


def test_json_and_run_compute(capsys):
    assert main(["flops", "mlp:784,256,10", "--json", "--steps", "100", "--batch-size", "32"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parameters"] == 203_530 and data["forward_flops"] == 406_794
    assert data["training_compute"] == 3 * 406_794 * 3200
    assert [layer["kind"] for layer in data["layers"]] == ["Linear", "Linear"]


@pytest.mark.parametrize("spec", ["cnn:1x28x28,16,32", "lstm:10,20,steps=5", "gru:4,8", "rnn:4,8",
                                  "autoencoder:784,128,32"])
def test_each_family(spec, capsys):
    assert main(["flops", spec, "--layers", "--samples", "1000"]) == 0
    assert "training compute of run" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    pytest.param(["flops", "transformer:12"], "unknown specification", marks=pytest.mark.slow),
    pytest.param(["flops", "mlp:784,x"], "must be an integer", marks=pytest.mark.slow),
    (["flops", "mlp:10,5", "--steps", "3"], "go together"),
    (["flops", "mlp:10,5", "--samples", "3", "--steps", "3", "--batch-size", "2"], "not both"),
])
def test_usage_errors_exit_2_without_traceback(args, message):
    env = dict(os.environ, PHYSML_PROGRESS="0")
    proc = subprocess.run([sys.executable, "-m", "physml", *args], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_a_huge_model_is_counted_without_building_it(capsys):
    # 10**12 parameters: counted analytically in integer arithmetic (once built, needing 4 TB)
    assert main(["flops", "mlp:1000000,1000000,10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parameters"] == 1_000_011_000_010
    assert data["forward_flops"] == 2_000_021_000_010
    assert data["input_shape"] == [1_000_000]


def test_spec_option_errors_name_the_option(capsys):
    assert main(["flops", "cnn:1x28x28,16,kernel=4"]) == 2
    err = capsys.readouterr().err
    assert "kernel=4 must be odd" in err and "kernel_size" not in err and err.count("\n") == 1
