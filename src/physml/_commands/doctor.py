"""``physml doctor DATA``: know your data before you train on it.

Reads points (rows) from ``.npy``, ``.npz``, ``.csv``/``.txt`` or ``.h5`` (arrays with more axes,
such as image stacks, are flattened to one row per sample) and prints one short verdict per
section: the intrinsic dimension reconciled over scales (with an interval, and why single-scale
estimators disagree), local scales (noise, curvature, whether the sample resolves them), the
covariance spectrum (power law or not), the Betti numbers of a landmark subsample, the
autoencoder warning, and what more data would buy. ``--json`` prints the JSON instead;
``--out DIR`` writes ``DIR/report.html`` and ``DIR/doctor.json``. The analysis is
:func:`physml.geometry.doctor`; this module reads the file, prints and writes.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import sys
from pathlib import Path
from typing import Any

from physml import data as datasets
from physml import geometry, symmetry
from physml._commands._common import UsageError, check_new_dir, load_points, non_negative_int, positive_int
from physml._core import atomic_write_text

__all__ = ["register"]

#: image files read from a DATA folder
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")

_TITLES = {"dimension": "dimension", "local": "local scales", "spectrum": "spectrum", "topology": "topology",
           "autoencoder": "autoencoder", "data": "how much data", "symmetry": "symmetry"}
#: pictures whose symmetry verdict is taken (a seeded subsample of an image set)
_SYMMETRY_PICTURES = 40


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor",
        help="one verdict on a data set: dimension by scale, noise, spectrum, topology, autoencoder risk",
        description=(
            "Diagnose the points in DATA (one point per row): intrinsic dimension as a function of scale "
            "(multiscale TwoNN/GRIDE, Levina-Bickel MLE, correlation-sum slopes) reconciled between the "
            "noise floor and the curvature radius found by multiscale local PCA; the covariance spectrum's "
            "power-law verdict; Betti numbers of a landmark subsample (ripser) and what they mean for an "
            "autoencoder; and the learning-curve exponent 4/d to expect."
        ),
    )
    p.add_argument("data", type=Path, metavar="DATA",
                   help="points: .npy, .npz, .csv, .txt or .h5 (rows are points; image stacks are "
                        "flattened), or a folder of image files of one size (one point per image)")
    p.add_argument("--key", help="array name inside an .npz or .h5 file holding several")
    p.add_argument("--max-points", type=positive_int("--max-points"), default=5000,
                   help="analyse a random subsample of at most this many rows (default 5000, at least 50)")
    p.add_argument("--landmarks", type=positive_int("--landmarks"), default=200,
                   help="landmarks for the persistent homology (default 200, at least 4)")
    p.add_argument("--max-betti", type=non_negative_int("--max-betti"), default=2,
                   help="highest Betti number computed: 0, 1 or 2 (default 2)")
    p.add_argument("--no-topology", action="store_true", help="skip the persistent homology")
    p.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of text")
    p.add_argument("--out", type=Path, metavar="DIR", help="write DIR/report.html and DIR/doctor.json")
    p.add_argument("--force", action="store_true", help="write into --out DIR even if it is not empty")
    p.set_defaults(handler=_run)


def _load(args: argparse.Namespace) -> Any:
    import numpy as np

    path: Path = args.data
    if path.is_dir():
        data = _load_images(path)
        shape, x = data.shape, data.reshape(data.shape[0], -1).astype(np.float64)
    else:
        shape, x = load_points(path, args.key, "physml doctor")
    least = geometry.MIN_DOCTOR_POINTS
    distinct = np.unique(x, axis=0).shape[0] if x.shape[0] <= 200000 else x.shape[0]
    if distinct < least:
        raise UsageError(f"{path}: {distinct} distinct point(s) of {x.shape[0]}; physml doctor needs at "
                         f"least {least}")
    return shape, x


def _image_reference(shape: tuple[int, ...], seed: int) -> tuple[Any, str | None]:
    """For images (an image folder or a stack of 2-D pictures): 1000 Fashion-MNIST training images
    as the spectrum's reference, when the data set is installed; otherwise a note why not."""
    if len(shape) < 3:
        return None, None
    import numpy as np

    try:
        images, _ = datasets.fashion_mnist("train")
    except (OSError, ValueError) as exc:
        return None, f"no Fashion-MNIST reference for the spectrum ({str(exc).splitlines()[0]})"
    take = np.random.default_rng(seed).choice(len(images), 1000, replace=False)
    return ("Fashion-MNIST", images[np.sort(take)].reshape(1000, -1) / 255.0), None


