"""Tic-tac-toe: exact facts of the game, and a self-play agent that never loses to perfect play."""

import pytest

from physml.rl import (
    EMPTY_BOARD,
    SelfPlayAgent,
    board_from_string,
    board_to_string,
    legal_moves,
    minimax_moves,
    minimax_value,
    play,
    reachable_positions,
    winner,
    worst_case_outcomes,
)


def test_known_counts_and_values():
    positions = reachable_positions()
    assert len(positions) == 5478  # the number of legal tic-tac-toe positions
    assert sum(1 for b in positions if not legal_moves(b)) == 958  # terminal positions
    assert minimax_value(EMPTY_BOARD) == 0  # perfect play draws
    # every first move draws with perfect play
    assert sorted(minimax_moves(EMPTY_BOARD)) == list(range(9))


def test_hand_positions():
    # X to move with two in a row wins immediately at square 2
    b = board_from_string("XX.OO....")
    assert minimax_value(b) == 1 and minimax_moves(b) == [2]
    # O to move after X opened in a corner: only the centre draws (edges and other corners lose)
    b = board_from_string("X........")
    assert minimax_moves(b) == [4]
    assert winner(board_from_string("XXXOO....")) == 1 and winner(board_from_string("OOOXX.X.X")) == -1


def test_opposite_corners_trap():
    # X corner, O centre, X opposite corner: O must take an edge; a corner lets X fork
    b = board_from_string("X...O...X")
    assert minimax_value(b) == 0 and minimax_moves(b) == [1, 3, 5, 7]
    assert minimax_value(board_from_string("X.O.O...X")) == 1  # X to move after O took corner 2
    # O to move: X at 0 and 4 threatens 8; blocking it lets X fork at 6 (threats 2 and 3): lost
    b = board_from_string("XO..X....")
    assert minimax_value(b) == -1 and minimax_moves(b) == legal_moves(b)


def test_board_strings_round_trip_and_validation():
    b = board_from_string("X.O.X.O..")
    assert board_to_string(b) == "X.O.X.O.."
    with pytest.raises(ValueError, match="not reachable"):
        board_from_string("XXX......")
    with pytest.raises(ValueError, match="9 characters"):
        board_from_string("X")


def test_minimax_never_loses_to_minimax():
    res = worst_case_outcomes(lambda b: minimax_moves(b)[0], 1)
    assert res["losses"] == 0 and res["wins"] == 0 and res["games"] > 0


def test_untrained_agent_loses_to_perfect_play():
    # the check can fail: an agent that always takes the lowest free square loses
    res = worst_case_outcomes(lambda b: legal_moves(b)[0], -1)
    assert res["losses"] > 0


@pytest.fixture(scope="module")
def agent():
    return SelfPlayAgent(episodes=50_000, epsilon=0.5, seed=1).fit()


@pytest.mark.parametrize("side", [1, -1])
@pytest.mark.slow
def test_self_play_agent_never_loses_to_any_perfect_player(agent, side):
    res = worst_case_outcomes(agent.move, side)
    assert res["illegal"] == 0
    assert res["losses"] == 0
    assert res["draws"] == res["games"]  # a perfect opponent cannot be beaten either
    assert agent.n_states_seen_ == 4520  # every non-terminal position was visited


@pytest.mark.slow
def test_agent_values_match_minimax_on_opening(agent):
    values = agent.action_values(EMPTY_BOARD)
    assert set(values) == set(range(9))
    assert all(abs(v) < 1e-12 for v in values.values())  # every opening draws
    result, moves = play(agent.move, agent.move)
    assert result == 0 and len(moves) == 9


@pytest.mark.slow
def test_agent_move_on_finished_board_is_an_error(agent):
    with pytest.raises(ValueError, match="is over"):
        agent.move(board_from_string("XXXOO...."))
