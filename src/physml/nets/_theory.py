"""Infinite- and finite-width theory of deep MLPs at initialisation, in the conventions of
Roberts, Yaida & Hanin, *The Principles of Deep Learning Theory* (arXiv:2106.10165).

Weights W ~ N(0, C_W / n_in), biases b ~ N(0, C_b); one input x, layer ℓ preactivations
z^(ℓ). Gaussian expectations ⟨f(z)⟩_K with z ~ N(0, K) are computed by Gauss-Hermite
quadrature with an even number of nodes, so that no node sits on a kink at z = 0 and
piecewise-linear activations (ReLU, leaky ReLU) are integrated exactly by symmetry.

The activation and its first two derivatives come from PyTorch autograd on float64 tensors,
so any activation known by name (:data:`physml.nets.ACTIVATIONS`) or any differentiable
PyTorch callable can be analysed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq

from physml._core import check_int, check_real
from physml.nets._activations import Activation, get_activation

__all__ = [
    "CriticalPoint",
    "CriticalityCheck",
    "KernelFlow",
    "check_criticality",
    "critical_initialization",
    "criticality_table",
    "gaussian_expectation",
    "kernel_recursion",
    "ntk_recursion",
    "scale_invariant_variance",
    "susceptibilities",
    "variance_recursion",
]

_N_NODES = 128


@lru_cache(maxsize=8)
def _hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for E[f(u)], u ~ N(0, 1)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / math.sqrt(2.0 * math.pi)


def _derivatives(activation: Activation, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """σ(z), σ'(z), σ''(z) by autograd (float64)."""
    import torch

    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    s = activation(t)
    if s.shape != t.shape:
        raise ValueError(
            f"the activation must act elementwise; it mapped shape {tuple(t.shape)} to {tuple(s.shape)}"
        )
    (d1,) = torch.autograd.grad(s.sum(), t, create_graph=True)
    if d1.requires_grad:
        (d2,) = torch.autograd.grad(d1.sum(), t, allow_unused=True)
        d2 = torch.zeros_like(t) if d2 is None else d2
    else:  # piecewise-linear activations have no second-order graph
        d2 = torch.zeros_like(t)
    return s.detach().numpy(), d1.detach().numpy(), d2.detach().numpy()


class _Gauss:
    """⟨σ^k⟩, ⟨σ'²⟩, ⟨σσ''⟩ and ⟨σ²(z² − K)⟩ under z ~ N(0, K) for one activation."""

    def __init__(self, activation: str | Activation, n_nodes: int = _N_NODES):
        n_nodes = check_int(n_nodes, "n_nodes", low=2)
        if n_nodes % 2:
            raise ValueError(f"n_nodes must be even (no quadrature node on z = 0), got {n_nodes}")
        self.sigma = get_activation(activation)
        self.u, self.w = _hermite(n_nodes)

    def moments(self, K: float) -> dict[str, float]:
        if not K >= 0:
            raise ValueError(f"the kernel K must be >= 0, got {K}")
        z = math.sqrt(K) * self.u
        s, d1, d2 = _derivatives(self.sigma, z)
        w = self.w
        return {
            "s2": float(w @ s**2),
            "s4": float(w @ s**4),
            "d1sq": float(w @ d1**2),
            "s_d2": float(w @ (s * d2)),
            "s2_z2mK": float(w @ (s**2 * (z**2 - K))),
        }


def gaussian_expectation(f, K: float, *, n_nodes: int = _N_NODES) -> float:
    """⟨f(z)⟩ for z ~ N(0, K) by Gauss-Hermite quadrature.

    Parameters
    ----------
    f : callable
        Vectorised function of a numpy array.
    K : float
        Variance, ``>= 0``.
    n_nodes : int
        Even number of quadrature nodes.
    """
    K = check_real(K, "K", low=0.0)
    n_nodes = check_int(n_nodes, "n_nodes", low=2)
    if n_nodes % 2:
        raise ValueError(f"n_nodes must be even (no quadrature node on z = 0), got {n_nodes}")
    u, w = _hermite(n_nodes)
    return float(w @ np.asarray(f(math.sqrt(K) * u), dtype=np.float64))


def _check_C(C_b: float, C_W: float) -> tuple[float, float]:
    C_b = check_real(C_b, "C_b", low=0.0)
    C_W = check_real(C_W, "C_W", low=0.0, low_open=True)
    return C_b, C_W


