"""Initialisations (Gaussian, critical, Haar-orthogonal) and vectorised ensembles."""

import math

import numpy as np
import pytest
import torch

from physml._core import spawn_seeds
from physml.nets import (
    MLP,
    MLPEnsemble,
    PreactivationStatistics,
    empirical_ntk,
    haar_orthogonal,
    initialize,
    preactivation_statistics,
    train_ensemble,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.slow
def test_haar_orthogonal_is_orthogonal_and_haar():
    g = torch.Generator().manual_seed(0)
    tall = haar_orthogonal(7, 3, generator=g, dtype=torch.float64)
    wide = haar_orthogonal(3, 7, generator=g, dtype=torch.float64)
    torch.testing.assert_close(tall.T @ tall, torch.eye(3, dtype=torch.float64))
    torch.testing.assert_close(wide @ wide.T, torch.eye(3, dtype=torch.float64))
    # Haar moments of one entry of an n x n orthogonal matrix: E[O²] = 1/n, E[O⁴] = 3/(n(n+2)).
    # The first entry without the sign correction would have E[O_11] ≠ 0 (QR makes R_11 > 0).
    n, reps = 4, 20000
    first = torch.stack([haar_orthogonal(n, n, generator=g, dtype=torch.float64)[0, 0] for _ in range(reps)])
    se2 = math.sqrt((3 / (n * (n + 2)) - 1 / n**2) / reps)
    assert abs(first.mean().item()) < 4 * math.sqrt(1 / n / reps)
    assert abs((first**2).mean().item() - 1 / n) < 4 * se2
    assert abs((first**4).mean().item() - 3 / (n * (n + 2))) < 4 * math.sqrt(
        15 / (n * (n + 2) * (n + 4) * (n + 6)) / reps
    )


def test_gaussian_initialisation_variances():
    net = initialize(MLP((200, 300, 300, 1), "tanh"), C_W=1.5, C_b=0.2, seed=3)
    w, b = net.parameter_pairs()[1]
    # sample variance of 90000 N(0, 1.5/300) entries: relative standard error sqrt(2/90000)
    assert w.var().item() == pytest.approx(1.5 / 300, rel=5 * math.sqrt(2 / w.numel()))
    assert b.var().item() == pytest.approx(0.2, rel=5 * math.sqrt(2 / b.numel()))
    same = initialize(MLP((200, 300, 300, 1), "tanh"), C_W=1.5, C_b=0.2, seed=3)
    torch.testing.assert_close(same.layers[0].weight, net.layers[0].weight)


def test_critical_is_the_default_and_orthogonal_entries_have_the_gaussian_variance():
    net = initialize(MLP((10, 50, 20), "relu"), seed=1)  # critical ReLU: C_W = 2, C_b = 0
    assert torch.all(net.layers[0].bias == 0)
    orth = initialize(MLP((10, 50, 20), "relu"), weights="orthogonal", C_W=2.0, C_b=0.0, seed=1)
    w0, w1 = orth.layers[0].weight.detach().double(), orth.layers[1].weight.detach().double()
    # 10 -> 50: orthonormal columns scaled by sqrt(C_W n_out/n_in); 50 -> 20: rows scaled by sqrt(C_W)
    torch.testing.assert_close(
        w0.T @ w0, 2.0 * 5.0 * torch.eye(10, dtype=torch.float64), rtol=1e-5, atol=1e-5
    )
    torch.testing.assert_close(w1 @ w1.T, 2.0 * torch.eye(20, dtype=torch.float64), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="sigmoid has no critical initialisation.*pass C_W and C_b"):
        initialize(MLP((3, 4, 1), "sigmoid"))
    with pytest.raises(ValueError, match="weights must be one of 'gaussian', 'orthogonal'"):
        initialize(MLP((3, 4, 1)), weights="uniform")
    with pytest.raises(ValueError, match=r"C_W must be a finite number in \(0, inf\), got -1"):
        initialize(MLP((3, 4, 1)), C_W=-1.0, C_b=0.0)


def test_ensemble_members_are_the_seeded_mlps():
    ens = MLPEnsemble(3, (5, 8, 8, 2), "tanh", C_W=1.2, C_b=0.1, seed=7)
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(0))
    out = ens(x)
    assert out.shape == (3, 4, 2)
    for i, s in enumerate(spawn_seeds(7, 3)):
        single = initialize(MLP((5, 8, 8, 2), "tanh"), C_W=1.2, C_b=0.1, seed=s)
        torch.testing.assert_close(out[i], single(x))
        torch.testing.assert_close(ens.member(i)(x), single(x))
    back = MLPEnsemble.from_models([ens.member(i) for i in range(3)])
    torch.testing.assert_close(back(x), out)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 5\)"):
        ens(torch.zeros(4, 6))
    with pytest.raises(ValueError, match=r"n_members must be in \[1, inf\), got 0"):
        MLPEnsemble(0, (5, 2))


