"""Autoencoder ensembles: the tied linear optimum is PCA, members train independently, early
stopping keeps each member's best epoch, and bad input fails clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from physml.nets import (
    Autoencoder,
    AutoencoderEnsemble,
    TiedAutoencoderEnsemble,
    principal_angles,
    train_autoencoders,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def gaussian_cloud(n, variances, seed, offset_scale=1.0):
    rng = np.random.default_rng(seed)
    k = len(variances)
    frame, _ = np.linalg.qr(rng.standard_normal((k, k)))
    x = (rng.standard_normal((n, k)) * np.sqrt(variances)) @ frame.T + offset_scale * rng.standard_normal(k)
    return x


def test_tied_linear_autoencoder_spans_the_pca_subspace():
    variances = 2.0 ** -np.arange(6)
    x = gaussian_cloud(400, variances, seed=0)
    d = 2
    model = TiedAutoencoderEnsemble(2, 6, d, "linear", seed=1, dtype=torch.float64)
    train_autoencoders(
        model, x, epochs=600, batch_size=400, learning_rate=0.1, schedule="cosine", patience=None
    )
    mean = x.mean(axis=0)
    evals, evecs = np.linalg.eigh(np.cov(x, rowvar=False, bias=True))
    top = evecs[:, ::-1][:, :d]
    # Eckart-Young: the best rank-d reconstruction leaves the sum of the other eigenvalues
    pca_loss = evals[::-1][d:].sum()
    loss = model.reconstruction_error(x).mean(axis=1)
    for i, w in enumerate(model.weight.detach().numpy()):
        assert principal_angles(w.T, top).max() < 1e-3
        np.testing.assert_allclose(w @ w.T, np.eye(d), atol=1e-3)
        a = model.encoder_bias.detach().numpy()[i]
        c = model.decoder_bias.detach().numpy()[i]
        # biases remove the mean: x̂ = x̄ + P (x − x̄)
        np.testing.assert_allclose(w.T @ a + c, (np.eye(6) - w.T @ w) @ mean, atol=1e-3)
    assert np.all(loss >= pca_loss * (1 - 1e-12))
    np.testing.assert_allclose(loss, pca_loss, rtol=1e-5)


def test_tied_linear_pca_test_sees_a_wrong_subspace():
    # the comparison has power: an autoencoder stopped early is far from the PCA subspace
    variances = 2.0 ** -np.arange(6)
    x = gaussian_cloud(800, variances, seed=0)
    model = TiedAutoencoderEnsemble(2, 6, 2, "linear", seed=1, dtype=torch.float64)
    train_autoencoders(model, x, epochs=3, batch_size=800, learning_rate=0.01, patience=None)
    top = np.linalg.eigh(np.cov(x, rowvar=False))[1][:, ::-1][:, :2]
    assert max(principal_angles(w.T, top).max() for w in model.weight.detach().numpy()) > 0.1


def test_members_train_independently():
    # member 0 of an ensemble is the one-member ensemble with the same seed: same initialisation
    # (spawned seed 0) and same shuffling, and its gradients do not see the other members
    x = np.random.default_rng(2).standard_normal((300, 4))
    big = AutoencoderEnsemble(3, (4, 8, 2), seed=5, dtype=torch.float64)
    one = AutoencoderEnsemble(1, (4, 8, 2), seed=5, dtype=torch.float64)
    for m in (big, one):
        train_autoencoders(m, x, epochs=3, batch_size=50, learning_rate=1e-2, patience=None, seed=7)
    np.testing.assert_allclose(big.reconstruction_error(x)[0], one.reconstruction_error(x)[0], rtol=1e-10)
    assert not np.allclose(big.reconstruction_error(x)[1], big.reconstruction_error(x)[0])


def test_mlp_autoencoder_shapes_and_linear_outputs():
    m = AutoencoderEnsemble(5, (6, 16, 16, 3), seed=0)
    x = torch.randn(7, 6)
    assert m.encode(x).shape == (5, 7, 3)
    assert m(x).shape == (5, 7, 6)
    assert m.decoder_widths == (3, 16, 16, 6)
    # latent and output layers are linear: scaling the last layer's weights and bias scales the output
    y = m.encode(x)
    with torch.no_grad():
        m.encoder.weights[-1].mul_(10.0)
        m.encoder.biases[-1].mul_(10.0)
    torch.testing.assert_close(m.encode(x), 10 * y, rtol=1e-5, atol=1e-5)
    assert m.latent(x.numpy()).shape == (5, 7, 3)
    assert m.reconstruction_error(x.numpy()).shape == (5, 7)


def test_dtype_is_the_parameters_type_and_inputs_are_converted_to_it():
    for model in (AutoencoderEnsemble(2, (4, 8, 2), seed=0, dtype=torch.float64),
                  TiedAutoencoderEnsemble(2, 4, 2, seed=0, dtype=torch.float64)):
        assert model.dtype == torch.float64
        assert model.latent(np.ones((3, 4), dtype=np.float32)).shape == (2, 3, 2)
    assert AutoencoderEnsemble(2, (4, 8, 2), seed=0).dtype == torch.float32


def test_early_stopping_keeps_each_members_best_epoch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 5))
    val = rng.standard_normal((100, 5))
    m = AutoencoderEnsemble(4, (5, 32, 2), seed=1, dtype=torch.float64)
    h = train_autoencoders(
        m, x, validation=val, epochs=200, batch_size=20, learning_rate=3e-2, patience=5, seed=2
    )
    n_run = len(h.train_loss)
    assert np.all(h.best_epoch <= h.stopped_epoch) and np.all(h.stopped_epoch <= n_run)
    assert np.all(h.stopped_epoch - h.best_epoch <= 5)
    # the parameters kept are those of the best epoch: their validation loss is the recorded minimum
    now = m.reconstruction_error(val).mean(axis=1) / 5
    np.testing.assert_allclose(now, h.best_validation_loss, rtol=1e-12)
    np.testing.assert_allclose(h.best_validation_loss, np.nanmin(h.validation_loss, axis=0), rtol=1e-12)


def test_estimator_scores_off_manifold_points_higher():
    from physml.data import sphere

    x = sphere(800, 1, ambient_dim=3, seed=0)  # a circle in a random plane of R³, latent 2 suffices
    est = Autoencoder(
        2, hidden=(32,), n_members=2, epochs=40, batch_size=100, learning_rate=1e-2, seed=0
    ).fit(x)
    assert est.n_features_in_ == 3 and est.training_.train_loss.shape[1] == 2
    on = sphere(200, 1, ambient_dim=3, seed=0)[:200]
    off = 2.0 * on  # points off the circle, in its plane's cone
    assert np.median(est.anomaly_score(off)) > 10 * np.median(est.anomaly_score(on))
    assert est.member_scores(on).shape == (2, 200)
    assert est.transform(on).shape == (2, 200, 2)
    tied = Autoencoder(1, hidden=(), tied=True, activation="linear", epochs=5, seed=0).fit(x)
    assert tied.anomaly_score(x).shape == (800,)


def test_same_seed_same_training():
    x = np.random.default_rng(4).standard_normal((100, 3))
    out = []
    for _ in range(2):
        m = AutoencoderEnsemble(2, (3, 8, 1), seed=3)
        train_autoencoders(m, x, epochs=2, batch_size=10, seed=9, patience=None)
        out.append(m.reconstruction_error(x))
    np.testing.assert_array_equal(out[0], out[1])


# ------------------------------------------------------------------------------------------ bad input


def test_latent_dimension_must_be_a_bottleneck():
    with pytest.raises(ValueError, match="latent dimension encoder_widths"):
        AutoencoderEnsemble(2, (3, 8, 3))
    with pytest.raises(ValueError, match="latent_dim must be below n_features"):
        TiedAutoencoderEnsemble(2, 3, 4)
    with pytest.raises(ValueError, match="latent_dim must be below the number of features 3"):
        Autoencoder(3).fit(np.zeros((10, 3)))


def test_mismatched_widths_are_rejected():
    with pytest.raises(ValueError, match="decoder_widths must start at the latent dimension 2"):
        AutoencoderEnsemble(2, (4, 8, 2), (3, 8, 4))
    with pytest.raises(ValueError, match="end at the input dimension 4"):
        AutoencoderEnsemble(2, (4, 8, 2), (2, 8, 5))
    with pytest.raises(ValueError, match="widths"):
        AutoencoderEnsemble(2, (4,))
    m = AutoencoderEnsemble(2, (4, 8, 2))
    with pytest.raises(ValueError, match=r"x must have shape \(n_samples, 4\)"):
        train_autoencoders(m, np.zeros((10, 5)), epochs=1)
    with pytest.raises(ValueError, match="hidden=()"):
        Autoencoder(1, hidden=(4,), tied=True).fit(np.zeros((10, 3)))


def test_nan_data_is_rejected():
    x = np.zeros((10, 3))
    x[4, 1] = np.nan
    m = AutoencoderEnsemble(2, (3, 4, 1))
    with pytest.raises(ValueError, match="non-finite"):
        train_autoencoders(m, x, epochs=1)
    with pytest.raises(ValueError, match="validation contains .* non-finite"):
        train_autoencoders(m, np.zeros((10, 3)), validation=torch.tensor(x), epochs=1)
    with pytest.raises(ValueError, match="non-finite"):
        m.reconstruction_error(x)
    with pytest.raises(ValueError, match="non-finite"):
        Autoencoder(1).fit(x)


def test_training_arguments_are_checked():
    m = AutoencoderEnsemble(2, (3, 4, 1))
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="optimizer"):
        train_autoencoders(m, x, epochs=1, optimizer="lbfgs")
    with pytest.raises(ValueError, match="learning_rate"):
        train_autoencoders(m, x, epochs=1, learning_rate=0.0)
    with pytest.raises(TypeError, match="model must be"):
        train_autoencoders(torch.nn.Linear(3, 3), x, epochs=1)
    with pytest.raises(NotFittedError):
        Autoencoder(1).anomaly_score(x)


def test_full_batch_step_is_one_gradient_step_on_all_the_data():
    # batch_size >= n takes the uncopied full-batch path: one SGD epoch is one exact gradient step
    # of each member's mean squared error over the whole data set
    x = np.random.default_rng(6).standard_normal((50, 4))
    m = AutoencoderEnsemble(3, (4, 8, 2), seed=2, dtype=torch.float64)
    ref = AutoencoderEnsemble(3, (4, 8, 2), seed=2, dtype=torch.float64)
    xt = torch.from_numpy(x)
    ((ref(xt) - xt) ** 2).mean(dim=(1, 2)).sum().backward()
    expected = [p.detach() - 0.1 * p.grad for p in ref.parameters()]
    train_autoencoders(m, x, epochs=1, batch_size=1000, learning_rate=0.1, optimizer="sgd", patience=None)
    for p, e in zip(m.parameters(), expected, strict=True):
        torch.testing.assert_close(p.detach(), e, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------ one data set per member


def _copy_member(model, i, n_layers_widths):
    """A one-member ensemble holding member i's current parameters."""
    one = AutoencoderEnsemble(1, n_layers_widths, seed=0, dtype=torch.float64)
    with torch.no_grad():
        for p1, pk in zip(one.parameters(), model.parameters(), strict=True):
            p1.copy_(pk[i : i + 1])
    return one


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_per_member_data_is_training_each_member_alone_on_its_own_data(optimizer):
    # full batch (no shuffling): member i of an ensemble given x[i] and validation[i] follows exactly
    # the trajectory of a one-member ensemble started at the same parameters and trained alone on
    # x[i] with early stopping on validation[i]
    widths = (4, 8, 2)
    rng = np.random.default_rng(11)
    scales = np.array([0.5, 1.0, 2.0])[:, None, None]  # different data per member
    x = rng.standard_normal((3, 30, 4)) * scales
    val = rng.standard_normal((3, 10, 4)) * scales
    model = AutoencoderEnsemble(3, widths, seed=4, dtype=torch.float64)
    alone = [_copy_member(model, i, widths) for i in range(3)]
    lr = 0.2 if optimizer == "sgd" else 0.05
    kw = dict(epochs=150, batch_size=1000, learning_rate=lr, optimizer=optimizer, patience=4)
    h = train_autoencoders(model, x, validation=val, **kw)
    stopped_early = 0
    for i, one in enumerate(alone):
        hi = train_autoencoders(one, x[i], validation=val[i], **kw)
        n_i = len(hi.train_loss)
        np.testing.assert_allclose(h.train_loss[:n_i, i], hi.train_loss[:, 0], rtol=1e-12)
        np.testing.assert_allclose(h.validation_loss[:n_i, i], hi.validation_loss[:, 0], rtol=1e-12)
        assert h.best_epoch[i] == hi.best_epoch[0] and h.stopped_epoch[i] == hi.stopped_epoch[0]
        stopped_early += hi.stopped_epoch[0] < kw["epochs"]
        for p, q in zip(model.parameters(), one.parameters(), strict=True):
            torch.testing.assert_close(p.detach()[i : i + 1], q.detach(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            model.reconstruction_error(x[i])[i], one.reconstruction_error(x[i])[0], rtol=1e-12
        )
    # the comparison covered early stopping, not only plain descent
    assert stopped_early >= 1
    # and the members really saw different data: member 0 on the data of member 2 is not member 2
    assert not np.allclose(h.train_loss[:, 0], h.train_loss[:, 2])


def test_per_member_minibatches_come_from_each_members_own_data():
    # minibatches: member i given x[i] is member i of the same ensemble trained on x[i] shared by all
    # (same initialisation, same shuffling stream), whatever the other members' data
    widths = (4, 8, 2)
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 64, 4)) * np.array([0.5, 1.0, 2.0])[:, None, None]
    val = rng.standard_normal((3, 16, 4))
    kw = dict(epochs=4, batch_size=10, learning_rate=1e-2, patience=2, seed=7)
    model = AutoencoderEnsemble(3, widths, seed=4, dtype=torch.float64)
    h = train_autoencoders(model, x, validation=val, **kw)
    for i in range(3):
        shared = AutoencoderEnsemble(3, widths, seed=4, dtype=torch.float64)
        hs = train_autoencoders(shared, x[i], validation=val[i], **kw)
        np.testing.assert_allclose(h.train_loss[:, i], hs.train_loss[:, i], rtol=1e-12)
        for p, q in zip(model.parameters(), shared.parameters(), strict=True):
            torch.testing.assert_close(p.detach()[i], q.detach()[i], rtol=1e-12, atol=1e-14)
    # shared training data with per-member validation sets, and the reverse, are accepted too
    m2 = AutoencoderEnsemble(3, widths, seed=4, dtype=torch.float64)
    h2 = train_autoencoders(m2, x[0], validation=val, **kw)
    assert h2.validation_loss.shape[1] == 3
    train_autoencoders(AutoencoderEnsemble(3, widths, seed=4), x, validation=val[0], **kw)


