"""Symmetry detection: does a network learn the symmetry of an image, and how symmetric is a picture?

The pipeline of Barenboim, Hirn & Sanz, "Symmetry meets AI" (SciPost Phys. 11, 014 (2021),
arXiv:2103.06115): decoy FCNNs reproduce two-colour images from their pixel coordinates, the
last hidden layer's first two principal components form a PCA image, and a CNN trained on the
PCA images of templates with known symmetry (:func:`physml.data.symmetric_templates`) scores any
picture. Beside it, the direct invariance measures (overlap of an image with its rotations,
reflections and translations) say how much each symmetry holds and where (order, axis, period).
"""

from physml.symmetry._cnn import SymmetryCNN, train_cnn
from physml.symmetry._decoy import DecoyResult, decoy_pca_images, pca_image
from physml.symmetry._images import MIN_IMAGE_SIZE, binarize, load_image, otsu_threshold, prepare_image
from physml.symmetry._invariance import (
    DIRECT_CLASSES,
    InvarianceMeasures,
    ReflectionInvariance,
    RotationInvariance,
    TranslationInvariance,
    direct_class,
    invariance_measures,
    reflection_invariance,
    rotation_invariance,
    translation_invariance,
)
from physml.symmetry._score import (
    CACHE_ENV_VAR,
    SymmetryClassifier,
    SymmetryScore,
    cached_classifier,
    classifier_cache_key,
    default_cache_dir,
    dihedral_augment,
    symmetry_score,
    train_on_templates,
)

__all__ = [
    "CACHE_ENV_VAR",
    "DIRECT_CLASSES",
    "MIN_IMAGE_SIZE",
    "DecoyResult",
    "InvarianceMeasures",
    "ReflectionInvariance",
    "RotationInvariance",
    "SymmetryCNN",
    "SymmetryClassifier",
    "SymmetryScore",
    "TranslationInvariance",
    "binarize",
    "cached_classifier",
    "classifier_cache_key",
    "decoy_pca_images",
    "default_cache_dir",
    "dihedral_augment",
    "direct_class",
    "invariance_measures",
    "load_image",
    "otsu_threshold",
    "pca_image",
    "prepare_image",
    "reflection_invariance",
    "rotation_invariance",
    "symmetry_score",
    "train_cnn",
    "train_on_templates",
    "translation_invariance",
]
