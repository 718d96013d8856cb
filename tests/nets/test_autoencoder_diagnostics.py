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
    top_loss_gap,
    top_loss_indices,
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


def test_top_loss_indices():
    losses = np.array([0.3, 5.0, 0.1, 2.0, 2.0, 7.0, 0.0, 1.0])
    np.testing.assert_array_equal(top_loss_indices(losses, 0.25), [5, 1])  # round(0.25 · 8) = 2
    top4 = top_loss_indices(losses, 0.5)
    assert list(top4[:2]) == [5, 1] and set(top4[2:]) == {3, 4}  # a tie of 2.0 at rows 3 and 4
    np.testing.assert_array_equal(top_loss_indices(losses, 0.01), [5])  # at least one
    np.testing.assert_array_equal(top_loss_indices(losses, 1.0), np.argsort(losses)[::-1])
    with pytest.raises(ValueError, match="top_fraction"):
        top_loss_indices(losses, 0.0)


def test_top_loss_gap_exact_and_at_chance():
    angles = np.array([-3.0, -1.0, 0.5, 3.1])
    losses = np.array([9.0, 1.0, 2.0, 8.0])
    # the top half are at −3.0 and 3.1; from π the nearest is 3.1 (0.0416), across the cut −3.0 is 0.1416
    assert top_loss_gap(angles, losses, math.pi, top_fraction=0.5) == pytest.approx(math.pi - 3.1, rel=1e-13)
    assert top_loss_gap(angles, losses, -math.pi + 0.05, top_fraction=0.5) == pytest.approx(
        math.pi - 3.1 + 0.05, rel=1e-12
    )
    assert top_loss_gap(angles, losses, 0.5, top_fraction=1.0) == 0.0
    assert top_loss_gap(angles, losses, 0.5 + 2 * math.pi, top_fraction=1.0) == pytest.approx(0.0, abs=1e-15)
    # losses unrelated to the angle: with k top points uniform on the circle, P(gap ≤ a) = 1 − (1 − a/π)^k
    rng = np.random.default_rng(6)
    k, replicas, a = 5, 4000, 0.2
    hits = np.mean(
        [
            top_loss_gap(rng.uniform(-math.pi, math.pi, 100), rng.random(100), 1.0, top_fraction=0.05) <= a
            for _ in range(replicas)
        ]
    )
    p = 1 - (1 - a / math.pi) ** k
    assert abs(hits - p) < 3.89 * math.sqrt(p * (1 - p) / replicas)
    # the same number as ae-sphere-deadzone's former inline computation
    t, lm = rng.uniform(-math.pi, math.pi, 1000), rng.random(1000).astype(np.float32)
    top = np.argsort(lm)[::-1][: max(1, int(round(0.01 * len(lm))))]
    inline = np.abs((t[top] - 0.7 + math.pi) % (2 * math.pi) - math.pi).min()
    assert top_loss_gap(t, lm, 0.7, top_fraction=0.01) == inline
    with pytest.raises(ValueError, match="losses has 3 entries for 4 angles"):
        top_loss_gap(angles, losses[:3], 0.0)


def test_loss_concentration_on_the_circle_is_the_arc_count():
    # points on a circle: a chord 2 sin(a/2) is an arc a, so fraction_top counts the top losses within an
    # arc of half-width a of the densest one (ae-excised-equator's former inline count)
    rng = np.random.default_rng(7)
    t = rng.uniform(0, 2 * math.pi, 4000)
    circle = np.column_stack([np.cos(t), np.sin(t), np.zeros_like(t)])
    loss = np.exp(-np.abs(np.angle(np.exp(1j * (t - 2.0)))) / 0.05) + 0.1 * rng.random(len(t))
    arc = math.pi * 0.05
    top = np.argsort(loss)[::-1][:200]
    d = np.abs((t[top][:, None] - t[top][None, :] + math.pi) % (2 * math.pi) - math.pi)
    inline = float(np.max(np.sum(d <= arc, axis=1)) / len(top))
    conc = loss_concentration(circle, loss, radius=2 * math.sin(arc / 2), top_fraction=0.05)
    assert conc.fraction_top == inline and 0.2 < inline < 1.0


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

