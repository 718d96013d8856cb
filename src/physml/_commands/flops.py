"""``physml flops MODEL-SPEC``: parameter and FLOP counts of a model, and a run's training compute.

Examples: ``physml flops mlp:784,256,10``, ``physml flops cnn:1x28x28,16,32``,
``physml flops lstm:128,512,steps=100,out=128 --steps 10000 --batch-size 32``. FLOP convention:
2 per multiply-accumulate, 1 per bias element; training per sample = 3 × forward (see
:mod:`physml.scaling`).
"""

from __future__ import annotations

import argparse
import json

from physml import scaling
from physml._commands._common import UsageError, positive_int

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flops",
        help="parameter and FLOP counts of a model specification",
        description=(
            "Count the parameters, forward FLOPs and training FLOPs per sample of the model MODEL-SPEC "
            "(2 FLOPs per multiply-accumulate, 1 per bias element; training = forward + backward ≈ 3 × "
            "forward), and, with --steps/--batch-size or --samples, the total training compute of a run. "
            "Specifications: mlp:784,256,10 (widths); dense:784,784; "
            "cnn:1x28x28,16,32[,kernel=3][,pool=4][,classes=10] (input CxHxW, then channels); "
            "lstm:IN,HIDDEN[,layers=1][,steps=1][,out=N] (also rnn:, gru:); autoencoder:784,128,32."
        ),
    )
    p.add_argument("spec", metavar="MODEL-SPEC", help="e.g. mlp:784,256,10 or cnn:1x28x28,16,32")
    p.add_argument("--steps", type=positive_int("--steps"), help="training steps of the run")
    p.add_argument("--batch-size", type=positive_int("--batch-size"), help="samples per step")
    p.add_argument("--samples", type=positive_int("--samples"), help="samples processed (e.g. epochs × n)")
    p.add_argument("--layers", action="store_true", help="also list the counted layers")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if (args.steps is None) != (args.batch_size is None):
        raise UsageError("--steps and --batch-size go together")
    if args.samples is not None and args.steps is not None:
        raise UsageError("give either --samples or --steps with --batch-size, not both")
    try:
        count = scaling.count_flops(args.spec)  # analytic: nothing is built, so any size can be counted
    except (TypeError, ValueError) as exc:
        raise UsageError(f"flops: {str(exc).splitlines()[0]}") from None
    shape = count.input_shape
    total = None
    if args.samples is not None:
        total = scaling.training_compute(count, samples=args.samples)
    elif args.steps is not None:
        total = scaling.training_compute(count, steps=args.steps, batch_size=args.batch_size)
    if args.json:
        data = {"spec": args.spec, **count.to_dict()}
        if total is not None:
            data["training_compute"] = total
        print(json.dumps(data, indent=2))
        return 0
    print(f"model                      {args.spec}  (one sample: {tuple(shape)})")
    print(f"parameters                 {count.parameters:,}")
    if count.embedding_parameters:
        print(f"  of which embeddings      {count.embedding_parameters:,}")
    print(f"forward FLOPs / sample     {count.forward_flops:,}  ({count.forward_flops:.3g})")
    print(f"backward FLOPs / sample    {count.backward_flops:,}  (≈ 2 × forward)")
    print(f"training FLOPs / sample    {count.training_flops_per_sample:,}  (≈ 3 × forward)")
    if total is not None:
        print(f"training compute of run    {total:.4g} FLOPs ({total / 3.6e18:.3g} petaflop/s-hours)")
    if args.layers:
        for layer in count.layers:
            print(f"  {layer.name:<24} {layer.kind:<14} params {layer.parameters:>12,}  "
                  f"forward {layer.forward_flops:>15,}")
    return 0
