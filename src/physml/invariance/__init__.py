"""Invariance, relevance and compression: groups acting on data and what quotienting them buys.

* Groups acting on point sets and vectors (:class:`Group`: translations, Haar rotations,
  scalings, reflections, permutations and their products), orbit sampling, canonicalisation.
* Invariant features (:func:`invariant_features`; for triangles :func:`triangle_angles`,
  :func:`triangle_side_ratios`).
* A learned invariant embedding (:class:`InvariantEmbedding`, a siamese/contrastive MLP) and
  the invariance measure :func:`orbit_variance` (variance along orbits / across orbits).
* Relevance and compression: :func:`quotient_dimensions` (intrinsic dimension before and after
  quotienting, with the :mod:`physml.geometry` estimators) and :func:`learning_curve`
  (sample efficiency of a classifier on raw coordinates versus invariants).

Importing this package loads nothing heavy: each name loads its submodule on first use (numpy;
the geometry estimators and scipy for :func:`quotient_dimensions`); torch is imported by
:class:`InvariantEmbedding` when it trains or embeds.

See ``docs/invariance.md``.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_embedding": (
            "InvariantEmbedding",
            "OrbitVariance",
            "orbit_variance",
        ),
        "_features": (
            "DegenerateTriangleError",
            "invariant_features",
            "is_obtuse",
            "random_point_sets",
            "triangle_angles",
            "triangle_side_ratios",
            "triangle_sides",
        ),
        "_groups": (
            "GROUP_NAMES",
            "Group",
            "GroupElements",
            "as_point_sets",
            "haar_rotations",
            "make_group",
        ),
        "_relevance": (
            "DIMENSION_ESTIMATORS",
            "LearningCurve",
            "QuotientDimension",
            "learning_curve",
            "quotient_dimensions",
        ),
    },
)
