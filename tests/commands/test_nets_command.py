"""physml nets criticality, run in-process through physml.cli.main."""

import json

import pytest

from physml.cli import main


def test_relu_prints_critical_point_and_closed_forms(tmp_path, capsys):
    out = tmp_path / "relu.json"
    assert main(["nets", "criticality", "--activation", "relu", "--depth", "6", "--width", "50",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "C_W = 2" in printed and "scale-invariant" in printed
    data = json.loads(out.read_text())
    assert data["meta"]["C_W"] == pytest.approx(2.0) and data["meta"]["C_b"] == pytest.approx(0.0)
    for row in data["rows"]:
        ell = row["layer"]
        # ReLU at criticality: K fixed, χ = 1, NTK = ℓ|x|²/n_0, R = 5(ℓ-1)/n at leading order in 1/n
        assert row["K"] == pytest.approx(2.0, rel=1e-9)
        assert row["chi_parallel"] == pytest.approx(1.0, rel=1e-9)
        assert row["chi_perp"] == pytest.approx(1.0, rel=1e-9)
        assert row["ntk"] == pytest.approx(ell, rel=1e-9)
        assert row["R"] == pytest.approx(5 * (ell - 1) / 50, rel=1e-6, abs=1e-12)


def test_tanh_is_critical_at_unit_weight_variance(capsys):
    assert main(["nets", "criticality", "--activation", "tanh", "--depth", "3"]) == 0
    printed = capsys.readouterr().out
    assert "C_b = 0, C_W = 1 " in printed and "K*=0" in printed


def test_off_critical_initialisation_is_diagnosed(tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert main(["nets", "criticality", "--activation", "tanh", "--C-b", "0", "--C-W", "3", "--depth", "4",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "not critical" in printed and "chaotic" in printed
    assert out.read_text().splitlines()[0].startswith("layer,K,")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--activation", "swish"], "--activation 'swish' is unknown; accepted: erf, gelu"),
        (["--activation", "sigmoid"], "sigmoid has no critical initialisation"),
        (["--activation", "tanh", "--C-W", "1"], "--C-b and --C-W go together"),
        (["--activation", "tanh", "--C-b", "0", "--C-W", "0"], "--C-W must be > 0"),
        (["--activation", "tanh", "--width", "0"], "--width must be >= 1"),
        (["--activation", "tanh", "--out", "x.txt"], "unknown file type"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, capsys):
    assert main(["nets", "criticality", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_diverging_kernel_is_reported_with_its_layer(tmp_path, capsys):
    # once an OverflowError traceback; K = 3 · 1.5^(ℓ-1) exceeds 1e150 first at layer 851
    out = tmp_path / "relu3.json"
    args = ["nets", "criticality", "--activation", "relu", "--C-b", "0", "--C-W", "3", "--depth", "3000"]
    assert main([*args, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "diverges: K exceeds 1e+150 at layer 851 of 3000" in captured.out
    assert "Traceback" not in captured.err and "Warning" not in captured.err
    data = json.loads(out.read_text())
    assert data["meta"]["diverges_at"] == 851
    assert data["rows"][849]["K"] == pytest.approx(3 * 1.5**849, rel=1e-9)
