"""Gridworld: value iteration against hand-solved worlds, Q-learning against value iteration."""

import numpy as np
import pytest

from physml.rl import GridWorld, policy_evaluation, q_learning, value_iteration


def test_corridor_values_are_discounted_distance_to_goal():
    # 1x5 corridor, goal (reward 1) at the right end, no step cost: V(s) = γ^(d-1), d = steps to goal
    gamma = 0.9
    env = GridWorld((1, 5), {(0, 4): 1.0})
    Q, V = value_iteration(env.P, env.R, gamma)
    d = 4 - np.arange(5)
    expected = np.where(d > 0, gamma ** (d - 1.0), 0.0)
    np.testing.assert_allclose(V, expected, atol=1e-10)
    # moving left from cell 2 (d=2) reaches cell 1 (d=3): Q = 0 + γ V(1) = γ³
    assert Q[2, 3] == pytest.approx(gamma**3, abs=1e-10)
    # bumping into the left wall from cell 0 stays: Q = γ V(0) = γ⁴
    assert Q[0, 3] == pytest.approx(gamma**4, abs=1e-10)


def test_shortest_path_with_unit_step_cost():
    # γ = 1, reward −1 per move (also into the goal): V = −(length of the shortest path)
    env = GridWorld((3, 4), {(0, 3): -1.0}, walls=[(0, 1), (1, 1)], step_reward=-1.0)
    _, V = value_iteration(env.P, env.R, 1.0)
    # from (0,0) the path goes down around the wall: (1,0),(2,0),(2,1),(2,2),(1,2),(0,2),(0,3) = 7
    assert V[env.index[(0, 0)]] == pytest.approx(-7.0)
    assert V[env.index[(2, 3)]] == pytest.approx(-2.0)
    assert V[env.index[(0, 2)]] == pytest.approx(-1.0)


def test_slip_transition_probabilities_sum_to_one():
    env = GridWorld((3, 3), {(2, 2): 1.0}, slip=0.2)
    np.testing.assert_allclose(env.P.sum(axis=2), 1.0)
    # from the centre going up: up with 0.8, right and left with 0.1 each
    s = env.index[(1, 1)]
    assert env.P[s, 0, env.index[(0, 1)]] == pytest.approx(0.8)
    assert env.P[s, 0, env.index[(1, 2)]] == pytest.approx(0.1)


def test_q_learning_converges_to_value_iteration_deterministic():
    env = GridWorld((4, 4), {(0, 3): 1.0, (1, 3): -1.0}, walls=[(1, 1)], step_reward=-0.04)
    Q_star, V_star = value_iteration(env.P, env.R, 0.9)
    res = q_learning(env, episodes=4000, gamma=0.9, epsilon=0.5, Q_ref=Q_star, seed=3)
    assert res.errors[-1] < 1e-3
    assert res.errors[-1] < res.errors[0]
    policy = res.Q.argmax(axis=1)
    np.testing.assert_allclose(policy_evaluation(env.P, env.R, policy, 0.9, env.terminal), V_star, atol=1e-9)


def test_q_learning_policy_loss_obeys_singh_yee_bound_with_slip():
    # V* − V^π ≤ 2 max|Q − Q*| / (1 − γ) for the greedy policy π of any Q (Singh & Yee 1994)
    gamma = 0.9
    env = GridWorld((4, 4), {(0, 3): 1.0, (1, 3): -1.0}, walls=[(1, 1)], step_reward=-0.04, slip=0.2)
    Q_star, V_star = value_iteration(env.P, env.R, gamma)
    res = q_learning(env, episodes=3000, gamma=gamma, Q_ref=Q_star, seed=0)
    err = res.errors[-1]
    assert err < 0.3 and err < res.errors[0]
    V_pi = policy_evaluation(env.P, env.R, res.Q.argmax(axis=1), gamma, env.terminal)
    assert np.all(V_star - V_pi <= 2 * err / (1 - gamma) + 1e-12)


def test_same_seed_same_q():
    env = GridWorld((2, 3), {(0, 2): 1.0}, slip=0.1)
    a = q_learning(env, episodes=50, gamma=0.9, seed=7).Q
    b = q_learning(env, episodes=50, gamma=0.9, seed=7).Q
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(shape=(2, 2), terminals={}), "terminals must name at least one"),
        (dict(shape=(2, 2), terminals={(5, 0): 1.0}), "outside the 2x2 grid"),
        (dict(shape=(2, 2), terminals={(0, 0): 1.0}, walls=[(0, 0)]), "both walls and terminals"),
        (dict(shape=(2, 2), terminals={(0, 0): 1.0}, slip=1.0), "slip must be in"),
    ],
)
def test_bad_worlds_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GridWorld(**kwargs)
