"""Numba kernels for the Ising samplers (private; the public API is in :mod:`physml.ebm._ising`).

Multi-spin coding
-----------------
The checkerboard kernels keep 64 independent replicas of an L x L lattice in the 64 bits of
``uint64`` words (bit ``b`` of a word is the spin of replica ``b``; bit 1 means spin +1), in the
"checkerboard-packed" layout ``words[plane, colour, i, k]``: site ``(i, j)`` has colour
``(i + j) % 2`` and packed column ``k = j // 2``.  Every neighbour of a colour-``c`` site has colour
``1 - c``: up and down neighbours sit at the same ``k`` in rows ``i -+ 1``; the left and right ones
at ``k - 1 + o`` and ``k + o`` in row ``i``, with ``o = (i + c) % 2`` (periodic in ``k``).

For every word the four "neighbour disagrees" words are added bit-sliced, which gives for each
replica the number ``n`` (0..4) of unlike neighbours, so the flip cost is
``dE = 2 J (4 - 2 n) + 2 h s``: ten classes ``(n, s)``.  A class's flip probability ``P`` (Metropolis
``min(1, exp(-dE/T))`` or heat-bath ``1 / (1 + exp(dE/T))``) is stored as a 64-bit fixed-point
threshold and each replica compares its own uniform 64-bit number ``U`` with it, most significant bit
first, all 64 replicas at once: random word number ``t`` supplies bit ``64 - t`` of every replica's
``U``; a replica is decided (accept if its ``U`` bit is 0 where the threshold bit is 1) at the first
bit where the two differ, after two steps on average.  Acceptance is exact up to ``2**-64``.  The
first ``STEPS_*`` steps run branch-free for every word of a row, a loop over the words that LLVM
vectorises (AVX2/AVX-512); the few words with replicas still undecided (about ``64 * 2**-STEPS``)
finish in a scalar loop.  The Metropolis rule at ``h = 0`` and ``J > 0`` has only two uncertain
classes (``n = 0, 1``) and runs on a specialised path; every other case (heat-bath, ``h != 0``,
``J < 0``) on the general ten-class path.  Measured on one Zen 5 core at L = 1024: about 15
attempted flips per ns (Metropolis, fast path) and 5 (general path).

Random numbers are counter-based SplitMix64 (Steele, Lea & Flood, OOPSLA 2014; all output bits pass
BigCrush): word ``t`` for word ``c = (half_sweep * L + row) * (L / 2) + k`` of a plane is
``mix(key + gamma * (64 c + t))``, i.e. the SplitMix64 stream of the plane's key read at distinct
positions, so no generator state has to be carried through the vectorised loops and the result does
not depend on how the loops are ordered.  Each plane of 64 replicas has its own random key.

References: multi-spin coding, Jacobs & Rebbi, J. Comput. Phys. 41, 203 (1981); Zorn, Herrmann &
Rebbi, Comput. Phys. Commun. 23, 337 (1981); multi-spin coding on GPUs, Block, Virnau & Preis,
Comput. Phys. Commun. 181, 1549 (2010).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "flip_thresholds",
    "graph_sweeps",
    "multispin_sweeps",
    "pack_spins",
    "splitmix_seeds",
    "unpack_words",
    "wolff_sweeps",
]

_U0 = np.uint64(0)
_U1 = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit
def _mix(x):
    z = (x ^ (x >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit
def _next(state, i):
    x = state[i] + _GOLDEN
    state[i] = x
    return _mix(x)


@njit
def _uniform(state, i):
    return float(_next(state, i) >> _S11) * _INV53


# ----------------------------------------------------------------------------------------------
# multi-spin coded checkerboard sweeps
# ----------------------------------------------------------------------------------------------

# Threshold bits compared branch-free (vectorised) before the scalar tail that finishes the few
# words with replicas still undecided (a fraction ~ 64 * 2**-STEPS of words); the row kernels write
# these steps out by hand.  Tuned on Zen 5: 12 for the two-class path, 10 for the ten-class path.
STEPS_FAST = 12
STEPS_GENERAL = 10
_GK = np.uint64((0x9E3779B97F4A7C15 * 64) % 2**64)  # gamma * 64: next word's block of 64 numbers
_BYTES = np.uint64(0x0101010101010101)


@njit
def _tmask(p, bit):
    """All ones if bit ``bit`` of the fixed-point threshold ``p`` is set, else zero."""
    return _U0 - ((p >> np.uint64(bit)) & _U1)


@njit
def _count_unlike(s, up, dn, lf, rt):
    """Bit-sliced pieces of n = number of unlike neighbours: n = (s1 + s2) + 2 (c1 + c2)."""
    a = s ^ up
    b = s ^ dn
    c = s ^ lf
    d = s ^ rt
    return a ^ b, a & b, c ^ d, c & d


@njit
def _fast_classes(s, up, dn, lf, rt):
    s1, c1, s2, c2 = _count_unlike(s, up, dn, lf, rt)
    hi = c1 | c2
    m1 = (s1 ^ s2) & ~hi  # n == 1
    m0 = ~(s1 | s2 | hi)  # n == 0
    return hi | (s1 & s2), m0, m1  # n >= 2 always flips (dE <= 0)


@njit
def _general_classes(s, up, dn, lf, rt):
    s1, c1, s2, c2 = _count_unlike(s, up, dn, lf, rt)
    n4 = c1 & c2
    n3 = (c1 & s2) | (c2 & s1)
    n2 = (c1 & ~(s2 | c2)) | (c2 & ~(s1 | c1)) | (s1 & s2)
    n1 = (s1 ^ s2) & ~(c1 | c2)
    n0 = ~(s1 | s2 | c1 | c2)
    ns = ~s
    return (n0 & ns, n1 & ns, n2 & ns, n3 & ns, n4 & ns, n0 & s, n1 & s, n2 & s, n3 & s, n4 & s)


@njit
def _fast_step(m0, m1, p0, p1, x, n, acc, und):
    """Compare bit 64 - n of the thresholds with random word number n (SplitMix64 at x + n gamma)."""
    r = _mix(x + _GOLDEN * np.uint64(n))
    t = (m0 & _tmask(p0, 64 - n)) | (m1 & _tmask(p1, 64 - n))
    return acc | (und & t & ~r), und & ~(t ^ r)


@njit
def _general_step(m, pt, x, n, acc, und):
    r = _mix(x + _GOLDEN * np.uint64(n))
    t = _general_threshold(m, pt, 64 - n)
    return acc | (und & t & ~r), und & ~(t ^ r)


@njit(cache=True)
def _row_fast(me, up, dn, buf, o, xrow, p0, p1, scr):
    """Metropolis at h = 0, J > 0 on one row of one colour (thresholds p0 for n = 0, p1 for n = 1)."""
    lh = me.shape[0]
    for k in range(lh):  # vectorised: STEPS_FAST bits for every word, no branches
        s = me[k]
        acc, m0, m1 = _fast_classes(s, up[k], dn[k], buf[k + o], buf[k + o + 1])
        und = m0 | m1
        x = xrow + _GK * np.uint64(k)
        # STEPS_FAST = 12 bits, written out so that the loop over k is innermost and vectorises
        acc, und = _fast_step(m0, m1, p0, p1, x, 1, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 2, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 3, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 4, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 5, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 6, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 7, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 8, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 9, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 10, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 11, acc, und)
        acc, und = _fast_step(m0, m1, p0, p1, x, 12, acc, und)
        scr[2 * k] = s ^ acc
        scr[2 * k + 1] = und
    for k in range(lh):  # the few words with replicas still undecided: finish bit by bit
        und = scr[2 * k + 1]
        if und != _U0:
            s = me[k]
            _, m0, m1 = _fast_classes(s, up[k], dn[k], buf[k + o], buf[k + o + 1])
            acc = scr[2 * k] ^ s
            x = xrow + _GK * np.uint64(k)
            for n in range(STEPS_FAST + 1, 65):
                acc, und = _fast_step(m0, m1, p0, p1, x, n, acc, und)
                if und == _U0:
                    break
            scr[2 * k] = s ^ acc
    for k in range(lh):
        me[k] = scr[2 * k]


@njit
def _general_threshold(m, pt, bit):
    """Threshold bit ``bit`` of every replica's class (explicit so that LLVM vectorises it)."""
    return (
        (m[0] & _tmask(pt[0], bit))
        | (m[1] & _tmask(pt[1], bit))
        | (m[2] & _tmask(pt[2], bit))
        | (m[3] & _tmask(pt[3], bit))
        | (m[4] & _tmask(pt[4], bit))
        | (m[5] & _tmask(pt[5], bit))
        | (m[6] & _tmask(pt[6], bit))
        | (m[7] & _tmask(pt[7], bit))
        | (m[8] & _tmask(pt[8], bit))
        | (m[9] & _tmask(pt[9], bit))
    )


