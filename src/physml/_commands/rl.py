"""``physml rl play``: play tic-tac-toe in the terminal against an agent trained by self-play.

The agent is trained when the command starts (a few seconds; ``--episodes``), or is the exact
minimax player with ``--opponent minimax``. Squares are numbered 1-9 in reading order. Moves are
read one per line from standard input, so a game can be scripted:
``printf '5\\n1\\n9\\n' | physml rl play``. An illegal move is explained and the game goes on.
"""

from __future__ import annotations

import argparse
import sys

from physml import rl
from physml._commands._common import UsageError, non_negative_int

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rl",
        help="reinforcement learning: play tic-tac-toe against a self-play agent",
        description="Reinforcement-learning examples.",
    )
    inner = p.add_subparsers(dest="rl_command", metavar="ACTION", required=True)
    g = inner.add_parser(
        "play",
        help="play tic-tac-toe against the trained agent in the terminal",
        description="Play tic-tac-toe against an agent trained by self-play Q-learning. "
        "Type a square 1-9 (reading order) and Enter; 'q' quits.",
    )
    g.add_argument(
        "--as", dest="side", choices=("X", "O"), default="X", help="your side; X moves first (default X)"
    )
    g.add_argument("--opponent", choices=("selfplay", "minimax"), default="selfplay")
    g.add_argument(
        "--episodes",
        type=non_negative_int("--episodes"),
        default=50_000,
        help="self-play games to train on (default 50000, a few seconds)",
    )
    g.add_argument("--seed", type=non_negative_int("--seed"), default=0)
    g.add_argument("--games", type=non_negative_int("--games"), default=1, help="games to play (default 1)")
    g.set_defaults(handler=_play)


def _show(board: tuple[int, ...]) -> str:
    cells = [{1: "X", -1: "O", 0: str(i + 1)}[v] for i, v in enumerate(board)]
    rows = [" " + " | ".join(cells[r : r + 3]) for r in (0, 3, 6)]
    return "\n---+---+---\n".join(rows)


def _play(args: argparse.Namespace) -> int:
    if args.games == 0:
        raise UsageError("--games must be at least 1")
    if args.opponent == "minimax":

        def agent(b: tuple[int, ...]) -> int:
            return rl.minimax_moves(b)[0]

        print("opponent: perfect minimax play")
    else:
        print(f"training the agent by {args.episodes} games of self-play...", flush=True)
        agent = rl.SelfPlayAgent(args.episodes, seed=args.seed).fit().move
    you = 1 if args.side == "X" else -1
    tally = {"you": 0, "agent": 0, "draw": 0}
    for game in range(1, args.games + 1):
        board = rl.EMPTY_BOARD
        print(f"\ngame {game}: you play {args.side}; squares are numbered 1-9 in reading order")
        while rl.legal_moves(board):
            if rl.player_to_move(board) == you:
                print(_show(board))
                print("your move (1-9, q to quit): ", end="", flush=True)
                line = sys.stdin.readline()
                if not line:
                    print("\nno more input: game abandoned")
                    return 0
                text = line.strip()
                if text.lower() in ("q", "quit", "exit"):
                    print("bye")
                    return 0
                if not text.isdigit() or not 1 <= int(text) <= 9:
                    print(f"'{text}' is not a square: type a number from 1 to 9")
                    continue
                square = int(text) - 1
                if board[square] != 0:
                    print(
                        f"square {square + 1} is taken; free squares: "
                        f"{', '.join(str(m + 1) for m in rl.legal_moves(board))}"
                    )
                    continue
                move = square
            else:
                move = agent(board)
                print(f"agent plays {move + 1}")
            b = list(board)
            b[move] = rl.player_to_move(board)
            board = tuple(b)
        print(_show(board))
        w = rl.winner(board)
        result = "draw" if w == 0 else ("you" if w == you else "agent")
        tally[result] += 1
        print({"draw": "draw.", "you": "you win!", "agent": "the agent wins."}[result])
    if args.games > 1:
        print(f"after {args.games} games: you {tally['you']}, agent {tally['agent']}, draws {tally['draw']}")
    return 0
