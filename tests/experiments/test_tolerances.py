"""sigma_multiple: the per-check number of standard errors for a family of checks."""

import numpy as np
import pytest

from physml.experiments._tolerances import sigma_multiple


def test_one_check_is_the_two_sided_gaussian_quantile():
    assert sigma_multiple(1, 0.01) == pytest.approx(2.5758, abs=1e-4)
    assert sigma_multiple(1, 0.0027) == pytest.approx(3.0, abs=1e-3)


def test_many_checks_pass_together_with_the_stated_probability():
    z = sigma_multiple(20, 0.01)
    assert z == pytest.approx(3.48, abs=0.01)
    rng = np.random.default_rng(0)
    pulls = rng.standard_normal((200_000, 20))
    all_pass = np.mean(np.all(np.abs(pulls) <= z, axis=1))
    assert all_pass == pytest.approx(0.99, abs=0.001)
    assert sigma_multiple(40, 0.01) > z > sigma_multiple(10, 0.01)


@pytest.mark.parametrize(
    ("n", "alpha", "message"), [(0, 0.01, "n_checks"), (5, 0.0, "false_alarm"), (5, 1.0, "false_alarm")]
)
def test_bad_inputs(n, alpha, message):
    with pytest.raises(ValueError, match=message):
        sigma_multiple(n, alpha)