@njit
def _general_certain(m, ct):
    return (
        (m[0] & ct[0])
        | (m[1] & ct[1])
        | (m[2] & ct[2])
        | (m[3] & ct[3])
        | (m[4] & ct[4])
        | (m[5] & ct[5])
        | (m[6] & ct[6])
        | (m[7] & ct[7])
        | (m[8] & ct[8])
        | (m[9] & ct[9])
    )


@njit(cache=True)
def _row_general(me, up, dn, buf, o, xrow, pt, ct, scr):
    """Any rule, field and coupling on one row: ten classes with thresholds pt, always-flip masks ct."""
    lh = me.shape[0]
    for k in range(lh):
        s = me[k]
        m = _general_classes(s, up[k], dn[k], buf[k + o], buf[k + o + 1])
        acc = _general_certain(m, ct)
        und = ~acc
        x = xrow + _GK * np.uint64(k)
        acc, und = _general_step(m, pt, x, 1, acc, und)
        acc, und = _general_step(m, pt, x, 2, acc, und)
        acc, und = _general_step(m, pt, x, 3, acc, und)
        acc, und = _general_step(m, pt, x, 4, acc, und)
        acc, und = _general_step(m, pt, x, 5, acc, und)
        acc, und = _general_step(m, pt, x, 6, acc, und)
        acc, und = _general_step(m, pt, x, 7, acc, und)
        acc, und = _general_step(m, pt, x, 8, acc, und)
        acc, und = _general_step(m, pt, x, 9, acc, und)
        acc, und = _general_step(m, pt, x, 10, acc, und)
        scr[2 * k] = s ^ acc
        scr[2 * k + 1] = und
    for k in range(lh):
        und = scr[2 * k + 1]
        if und != _U0:
            s = me[k]
            m = _general_classes(s, up[k], dn[k], buf[k + o], buf[k + o + 1])
            acc = scr[2 * k] ^ s
            x = xrow + _GK * np.uint64(k)
            for n in range(STEPS_GENERAL + 1, 65):
                acc, und = _general_step(m, pt, x, n, acc, und)
                if und == _U0:
                    break
            scr[2 * k] = s ^ acc
    for k in range(lh):
        me[k] = scr[2 * k]


