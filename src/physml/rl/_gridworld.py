"""A gridworld Markov decision process, exact dynamic programming on it, and tabular Q-learning.

The Kaplan talk's second formulation of reinforcement learning: learn the value Q(s, a) of
each action in each state and act greedily on it. For a finite MDP the optimal values solve the
Bellman optimality equation

    Q*(s, a) = Σ_s' P(s' | s, a) [R(s, a, s') + γ max_a' Q*(s', a')],

which value iteration solves by contraction; Q-learning (Watkins 1989) estimates the same fixed
point from sampled transitions alone and converges to it when every (s, a) is visited infinitely
often with step sizes Σ α = ∞, Σ α² < ∞ (Watkins & Dayan 1992).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from physml._core import as_generator, check_int, check_real, check_seed

__all__ = ["ACTIONS", "GridWorld", "QLearningResult", "policy_evaluation", "q_learning", "value_iteration"]

#: Moves (drow, dcol) of the four actions, in action order: up, right, down, left.
ACTIONS: tuple[tuple[int, int], ...] = ((-1, 0), (0, 1), (1, 0), (0, -1))


class GridWorld:
    """A rectangular grid of cells; the agent moves up/right/down/left.

    Moving into a wall or off the grid leaves the agent where it is. Entering a terminal cell
    pays that cell's reward and ends the episode; every other move pays ``step_reward``. With
    probability ``slip`` the move goes in one of the two perpendicular directions instead
    (each with probability ``slip / 2``).

    Parameters
    ----------
    shape : (int, int)
        Rows and columns.
    terminals : mapping (row, col) -> float
        Terminal cells and the reward for entering them.
    walls : iterable of (row, col)
        Blocked cells.
    step_reward : float
        Reward of a move that does not enter a terminal cell.
    slip : float in [0, 1)
        Probability that a move goes sideways.

    Attributes
    ----------
    n_states, n_actions : int
        States are the non-wall cells, numbered row by row (terminal cells included; they are
        absorbing with zero reward).
    cells : list of (row, col)
        The cell of each state.
    P : ndarray, shape (n_states, n_actions, n_states)
        Transition probabilities P(s' | s, a).
    R : ndarray, shape (n_states, n_actions)
        Expected reward of taking a in s, Σ_s' P(s' | s, a) r(s, a, s').
    terminal : ndarray of bool, shape (n_states,)
    """

    def __init__(
        self,
        shape: tuple[int, int],
        terminals: Mapping[tuple[int, int], float],
        *,
        walls: Iterable[tuple[int, int]] = (),
        step_reward: float = 0.0,
        slip: float = 0.0,
    ):
        if len(tuple(shape)) != 2:
            raise ValueError(f"shape must be (rows, cols), got {shape!r}")
        rows, cols = (check_int(v, f"shape[{i}]", low=1) for i, v in enumerate(shape))
        self.shape = (rows, cols)
        self.walls = frozenset(tuple(w) for w in walls)
        self.step_reward = check_real(step_reward, "step_reward")
        self.slip = check_real(slip, "slip", low=0.0, high=1.0)
        if self.slip >= 1.0:
            raise ValueError(f"slip must be in [0, 1), got {slip}")
        if not terminals:
            raise ValueError("terminals must name at least one terminal cell, got none")
        for cell in [*self.walls, *terminals]:
            r, c = cell
            if not (0 <= r < rows and 0 <= c < cols):
                raise ValueError(f"cell {cell!r} is outside the {rows}x{cols} grid")
        if self.walls & set(terminals):
            raise ValueError(f"cells {sorted(self.walls & set(terminals))} are both walls and terminals")
        self.terminals = {tuple(k): float(v) for k, v in terminals.items()}
        self.cells = [(r, c) for r in range(rows) for c in range(cols) if (r, c) not in self.walls]
        self.index = {cell: i for i, cell in enumerate(self.cells)}
        self.n_states, self.n_actions = len(self.cells), len(ACTIONS)
        self.terminal = np.array([cell in self.terminals for cell in self.cells])
        self.P = np.zeros((self.n_states, self.n_actions, self.n_states))
        self.R = np.zeros((self.n_states, self.n_actions))
        for s, cell in enumerate(self.cells):
            if self.terminal[s]:
                self.P[s, :, s] = 1.0  # absorbing, no reward
                continue
            for a in range(self.n_actions):
                for direction, p in self._directions(a):
                    s2 = self._move(cell, direction)
                    self.P[s, a, s2] += p
                    self.R[s, a] += p * self._reward(s2)
        # cumulative distributions for sampling
        self._cdf = np.cumsum(self.P, axis=2)

    def _directions(self, a: int) -> list[tuple[int, float]]:
        if self.slip == 0.0:
            return [(a, 1.0)]
        return [(a, 1.0 - self.slip), ((a + 1) % 4, self.slip / 2), ((a + 3) % 4, self.slip / 2)]

    def _move(self, cell: tuple[int, int], a: int) -> int:
        dr, dc = ACTIONS[a]
        r, c = cell[0] + dr, cell[1] + dc
        if not (0 <= r < self.shape[0] and 0 <= c < self.shape[1]) or (r, c) in self.walls:
            r, c = cell
        return self.index[(r, c)]

    def _reward(self, s2: int) -> float:
        cell = self.cells[s2]
        return self.terminals[cell] if cell in self.terminals else self.step_reward

    def reward(self, s: int, a: int, s2: int) -> float:
        """Reward r(s, a, s') of the transition (0 from a terminal state)."""
        return 0.0 if self.terminal[s] else self._reward(s2)

    def step(self, s: int, a: int, rng: np.random.Generator) -> tuple[int, float, bool]:
        """Sample a transition: (next state, reward, whether it is terminal)."""
        s2 = int(np.searchsorted(self._cdf[s, a], rng.random(), side="right"))
        s2 = min(s2, self.n_states - 1)
        return s2, self.reward(s, a, s2), bool(self.terminal[s2])


def _check_gamma(gamma: float) -> float:
    gamma = check_real(gamma, "gamma", low=0.0, high=1.0)
    return gamma


def value_iteration(
    P: np.ndarray, R: np.ndarray, gamma: float, *, tol: float = 1e-12, max_iter: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal action values by value iteration, Q ← R + γ P max_a' Q.

    Parameters
    ----------
    P : array, shape (n_states, n_actions, n_states)
    R : array, shape (n_states, n_actions)
        Expected immediate reward.
    gamma : float in [0, 1]
        Discount; γ = 1 is allowed for episodic problems whose optimal policy reaches a terminal.
    tol : float
        Stop when the largest change of Q in one sweep is below ``tol``.

    Returns
    -------
    Q : ndarray, shape (n_states, n_actions)
    V : ndarray, shape (n_states,)
        max_a Q(s, a).

    Raises
    ------
    RuntimeError
        If it has not converged after ``max_iter`` sweeps.
    """
    gamma = _check_gamma(gamma)
    P, R = np.asarray(P, dtype=float), np.asarray(R, dtype=float)
    if P.ndim != 3 or P.shape[0] != P.shape[2] or R.shape != P.shape[:2]:
        raise ValueError(f"P must have shape (S, A, S) and R (S, A); got {P.shape} and {R.shape}")
    Q = np.zeros_like(R)
    for _ in range(check_int(max_iter, "max_iter", low=1)):
        new = R + gamma * P @ Q.max(axis=1)
        delta = np.max(np.abs(new - Q))
        Q = new
        if delta < tol:
            return Q, Q.max(axis=1)
    raise RuntimeError(f"value iteration did not converge in {max_iter} sweeps (last change {delta:.3g})")


def policy_evaluation(
    P: np.ndarray, R: np.ndarray, policy: np.ndarray, gamma: float, terminal: np.ndarray | None = None
) -> np.ndarray:
    """Exact value V^π of a deterministic policy: solve (1 − γ P_π) V = R_π.

    Parameters
    ----------
    policy : int array, shape (n_states,)
        The action taken in each state.
    terminal : bool array, shape (n_states,), optional
        Absorbing zero-reward states, whose value is fixed at 0 (needed for γ = 1).

    Returns
    -------
    ndarray, shape (n_states,)
        ``inf``-free only if the policy reaches a terminal state (γ = 1) — otherwise the system is
        singular and :class:`numpy.linalg.LinAlgError` is raised.
    """
    gamma = _check_gamma(gamma)
    policy = np.asarray(policy, dtype=int)
    n = P.shape[0]
    Pp = P[np.arange(n), policy]
    Rp = R[np.arange(n), policy]
    A = np.eye(n) - gamma * Pp
    if terminal is not None:
        t = np.asarray(terminal, dtype=bool)
        A[t] = 0.0
        A[t, t] = 1.0
        Rp = np.where(t, 0.0, Rp)
    return np.linalg.solve(A, Rp)


@dataclass(frozen=True)
class QLearningResult:
    """What :func:`q_learning` returns.

    Attributes
    ----------
    Q : ndarray, shape (n_states, n_actions)
    visits : ndarray of int, shape (n_states, n_actions)
        Updates made to each entry.
    errors : ndarray, shape (n_checkpoints,)
        max |Q − Q_ref| after the episodes in ``checkpoints`` (empty without ``Q_ref``).
    checkpoints : ndarray of int
    """

    Q: np.ndarray
    visits: np.ndarray
    errors: np.ndarray
    checkpoints: np.ndarray


def q_learning(
    env: GridWorld,
    *,
    episodes: int,
    gamma: float,
    epsilon: float = 0.2,
    omega: float = 0.6,
    max_steps: int = 200,
    Q_ref: np.ndarray | None = None,
    n_checkpoints: int = 20,
    seed: int | np.random.Generator = 0,
) -> QLearningResult:
    """Tabular Q-learning with ε-greedy exploration and step size α = 1 / n(s, a)^ω.

    Q(s, a) ← Q(s, a) + α [r + γ max_a' Q(s', a') − Q(s, a)]  (no bootstrap from terminals).

    Episodes start in a uniformly random non-terminal state. With ω in (1/2, 1] the step sizes
    satisfy the Robbins-Monro conditions, so Q → Q* (Watkins & Dayan 1992).

    Parameters
    ----------
    env : GridWorld
    episodes : int
    gamma : float in [0, 1]
    epsilon : float in [0, 1]
        Probability of a uniformly random action (ties in the greedy action are broken at random).
    omega : float in (0.5, 1]
        Exponent of the step size.
    max_steps : int
        Episode length cap.
    Q_ref : array, optional
        Reference values (e.g. from :func:`value_iteration`) for the error curve.
    seed : int or numpy.random.Generator
    """
    episodes = check_int(episodes, "episodes", low=0)
    gamma = _check_gamma(gamma)
    epsilon = check_real(epsilon, "epsilon", low=0.0, high=1.0)
    omega = check_real(omega, "omega", low=0.5, high=1.0, low_open=True)
    max_steps = check_int(max_steps, "max_steps", low=1)
    rng = as_generator(check_seed(seed))
    Q = np.zeros((env.n_states, env.n_actions))
    visits = np.zeros((env.n_states, env.n_actions), dtype=np.int64)
    starts = np.flatnonzero(~env.terminal)
    marks = np.unique(np.linspace(0, episodes, n_checkpoints + 1).astype(int)[1:])
    errors = []
    k = 0
    for ep in range(1, episodes + 1):
        s = int(rng.choice(starts))
        for _ in range(max_steps):
            if rng.random() < epsilon:
                a = int(rng.integers(env.n_actions))
            else:
                best = np.flatnonzero(Q[s] == Q[s].max())
                a = int(best[rng.integers(len(best))])
            s2, r, done = env.step(s, a, rng)
            visits[s, a] += 1
            alpha = visits[s, a] ** -omega
            target = r if done else r + gamma * Q[s2].max()
            Q[s, a] += alpha * (target - Q[s, a])
            s = s2
            if done:
                break
        if Q_ref is not None and k < len(marks) and ep == marks[k]:
            live = ~env.terminal
            errors.append(float(np.max(np.abs(Q[live] - Q_ref[live]))))
            k += 1
    return QLearningResult(Q, visits, np.array(errors), marks[: len(errors)].astype(int))