def susceptibilities(activation: str | Activation, K: float, C_W: float) -> tuple[float, float]:
    """The parallel and perpendicular susceptibilities at kernel ``K``.

    χ∥ = (C_W / 2K²) ⟨σ(z)² (z² − K)⟩_K = C_W d⟨σ²⟩_K/dK and χ⊥ = C_W ⟨σ'(z)²⟩_K.
    At K = 0 the limit χ∥ = C_W (σ'(0)² + σ(0)σ''(0)) is used.

    Returns
    -------
    (chi_parallel, chi_perp) : tuple of float
    """
    K = check_real(K, "K", low=0.0)
    C_W = check_real(C_W, "C_W", low=0.0, low_open=True)
    m = _Gauss(activation).moments(K)
    # d<σ²>/dK = <σ'² + σσ''> (Gaussian integration by parts) is exact at K = 0 too
    return C_W * (m["d1sq"] + m["s_d2"]), C_W * m["d1sq"]


@dataclass(frozen=True)
class KernelFlow:
    """The infinite-width kernel and susceptibilities layer by layer (index 0 = layer 1).

    Attributes
    ----------
    K : ndarray, shape (depth,)
        K^(ℓ) for ℓ = 1..depth.
    chi_parallel, chi_perp : ndarray, shape (depth,)
        χ∥ and χ⊥ evaluated at K^(ℓ) (they map layer ℓ to ℓ + 1).
    behaviour : str
        ``"exploding"``, ``"vanishing"`` or ``"bounded"``: how K flows over the depth.
    diverges_at : int or None
        The first layer ℓ (1-based) whose kernel exceeds :data:`K_MAX` = 1e150, beyond which K²
        and ⟨σ⁴⟩ would overflow double precision; K is inf and χ nan from that layer on.  None if
        K stays below it.
    """

    K: np.ndarray
    chi_parallel: np.ndarray
    chi_perp: np.ndarray
    behaviour: str
    diverges_at: int | None = None


# The kernel is followed up to this size: K² and ⟨σ⁴⟩ ~ K² must stay finite in double precision.
K_MAX = 1e150


def _input_kernel(C_b: float, C_W: float, K1: float | None, input_norm2: float | None) -> float:
    if (K1 is None) == (input_norm2 is None):
        raise ValueError("give exactly one of K1 (the first layer's kernel) and input_norm2 (|x|²/n_0)")
    if K1 is not None:
        return check_real(K1, "K1", low=0.0)
    return C_b + C_W * check_real(input_norm2, "input_norm2", low=0.0)


def kernel_recursion(
    activation: str | Activation,
    depth: int,
    *,
    C_b: float,
    C_W: float,
    K1: float | None = None,
    input_norm2: float | None = None,
) -> KernelFlow:
    """Iterate K^(ℓ+1) = C_b + C_W ⟨σ(z)²⟩_{K^(ℓ)} from the first layer to ``depth``.

    Parameters
    ----------
    activation : str or callable
    depth : int
        Number of layers L (>= 1); returns K^(1)..K^(L).
    C_b, C_W : float
        Bias variance (>= 0) and weight variance (> 0) in the book's convention.
    K1 : float, optional
        K^(1) directly; or
    input_norm2 : float, optional
        |x|²/n_0, giving K^(1) = C_b + C_W |x|²/n_0.
    """
    depth = check_int(depth, "depth", low=1)
    C_b, C_W = _check_C(C_b, C_W)
    g = _Gauss(activation)
    K = np.empty(depth)
    cpar = np.empty(depth)
    cperp = np.empty(depth)
    k = _input_kernel(C_b, C_W, K1, input_norm2)
    diverges_at = None
    for ell in range(depth):
        K[ell] = k
        if not k <= K_MAX:
            K[ell:] = math.inf
            cpar[ell:] = cperp[ell:] = math.nan
            diverges_at = ell + 1
            break
        m = g.moments(k)
        cpar[ell] = C_W * (m["d1sq"] + m["s_d2"])
        cperp[ell] = C_W * m["d1sq"]
        k = C_b + C_W * m["s2"]
    # exponential flow shows up as a change by more than 10⁶ over the depth
    if not np.all(np.isfinite(K)) or K[-1] > 1e6 * K[0]:
        behaviour = "exploding"
    elif K[-1] < 1e-6 * K[0]:
        behaviour = "vanishing"
    else:
        behaviour = "bounded"
    return KernelFlow(K, cpar, cperp, behaviour, diverges_at)