@njit
def _fill_buf(buf, row):
    """buf[1 + k] = row[k], padded periodically: buf[0] = row[-1], buf[lh + 1] = row[0]."""
    lh = row.shape[0]
    buf[0] = row[lh - 1]
    for k in range(lh):
        buf[k + 1] = row[k]
    buf[lh + 1] = row[0]


@njit(cache=True)
def _half_sweep(wp, colour, fast, pt, ct, key, half, buf, scr):
    L = wp.shape[1]
    lh = wp.shape[2]
    me_all = wp[colour]
    other = wp[1 - colour]
    p0 = pt[0]
    p1 = pt[1]
    for i in range(L):
        _fill_buf(buf, other[i])
        # SplitMix64 positions 64 * c + 1 ... 64 * c + 64 for word c = (half * L + i) * lh + k
        xrow = key + _GK * (half * np.uint64(L) + np.uint64(i)) * np.uint64(lh)
        o = (i + colour) & 1
        if fast:
            _row_fast(me_all[i], other[(i - 1) % L], other[(i + 1) % L], buf, o, xrow, p0, p1, scr)
        else:
            _row_general(me_all[i], other[(i - 1) % L], other[(i + 1) % L], buf, o, xrow, pt, ct, scr)


@njit
def _spread_bytes(v, out, off, j):
    """Add the eight byte counters of ``v`` (byte t counts bit 8 t + j) into ``out[off + bit]``."""
    for t in range(8):
        out[off + 8 * t + j] += np.int64((v >> np.uint64(8 * t)) & np.uint64(0xFF))


