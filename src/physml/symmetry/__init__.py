"""Symmetry detection: does a network learn the symmetry of an image, and how symmetric is a picture?

The pipeline of Barenboim, Hirn & Sanz, "Symmetry meets AI" (SciPost Phys. 11, 014 (2021),
arXiv:2103.06115): decoy FCNNs reproduce two-colour images from their pixel coordinates, the
last hidden layer's first two principal components form a PCA image, and a CNN trained on the
PCA images of templates with known symmetry (:func:`physml.data.symmetric_templates`) scores any
picture. Beside it, the direct invariance measures (overlap of an image with its rotations,
reflections and translations) say how much each symmetry holds and where (order, axis, period);
:func:`direct_class` turns them into a class by a decision list with thresholds measured on
pictures with and without symmetry (:data:`CLASS_THRESHOLDS`, :func:`calibrate_thresholds`),
and on many pictures :func:`direct_scores`, :func:`direct_labels` and
:func:`fit_direct_threshold` (one threshold fitted on templates of known symmetry) do the same
for a table of scores. A finer vocabulary (:data:`FINE_CLASSES`: O(2), D_n, Z_n, D_1, T^2, T,
none) is decided by :func:`fine_direct_class`, tested on held-out shape families
(:func:`heldout_set`), and :func:`symmetry_verdict` gives one class per picture with a measured
confidence.

The default learned classifier is not the talk's pipeline, which learns the shapes of its
training templates and does not carry over to new shape families: :class:`SymmetryProfileClassifier`
reads the picture's symmetry profile (:func:`symmetry_profile`: its overlap with itself under
every rotation, mirror and shift) and is trained on random motifs under random symmetry groups
(:func:`group_picture`). The talk's pipeline stays available as :class:`SymmetryClassifier`.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_calibrate": (
            "CALIBRATION_SEED",
            "asymmetric_picture",
            "asymmetric_scores",
            "calibrate_thresholds",
            "mirror_picture",
            "round_picture",
            "symmetric_scores",
        ),
        "_cnn": (
            "SymmetryCNN",
            "train_cnn",
        ),
        "_decoy": (
            "DecoyResult",
            "decoy_pca_images",
            "pca_image",
        ),
        "_direct": (
            "DIRECT_THRESHOLDS",
            "direct_labels",
            "direct_scores",
            "fit_direct_threshold",
        ),
        "_fine": (
            "COARSE_OF_FINE",
            "FINE_CLASSES",
            "FINE_THRESHOLDS",
            "FineClass",
            "calibrate_mirror_threshold",
            "centred",
            "chiral_mirror_scores",
            "coarse_class",
            "fine_direct_class",
            "thickened",
        ),
        "_heldout": (
            "HELDOUT_FAMILIES",
            "HeldoutPicture",
            "heldout_picture",
            "heldout_set",
            "sample_photographs",
        ),
        "_learned": (
            "ORDERS",
            "LearnedCall",
            "SymmetryProfileClassifier",
            "class_name",
            "learned_call",
            "parse_class_name",
            "train_on_groups",
        ),
        "_procedural": (
            "GroupPicture",
            "group_picture",
            "group_pictures",
        ),
        "_profile": (
            "PROFILE_LENGTH",
            "symmetry_profile",
            "symmetry_profiles",
        ),
        "_images": (
            "MAX_IMAGE_PIXELS",
            "MIN_IMAGE_SIZE",
            "binarize",
            "load_image",
            "otsu_threshold",
            "prepare_image",
            "read_image",
        ),
        "_invariance": (
            "CLASS_THRESHOLDS",
            "DIRECT_CLASSES",
            "InvarianceMeasures",
            "ReflectionInvariance",
            "RotationInvariance",
            "SMOOTHING",
            "TranslationInvariance",
            "class_thresholds",
            "direct_class",
            "invariance_measures",
            "reflection_invariance",
            "rotation_invariance",
            "translation_invariance",
        ),
        "_score": (
            "CACHE_ENV_VAR",
            "SymmetryScore",
            "cached_classifier",
            "classifier_cache_key",
            "default_cache_dir",
            "load_symmetry_classifier",
            "symmetry_score",
        ),
        "_talk": (
            "SymmetryClassifier",
            "dihedral_augment",
            "train_on_templates",
        ),
        "_verdict": (
            "COMBINED_COUNTS",
            "COMBINED_PRECISION",
            "LEARNED_OVERRULES",
            "VERDICT_COUNTS",
            "VERDICT_PRECISION",
            "VERDICT_SEED",
            "Verdict",
            "combine_calls",
            "combined_reliability",
            "direct_reliability",
            "expected_calibration_error",
            "reliability_table",
            "symmetry_verdict",
        ),
    },
)
