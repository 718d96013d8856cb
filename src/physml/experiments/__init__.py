"""The lab's catalogue: one module per topic, each registering experiments that compose
library pieces (no algorithm lives only here). Importing this package registers them all;
the modules import heavy libraries only inside the experiment functions."""

from physml.experiments import basics, geometry, hopfield, ising, nets, rbm

__all__ = ["basics", "geometry", "hopfield", "ising", "nets", "rbm"]