def test_reconstruction_error_scores_one_set_per_member():
    m = AutoencoderEnsemble(3, (4, 8, 2), seed=1, dtype=torch.float64)
    x = np.random.default_rng(13).standard_normal((3, 7, 4))
    per_member = m.reconstruction_error(x, batch_size=3)  # several chunks along the sample axis
    assert per_member.shape == (3, 7)
    for i in range(3):
        np.testing.assert_allclose(per_member[i], m.reconstruction_error(x[i])[i], rtol=1e-12)


def test_per_member_shapes_are_checked():
    m = AutoencoderEnsemble(3, (3, 4, 1))
    good = np.zeros((3, 10, 3))
    with pytest.raises(ValueError, match=r"x with one data set per member must have shape \(3, n, 3\).* = 3"):
        train_autoencoders(m, np.zeros((2, 10, 3)), epochs=1)
    with pytest.raises(ValueError, match=r"validation with one data set per member .*got \(4, 5, 3\)"):
        train_autoencoders(m, good, validation=np.zeros((4, 5, 3)), epochs=1)
    with pytest.raises(ValueError, match=r"x must have shape \(n_samples, 3\) or \(n_members, n_samples, 3"):
        train_autoencoders(m, np.zeros((3, 10, 2)), epochs=1)
    with pytest.raises(ValueError, match="x must have 2 or 3 dimension"):
        train_autoencoders(m, np.zeros((3, 1, 10, 3)), epochs=1)
    with pytest.raises(ValueError, match="validation needs at least one sample"):
        train_autoencoders(m, good, validation=np.zeros((3, 0, 3)), epochs=1)
    with pytest.raises(ValueError, match=r"x with one set per member must have shape \(3, n_samples, 3\)"):
        m.reconstruction_error(np.zeros((2, 5, 3)))
    bad = good.copy()
    bad[2, 4, 0] = np.inf
    with pytest.raises(ValueError, match="x contains 1 non-finite"):
        train_autoencoders(m, bad, epochs=1)


