"""The Kullback-Leibler divergence of a model density from a known one, estimated on samples.

KL(p‖q) = E_p[log p(x) − log q(x)] ≥ 0, with equality only for q = p almost everywhere (Gibbs'
inequality; Cover & Thomas, *Elements of Information Theory*, 2nd ed., Wiley 2006, §2.3 and
Theorem 2.6.3). When p is known in closed form (a simulated sample) and q is a normalised model
(a flow, a kernel density), the average of log p − log q over held-out samples of p estimates it
without bias, with the standard error of a mean. A significantly negative estimate shows that q
is not normalised, or that the samples are not from p.
"""

from __future__ import annotations

import numpy as np

from physml._core import check_array
from physml.stats._counting import mean_standard_error

__all__ = ["kl_divergence_estimate"]


def kl_divergence_estimate(log_p: np.ndarray, log_q: np.ndarray) -> tuple[float, float]:
    """KL(p‖q) ≈ (1/n) Σ_i [log p(x_i) − log q(x_i)] for x_i drawn from p, and its standard error.

    The terms d_i = log p(x_i) − log q(x_i) are independent for independent samples, so the
    estimate is their mean and its error is s_d/√n (:func:`mean_standard_error`, s_d with
    ddof = 1). The true value is ≥ 0 for any normalised q (Cover & Thomas, *Elements of
    Information Theory*, 2006, Theorem 2.6.3), so an estimate below 0 by many standard errors
    points at a density that is not normalised. Samples used to fit q bias the estimate down
    (overfitting): use held-out ones. The error is honest only if the d_i have a finite
    variance (heavy tails of log p − log q, e.g. a q with lighter tails than p, make it
    unreliable).

    Parameters
    ----------
    log_p, log_q : array_like, shape (n,)
        The log densities of p and q at the same n ≥ 1 samples of p (natural logarithms, so the
        result is in nats; any float dtype, combined in float64).

    Returns
    -------
    (kl, standard_error) : tuple of float
        The error is ``inf`` for a single sample.
    """
    lp = check_array(log_p, "log_p", ndim=1, min_samples=1)
    lq = check_array(log_q, "log_q", shape=lp.shape)
    return mean_standard_error(lp - lq)
