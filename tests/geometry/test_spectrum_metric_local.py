"""Covariance spectra, calibration metrics, multiscale local PCA and manifold learning."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from physml.data import sphere, swiss_roll
from physml.geometry import (
    CovarianceField,
    CovarianceSpectrum,
    MultiscaleLocalPCA,
    covariance_spectrum,
    embed,
    embedding_diagnostics,
    local_covariances,
    local_singular_values,
    mahalanobis_distance,
    marchenko_pastur_quantiles,
    neighbor_preservation,
    polar_covariance,
    principal_axes,
    sphere_curvature_constant,
    whitening_map,
)

# ------------------------------------------------------------------ spectra


def test_covariance_spectrum_matches_numpy_in_both_orientations():
    x = np.random.default_rng(0).normal(size=(50, 8)) @ np.diag(np.arange(1.0, 9.0))
    ref = np.sort(np.linalg.eigvalsh(np.cov(x.T, bias=True)))[::-1]
    np.testing.assert_allclose(covariance_spectrum(x), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(covariance_spectrum(x, centered=False),
                               np.sort(np.linalg.eigvalsh(x.T @ x / 50))[::-1], rtol=1e-10)
    wide = x.T  # 8 samples of 50 features: the T x T route, same non-zero eigenvalues
    ref_wide = np.sort(np.linalg.eigvalsh(np.cov(wide.T, bias=True)))[::-1][:8]
    np.testing.assert_allclose(covariance_spectrum(wide), ref_wide, rtol=1e-8, atol=1e-9)


def test_exact_power_law_spectrum_gives_alpha_exactly():
    t, d, alpha = 400, 100, 0.5
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(t, d)))
    lam = np.arange(1.0, d + 1) ** -(1 + alpha)
    x = np.sqrt(t) * q * np.sqrt(lam)  # x^T x / t = diag(lam) exactly
    spec = CovarianceSpectrum(centered=False, fit_range=(1, 50), n_subsamples=0).fit(x)
    np.testing.assert_allclose(spec.eigenvalues_, lam, rtol=1e-10)
    assert spec.alpha_ == pytest.approx(alpha, abs=1e-10)
    assert spec.rms_residual_ < 1e-10
    assert spec.plot() is not None


def test_white_noise_spectrum_follows_marchenko_pastur():
    t, d = 4000, 200
    x = np.random.default_rng(2).standard_normal((t, d))
    ev = covariance_spectrum(x)
    mp = marchenko_pastur_quantiles(t, d)
    # bulk eigenvalues fluctuate by O(1/sqrt(T)) relative: 3 % is many standard errors
    np.testing.assert_allclose(ev[20:-20], mp[20:-20], rtol=0.03)
    spec = CovarianceSpectrum(seed=0).fit(x)
    assert spec.alpha_err_ > 0 and spec.fit_range_ == (1, d // 2)


def test_spectrum_bad_ranges():
    x = np.random.default_rng(0).normal(size=(40, 10))
    with pytest.raises(ValueError, match="beyond"):
        CovarianceSpectrum(fit_range=(1, 30)).fit(x)
    with pytest.raises(ValueError, match="pair"):
        CovarianceSpectrum(fit_range=5).fit(x)
    with pytest.raises(ValueError, match="n_features must be <= n_samples"):
        marchenko_pastur_quantiles(10, 20)


def test_principal_axes_of_a_known_covariance():
    # points along a rotated frame with standard deviations 3, 2, 0.5: the axes come back, largest first
    rng = np.random.default_rng(21)
    frame = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    x = (rng.normal(size=(40_000, 3)) * [3.0, 2.0, 0.5]) @ frame.T + [1.0, -2.0, 5.0]
    var, axes = principal_axes(x)
    np.testing.assert_allclose(var, covariance_spectrum(x), rtol=1e-10)
    np.testing.assert_allclose(axes @ axes.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(axes @ np.cov(x.T, bias=True) @ axes.T, np.diag(var), atol=1e-10)
    # each axis within sampling error of the true one (angles ~ σ_i σ_j /((σ_i² − σ_j²) √T) ≲ 0.01 rad)
    np.testing.assert_allclose(np.abs(np.sum(axes * frame.T, axis=1)), 1.0, atol=1e-3)
    # exact on a symmetric sample: ±(1, 0) and ±(0, 2) give variances 4 and 1/2 along y and x
    var, axes = principal_axes(np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]]))
    np.testing.assert_allclose(var, [2.0, 0.5], rtol=1e-15)
    np.testing.assert_allclose(np.abs(axes), [[0.0, 1.0], [1.0, 0.0]], atol=1e-15)
    # the smallest-variance axis is the one ae-sphere-deadzone took with np.linalg.eigh, bit for bit
    y = np.random.default_rng(22).normal(size=(300, 3))
    np.testing.assert_array_equal(principal_axes(y)[1][-1], np.linalg.eigh(np.cov(y.T, bias=True))[1][:, 0])
    with pytest.raises(ValueError, match="principal_axes needs at least 2 points"):
        principal_axes(np.ones((1, 3)))


# ------------------------------------------------------------------ metrics


def test_polar_covariance_closed_form_and_sampling():
    pts = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, -1.0], [0.0, 0.0]])
    sr, st = np.array([0.1, 0.2, 0.3, 0.4]), 0.05
    cov = polar_covariance(pts, sr, st)
    phi = np.arctan2(pts[:, 1], pts[:, 0])
    rhat = np.column_stack([np.cos(phi), np.sin(phi)])
    that = np.column_stack([-np.sin(phi), np.cos(phi)])
    expected = (sr**2)[:, None, None] * np.einsum("ni,nj->nij", rhat, rhat) + st**2 * np.einsum(
        "ni,nj->nij", that, that
    )
    np.testing.assert_allclose(cov, expected, rtol=1e-14, atol=1e-18)
    np.testing.assert_allclose(cov[0], np.diag([0.01, 0.0025]), atol=1e-16)  # on the x axis
    np.testing.assert_allclose(cov[1], np.diag([0.0025, 0.04]), atol=1e-16)  # on the y axis (cos π/2 ≠ 0)
    # Gaussian errors drawn along r̂ and t̂ have this covariance (within Z standard errors of the
    # sample covariance entries, σ(c_ij)² = (c_ii c_jj + c_ij²)/n for Gaussian data)
    n = 50_000
    g = np.random.default_rng(23).normal(size=(n, 2))
    dx = g[:, :1] * sr[2] * rhat[2] + g[:, 1:] * st * that[2]
    sample = np.cov(dx.T, bias=True)
    c = cov[2]
    se = np.sqrt((np.outer(np.diag(c), np.diag(c)) + c**2) / n)
    assert np.all(np.abs(sample - c) < 3.89 * se)
    # calibration-metric's toy tracker, as that experiment computed it before, bit for bit
    y = np.random.default_rng(24).uniform(-1, 1, size=(200, 2))
    r = np.linalg.norm(y, axis=1)
    sr, sp = 0.02 * (1 + r), 0.004 * (1 + 3 * r)
    c, s = np.cos(np.arctan2(y[:, 1], y[:, 0])), np.sin(np.arctan2(y[:, 1], y[:, 0]))
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    diag = np.zeros((len(y), 2, 2))
    diag[:, 0, 0], diag[:, 1, 1] = sr**2, sp**2
    np.testing.assert_array_equal(polar_covariance(y, sr, sp), rot @ diag @ np.swapaxes(rot, -1, -2))
    with pytest.raises(ValueError, match="radial_sd must be > 0"):
        polar_covariance(pts, 0.0, 0.1)
    with pytest.raises(ValueError, match=r"tangential_sd must be one value or one per point \(4\)"):
        polar_covariance(pts, 0.1, np.ones(3))
    with pytest.raises(ValueError, match=r"points must have shape \(any, 2\)"):
        polar_covariance(np.ones((4, 3)), 0.1, 0.1)


def test_whitening_and_mahalanobis():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    cov = a @ a.T + 0.1 * np.eye(3)
    w = whitening_map(cov)
    np.testing.assert_allclose(w @ cov @ w.T, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(w, w.T, atol=1e-12)
    y1, y2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    direct = np.sqrt(np.einsum("ni,ij,nj->n", y1 - y2, np.linalg.inv(cov), y1 - y2))
    np.testing.assert_allclose(mahalanobis_distance(y1, y2, cov), direct)
    np.testing.assert_allclose(np.linalg.norm((y1 - y2) @ w.T, axis=1), direct)
    np.testing.assert_allclose(mahalanobis_distance(y1, y2, np.stack([cov] * 5)), direct)
    with pytest.raises(ValueError, match="positive definite"):
        whitening_map(np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="symmetric"):
        whitening_map(np.array([[1.0, 0.5], [0.0, 1.0]]))


def test_covariance_field_from_repeats():
    rng = np.random.default_rng(1)
    centres = rng.random((30, 2))
    true = np.array([[[0.01 * (1 + p[0]), 0.0], [0.0, 0.002]] for p in centres])
    reps = centres[:, None, :] + np.einsum("nij,nmj->nmi", np.linalg.cholesky(true),
                                          rng.standard_normal((30, 2000, 2)))
    means, covs = local_covariances(reps)
    np.testing.assert_allclose(covs[3], np.cov(reps[3].T), rtol=1e-12)
    # 2000 repeats: each variance within 5 standard errors sqrt(2/1999) ~ 3 %
    diag = np.diagonal(covs, axis1=1, axis2=2)
    np.testing.assert_allclose(diag, np.diagonal(true, axis1=1, axis2=2), rtol=0.16)
    field = CovarianceField.from_repeats(reps, n_neighbors=1)
    np.testing.assert_allclose(field.covariance(means[:4]), covs[:4])
    g = field.metric(means[:1])[0]
    np.testing.assert_allclose(g @ covs[0], np.eye(2), atol=1e-9)
    const = CovarianceField().fit(centres, true[0])
    d = const.distance(centres[:5], centres[5:10])
    np.testing.assert_allclose(d, mahalanobis_distance(centres[:5], centres[5:10], true[0]))
    white = const.whiten(centres, centres[0])
    expected = mahalanobis_distance(centres[1:6], centres[0], true[0])
    np.testing.assert_allclose(np.linalg.norm(white[1:6], axis=1), expected)
    with pytest.raises(ValueError, match="D \\+ 1"):
        local_covariances(reps[:, :2])
    with pytest.raises(NotFittedError):
        CovarianceField().covariance(centres)


# ------------------------------------------------------------------ local PCA


def test_sphere_curvature_constant():
    assert sphere_curvature_constant(2) == pytest.approx(1 / 48)
    # d = 1: a circle: Var(h) = (E rho^4 - (E rho^2)^2) / (4 R^2) with rho uniform on [0, r]: 1/5 - 1/9
    assert sphere_curvature_constant(1) == pytest.approx((1 / 5 - 1 / 9) / 4)


def test_local_singular_values_equal_svd_of_the_ball():
    x = np.random.default_rng(0).normal(size=(500, 3))
    centres = x[:3]
    radii = np.array([0.5, 1.0, 2.0])
    sv, counts = local_singular_values(x, centres, radii)
    for i, c in enumerate(centres):
        for j, r in enumerate(radii):
            ball = x[np.linalg.norm(x - c, axis=1) <= r]
            assert counts[i, j] == len(ball)
            ref = np.zeros(3)  # fewer points than dimensions: the missing singular values are 0
            s = np.linalg.svd(ball - ball.mean(0), compute_uv=False) / np.sqrt(len(ball))
            ref[: s.size] = s
            # singular values of rank-deficient balls are sqrt(rounding): ~1e-9, not 0
            np.testing.assert_allclose(sv[i, j], ref, rtol=1e-8, atol=1e-7)


def test_multiscale_pca_recovers_a_noisy_sphere_and_flags_a_sparse_one():
    radius, noise = 2.0, 0.04
    dense = MultiscaleLocalPCA(n_centers=60, seed=0).fit(sphere(8000, 2, radius=radius, noise=noise, seed=1))
    assert dense.tangent_dimension_ == 2
    # bias of the method at these scales is below 15 % (see the local-scales experiment for errors)
    assert dense.noise_level_ == pytest.approx(noise, rel=0.15)
    assert dense.curvature_radius_ == pytest.approx(radius, rel=0.15)
    assert dense.crossover_radius_ == pytest.approx((48 * noise**2 * radius**2) ** 0.25, rel=0.15)
    assert dense.resolvable_
    sparse = MultiscaleLocalPCA(n_centers=60, seed=0).fit(sphere(200, 2, radius=radius, noise=noise, seed=1))
    assert not sparse.resolvable_
    assert dense.plot() is not None


def test_multiscale_pca_in_higher_ambient_dimension():
    x = sphere(8000, 2, ambient_dim=6, noise=0.01, seed=2)
    m = MultiscaleLocalPCA(n_centers=40, seed=0).fit(x)
    assert m.tangent_dimension_ == 2
    assert m.noise_level_ == pytest.approx(0.01, rel=0.15)


# ------------------------------------------------------------------ manifold learning


def test_pca_of_an_isometric_plane_keeps_every_neighbour():
    rng = np.random.default_rng(0)
    plane = rng.random((500, 2))
    rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    x = np.column_stack([plane, np.zeros(500)]) @ rot.T
    y = embed(x, 2, method="pca")
    assert np.all(neighbor_preservation(x, y, 10) == 1.0)


def test_isomap_unrolls_the_swiss_roll_and_pca_does_not():
    x = swiss_roll(1000, seed=0)
    iso = embedding_diagnostics(x, embed(x, 2, method="isomap", n_neighbors=10))
    pca = embedding_diagnostics(x, embed(x, 2, method="pca"))
    assert iso.neighbor_preservation > 0.7 > pca.neighbor_preservation
    assert abs(iso.embedding_dimension - 2) < 0.3 and abs(iso.data_dimension - 2) < 0.3
    lle = embed(x[:400], 2, method="lle", n_neighbors=12)
    assert lle.shape == (400, 2)
    with pytest.raises(ValueError, match="max_samples"):
        embed(x, 2, method="isomap", max_samples=100)
    with pytest.raises(ValueError, match="method must be one of"):
        embed(x, 2, method="tsne")


def test_top_eigenvalues_by_lanczos_equal_the_dense_ones():
    from physml.geometry._local_pca import _top_eigenvalues

    local = np.random.default_rng(3).normal(size=(300, 200)) * np.linspace(3, 0.1, 200)
    local -= local.mean(0)
    dense = np.linalg.eigvalsh(local.T @ local / 300)[::-1][:10]
    np.testing.assert_allclose(_top_eigenvalues(local, 10), dense, rtol=1e-8)  # Lanczos path
    np.testing.assert_allclose(_top_eigenvalues(local[:40], 60)[:39],
                               np.linalg.eigvalsh(local[:40] @ local[:40].T / 40)[::-1][:39], rtol=1e-8)