@dataclass(frozen=True)
class CriticalPoint:
    """A critical initialisation: χ∥ = χ⊥ = 1 at the fixed point K* of the kernel recursion.

    Attributes
    ----------
    C_b, C_W : float
    K_star : float
        The fixed point (0 for the K* = 0 class, any K for scale-invariant activations, where
        it is reported as nan).
    universality_class : str
        ``"scale-invariant"`` (ReLU, linear: every K is a fixed point), ``"K*=0"`` (tanh, erf:
        K flows to 0 as a power law) or ``"K*>0"`` (a non-trivial fixed point, e.g. GELU).
    """

    C_b: float
    C_W: float
    K_star: float
    universality_class: str


def critical_initialization(activation: str | Activation, *, k_max: float = 100.0) -> CriticalPoint:
    """Solve χ∥(K*) = χ⊥(K*) = 1 with K* = C_b + C_W ⟨σ²⟩_{K*} for (C_b, C_W).

    Since χ∥ = C_W ⟨σ'² + σσ''⟩_K and χ⊥ = C_W ⟨σ'²⟩_K, criticality means ⟨σσ''⟩_{K*} = 0
    with C_W = 1/⟨σ'²⟩_{K*} and C_b = K* − C_W ⟨σ²⟩_{K*} ≥ 0. Three cases:

    * ⟨σσ''⟩_K = 0 for all K (linear, ReLU and other scale-invariant activations):
      C_b = 0, C_W = 1/⟨σ'²⟩ (2 for ReLU, 1 for linear);
    * σ(0) = 0, σ'(0) ≠ 0 and K decreasing under the recursion near 0 (tanh, erf): the
      K* = 0 class, C_b = 0, C_W = 1/σ'(0)²;
    * otherwise a root K* in (0, ``k_max``] of ⟨σσ''⟩_K with C_b ≥ 0.

    Raises
    ------
    ValueError
        If the activation has no critical point (e.g. sigmoid, whose σ(0) = 1/2 ≠ 0), with
        the reason.
    """
    k_max = check_real(k_max, "k_max", low=0.0, low_open=True)
    g = _Gauss(activation)
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", "the activation")
    grid = np.geomspace(1e-4, k_max, 160)
    mom = [g.moments(k) for k in grid]
    h = np.array([m["s_d2"] for m in mom])
    scale = np.array([m["d1sq"] for m in mom])
    if np.all(scale <= 0):
        raise ValueError(f"{name} has no critical initialisation: its derivative vanishes (⟨σ'²⟩ = 0)")
    if np.all(np.abs(h) <= 1e-10 * np.maximum(scale, 1e-300)):
        d1 = scale[len(grid) // 2]
        C_W = 1.0 / d1
        C_b = [grid[i] - C_W * mom[i]["s2"] for i in range(len(grid))]
        if np.all(np.abs(C_b) <= 1e-8 * grid) and np.allclose(scale, d1, rtol=1e-8):
            return CriticalPoint(0.0, float(C_W), math.nan, "scale-invariant")
    s0, d10, _ = _derivatives(g.sigma, np.zeros(1))
    s0, d10 = float(s0[0]), float(d10[0])
    if abs(s0) < 1e-12 and abs(d10) > 1e-12:
        C_W = 1.0 / d10**2
        small = grid[grid <= 1e-2]
        flows_down = all(C_W * g.moments(k)["s2"] < k for k in small)
        if flows_down:
            return CriticalPoint(0.0, float(C_W), 0.0, "K*=0")
    roots = []
    for i in range(len(grid) - 1):
        if h[i] == 0.0 or h[i] * h[i + 1] < 0:
            k = (
                grid[i]
                if h[i] == 0.0
                else brentq(lambda k: g.moments(k)["s_d2"], grid[i], grid[i + 1], xtol=1e-14)
            )
            m = g.moments(k)
            C_W = 1.0 / m["d1sq"]
            C_b = k - C_W * m["s2"]
            if C_b >= -1e-12:
                roots.append(CriticalPoint(max(C_b, 0.0), float(C_W), float(k), "K*>0"))
    if roots:
        return roots[0]
    why = []
    if abs(s0) >= 1e-12:
        why.append(f"σ(0) = {s0:g} ≠ 0 rules out the K* = 0 class")
    elif abs(d10) <= 1e-12:
        why.append("σ'(0) = 0 rules out the K* = 0 class")
    else:
        why.append("K grows under the recursion near 0, so K* = 0 is not an attracting fixed point")
    why.append(
        f"⟨σσ''⟩_K has no zero with C_b ≥ 0 for K in (0, {k_max:g}], "
        "so χ∥ = χ⊥ = 1 cannot hold at a fixed point"
    )
    raise ValueError(f"{name} has no critical initialisation: " + "; ".join(why))


def variance_recursion(
    activation: str | Activation,
    widths: Sequence[int],
    *,
    C_b: float,
    C_W: float,
    K1: float | None = None,
    input_norm2: float | None = None,
) -> np.ndarray:
    """The normalised ensemble variance R(ℓ) = V^(ℓ)/(n_{ℓ−1} K^(ℓ)²) at leading order in 1/n.

    R(ℓ) = E[z⁴]/(3 E[z²]²) − 1 is the four-point connected correlator of one preactivation
    over the square of its kernel. With V^(1) = 0 (the first layer is exactly Gaussian) the
    book's single-input vertex recursion reads

        V^(ℓ+1) = C_W² [⟨σ⁴⟩ − ⟨σ²⟩²]_{K^(ℓ)} + (n_ℓ / n_{ℓ−1}) χ∥(K^(ℓ))² V^(ℓ).

    Parameters
    ----------
    widths : sequence of int
        Hidden widths n_1, ..., n_{L−1} (those that feed layers 2..L); L = len(widths) + 1.

    Returns
    -------
    ndarray, shape (L,)
        R(1) = 0, R(2), ..., R(L); nan from the first layer whose kernel is above :data:`K_MAX`
        (see :attr:`KernelFlow.diverges_at`) or below ``1 / K_MAX``, where K² would underflow.
    """
    widths = [check_int(w, f"widths[{i}]", low=1) for i, w in enumerate(widths)]
    C_b, C_W = _check_C(C_b, C_W)
    depth = len(widths) + 1
    flow = kernel_recursion(activation, depth, C_b=C_b, C_W=C_W, K1=K1, input_norm2=input_norm2)
    g = _Gauss(activation)
    R = np.zeros(depth)
    for ell in range(depth - 1):
        k = flow.K[ell]
        k1 = flow.K[ell + 1]
        if not 1.0 / K_MAX <= k1 <= K_MAX:  # diverged, or so small that K² underflows
            R[ell + 1 :] = math.nan
            break
        m = g.moments(k)
        fresh = C_W**2 * (m["s4"] - m["s2"] ** 2) / widths[ell]
        # Var(K̂^(ℓ+1)) = fresh + χ∥² Var(K̂^(ℓ)), Var(K̂^(ℓ)) = R(ℓ) K^(ℓ)²
        with np.errstate(over="ignore"):
            R[ell + 1] = fresh / k1**2 + flow.chi_parallel[ell] ** 2 * R[ell] * (k / k1) ** 2
    return R


def scale_invariant_variance(activation: str | Activation, depth: int, width: int) -> np.ndarray:
    """Exact R(ℓ) for a zero-bias network with a scale-invariant activation and equal widths.

    R(ℓ) = (1 + (A₄/A₂² − 1)/n)^(ℓ−1) − 1 with A_k = E[σ(u)^k], u ~ N(0, 1); this is
    (1 + 2/n)^(ℓ−1) − 1 for a linear network and (1 + 5/n)^(ℓ−1) − 1 for ReLU, exact at
    any width (one input, first layer any width, hidden layers n wide).
    """
    depth = check_int(depth, "depth", low=1)
    width = check_int(width, "width", low=1)
    g = _Gauss(activation)
    m1, m2 = g.moments(1.0), g.moments(4.0)
    if not math.isclose(m2["s2"], 4.0 * m1["s2"], rel_tol=1e-9) or not math.isclose(
        m2["s4"], 16.0 * m1["s4"], rel_tol=1e-9
    ):
        raise ValueError("scale_invariant_variance needs a scale-invariant activation (σ(λz) = λσ(z), λ > 0)")
    c = m1["s4"] / m1["s2"] ** 2 - 1.0
    ell = np.arange(1, depth + 1)
    return (1.0 + c / width) ** (ell - 1) - 1.0


def ntk_recursion(
    activation: str | Activation,
    depth: int,
    *,
    C_b: float,
    C_W: float,
    lambda_b: float | Sequence[float] = 0.0,
    lambda_W: float | Sequence[float] = 1.0,
    input_norm2: float,
) -> np.ndarray:
    """The infinite-width NTK Θ^(ℓ) of one input, ℓ = 1..depth (nan after the kernel diverged, inf
    where Θ itself overflows).

    With learning rates λ_W^(ℓ)/n_{ℓ−1} for layer ℓ's weights and λ_b^(ℓ) for its biases:
    Θ^(1) = λ_b^(1) + λ_W^(1) |x|²/n_0 and
    Θ^(ℓ+1) = λ_b^(ℓ+1) + λ_W^(ℓ+1) ⟨σ²⟩_{K^(ℓ)} + χ⊥(K^(ℓ)) Θ^(ℓ).
    At ReLU criticality (C_W = 2, C_b = 0, λ_b = 0) Θ^(ℓ) = ℓ λ_W |x|²/n_0 grows linearly.

    Parameters
    ----------
    lambda_b, lambda_W : float or sequence of float
        One learning-rate factor for every layer, or one per layer (length ``depth``).
    """
    depth = check_int(depth, "depth", low=1)
    C_b, C_W = _check_C(C_b, C_W)
    lam_b = per_layer(lambda_b, "lambda_b", depth)
    lam_W = per_layer(lambda_W, "lambda_W", depth)
    input_norm2 = check_real(input_norm2, "input_norm2", low=0.0)
    flow = kernel_recursion(activation, depth, C_b=C_b, C_W=C_W, input_norm2=input_norm2)
    g = _Gauss(activation)
    theta = np.empty(depth)
    theta[0] = lam_b[0] + lam_W[0] * input_norm2
    for ell in range(depth - 1):
        if not math.isfinite(flow.K[ell]):
            theta[ell + 1 :] = math.nan
            break
        m = g.moments(flow.K[ell])
        with np.errstate(over="ignore"):
            theta[ell + 1] = lam_b[ell + 1] + lam_W[ell + 1] * m["s2"] + flow.chi_perp[ell] * theta[ell]
    return theta


def per_layer(value: float | Sequence[float], name: str, depth: int) -> list[float]:
    """A learning-rate factor given once or per layer, as a list of ``depth`` values >= 0."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return [check_real(value, name, low=0.0)] * depth
    values = list(value)
    if len(values) != depth:
        raise ValueError(f"{name} must be a number or have one entry per layer ({depth}), got {len(values)}")
    return [check_real(v, f"{name}[{i}]", low=0.0) for i, v in enumerate(values)]


def criticality_table(
    activation: str | Activation,
    *,
    depth: int = 10,
    width: int = 100,
    C_b: float | None = None,
    C_W: float | None = None,
    input_norm2: float = 1.0,
) -> dict:
    """What the theory predicts layer by layer, for a report or a command line.

    Uses the critical initialisation of ``activation`` unless ``C_b`` and ``C_W`` are given.

    Returns
    -------
    dict
        ``activation``, ``C_b``, ``C_W``, ``universality_class`` (None when (C_b, C_W) were given),
        ``diverges_at`` (the first layer whose kernel exceeds ``K_max`` = :data:`K_MAX`, or None;
        from there on ``K`` is inf and the other columns nan), and ``rows``: one dict per layer
        ℓ = 1..depth with ``layer``, ``K``, ``chi_parallel``, ``chi_perp``, ``R`` (leading order,
        hidden widths ``width``) and ``ntk`` (λ_W = 1, λ_b = 0).
    """
    if (C_b is None) != (C_W is None):
        raise ValueError("give both C_b and C_W, or neither for the critical initialisation")
    kind = None
    if C_b is None:
        point = critical_initialization(activation)
        C_b, C_W, kind = point.C_b, point.C_W, point.universality_class
    depth = check_int(depth, "depth", low=1)
    width = check_int(width, "width", low=1)
    flow = kernel_recursion(activation, depth, C_b=C_b, C_W=C_W, input_norm2=input_norm2)
    R = variance_recursion(activation, [width] * (depth - 1), C_b=C_b, C_W=C_W, input_norm2=input_norm2)
    theta = ntk_recursion(activation, depth, C_b=C_b, C_W=C_W, input_norm2=input_norm2)
    rows = [
        {
            "layer": ell + 1,
            "K": float(flow.K[ell]),
            "chi_parallel": float(flow.chi_parallel[ell]),
            "chi_perp": float(flow.chi_perp[ell]),
            "R": float(R[ell]),
            "ntk": float(theta[ell]),
        }
        for ell in range(depth)
    ]
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", repr(activation))
    return {
        "activation": name,
        "C_b": C_b,
        "C_W": C_W,
        "universality_class": kind,
        "diverges_at": flow.diverges_at,
        "K_max": K_MAX,
        "rows": rows,
    }


@dataclass(frozen=True)
class CriticalityCheck:
    """Whether (C_b, C_W) is a critical initialisation of an activation, and what K does instead.

    Attributes
    ----------
    critical : bool
        (C_b, C_W) equals the activation's critical point (relative tolerance ``rtol``).
    critical_point : CriticalPoint or None
        The activation's critical point (None if it has none).
    behaviour : str
        ``"exploding"``, ``"vanishing"`` or ``"bounded"``: K over ``depth`` layers from K^(1).
    diverges_at : int or None
        The layer at which K exceeds :data:`K_MAX` (see :class:`KernelFlow`), if it does.
    chi_parallel, chi_perp : float
        The susceptibilities at the last layer's kernel: χ⊥ > 1 is the chaotic phase (nearby
        inputs separate), χ⊥ < 1 the ordered one (they merge).
    message : str
        One sentence saying all this.
    """

    critical: bool
    critical_point: CriticalPoint | None
    behaviour: str
    chi_parallel: float
    chi_perp: float
    message: str
    diverges_at: int | None = None


def check_criticality(
    activation: str | Activation,
    C_b: float,
    C_W: float,
    *,
    depth: int = 50,
    K1: float = 1.0,
    rtol: float = 1e-6,
) -> CriticalityCheck:
    """Say whether (C_b, C_W) is critical for ``activation`` and how the kernel flows with depth."""
    C_b, C_W = _check_C(C_b, C_W)
    rtol = check_real(rtol, "rtol", low=0.0)
    try:
        point: CriticalPoint | None = critical_initialization(activation)
    except ValueError:
        point = None
    flow = kernel_recursion(activation, depth, C_b=C_b, C_W=C_W, K1=K1)
    critical = (
        point is not None
        and math.isclose(C_W, point.C_W, rel_tol=rtol)
        and math.isclose(C_b, point.C_b, rel_tol=rtol, abs_tol=rtol * max(point.C_b, 1e-12))
    )
    last = -1 if np.isfinite(flow.K[-1]) else int(np.nonzero(np.isfinite(flow.chi_perp))[0][-1])
    cpar, cperp = float(flow.chi_parallel[last]), float(flow.chi_perp[last])
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", "the activation")
    if critical:
        message = f"(C_b, C_W) = ({C_b:g}, {C_W:g}) is critical for {name}; K^({depth}) = {flow.K[-1]:.4g}"
    else:
        where = (
            f"the critical point is (C_b, C_W) = ({point.C_b:.6g}, {point.C_W:.6g})"
            if point is not None
            else f"{name} has no critical point"
        )
        phase = "chaotic (χ⊥ > 1)" if cperp > 1 else "ordered (χ⊥ < 1)" if cperp < 1 else "marginal"
        flows = (
            f"K diverges (exceeds {K_MAX:g}) at layer {flow.diverges_at}"
            if flow.diverges_at is not None
            else f"K is {flow.behaviour}"
        )
        message = (
            f"(C_b, C_W) = ({C_b:g}, {C_W:g}) is not critical for {name} ({where}): over {depth} layers "
            f"{flows}, and the last layer is {phase}, χ∥ = {cpar:.4g}, χ⊥ = {cperp:.4g}"
        )
    return CriticalityCheck(bool(critical), point, flow.behaviour, cpar, cperp, message, flow.diverges_at)
