"""The information bottleneck against exact results on small discrete joints."""

import numpy as np
import pytest

from physml.info import (
    DeterministicIB,
    InformationBottleneck,
    binary_entropy,
    binary_symmetric_ib_curve,
    entropy,
    ib_information,
    information_curve,
    inverse_binary_entropy,
    mutual_information,
)


def bsc(p):
    return np.array([[0.5 * (1 - p), 0.5 * p], [0.5 * p, 0.5 * (1 - p)]])


def random_joint(seed, nx=4, ny=3):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(nx * ny)).reshape(nx, ny)


def test_entropies_of_known_tables():
    assert entropy(np.full(8, 1 / 8)) == pytest.approx(3.0, abs=1e-14)
    assert mutual_information(np.diag([0.25] * 4)) == pytest.approx(2.0, abs=1e-14)
    assert mutual_information(np.outer([0.2, 0.8], [0.5, 0.3, 0.2])) == pytest.approx(0.0, abs=1e-14)
    q = np.linspace(0.0, 0.5, 11)
    np.testing.assert_allclose(inverse_binary_entropy(binary_entropy(q)), q, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_beta_keeps_all_relevant_information(seed):
    p = random_joint(seed)
    for model in (
        InformationBottleneck(beta=1e8, n_restarts=5, seed=seed),
        DeterministicIB(beta=1e8, n_restarts=5, seed=seed),
    ):
        model.fit(p)
        assert model.I_ty_ == pytest.approx(mutual_information(p), abs=1e-9)
        # with |T| = |X| and all p(y|x) distinct, every x keeps its own cluster
        assert model.I_xt_ == pytest.approx(entropy(p.sum(1)), abs=1e-6)
        assert np.allclose(model.encoder_.sum(1), 1.0)
    assert InformationBottleneck(beta=1e8).fit(p).converged_


@pytest.mark.parametrize("seed", [0, 1])
def test_small_beta_compresses_everything(seed):
    p = random_joint(seed)
    model = InformationBottleneck(beta=1e-3, n_restarts=5, seed=seed).fit(p)
    assert model.I_xt_ == pytest.approx(0.0, abs=1e-9)
    assert model.I_ty_ == pytest.approx(0.0, abs=1e-9)
    assert model.converged_
    # the reported informations are those of the returned encoder
    np.testing.assert_allclose(ib_information(p, model.encoder_), (model.I_xt_, model.I_ty_), atol=1e-12)


def test_bsc_closed_form_is_an_upper_bound_attained_by_a_flip_channel():
    # Mrs. Gerber's lemma, checked numerically: random channels T|X with |T| <= 4 never beat the
    # curve, and T = X flipped with probability q lies on it.
    p = 0.15
    pxy = bsc(p)
    rng = np.random.default_rng(3)
    for _ in range(500):
        enc = rng.dirichlet(np.full(rng.integers(2, 5), 0.5), size=2)
        i_xt, i_ty = ib_information(pxy, enc)
        assert i_ty <= binary_symmetric_ib_curve(min(i_xt, 1.0), p) + 1e-12
    for q in (0.01, 0.1, 0.3, 0.5):
        i_xt, i_ty = ib_information(pxy, np.array([[1 - q, q], [q, 1 - q]]))
        assert i_ty == pytest.approx(binary_symmetric_ib_curve(i_xt, p), abs=1e-12)
    assert binary_symmetric_ib_curve(1.0, p) == pytest.approx(1 - binary_entropy(p), abs=1e-12)


def test_bsc_curve_and_critical_beta():
    p = 0.1
    beta_c = 1 / (1 - 2 * p) ** 2  # slope (1-2p)^2 of the exact curve at the origin
    betas = np.geomspace(0.5, 100, 40)
    curve = information_curve(bsc(p), betas, n_restarts=1)
    exact = binary_symmetric_ib_curve(curve.I_xt, p)
    np.testing.assert_allclose(curve.I_ty, exact, atol=1e-9)
    assert np.all(curve.I_xt[betas < beta_c] < 1e-9)
    assert np.all(curve.I_xt[betas > beta_c * 1.05] > 1e-3)


@pytest.mark.parametrize("seed", [0, 4])
def test_random_joint_curve_is_monotone_concave_and_optimal(seed):
    p = random_joint(seed)
    betas = np.geomspace(0.1, 1000, 50)
    curve = information_curve(p, betas, seed=seed)
    assert curve.I_xt[0] == pytest.approx(0.0, abs=1e-9) and curve.I_ty[0] == pytest.approx(0.0, abs=1e-9)
    assert curve.I_xt[-1] == pytest.approx(entropy(p.sum(1)), abs=1e-4)
    assert curve.I_ty[-1] == pytest.approx(mutual_information(p), abs=1e-6)
    assert np.all(np.diff(curve.I_xt) >= -1e-9) and np.all(np.diff(curve.I_ty) >= -1e-9)
    # For optimal points at β1 < β2 the chord slope lies in [1/β2, 1/β1] (both Lagrangians are
    # minimised); this implies concavity of the curve.
    dx, dy = np.diff(curve.I_xt), np.diff(curve.I_ty)
    moving = dx > 1e-7
    slope = dy[moving] / dx[moving]
    assert np.all(slope <= 1 / betas[:-1][moving] + 1e-4)
    assert np.all(slope >= 1 / betas[1:][moving] - 1e-4)


def test_restarts_never_lose_to_one_start():
    p = random_joint(7, 5, 4)
    one = InformationBottleneck(beta=8.0, n_restarts=1, seed=0).fit(p)
    many = InformationBottleneck(beta=8.0, n_restarts=10, seed=0).fit(p)
    assert many.lagrangian_ <= one.lagrangian_ + 1e-12
    assert many.lagrangian_ == pytest.approx(many.restart_lagrangians_.min(), abs=1e-12)


def test_deterministic_ib_is_hard_and_its_cost_is_consistent():
    p = random_joint(5, 6, 3)
    model = DeterministicIB(beta=5.0, n_restarts=5, seed=1).fit(p)
    assert set(np.unique(model.encoder_)) <= {0.0, 1.0}
    assert model.converged_
    p_t = p.sum(1) @ model.encoder_
    assert model.H_t_ == pytest.approx(entropy(p_t), abs=1e-12)
    assert model.cost_ == pytest.approx(model.H_t_ - 5.0 * model.I_ty_, abs=1e-12)
    # zero-probability rows are allowed and do not change the answer
    padded = np.vstack([p, np.zeros(3)])
    assert DeterministicIB(6, beta=5.0, n_restarts=5, seed=1).fit(padded).I_ty_ == pytest.approx(
        model.I_ty_, abs=1e-12
    )


@pytest.mark.parametrize(
    ("table", "beta", "message"),
    [
        ([[0.5, 0.2], [0.2, 0.2]], 1.0, "sum to 1"),
        ([[0.6, -0.1], [0.3, 0.2]], 1.0, "non-negative"),
        ([[0.5, 0.0], [0.0, 0.5]], 0.0, "beta"),
        ([[0.5, 0.0], [0.0, 0.5]], -2.0, "beta"),
        ([0.5, 0.5], 1.0, "dimension"),
    ],
)
def test_bad_input(table, beta, message):
    with pytest.raises(ValueError, match=message):
        InformationBottleneck(beta=beta).fit(table)
    with pytest.raises(ValueError, match=message):
        DeterministicIB(beta=beta).fit(table)


def test_curve_bad_betas():
    with pytest.raises(ValueError, match="increasing"):
        information_curve(bsc(0.1), [2.0, 1.0])
    with pytest.raises(ValueError, match="beta"):
        information_curve(bsc(0.1), [0.0, 1.0])


@pytest.mark.parametrize("model", [InformationBottleneck(3, beta=8.0, n_restarts=3, seed=1),
                                   DeterministicIB(3, beta=8.0, n_restarts=3, seed=1)])
def test_a_saved_solution_loads_with_every_fitted_attribute(model, tmp_path):
    """The model contract (docs/architecture.md): declared parameters, save/load, no score."""
    p = bsc(0.1)
    model.fit(p)
    model.save(tmp_path / "ib.npz")
    back = type(model).load(tmp_path / "ib.npz")
    assert back.get_params() == model.get_params()
    fitted = {k: v for k, v in vars(model).items() if k.endswith("_")}
    assert fitted.keys() == {k for k in vars(back) if k.endswith("_")}
    for name, value in fitted.items():
        np.testing.assert_array_equal(getattr(back, name), value, err_msg=name)
        assert type(getattr(back, name)) is type(value) or isinstance(value, np.ndarray), name
    assert not hasattr(back, "score")
    with pytest.raises(ValueError, match=r"n_restarts=0 is not accepted; accepted: an int in \[1, inf\)"):
        type(model)(n_restarts=0).fit(p)
    with pytest.raises(ValueError, match="n_clusters=0 is not accepted; accepted: None or an int"):
        type(model)(n_clusters=0).fit(p)


def _soft_table():
    rng = np.random.default_rng(0)
    p = rng.random((4, 3))
    return p / p.sum()


def test_distinct_clusters_merge_copies_and_keep_the_information():
    p = _soft_table()
    # below the first critical β every p(y|t) is p(y): one cluster, however p(t|x) is spread
    trivial = InformationBottleneck(None, 1.0, n_restarts=5, seed=0).fit(p)
    assert trivial.encoder_.max(axis=1).max() < 0.5  # the raw encoder looks soft
    np.testing.assert_allclose(trivial.distinct_clusters(), np.ones((4, 1)), atol=1e-12)
    # a soft solution: 3 distinct clusters, only 2 of them anyone's most likely
    model = InformationBottleneck(None, 5.0, n_restarts=5, seed=0).fit(p)
    merged = model.distinct_clusters()
    assert merged.shape == (4, 3) and np.unique(merged.argmax(1)).size == 2
    np.testing.assert_allclose(merged.sum(1), 1.0, atol=1e-12)
    assert merged.max(1).min() < 0.7  # soft
    # at a fixed point clusters with equal p(y|t) have proportional p(t|x): merging keeps both
    # informations (to the convergence tolerance of p(t|x), 1e-10)
    i_xt, i_ty = ib_information(p, merged)
    assert i_xt == pytest.approx(model.I_xt_, abs=1e-8) and i_ty == pytest.approx(model.I_ty_, abs=1e-8)
    p_t = p.sum(1) @ merged
    p_y_t = (merged.T @ p) / p_t[:, None]
    assert np.all(np.diff(p_t) <= 0)  # largest first
    gaps = [np.abs(p_y_t[a] - p_y_t[b]).max() for a in range(3) for b in range(a)]
    assert min(gaps) > 1e-6


def test_no_information_is_exactly_zero_never_negative():
    """Issue 22: "I(X;T) = -0 bits". Round-off of an independent table is reported as +0."""
    import math

    p = np.outer([0.2, 0.3, 0.5], [0.6, 0.4])  # X and Y independent: every information is 0
    for model in (InformationBottleneck(None, 50.0, seed=0).fit(p),
                  DeterministicIB(None, 50.0, seed=0).fit(p)):
        for value in (model.I_xt_, model.I_ty_):
            assert value == 0.0 and math.copysign(1.0, value) == 1.0
    one = DeterministicIB(None, 0.1, seed=0).fit(_soft_table())  # one cluster: H(T) = -Σ 1 log 1 = -0.0
    assert one.H_t_ == 0.0 and math.copysign(1.0, one.I_xt_) == 1.0
    curve = information_curve(p, [1.0, 100.0], n_restarts=1)
    assert np.all(curve.I_xt == 0.0) and np.all(np.copysign(1.0, curve.I_ty) == 1.0)