@njit(cache=True)
def _count_plane(wp, ones, unlike, off, buf):
    """Per replica (bit): number of up spins and of unlike nearest-neighbour bonds.

    Every bond joins a colour-0 and a colour-1 site, so the unlike bonds are the unlike neighbours
    of the colour-0 sites.  Over blocks of 56 words of a row the counts are summed in byte counters
    (byte ``t`` of counter ``j`` counts bit ``8 t + j``; at most 4 * 56 < 256), a reduction that
    LLVM vectorises, then spread into ``unlike`` and ``ones``.
    """
    L = wp.shape[1]
    lh = wp.shape[2]
    for i in range(L):
        o = i & 1
        up = wp[1, (i - 1) % L]
        dn = wp[1, (i + 1) % L]
        row = wp[1, i]
        me = wp[0, i]
        _fill_buf(buf, row)
        for k0 in range(0, lh, 56):
            u0 = u1 = u2 = u3 = u4 = u5 = u6 = u7 = _U0
            v0 = v1 = v2 = v3 = v4 = v5 = v6 = v7 = _U0
            for k in range(k0, min(k0 + 56, lh)):
                s = me[k]
                w = row[k]
                s1, c1, s2, c2 = _count_unlike(s, up[k], dn[k], buf[k + o], buf[k + o + 1])
                # n = a + b + c + d in binary (n2 n1 n0); ones of the two sites (q1 q0)
                n0 = s1 ^ s2
                cy = s1 & s2
                n1 = c1 ^ c2 ^ cy
                n2 = (c1 & c2) | (cy & (c1 ^ c2))
                q0 = s ^ w
                q1 = s & w
                u0 += _bytes_of(n0, n1, n2, 0)
                u1 += _bytes_of(n0, n1, n2, 1)
                u2 += _bytes_of(n0, n1, n2, 2)
                u3 += _bytes_of(n0, n1, n2, 3)
                u4 += _bytes_of(n0, n1, n2, 4)
                u5 += _bytes_of(n0, n1, n2, 5)
                u6 += _bytes_of(n0, n1, n2, 6)
                u7 += _bytes_of(n0, n1, n2, 7)
                v0 += _bytes_of(q0, q1, _U0, 0)
                v1 += _bytes_of(q0, q1, _U0, 1)
                v2 += _bytes_of(q0, q1, _U0, 2)
                v3 += _bytes_of(q0, q1, _U0, 3)
                v4 += _bytes_of(q0, q1, _U0, 4)
                v5 += _bytes_of(q0, q1, _U0, 5)
                v6 += _bytes_of(q0, q1, _U0, 6)
                v7 += _bytes_of(q0, q1, _U0, 7)
            _spread_bytes(u0, unlike, off, 0)
            _spread_bytes(u1, unlike, off, 1)
            _spread_bytes(u2, unlike, off, 2)
            _spread_bytes(u3, unlike, off, 3)
            _spread_bytes(u4, unlike, off, 4)
            _spread_bytes(u5, unlike, off, 5)
            _spread_bytes(u6, unlike, off, 6)
            _spread_bytes(u7, unlike, off, 7)
            _spread_bytes(v0, ones, off, 0)
            _spread_bytes(v1, ones, off, 1)
            _spread_bytes(v2, ones, off, 2)
            _spread_bytes(v3, ones, off, 3)
            _spread_bytes(v4, ones, off, 4)
            _spread_bytes(v5, ones, off, 5)
            _spread_bytes(v6, ones, off, 6)
            _spread_bytes(v7, ones, off, 7)


@njit
def _bytes_of(b0, b1, b2, j):
    """Bits j, j + 8, ..., j + 56 of the 3-bit bit-sliced number (b2 b1 b0), one per byte."""
    sj = np.uint64(j)
    return ((b0 >> sj) & _BYTES) + (((b1 >> sj) & _BYTES) << _U1) + (((b2 >> sj) & _BYTES) << np.uint64(2))