def test_vectorised_training_is_independent_training():
    torch.manual_seed(0)
    x, y = torch.randn(40, 3), torch.randn(40, 1)
    ens = MLPEnsemble(2, (3, 16, 1), "tanh", seed=1)
    member = ens.member(1)
    history = train_ensemble(
        ens, x, y, "mse", epochs=3, batch_size=16, learning_rate=0.1, momentum=0.9, seed=5
    )
    assert history.shape == (3, 2)
    # the same SGD on member 1 alone, with member 1's shuffling stream
    g = torch.Generator().manual_seed(spawn_seeds(5, 2)[1])
    opt = torch.optim.SGD(member.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        order = torch.randperm(40, generator=g)
        for start in range(0, 40, 16):
            idx = order[start : start + 16]
            loss = ((member(x[idx]) - y[idx]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    torch.testing.assert_close(ens.member(1)(x), member(x), rtol=1e-5, atol=1e-6)
    assert history[-1, 1] < history[0, 1]


def _swish(z):
    return z * torch.sigmoid(z)


def _mean_abs(out, y):
    return (out - y).abs().flatten(1).mean(dim=1)


@pytest.mark.parametrize(
    ("activation", "loss", "momentum", "bias", "chunk"),
    [
        ("relu", "mse", 0.0, True, None),
        ("tanh", "mse", 0.9, True, 2),
        ("sigmoid", "cross_entropy", 0.5, True, 1),
        ("linear", "mse", 0.0, False, 3),
        ("gelu", "mse", 0.9, True, 2),  # no closed form: autograd at the preactivation
        (_swish, _mean_abs, 0.0, True, 2),  # custom activation and loss
        ("relu", "cross_entropy", 0.9, False, 5),
    ],
)
def test_vectorised_sgd_equals_torch_sgd_on_each_member(activation, loss, momentum, bias, chunk):
    # the hand-written backward and in-place updates against autograd + torch.optim.SGD on each
    # member alone, in float64: every activation path (closed form / autograd), every loss
    # (closed form / callable), momentum, no bias, chunks that do not divide the members, and a
    # last batch shorter than the others (37 = 2 x 16 + 5)
    g = torch.Generator().manual_seed(11)
    x = torch.randn(37, 3, generator=g, dtype=torch.float64)
    n_out = 3 if loss == "cross_entropy" else 2
    y = (
        torch.randint(0, 3, (37,), generator=g)
        if loss == "cross_entropy"
        else torch.randn(37, 2, generator=g, dtype=torch.float64)
    )
    ens = MLPEnsemble(5, (3, 7, 6, n_out), activation, bias=bias, C_W=1.5, C_b=0.1, seed=4).double()
    members = [ens.member(i).double() for i in range(5)]
    history = train_ensemble(
        ens,
        x,
        y,
        loss,
        epochs=3,
        batch_size=16,
        learning_rate=0.05,
        momentum=momentum,
        seed=9,
        member_chunk=chunk,
    )
    for i, (member, s) in enumerate(zip(members, spawn_seeds(9, 5), strict=True)):
        gen = torch.Generator().manual_seed(s)
        opt = torch.optim.SGD(member.parameters(), lr=0.05, momentum=momentum)
        losses = np.zeros(3)
        for epoch in range(3):
            order = torch.randperm(37, generator=gen)
            for start in range(0, 37, 16):
                idx = order[start : start + 16]
                out = member(x[idx])
                if loss == "mse":
                    value = ((out - y[idx]) ** 2).mean()
                elif loss == "cross_entropy":
                    value = torch.nn.functional.cross_entropy(out, y[idx])
                else:
                    value = loss(out.unsqueeze(0), y[idx].unsqueeze(0))[0]
                losses[epoch] += value.item() * len(idx) / 37
                opt.zero_grad()
                value.backward()
                opt.step()
        np.testing.assert_allclose(history[:, i], losses, rtol=1e-12)
        for (w, b), (mw, mb) in zip(ens.parameter_pairs(), member.parameter_pairs(), strict=True):
            torch.testing.assert_close(w[i], mw, rtol=1e-12, atol=1e-12)
            assert (b is None) == (mb is None)
            if b is not None:
                torch.testing.assert_close(b[i], mb, rtol=1e-12, atol=1e-12)


@pytest.mark.slow
def test_linear_orthogonal_network_has_exact_negative_fourth_cumulant():
    # z^(ℓ) is uniform on a sphere of radius sqrt(n K): E[z⁴]/(3E[z²]²) − 1 = −2/(n+2) exactly
    n = 16
    ens = MLPEnsemble(2000, (4, n, n, n), "linear", C_W=1.0, C_b=0.0, weights="orthogonal", seed=0).double()
    st = preactivation_statistics(ens, np.ones(4))
    np.testing.assert_allclose(st.K, 1.0, rtol=1e-6)  # norms are preserved (float32 draw)
    assert np.all(np.abs(st.R - (-2 / (n + 2))) < 4 * st.R_err)
    gauss = preactivation_statistics(MLPEnsemble(2000, (4, n, n, n), "linear", seed=0).double(), np.ones(4))
    exact = (1 + 2 / n) ** np.arange(3) - 1
    assert gauss.R[0] == pytest.approx(0.0, abs=4 * gauss.R_err[0])
    assert np.all(np.abs(gauss.R - exact) < 4 * gauss.R_err + 1e-12)
    diff, err = gauss.R_difference(1, 3)
    assert abs(diff - exact[2]) < 4 * err


def test_statistics_of_pooled_moments_are_those_of_one_large_ensemble():
    x = np.ones(4)
    ens = MLPEnsemble(60, (4, 8, 8, 8), "tanh", seed=3).double()
    whole = preactivation_statistics(ens, x)
    # the same 60 members measured as two ensembles of 20 and 40, their moments pooled
    split = [MLPEnsemble.from_models([ens.member(i) for i in r]).double() for r in (range(20), range(20, 60))]
    parts = [preactivation_statistics(e, x) for e in split]
    pooled = PreactivationStatistics.from_moments(
        np.concatenate([p.member_m2 for p in parts]), np.concatenate([p.member_m4 for p in parts])
    )
    assert pooled.n_members == 60
    for name in ("K", "K_err", "R", "R_err", "member_m2", "member_m4"):
        np.testing.assert_allclose(getattr(pooled, name), getattr(whole, name), rtol=1e-12, err_msg=name)
    assert pooled.R_difference(1, 3) == pytest.approx(whole.R_difference(1, 3), rel=1e-12)
    one = PreactivationStatistics.from_moments(whole.member_m2[:1], whole.member_m4[:1])
    assert one.K[0] == whole.member_m2[0, 0] and np.all(np.isnan(one.K_err))
    with pytest.raises(ValueError, match="same shape"):
        PreactivationStatistics.from_moments(whole.member_m2, whole.member_m4[:, :2])
    with pytest.raises(ValueError, match="member_m2"):
        PreactivationStatistics.from_moments(whole.member_m2[0], whole.member_m4[0])


def test_empirical_ntk_of_critical_relu_is_ell_on_average():
    ens = MLPEnsemble(400, (4, 32, 32, 32), "relu", seed=2).double()
    theta = empirical_ntk(ens, np.ones(4))
    np.testing.assert_allclose(theta[:, 0], 1.0)  # Θ^(1) = |x|²/n0 exactly
    mean, err = theta.mean(axis=0), theta.std(axis=0, ddof=1) / math.sqrt(400)
    assert np.all(np.abs(mean - [1, 2, 3]) < 4 * err + 1e-12)


def test_train_ensemble_classification_and_bad_input():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 2, generator=g)
    labels = (x[:, 0] > 0).long()
    ens = MLPEnsemble(3, (2, 16, 2), "relu", seed=0)
    history = train_ensemble(
        ens, x, labels, "cross_entropy", epochs=20, batch_size=16, learning_rate=0.1, seed=1
    )
    assert history.shape == (20, 3) and np.all(history[-1] < history[0])
    with pytest.raises(ValueError, match="loss must be one of 'mse', 'cross_entropy'"):
        train_ensemble(ens, x, labels, "hinge", epochs=1, batch_size=8, learning_rate=0.1)
    with pytest.raises(ValueError, match="different numbers of samples: 64 and 3"):
        train_ensemble(ens, x, labels[:3], "cross_entropy", epochs=1, batch_size=8, learning_rate=0.1)
    kw = dict(epochs=1, batch_size=8, learning_rate=0.1)
    with pytest.raises(
        ValueError, match=r"must lie in \[0, 1\] \(the network has 2 outputs\); got values from 0 to 2"
    ):
        train_ensemble(ens, x, labels * 2, "cross_entropy", **kw)
    with pytest.raises(
        ValueError,
        match=r"integer class indices of shape \(n_samples,\); got shape \(64,\) and dtype torch.float32",
    ):
        train_ensemble(ens, x, labels.float(), "cross_entropy", **kw)
    with pytest.raises(ValueError, match=r"inputs must have shape \(n_samples, 2\); got \(64, 3\)"):
        train_ensemble(ens, torch.zeros(64, 3), labels, "cross_entropy", **kw)
    with pytest.raises(ValueError, match=r"inputs contains 1 non-finite value"):
        train_ensemble(
            ens,
            x.masked_fill(torch.arange(64)[:, None] * 2 + torch.arange(2) == 5, float("nan")),
            labels,
            "cross_entropy",
            **kw,
        )
    with pytest.raises(ValueError, match=r"targets for 'mse' must have shape \(n_samples, 2\)"):
        train_ensemble(ens, x, labels, "mse", **kw)
    # numpy and float64 inputs are converted to the ensemble's dtype: the same training
    a = MLPEnsemble(3, (2, 16, 2), "relu", seed=0)
    b = MLPEnsemble(3, (2, 16, 2), "relu", seed=0)
    ha = train_ensemble(a, x, labels, "cross_entropy", seed=1, **kw)
    hb = train_ensemble(b, x.double().numpy(), labels.numpy(), "cross_entropy", seed=1, **kw)
    np.testing.assert_array_equal(ha, hb)


def test_per_layer_learning_rates_match_between_ntk_and_recursion():
    from physml.nets import ntk_recursion

    lam_W, lam_b = [0.5, 2.0, 1.0], [0.1, 0.0, 0.3]
    ens = MLPEnsemble(300, (4, 32, 32, 32), "relu", C_W=2.0, C_b=0.0, seed=4).double()
    theta = empirical_ntk(ens, np.ones(4), lambda_W=lam_W, lambda_b=lam_b)
    theory = ntk_recursion("relu", 3, C_b=0.0, C_W=2.0, lambda_W=lam_W, lambda_b=lam_b, input_norm2=1.0)
    np.testing.assert_allclose(theory, [0.6, 0.6 + 2.0, 0.6 + 2.0 + 1.0 + 0.3])
    np.testing.assert_allclose(theta[:, 0], theory[0])  # exact in the first layer
    mean, err = theta.mean(axis=0), theta.std(axis=0, ddof=1) / math.sqrt(300)
    assert np.all(np.abs(mean - theory) < 4 * err + 1e-12)
    with pytest.raises(ValueError, match=r"lambda_W must be a number or have one entry per layer \(3\)"):
        empirical_ntk(ens, np.ones(4), lambda_W=[1.0, 1.0])


def test_callback_measures_during_training_without_changing_it():
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(48, 3, generator=g), torch.randn(48, 1, generator=g)
    probe = np.ones(3)
    kwargs = dict(epochs=4, batch_size=16, learning_rate=0.05, momentum=0.9, seed=7)
    seen = []

    def record(epoch, ensemble):
        seen.append((epoch, preactivation_statistics(ensemble, probe).K, empirical_ntk(ensemble, probe)))

    ens = MLPEnsemble(4, (3, 16, 16, 1), "tanh", seed=2)
    history = train_ensemble(ens, x, y, "mse", callback=record, **kwargs)
    assert [e for e, _, _ in seen] == [1, 2, 3, 4]
    # the same training without the callback: identical losses, and after 2 epochs the state
    # the callback saw at epoch 2
    plain = MLPEnsemble(4, (3, 16, 16, 1), "tanh", seed=2)
    np.testing.assert_array_equal(train_ensemble(plain, x, y, "mse", **kwargs), history)
    two = MLPEnsemble(4, (3, 16, 16, 1), "tanh", seed=2)
    train_ensemble(two, x, y, "mse", **{**kwargs, "epochs": 2})
    np.testing.assert_array_equal(preactivation_statistics(two, probe).K, seen[1][1])
    np.testing.assert_array_equal(empirical_ntk(two, probe), seen[1][2])
    # training moves the kernel: the NTK after 4 epochs differs from the one after 1
    assert not np.allclose(seen[0][2], seen[-1][2])