def test_estimator_saves_loads_and_wraps_an_ensemble(tmp_path):
    from sklearn.base import clone

    from physml._core import InvalidParameterError

    x = np.random.default_rng(3).standard_normal((120, 4)) * [1.0, 2.0, 0.5, 1.0] + 3.0
    est = Autoencoder(2, hidden=(8,), n_members=3, epochs=4, batch_size=32, seed=1).fit(x)
    np.testing.assert_array_equal(est.score_samples(x), est.anomaly_score(x))
    assert not hasattr(est, "score")  # an anomaly score has no mean-is-better score
    est.save(tmp_path / "ae.npz")
    back = Autoencoder.load(tmp_path / "ae.npz")
    assert back.get_params() == est.get_params()
    np.testing.assert_array_equal(back.member_scores(x), est.member_scores(x))
    np.testing.assert_array_equal(back.transform(x), est.transform(x))
    np.testing.assert_array_equal(back.training_.best_epoch, est.training_.best_epoch)
    np.testing.assert_array_equal(back.training_.validation_loss, est.training_.validation_loss)
    tied = Autoencoder(1, hidden=(), tied=True, activation="linear", epochs=2, seed=0).fit(x)
    tied.save(tmp_path / "tied.npz")
    tied_back = Autoencoder.load(tmp_path / "tied.npz")
    np.testing.assert_array_equal(tied_back.score_samples(x), tied.score_samples(x))
    # an ensemble trained by hand (float64, on data it standardised itself) becomes an estimator
    mean, scale = x.mean(axis=0), x.std(axis=0)
    model = AutoencoderEnsemble(2, (4, 6, 2), seed=0, dtype=torch.float64)
    train_autoencoders(model, (x - mean) / scale, epochs=3, batch_size=40, seed=2)
    wrapped = Autoencoder.from_ensemble(model, mean=mean, scale=scale, epochs=3, seed=2)
    assert wrapped.get_params()["hidden"] == (6,) and wrapped.n_members == 2 and wrapped.training_ is None
    np.testing.assert_array_equal(wrapped.member_scores(x), model.reconstruction_error((x - mean) / scale))
    wrapped.save(tmp_path / "wrapped.npz")
    again = Autoencoder.load(tmp_path / "wrapped.npz")
    assert again.model_.dtype == torch.float64 and again.training_ is None
    np.testing.assert_array_equal(again.member_scores(x), wrapped.member_scores(x))
    assert Autoencoder.from_ensemble(TiedAutoencoderEnsemble(1, 4, 2)).tied
    with pytest.raises(ValueError, match="not the mirror of its encoder"):
        Autoencoder.from_ensemble(AutoencoderEnsemble(1, (4, 6, 2), (2, 5, 4)))
    with pytest.raises(TypeError, match="reads hidden from the model"):
        Autoencoder.from_ensemble(model, hidden=(3,))
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(InvalidParameterError, match="validation_fraction=1.0 is not accepted"):
        Autoencoder(validation_fraction=1.0).fit(x)