@njit(cache=True)
def multispin_sweeps(words, n_sweeps, fast, pt, ct, rng, measure, ones_out, unlike_out):
    """Run ``n_sweeps`` checkerboard sweeps (colour 0 then colour 1) on every word plane.

    Parameters
    ----------
    words : uint64 array, shape (n_planes, 2, L, L // 2)
        Packed replicas, updated in place.
    n_sweeps : int
    fast : bool
        Use the two-class Metropolis path (valid for Metropolis, h = 0, J > 0 only; then
        ``pt[0]``, ``pt[1]`` are the thresholds of n = 0, 1 unlike neighbours).
    pt : uint64 array, shape (10,)
        Fixed-point flip thresholds ``floor(P 2**64)`` of the classes ``q = n + 5 * (s == +1)``.
    ct : uint64 array, shape (10,)
        All ones for the classes that always flip (``P >= 1``), zero otherwise.
    rng : uint64 array, shape (n_planes, 2)
        Per plane, the SplitMix64 key and the number of half-sweeps done (the counter of the
        counter-based generator, advanced by 2 per sweep).
    measure : bool
        Whether to count up spins and unlike bonds after every sweep.
    ones_out, unlike_out : int64 array, shape (n_sweeps, 64 * n_planes)
        Filled when ``measure`` (otherwise untouched; may have zero rows).
    """
    n_planes = words.shape[0]
    lh = words.shape[3]
    buf = np.empty(lh + 2, np.uint64)
    scr = np.empty(2 * lh, np.uint64)
    ptt = (pt[0], pt[1], pt[2], pt[3], pt[4], pt[5], pt[6], pt[7], pt[8], pt[9])
    ctt = (ct[0], ct[1], ct[2], ct[3], ct[4], ct[5], ct[6], ct[7], ct[8], ct[9])
    for t in range(n_sweeps):
        for p in range(n_planes):
            wp = words[p]
            _half_sweep(wp, 0, fast, ptt, ctt, rng[p, 0], rng[p, 1], buf, scr)
            _half_sweep(wp, 1, fast, ptt, ctt, rng[p, 0], rng[p, 1] + _U1, buf, scr)
            rng[p, 1] += np.uint64(2)
            if measure:
                _count_plane(wp, ones_out[t], unlike_out[t], 64 * p, buf)


