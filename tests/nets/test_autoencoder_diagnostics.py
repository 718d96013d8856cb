"""Diagnostics of where an autoencoder breaks, against exact values and synthetic cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.data import sphere
from physml.nets import (
    cap_fraction,
    latent_tear,
    loss_concentration,
    principal_angles,
    winding_number,
)


def test_cap_fraction_closed_forms():
    assert cap_fraction(1, 0.3) == pytest.approx(0.3 / math.pi, rel=1e-12)
    assert cap_fraction(2, 0.3) == pytest.approx((1 - math.cos(0.3)) / 2, rel=1e-12)
    assert cap_fraction(5, math.pi) == pytest.approx(1.0)
    # Monte Carlo on S⁴
    x = sphere(200_000, 4, seed=1)
    p = float(np.mean(x[:, 0] >= math.cos(1.0)))
    assert abs(p - cap_fraction(4, 1.0)) < 4 * math.sqrt(p * (1 - p) / len(x))


def test_loss_concentration_finds_a_hot_spot_and_not_noise():
    x = sphere(20_000, 2, seed=2)
    spot = np.array([0.0, 0.6, 0.8])
    loss = np.exp(-np.sum((x - spot) ** 2, axis=1) / 0.01) + 1e-3 * np.random.default_rng(3).random(len(x))
    c = loss_concentration(x, loss, radius=0.3, top_fraction=0.01)
    assert np.linalg.norm(c.centre - spot) < 0.05
    assert c.fraction_top == 1.0
    assert c.fraction_all == pytest.approx(cap_fraction(2, 2 * math.asin(0.15)), abs=0.01)
    assert c.enrichment > 20
    assert c.argmax_index == int(np.argmax(loss))
    flat = loss_concentration(x, np.random.default_rng(4).random(len(x)), radius=0.3, top_fraction=0.01)
    assert flat.fraction_top < 0.1


def test_winding_number_of_circles():
    t = np.linspace(0, 2 * math.pi, 400, endpoint=False)
    circle = np.column_stack([np.cos(t), np.sin(t)])
    assert winding_number(circle) == pytest.approx(1.0)
    assert winding_number(circle[::-1]) == pytest.approx(-1.0)
    twice = np.column_stack([np.cos(2 * t), np.sin(2 * t)]) * (1 + 0.1 * np.cos(t))[:, None]
    assert winding_number(twice, np.zeros(2)) == pytest.approx(2.0)
    assert winding_number(circle, np.array([3.0, 0.0])) == pytest.approx(0.0, abs=1e-12)


def test_latent_tear_locates_the_jump():
    rng = np.random.default_rng(5)
    angles = rng.uniform(-math.pi, math.pi, 2000)
    tear = 1.0
    z = np.mod(angles - tear, 2 * math.pi)[:, None]  # continuous except at the tear
    where, ratio = latent_tear(angles, z)
    assert abs(where - tear) < 0.01
    assert ratio > 100
    smooth = np.column_stack([np.cos(angles), np.sin(angles)])
    assert latent_tear(angles, smooth)[1] < 20


def test_principal_angles():
    a = np.eye(4)[:, :2]
    rot = np.eye(4)
    rot[[0, 0, 2, 2], [0, 2, 0, 2]] = [math.cos(0.3), -math.sin(0.3), math.sin(0.3), math.cos(0.3)]
    np.testing.assert_allclose(principal_angles(a, rot @ a), [0.3, 0.0], atol=1e-12)


def test_diagnostics_reject_bad_input():
    with pytest.raises(ValueError, match="losses has 3 entries for 4 points"):
        loss_concentration(np.zeros((4, 2)), np.zeros(3), radius=0.1)
    with pytest.raises(ValueError, match="radius"):
        loss_concentration(np.zeros((4, 2)), np.zeros(4), radius=0.0)
    with pytest.raises(ValueError, match="non-finite"):
        loss_concentration(np.zeros((4, 2)), np.array([0.0, np.nan, 1.0, 2.0]), radius=0.1)
    with pytest.raises(ValueError, match="curve must have shape"):
        winding_number(np.zeros((5, 3)))

