"""Tic-tac-toe: exact minimax values and a tabular self-play learner.

The Kaplan talk's games slide: formalise a game as states and actions, and learn either a
policy π(s) or action values Q(s, a) — "self-play has proven to be a powerful way to train in
games like Go". Tic-tac-toe is small enough (5478 legal positions) to solve exactly by minimax,
so what self-play learns can be checked against perfect play.

Boards are tuples of 9 ints in reading order (squares 0..8): 0 empty, 1 for X, −1 for O. X moves
first; the player to move is X when the board has as many X as O. Values are from the point of
view of the player to move: +1 win, 0 draw, −1 loss under perfect play by both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import numpy as np

from physml._core import as_generator, check_int, check_real, check_seed

__all__ = [
    "EMPTY_BOARD",
    "SelfPlayAgent",
    "board_from_string",
    "board_to_string",
    "legal_moves",
    "minimax_moves",
    "minimax_value",
    "play",
    "player_to_move",
    "reachable_positions",
    "winner",
    "worst_case_outcomes",
]

Board = tuple[int, ...]
EMPTY_BOARD: Board = (0,) * 9
_LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))
_POW3 = 3 ** np.arange(9)
_POW3_INT = tuple(3**i for i in range(9))
_EMPTY_INDEX = (3**9 - 1) // 2  # the base-3 code of the empty board (every digit 1)


def _check_board(board: Sequence[int]) -> Board:
    b = tuple(int(v) for v in board)
    if len(b) != 9 or any(v not in (-1, 0, 1) for v in b):
        raise ValueError(f"board must be 9 values in {{-1, 0, 1}}, got {tuple(board)!r}")
    nx, no = b.count(1), b.count(-1)
    if nx - no not in (0, 1):
        raise ValueError(f"board {board_to_string(b)!r} is not reachable: {nx} X and {no} O")
    return b


def player_to_move(board: Sequence[int]) -> int:
    """+1 (X) or −1 (O)."""
    b = tuple(board)
    return 1 if b.count(1) == b.count(-1) else -1


def winner(board: Sequence[int]) -> int:
    """+1 if X has three in a row, −1 if O has, 0 otherwise."""
    for i, j, k in _LINES:
        s = board[i]
        if s != 0 and s == board[j] == board[k]:
            return int(s)
    return 0


def _over(board: Board) -> bool:
    return winner(board) != 0 or 0 not in board


def legal_moves(board: Sequence[int]) -> list[int]:
    """Empty squares, or none if the game is over."""
    b = tuple(board)
    return [] if _over(b) else [i for i, v in enumerate(b) if v == 0]


def _after(board: Board, move: int) -> Board:
    b = list(board)
    b[move] = player_to_move(board)
    return tuple(b)


@cache
def _negamax(board: Board) -> int:
    w = winner(board)
    if w != 0:
        return w * player_to_move(board)  # the previous player won: −1 for the player to move
    if 0 not in board:
        return 0
    return max(-_negamax(_after(board, m)) for m in range(9) if board[m] == 0)


def minimax_value(board: Sequence[int] = EMPTY_BOARD) -> int:
    """Value of ``board`` for the player to move under perfect play: +1, 0 or −1."""
    return _negamax(_check_board(board))


def minimax_moves(board: Sequence[int]) -> list[int]:
    """All moves that keep the minimax value (the moves a perfect player may make)."""
    b = _check_board(board)
    moves = legal_moves(b)
    if not moves:
        return []
    values = {m: -_negamax(_after(b, m)) for m in moves}
    best = max(values.values())
    return [m for m in moves if values[m] == best]


def reachable_positions() -> list[Board]:
    """Every position reachable from the empty board by legal play (5478 of them)."""
    seen = {EMPTY_BOARD}
    frontier = [EMPTY_BOARD]
    while frontier:
        nxt = []
        for b in frontier:
            for m in legal_moves(b):
                c = _after(b, m)
                if c not in seen:
                    seen.add(c)
                    nxt.append(c)
        frontier = nxt
    return sorted(seen)


def board_to_string(board: Sequence[int]) -> str:
    """Nine characters 'X', 'O' or '.', e.g. ``'X...O....'``."""
    return "".join({1: "X", -1: "O", 0: "."}[v] for v in board)


def board_from_string(text: str) -> Board:
    """Inverse of :func:`board_to_string` (also accepts '-' or ' ' for empty)."""
    table = {"X": 1, "x": 1, "O": -1, "o": -1, ".": 0, "-": 0, " ": 0}
    if len(text) != 9 or any(ch not in table for ch in text):
        raise ValueError(f"board text must be 9 characters of X, O and '.', got {text!r}")
    return _check_board([table[ch] for ch in text])


def _index(board: Board) -> int:
    return int(np.dot(np.asarray(board) + 1, _POW3))


@cache
def _move_table() -> dict[int, tuple[tuple[int, ...], tuple[int, ...], tuple[float | None, ...]]]:
    """For every position with a move to make, by base-3 code: (legal moves, the codes of the
    positions they lead to, and the mover's reward if the move ends the game: 1 win, 0 draw,
    else None)."""
    out = {}
    for b in reachable_positions():
        moves = legal_moves(b)
        if moves:
            after = [_after(b, m) for m in moves]
            out[_index(b)] = (
                tuple(moves),
                tuple(_index(c) for c in after),
                tuple((1.0 if winner(c) != 0 else 0.0) if _over(c) else None for c in after),
            )
    return out


class SelfPlayAgent:
    """Tabular action values learned by self-play Q-learning (negamax form).

    One table Q(s, a) serves both sides: it is the value of move a for the player to move in s.
    After a move to s', the opponent moves, so the Bellman target is r if the move ends the game
    (+1 for a win, 0 for a draw) and −max_a' Q(s', a') otherwise. Each episode is a game of the
    agent against itself with ε-greedy exploration; at its end the episode's updates are applied
    from the last move backwards (backward replay, Lin 1992), so the result of a game reaches
    the opening in one episode. The game is deterministic, so the step size may be 1.

    Parameters
    ----------
    episodes : int
        Self-play games.
    epsilon : float in [0, 1]
        Exploration probability per move.
    learning_rate : float in (0, 1]
    seed : int

    Attributes
    ----------
    Q_ : ndarray, shape (3**9, 9)
        Action values indexed by the base-3 code of the board; 0 for illegal moves and for
        positions that cannot occur.
    n_states_seen_ : int
        Positions in which the agent has been to move at least once.
    """

    def __init__(
        self, episodes: int = 50_000, *, epsilon: float = 0.5, learning_rate: float = 1.0, seed: int = 0
    ):
        self.episodes = episodes
        self.epsilon = epsilon
        self.learning_rate = learning_rate
        self.seed = seed

    def fit(self) -> SelfPlayAgent:
        episodes = check_int(self.episodes, "episodes", low=0)
        epsilon = check_real(self.epsilon, "epsilon", low=0.0, high=1.0)
        lr = check_real(self.learning_rate, "learning_rate", low=0.0, high=1.0, low_open=True)
        rng = as_generator(check_seed(self.seed))
        table = _move_table()
        # Q[s][i]: value of the i-th legal move of position s (plain lists: the loop is scalar Python)
        Q = {s: [0.0] * len(moves) for s, (moves, _, _) in table.items()}
        seen: set[int] = set()
        block = 1024
        for start in range(0, episodes, block):
            # per move two uniforms: explore or not, and which of the candidate moves
            draws = rng.random((min(block, episodes - start), 9, 2)).tolist()
            for u in draws:
                s = _EMPTY_INDEX
                history: list[tuple[int, int]] = []
                for explore, pick in u:
                    seen.add(s)
                    q = Q[s]
                    if explore < epsilon:
                        i = int(pick * len(q))
                    else:
                        top = max(q)
                        best = [k for k, v in enumerate(q) if v == top]
                        i = best[int(pick * len(best))]
                    history.append((s, i))
                    if table[s][2][i] is not None:  # the move ends the game
                        break
                    s = table[s][1][i]
                for s, i in reversed(history):
                    outcome = table[s][2][i]
                    target = outcome if outcome is not None else -max(Q[table[s][1][i]])
                    Q[s][i] += lr * (target - Q[s][i])
        self.Q_ = np.zeros((3**9, 9))
        for s, (moves, _, _) in table.items():
            self.Q_[s, list(moves)] = Q[s]
        self.n_states_seen_ = len(seen)
        return self

    def action_values(self, board: Sequence[int]) -> dict[int, float]:
        """Q(board, m) for each legal move m."""
        b = _check_board(board)
        s = _index(b)
        return {m: float(self.Q_[s, m]) for m in legal_moves(b)}

    def move(self, board: Sequence[int]) -> int:
        """The greedy move (lowest square among ties, so play is deterministic)."""
        values = self.action_values(board)
        if not values:
            raise ValueError(f"the game on board {board_to_string(board)!r} is over; there is no move")
        return max(values, key=lambda m: (values[m], -m))


Player = Callable[[Board], int]


def play(x: Player, o: Player, board: Sequence[int] = EMPTY_BOARD) -> tuple[int, list[int]]:
    """Play a game from ``board``; returns (winner: +1 X, −1 O, 0 draw, the moves)."""
    b = _check_board(board)
    moves = []
    while legal_moves(b):
        m = (x if player_to_move(b) == 1 else o)(b)
        if m not in legal_moves(b):
            raise ValueError(f"player made the illegal move {m} on {board_to_string(b)!r}")
        moves.append(m)
        b = _after(b, m)
    return winner(b), moves


def worst_case_outcomes(agent: Player, agent_side: int) -> dict[str, int]:
    """Play ``agent`` against every perfect (minimax) opponent, exhaustively.

    The agent moves deterministically; at each of the opponent's turns every minimax-optimal
    move is tried, so all games a perfect player could produce are enumerated.

    Parameters
    ----------
    agent : callable board -> move
    agent_side : +1 (agent plays X, moves first) or −1 (agent plays O)

    Returns
    -------
    dict
        Counts of the enumerated games: ``{"games", "wins", "draws", "losses"}`` (from the
        agent's side) and ``"illegal"`` (games in which the agent made an illegal move).
    """
    if agent_side not in (1, -1):
        raise ValueError(f"agent_side must be +1 (X) or -1 (O), got {agent_side!r}")
    counts = {"games": 0, "wins": 0, "draws": 0, "losses": 0, "illegal": 0}

    def walk(b: Board) -> None:
        moves = legal_moves(b)
        if not moves:
            counts["games"] += 1
            w = winner(b) * agent_side
            counts["wins" if w > 0 else "losses" if w < 0 else "draws"] += 1
            return
        if player_to_move(b) == agent_side:
            m = agent(b)
            if m not in moves:
                counts["games"] += 1
                counts["illegal"] += 1
                return
            walk(_after(b, m))
        else:
            for m in minimax_moves(b):
                walk(_after(b, m))

    walk(EMPTY_BOARD)
    return counts
