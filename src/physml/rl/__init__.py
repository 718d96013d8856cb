"""Reinforcement learning examples: a gridworld with value iteration and tabular Q-learning, and
tic-tac-toe with exact minimax and a self-play learner (the Kaplan talk's "Games" slides)."""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_gridworld": (
            "ACTIONS",
            "GridWorld",
            "QLearningResult",
            "policy_evaluation",
            "q_learning",
            "value_iteration",
        ),
        "_tictactoe": (
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
        ),
    },
)
