"""Neural networks on PyTorch: MLPs, their layers and training drivers."""

from physml.nets._activations import ACTIVATIONS, get_activation
from physml.nets._classifier import MLPClassifier
from physml.nets._mlp import MLP, count_parameters, dense
from physml.nets._training import sgd_train

__all__ = ["ACTIVATIONS", "MLP", "MLPClassifier", "count_parameters", "dense", "get_activation", "sgd_train"]