def _load_images(folder: Path) -> Any:
    """The image files of ``folder`` (sorted by name) as an array (n, height, width[, channels]) in [0, 1]."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    files = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in _IMAGE_SUFFIXES)
    if not files:
        raise UsageError(f"{folder}: a folder without image files ({', '.join(_IMAGE_SUFFIXES)})")
    images, first = [], None
    for f in files:
        try:
            with Image.open(f) as im:
                im.load()
                colour = im.mode not in ("1", "L", "I", "I;16", "F")
                arr = np.asarray(im.convert("RGB" if colour else "F"), dtype=np.float64)
        except (OSError, UnidentifiedImageError) as exc:
            raise UsageError(f"{f}: not a readable image ({exc})") from None
        if first is None:
            first = (f, arr.shape)
        elif arr.shape != first[1]:
            raise UsageError(
                f"{folder}: images of mixed sizes: {first[0].name} is {_shape(first[1])}, {f.name} is "
                f"{_shape(arr.shape)}; resize them to one size"
            )
        images.append(arr)
    stack = np.stack(images)
    top = float(stack.max())
    return stack / (255.0 if top > 1.0 else 1.0)


def _shape(shape: tuple[int, ...]) -> str:
    return f"{shape[1]}x{shape[0]}" + (" RGB" if len(shape) == 3 else " grey")


def _run(args: argparse.Namespace) -> int:
    if args.max_points < geometry.MIN_DOCTOR_POINTS:
        raise UsageError(f"--max-points: must be >= {geometry.MIN_DOCTOR_POINTS}, got {args.max_points}")
    if args.landmarks < 4:
        raise UsageError(f"--landmarks: must be >= 4, got {args.landmarks}")
    if args.max_betti > 2:
        raise UsageError(f"--max-betti: must be 0, 1 or 2, got {args.max_betti}")
    if args.out is not None:
        check_new_dir(args.out, "--out", force=args.force)
    shape, x = _load(args)
    reference, note = _image_reference(shape, args.seed)
    report = geometry.doctor(x, max_points=args.max_points, n_landmarks=args.landmarks,
                             max_homology_dim=args.max_betti, topology=not args.no_topology, seed=args.seed,
                             reference=reference)
    if note:
        report.notes.append(note)
    result = {"file": str(args.data), "shape": list(shape), **report.to_dict()}
    result["notes"] = [n.replace("(max_points)", "(--max-points)") for n in result["notes"]]
    verdicts = report.verdicts()
    if len(shape) >= 3:  # pictures: the symmetry section
        result["symmetry"] = _image_symmetry(x.reshape(shape), args.seed)
        verdicts["symmetry"] = result["symmetry"]["verdict"]
    result["verdicts"] = verdicts
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False, default=str))
    else:
        print(_text(result, verdicts))
        for note in result["notes"]:
            print(f"note: {note}", file=sys.stderr)
    if args.out is not None:
        _write(args.out, result, verdicts, report)
        print(f"wrote {args.out / 'report.html'} and {args.out / 'doctor.json'}", file=sys.stderr)
    return 0


def _image_symmetry(images: Any, seed: int) -> dict[str, Any]:
    """The direct symmetry verdict (physml.symmetry) of a seeded subsample of the pictures and of
    their mean picture: the classes found, with the verdict's held-out confidence."""
    import numpy as np

    take = np.sort(np.random.default_rng(seed).permutation(len(images))[:_SYMMETRY_PICTURES])
    counts: dict[str, int] = {}
    confidence = []
    for i in take:
        try:
            call = symmetry.symmetry_verdict(symmetry.prepare_image(images[i], 64))
        except ValueError:  # a one-colour picture has no symmetry class
            counts["uniform"] = counts.get("uniform", 0) + 1
            continue
        counts[call.name] = counts.get(call.name, 0) + 1
        confidence.append(call.confidence)
    try:
        mean = symmetry.symmetry_verdict(symmetry.prepare_image(images.mean(axis=0), 64))
        mean_call = {"class": mean.name, "confidence": mean.confidence}
    except ValueError:
        mean_call = {"class": "uniform", "confidence": None}
    order = sorted(counts.items(), key=lambda kv: -kv[1])
    listed = ", ".join(f"{k} {v}" for k, v in order)
    verdict = (f"{len(take)} picture(s): {listed}; the mean picture is {mean_call['class']}"
               + (f" (confidence {mean_call['confidence']:.2f})" if mean_call["confidence"] else ""))
    return {"pictures": int(len(take)), "classes": dict(order),
            "mean_confidence": float(np.mean(confidence)) if confidence else None,
            "mean_picture": mean_call, "verdict": verdict}


def _text(result: dict, verdicts: dict[str, str]) -> str:
    used = f" ({result['n_used']} analysed)" if result["n_used"] != result["n_samples"] else ""
    lines = [f"{result['file']}: {result['n_samples']} points x {result['n_features']} features{used}"]
    for key, title in _TITLES.items():
        if key in verdicts:
            lines.append(f"{title + ':':<15} {verdicts[key]}")
    return "\n".join(lines)


def _write(out: Path, result: dict, verdicts: dict[str, str], report: Any) -> None:
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "doctor.json", json.dumps(result, indent=2, allow_nan=False, default=str) + "\n")
    buffer = io.BytesIO()
    report.figure().savefig(buffer, format="png", dpi=100)
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    rows = "\n".join(f"<tr><th>{html.escape(_TITLES[k])}</th><td>{html.escape(verdicts[k])}</td></tr>"
                     for k in _TITLES if k in verdicts)
    notes = "\n".join(f"<li>{html.escape(n)}</li>" for n in result["notes"])
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>physml doctor: {html.escape(result['file'])}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}th{text-align:left;"
        "vertical-align:top;padding-right:1em}td{padding-bottom:.6em}</style></head><body>\n"
        f"<h1>physml doctor: {html.escape(result['file'])}</h1>\n"
        f"<p>{result['n_samples']} points x {result['n_features']} features, "
        f"{result['n_used']} analysed.</p>\n"
        f"<table>\n{rows}\n</table>\n"
        "<h2>Dimension by scale</h2>\n"
        f"<img alt=\"dimension by scale\" src=\"data:image/png;base64,{image}\">\n"
        f"<h2>Notes</h2>\n<ul>\n{notes}\n</ul>\n</body></html>\n"
    )
    atomic_write_text(out / "report.html", page)
