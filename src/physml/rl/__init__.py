"""Reinforcement learning examples: a gridworld with value iteration and tabular Q-learning, and
tic-tac-toe with exact minimax and a self-play learner (the Kaplan talk's "Games" slides)."""

from physml.rl._gridworld import (
    ACTIONS,
    GridWorld,
    QLearningResult,
    policy_evaluation,
    q_learning,
    value_iteration,
)
from physml.rl._tictactoe import (
    EMPTY_BOARD,
    SelfPlayAgent,
    board_from_string,
    board_to_string,
    legal_moves,
    minimax_moves,
    minimax_value,
    play,
    player_to_move,
    reachable_positions,
    winner,
    worst_case_outcomes,
)

__all__ = [
    "ACTIONS",
    "EMPTY_BOARD",
    "GridWorld",
    "QLearningResult",
    "SelfPlayAgent",
    "board_from_string",
    "board_to_string",
    "legal_moves",
    "minimax_moves",
    "minimax_value",
    "play",
    "player_to_move",
    "policy_evaluation",
    "q_learning",
    "reachable_positions",
    "value_iteration",
    "winner",
    "worst_case_outcomes",
]
