"""``physml symmetry IMAGE...``: how symmetric is a picture?

For each picture (PNG, JPEG, anything pillow reads) prints one verdict (the fine class of the
direct measure, e.g. D_4, Z_3, D_1, T^2, T, O(2) or none, with its confidence: the measured
precision of that call on held-out shape families, and whether the learned class agrees), the
direct invariance measures
(rotations: best order n and the all-angle mean; reflections: best axis; translations: best
period) with the class they imply, and the learned pipeline's class probabilities with their
spread over the decoy × CNN ensemble. The learned classifier is trained on templates the first
time a set of settings (``--train-per-class``, ``--train-size``, ``--seed``) is used and kept in a
user cache directory (``$PHYSML_CACHE/symmetry``, else ``$XDG_CACHE_HOME/physml/symmetry`` or
``~/.cache/physml/symmetry``), so later runs only train the pictures' own decoys (seconds);
``--no-cache`` trains afresh without keeping it, ``--model`` reads one written by
``--save-model`` (a model file, ``.npz``; the ``.pt`` files of physml 0.1 are read too), and
``--no-learned`` skips it. A classifier cached by physml 0.1 (a ``.pt`` file) is read and kept
in the new format without training. ``--figure FILE.png`` draws each binarised picture
with its measures.

Reading: any bit depth and mode (8/16-bit grey, colour, palette, alpha over white); pictures
over 8192x8192 pixels are refused from their header. Binarisation: luminance, centre crop to a
square, area resize to ``--size``, Otsu threshold, dark pixels = 1. The class thresholds are
measured on pictures with and without symmetry (``physml.symmetry.CLASS_THRESHOLDS``);
``--threshold T`` uses T for every class instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

from physml import symmetry
from physml._commands._common import UsageError, check_new_file, non_negative_int, positive_int
from physml._core import atomic_write_bytes

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "symmetry",
        help="symmetry score of pictures: direct invariance measures and the learned classifier",
        description=(
            "Binarise each IMAGE (luminance, centre crop, resize, Otsu threshold) and print its direct "
            "invariance under rotations, reflections and translations (Pearson overlap with the transformed "
            "picture) and the class probabilities of the decoy-FCNN -> PCA-image -> CNN pipeline of "
            "Barenboim, Hirn & Sanz (arXiv:2103.06115) trained on templates with known symmetry."
        ),
    )
    p.add_argument("images", type=Path, nargs="+", metavar="IMAGE", help="PNG/JPEG pictures")
    p.add_argument(
        "--size",
        type=positive_int("--size"),
        default=None,
        help="side the pictures are resized to (default 64 for the direct measures; the learned "
        "pipeline uses --train-size)",
    )
    p.add_argument("--no-learned", action="store_true", help="only the direct measures (fast)")
    p.add_argument("--model", type=Path, help="a classifier saved with --save-model")
    p.add_argument("--save-model", type=Path, metavar="FILE.npz", help="save the trained classifier")
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="train the classifier afresh and do not keep it (default: the classifier trained with these "
        "settings is kept in $PHYSML_CACHE/symmetry or ~/.cache/physml/symmetry and reused)",
    )
    p.add_argument(
        "--train-per-class",
        type=positive_int("--train-per-class"),
        default=20,
        help="templates per class to train the classifier on (default 20)",
    )
    p.add_argument(
        "--train-size",
        type=positive_int("--train-size"),
        default=32,
        help="image side of the learned pipeline (default 32)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="invariance every symmetry must reach in the direct classification (default: each class's "
        "threshold, measured on pictures with and without that symmetry; docs/symmetry.md)",
    )
    p.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument(
        "--figure", type=Path, metavar="FILE.png", help="draw the binarised pictures and their scores"
    )
    p.add_argument("--force", action="store_true", help="overwrite --figure / --save-model files")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.threshold is not None and not -1.0 <= args.threshold <= 1.0:  # also refuses nan
        raise UsageError(f"--threshold must be a number in [-1, 1], got {args.threshold}")
    if args.figure is not None:
        check_new_file(args.figure, (".png",), "--figure", force=args.force)
    if args.save_model is not None:
        if args.no_learned or args.model is not None:
            raise UsageError("--save-model needs a classifier trained here (not --no-learned or --model)")
        check_new_file(args.save_model, (".npz",), "--save-model", force=args.force)
    if not 16 <= args.train_size <= 512:  # the decoys train on size² pixels each
        raise UsageError(f"--train-size must be 16 to 512, got {args.train_size}")
    if args.size is not None and not 16 <= args.size <= 4096:  # 72 rotations of size² float copies
        raise UsageError(f"--size must be 16 to 4096, got {args.size}")
    for path in args.images:
        if path.is_dir():
            raise UsageError(f"{path}: is a directory, not a picture (IMAGE is a picture file)")
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    if args.model is not None and args.model.is_dir():
        raise UsageError(f"--model {args.model}: is a directory, not a model file (.npz)")

    import torch

    torch.set_num_threads(1)  # small networks: more threads only add overhead
    clf = None
    if args.model is not None:
        try:
            clf = symmetry.SymmetryClassifier.load(args.model)
        except (OSError, ValueError) as exc:  # ModelFileError is a ValueError with one line
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"--model {text}") from None
        if args.train_size != clf.size and args.train_size != 32:
            raise UsageError(f"--train-size {args.train_size} differs from the model's size {clf.size}")
    small_size = args.train_size if clf is None else clf.size
    pictures = []
    for path in args.images:  # read everything before any training: bad input fails fast
        grey = _attempt(path, symmetry.read_image, path)  # decoded once, prepared at both sizes
        pictures.append((path, _prepared(path, grey, args.size or 64), _prepared(path, grey, small_size)))
        del grey
    if clf is None and not args.no_learned:
        fresh = symmetry.SymmetryClassifier(size=args.train_size, seed=args.seed)
        if args.no_cache:
            print(
                f"training the classifier on {args.train_per_class} templates per class ...", file=sys.stderr
            )
            clf = symmetry.train_on_templates(fresh, args.train_per_class, seed=args.seed)
        else:
            key = symmetry.classifier_cache_key(fresh, args.train_per_class, args.seed)
            if not (symmetry.default_cache_dir() / key).is_file():
                print(
                    f"training the classifier on {args.train_per_class} templates per class "
                    f"(once; kept in {symmetry.default_cache_dir()}) ...",
                    file=sys.stderr,
                )
            try:
                clf, where, hit = symmetry.cached_classifier(fresh, args.train_per_class, seed=args.seed)
            except OSError as exc:
                raise UsageError(f"cannot write the classifier cache ({exc}); use --no-cache") from None
            if hit:
                print(f"using the cached classifier {where}", file=sys.stderr)
        if args.save_model is not None:
            clf.save(args.save_model)
            print(f"wrote {args.save_model}", file=sys.stderr)
    results = []
    fine_threshold = None if args.threshold is None else dict.fromkeys(symmetry.FINE_THRESHOLDS,
                                                                       args.threshold)
    for path, big, small in pictures:
        direct = symmetry.symmetry_score(big, None, size=big.shape[0], threshold=args.threshold)
        entry: dict[str, Any] = {"file": str(path), "verdict": None, **direct.to_dict()}
        probabilities = None
        if clf is not None:
            learned = symmetry.symmetry_score(small, clf, threshold=args.threshold, seed=args.seed)
            entry["learned"] = {"probabilities": learned.probabilities, "spread": learned.spread}
            probabilities = learned.probabilities
        entry["verdict"] = symmetry.symmetry_verdict(direct.image, probabilities,
                                                     threshold=fine_threshold).to_dict()
        results.append((entry, direct))
    if args.json:
        print(json.dumps([e for e, _ in results], indent=2))
    else:
        for entry, _ in results:
            _print(entry)
    if args.figure is not None:
        _figure(args.figure, results)
        print(f"wrote {args.figure}", file=sys.stderr)
    return 0


def _attempt(path: Path, func: Any, *args: Any) -> Any:
    """``func(*args)``, its OSError/ValueError as a one-line UsageError (they name the file)."""
    try:
        return func(*args)
    except (OSError, ValueError) as exc:
        text = str(exc).strip()
        raise UsageError(text.splitlines()[0] if text else f"{path}: unreadable") from None


def _prepared(path: Path, grey: Any, size: int) -> Any:
    return _attempt(path, lambda: symmetry.prepare_image(grey, size, name=str(path)))


def _print(e: dict[str, Any]) -> None:
    d = e["direct"]
    r, f, t = d["rotation"], d["reflection"], d["translation"]
    order = r["best_order"]
    shown = "all (round)" if e["direct_class"] == "O(2)" else (order if order > 1 else "-")
    v = e["verdict"]
    agree = "" if v["learned_class"] is None else (
        f"; learned {v['learned_class']} {'agrees' if v['learned_agrees'] else 'disagrees'}")
    print(f"{e['file']}")
    print(f"  verdict:      {v['class']} (confidence {v['confidence']:.2f}{agree})")
    print(f"  direct class: {e['direct_class']}")
    print(
        f"  rotation:     best order {shown} (invariance {r['invariance']:.3f}), "
        f"worst angle {r['minimum']:.3f}, all-angle mean {r['continuous']:.3f}"
    )
    print(f"  reflection:   best axis {f['best_axis_degrees']:.0f}° (invariance {f['invariance']:.3f})")
    period = "-" if t["best_period"] is None else f"{t['best_period']} px along {t['best_axis']}"
    print(f"  translation:  best period {period} (invariance {t['invariance']:.3f})")
    if e.get("learned"):
        probs, spread = e["learned"]["probabilities"], e["learned"]["spread"]
        text = ", ".join(f"{c} {probs[c]:.2f}±{spread[c]:.2f}" for c in probs)
        print(f"  learned:      {text}")


def _figure(path: Path, results: list) -> None:
    from matplotlib.figure import Figure

    n = len(results)
    fig = Figure(figsize=(3.0 * n, 3.4), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (entry, score) in zip(axes, results, strict=True):
        ax.imshow(1 - score.image, cmap="gray")
        v = entry["verdict"]
        title = f"{Path(entry['file']).name}\nverdict: {v['class']} ({v['confidence']:.2f})"
        title += f"\ndirect: {entry['direct_class']}"
        if entry.get("learned"):
            probs = entry["learned"]["probabilities"]
            best = max(probs, key=probs.get)
            title += f"\nlearned: {best} {probs[best]:.2f}"
        ax.set_title(title, fontsize=8)
        ax.set(xticks=[], yticks=[])

    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write_bytes(path, buf.getvalue())