def flip_thresholds(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-point thresholds ``floor(p 2**64)`` (zero where ``p >= 1``) and always-flip masks."""
    p = np.asarray(p, dtype=np.float64)
    pt = np.zeros(p.shape[0], np.uint64)
    ct = np.zeros(p.shape[0], np.uint64)
    for q in range(p.shape[0]):
        if p[q] >= 1.0:
            ct[q] = _ALL
        elif p[q] > 0.0:
            pt[q] = np.uint64(int(np.ldexp(p[q], 64)))  # exact: a double times a power of two
    return pt, ct


def splitmix_seeds(gen: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Fresh SplitMix64 states drawn from a numpy Generator."""
    return gen.integers(0, 2**64, size=shape, dtype=np.uint64, endpoint=False)


def pack_spins(spins: np.ndarray) -> np.ndarray:
    """Pack ``(R, L, L)`` spins of +-1 into checkerboard words ``(ceil(R / 64), 2, L, L // 2)``.

    Replica ``r`` is bit ``r % 64`` of plane ``r // 64``; padding replicas are copies of replica 0
    (they are simulated but never reported).
    """
    R, L, _ = spins.shape
    n_planes = -(-R // 64)
    bits = np.empty((n_planes * 64, L, L), dtype=bool)
    bits[:R] = spins > 0
    bits[R:] = bits[0]
    ii = np.arange(L)[:, None]
    kk = np.arange(L // 2)[None, :]
    words = np.empty((n_planes, 2, L, L // 2), np.uint64)
    for colour in (0, 1):
        jj = 2 * kk + ((ii + colour) & 1)
        sub = bits[:, ii, jj]  # (64 P, L, L/2)
        sub = sub.reshape(n_planes, 64, L, L // 2).transpose(0, 2, 3, 1)
        packed = np.packbits(np.ascontiguousarray(sub), axis=-1, bitorder="little")  # (P, L, L/2, 8)
        words[:, colour] = np.ascontiguousarray(packed).view("<u8")[..., 0]
    return words


def unpack_words(words: np.ndarray, n_replicas: int) -> np.ndarray:
    """Inverse of :func:`pack_spins`: int8 spins of shape ``(n_replicas, L, L)``."""
    n_planes, _, L, lh = words.shape
    out = np.empty((n_planes * 64, L, L), np.int8)
    ii = np.arange(L)[:, None]
    kk = np.arange(lh)[None, :]
    for colour in (0, 1):
        as_bytes = np.ascontiguousarray(words[:, colour]).astype("<u8").view(np.uint8)
        as_bytes = as_bytes.reshape(n_planes, L, lh, 8)
        bits = np.unpackbits(as_bytes, axis=-1, bitorder="little")  # (P, L, lh, 64)
        bits = bits.transpose(0, 3, 1, 2).reshape(n_planes * 64, L, lh)
        jj = 2 * kk + ((ii + colour) & 1)
        out[:, ii, jj] = 2 * bits.astype(np.int8) - 1
    return out[:n_replicas]


# ----------------------------------------------------------------------------------------------
# Wolff clusters (one lattice per replica, int8 spins, h = 0)
# ----------------------------------------------------------------------------------------------


@njit(cache=True)
def wolff_sweeps(spins, beta, J, n_sweeps, clusters, rng, stack, e_out, m_out, sizes_out):
    """Wolff single-cluster updates on each replica of ``spins`` (R, L, L), in place.

    One sweep is ``clusters`` cluster flips, or, if ``clusters == 0``, cluster flips until at
    least ``L * L`` spins have been flipped (a random stopping time that biases measurements:
    use it for thermalisation only) (Wolff, PRL 62, 361 (1989)).  Bonds join like (J > 0) or
    unlike (J < 0) neighbours with probability ``1 - exp(-2 |J| / T)``.  ``rng`` holds one
    SplitMix64 state per replica.  Records energy and magnetisation per site after each sweep,
    and the mean cluster size per sweep in ``sizes_out``.
    """
    R, L, _ = spins.shape
    N = L * L
    padd = 1.0 - np.exp(-2.0 * beta * abs(J))
    thr = np.uint64(min(padd, 1.0 - 2.0**-53) * 2.0**64) if padd < 1.0 else _ALL
    sgn = 1 if J > 0 else -1
    for r in range(R):
        s = spins[r]
        for t in range(n_sweeps):
            flipped = 0
            nclusters = 0
            while (clusters == 0 and flipped < N) or (clusters > 0 and nclusters < clusters):
                site = np.int64(((_next(rng, r) >> _S32) * np.uint64(N)) >> _S32)
                i0 = site // L
                j0 = site % L
                s[i0, j0] = -s[i0, j0]
                stack[0] = site
                top = 1
                size = 1
                while top > 0:
                    top -= 1
                    x = stack[top]
                    i = x // L
                    j = x % L
                    sx = s[i, j] * sgn
                    for nb in range(4):
                        if nb == 0:
                            ni, nj = (i - 1) % L, j
                        elif nb == 1:
                            ni, nj = (i + 1) % L, j
                        elif nb == 2:
                            ni, nj = i, (j - 1) % L
                        else:
                            ni, nj = i, (j + 1) % L
                        if s[ni, nj] * sx < 0 and _next(rng, r) < thr:
                            s[ni, nj] = -s[ni, nj]
                            stack[top] = ni * L + nj
                            top += 1
                            size += 1
                flipped += size
                nclusters += 1
            sizes_out[t, r] = flipped / nclusters
            bonds = 0
            mag = 0
            for i in range(L):
                for j in range(L):
                    v = s[i, j]
                    mag += v
                    bonds += v * (s[(i + 1) % L, j] + s[i, (j + 1) % L])
            e_out[t, r] = -J * bonds / N
            m_out[t, r] = mag / N


# ----------------------------------------------------------------------------------------------
# single-spin updates on an arbitrary graph (dense couplings)
# ----------------------------------------------------------------------------------------------


@njit(cache=True)
def graph_sweeps(spins, couplings, fields, beta, heat_bath, n_sweeps, rng, e_out, m_out):
    """Sequential-scan single-spin Metropolis or heat-bath on each replica of ``spins`` (R, n).

    ``H = -1/2 s^T J s - h . s``; local fields are kept up to date after each accepted flip (O(n)).
    One sweep is ``n`` attempted flips (sites in order).  ``rng`` holds one SplitMix64 state per
    replica.  Records energy and magnetisation per site after each sweep.
    """
    R, n = spins.shape
    loc = np.empty(n)
    for r in range(R):
        s = spins[r]
        for i in range(n):
            acc = 0.0
            for j in range(n):
                acc += couplings[i, j] * s[j]
            loc[i] = acc
        for t in range(n_sweeps):
            for i in range(n):
                de = 2.0 * s[i] * (loc[i] + fields[i])
                if heat_bath:
                    accept = _uniform(rng, r) * (1.0 + np.exp(beta * de)) < 1.0
                else:
                    accept = de <= 0.0 or _uniform(rng, r) < np.exp(-beta * de)
                if accept:
                    s[i] = -s[i]
                    two_s = 2.0 * s[i]
                    for j in range(n):
                        loc[j] += two_s * couplings[j, i]
            energy = 0.0
            mag = 0.0
            for i in range(n):
                energy -= s[i] * (0.5 * loc[i] + fields[i])
                mag += s[i]
            e_out[t, r] = energy / n
            m_out[t, r] = mag / n
