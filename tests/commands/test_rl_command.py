"""physml rl play, scripted through standard input."""

import io

from physml.cli import main


def _play(monkeypatch, capsys, moves, *args):
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{m}\n" for m in moves)))
    code = main(["rl", "play", *args])
    return code, capsys.readouterr()


def test_illegal_moves_are_explained_and_the_game_goes_on(monkeypatch, capsys):
    # vs minimax as X: 5 (centre); minimax answers 1 (corner); typing 5 again, 'ten' and 0 are refused
    code, out = _play(
        monkeypatch, capsys, ["5", "5", "ten", "0", "9", "3", "4", "8"], "--opponent", "minimax"
    )
    assert code == 0
    assert "square 5 is taken; free squares:" in out.out
    assert "'ten' is not a square: type a number from 1 to 9" in out.out
    assert "'0' is not a square" in out.out
    assert "Traceback" not in out.err


def test_perfect_play_against_minimax_is_a_draw(monkeypatch, capsys):
    # as O against minimax (which opens with square 1): the centre, then forced blocks draw
    code, out = _play(monkeypatch, capsys, ["5", "2", "7", "6", "9"], "--opponent", "minimax", "--as", "O")
    assert code == 0
    assert "agent plays 1" in out.out


def test_end_of_input_abandons_the_game(monkeypatch, capsys):
    code, out = _play(monkeypatch, capsys, [], "--opponent", "minimax")
    assert code == 0 and "no more input: game abandoned" in out.out


def test_trained_agent_is_used_and_quit_works(monkeypatch, capsys):
    code, out = _play(monkeypatch, capsys, ["q"], "--episodes", "200", "--as", "O")
    assert code == 0 and "training the agent by 200 games" in out.out and "agent plays" in out.out
    assert "bye" in out.out


def test_bad_option_is_a_usage_error(capsys):
    assert main(["rl", "play", "--as", "Z"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
