"""``physml symmetry IMAGE...``: how symmetric is a picture?

For each picture (PNG, JPEG, anything pillow reads) prints one verdict: the class (O(2), D_n,
Z_n with the order, D_1, T^2, T or none) on which the direct measure and the learned classifier
agree, or, where they differ, the learned one if it is at least 70% probable and the direct one
otherwise, with a confidence: the measured precision of verdicts reached that way on held-out
shape families (``--no-learned``: the direct class and its measured precision). Then the direct
invariance measures (rotations: best order n and the all-angle mean; reflections: best axis;
translations: best period) with the class they imply, and the learned classifier's class
probabilities with their spread over its ensemble.

The learned classifier (``--classifier profile``, the default) reads the picture's symmetry
profile (its overlap with itself under every rotation, mirror and shift) and is trained on
random motifs under random symmetry groups; ``--classifier talk`` is the decoy-FCNN ->
PCA-image -> CNN pipeline of Barenboim, Hirn & Sanz trained on templates (coarse classes; it
does not change the verdict). A classifier is trained the first time a set of settings
(``--classifier``, ``--train-per-class``, ``--train-size``, ``--seed``) is used, with a progress
bar on a terminal, and kept in a user cache directory (``$PHYSML_CACHE/symmetry``, else
``$XDG_CACHE_HOME/physml/symmetry`` or ``~/.cache/physml/symmetry``); ``--no-cache`` trains afresh
without keeping it, ``--model`` reads one written by ``--save-model`` (a model file, ``.npz``, of
either classifier; the ``.pt`` files of physml 0.1 are read too), and ``--no-learned`` skips it.
A classifier cached by physml 0.1 (a ``.pt`` file) is read and kept in the new format without
training. ``--figure FILE.png`` draws each binarised picture with its measures.

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
        help="symmetry of pictures: one verdict from the direct invariance measures and a learned classifier",
        description=(
            "Binarise each IMAGE (luminance, centre crop, resize, Otsu threshold) and print one verdict "
            "(the symmetry class with its order and a measured confidence), the direct invariance under "
            "rotations, reflections and translations (Pearson overlap with the transformed picture) and "
            "the class probabilities of a learned classifier: by default an ensemble reading the picture's "
            "symmetry profile, trained on random motifs under random symmetry groups; with --classifier "
            "talk the decoy-FCNN -> PCA-image -> CNN pipeline of Barenboim, Hirn & Sanz (arXiv:2103.06115) "
            "trained on templates with known symmetry."
        ),
    )
    p.add_argument("images", type=Path, nargs="+", metavar="IMAGE", help="PNG/JPEG pictures")
    p.add_argument(
        "--size",
        type=positive_int("--size"),
        default=None,
        help="side the pictures are resized to (default 64 for the direct measures; the learned "
        "classifier uses --train-size)",
    )
    p.add_argument("--no-learned", action="store_true", help="only the direct measures (fast)")
    p.add_argument(
        "--classifier",
        choices=("profile", "talk"),
        default="profile",
        help="the learned classifier to train or take from the cache: 'profile' (default; symmetry profiles, "
        "fine classes) or 'talk' (decoy -> PCA image -> CNN on templates, coarse classes)",
    )
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
        default=None,
        help="training pictures per class (default 300 for 'profile', 20 templates for 'talk')",
    )
    p.add_argument(
        "--train-size",
        type=positive_int("--train-size"),
        default=None,
        help="picture side of the learned classifier (default 64 for 'profile', 32 for 'talk')",
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
    talk = args.classifier == "talk"
    if args.train_size is not None and not 16 <= args.train_size <= 512:  # the decoys train on size² pixels
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
    per_class = args.train_per_class or (20 if talk else 300)
    train_size = args.train_size or (32 if talk else 64)

    clf = None
    if args.model is not None:
        try:
            clf = symmetry.load_symmetry_classifier(args.model)
        except (OSError, ValueError) as exc:  # ModelFileError is a ValueError with one line
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"--model {text}") from None
        if args.train_size is not None and args.train_size != clf.size:
            raise UsageError(f"--train-size {args.train_size} differs from the model's size {clf.size}")
        if not isinstance(clf, symmetry.SymmetryProfileClassifier):  # the talk's pipeline trains decoys
            _one_thread()  # per picture (naming its class here would import torch for every model)
    small_size = train_size if clf is None else clf.size
    pictures = []
    for path in args.images:  # read everything before any training: bad input fails fast
        grey = _attempt(path, symmetry.read_image, path)  # decoded once, prepared at both sizes
        pictures.append((path, _prepared(path, grey, args.size or 64), _prepared(path, grey, small_size)))
        del grey
    if clf is None and not args.no_learned:
        if talk:
            fresh: Any = symmetry.SymmetryClassifier(size=train_size, seed=args.seed)
            what = f"{per_class} templates per class"
        else:
            fresh = symmetry.SymmetryProfileClassifier(size=train_size, seed=args.seed)
            what = f"{per_class} pictures per class (random motifs under random symmetry groups)"
        key = symmetry.classifier_cache_key(fresh, per_class, args.seed)
        if talk or args.no_cache or not (symmetry.default_cache_dir() / key).is_file():
            _one_thread()  # torch trains; a cached profile classifier predicts in numpy, without torch
        if args.no_cache:
            print(f"training the classifier on {what} ...", file=sys.stderr)
            train = symmetry.train_on_templates if talk else symmetry.train_on_groups
            clf = train(fresh, per_class, seed=args.seed)
        else:
            if not (symmetry.default_cache_dir() / key).is_file():
                print(f"training the classifier on {what} (once; kept in {symmetry.default_cache_dir()}) ...",
                      file=sys.stderr)
            try:
                clf, where, hit = symmetry.cached_classifier(fresh, per_class, seed=args.seed)
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
        learned: Any = None
        if clf is not None:
            score = symmetry.symmetry_score(small, clf, threshold=args.threshold, seed=args.seed)
            entry["learned"] = score.to_dict()["learned"]
            learned = score.learned if score.learned is not None else score.probabilities
        verdict = symmetry.symmetry_verdict(direct.image, learned, threshold=fine_threshold)
        entry["verdict"] = verdict.to_dict()
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


def _one_thread() -> None:
    """Train torch's small networks on one thread: more threads only add overhead."""
    import torch

    torch.set_num_threads(1)


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
    if v["learned_class"] is None:
        agree = ""
    elif v["source"] == "agreement":
        agree = "; direct and learned agree"
    elif v["source"] == "learned":
        agree = (f"; learned {v['learned_class']} at {v['learned_probability']:.2f} overrules direct "
                 f"{v['direct_call']}")
    elif v["source"] == "direct over learned":
        agree = f"; direct, learned {v['learned_class']} at {v['learned_probability']:.2f} disagrees"
    else:  # the talk's pipeline: coarse classes, reported only
        agree = f"; learned {v['learned_class']} {'agrees' if v['learned_agrees'] else 'disagrees'}"
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
        if "class" in e["learned"]:  # the profile classifier: its call with the order
            orders = e["learned"]["order_probabilities"]
            n = max(orders, key=orders.get)
            text = (f"{e['learned']['class']} {e['learned']['probability']:.2f} ({text}; "
                    f"order if D_n/Z_n: {n} {orders[n]:.2f})")
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
        if entry.get("learned") and "class" in entry["learned"]:
            title += f"\nlearned: {entry['learned']['class']} {entry['learned']['probability']:.2f}"
        elif entry.get("learned"):
            probs = entry["learned"]["probabilities"]
            best = max(probs, key=probs.get)
            title += f"\nlearned: {best} {probs[best]:.2f}"
        ax.set_title(title, fontsize=8)
        ax.set(xticks=[], yticks=[])

    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write_bytes(path, buf.getvalue())
