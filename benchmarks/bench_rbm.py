"""RBM training and partition functions on binarised Fashion-MNIST.

1. Seconds per epoch of a 784-500 Bernoulli RBM trained by PCD-1 (batch 100, learning rate
   0.01, 60,000 images binarised as x/255 > 0.5): physml's RBM (PyTorch, float32) against
   scikit-learn's BernoulliRBM (the same algorithm: PCD-1 with as many chains as the batch
   size) with n_iter=1, same batch size and learning rate, measured in the same run. The
   binarised array is float64 for scikit-learn (what it makes of a boolean array); a second
   line gives scikit-learn on float32 input for reference. Both models are then scored with
   physml's deterministic pseudo-log-likelihood on 1,000 test images. A third line times
   physml with ``train_precision="bfloat16"`` (bfloat16 matrix products, float32 parameters)
   where the CPU has bfloat16 units; without them the RBM warns and trains in float32 (emulated
   bfloat16 measured 10 times slower than float32 on an AVX2-only AMD EPYC), and the line says so.
   The hardware limit: the rate of the bare float32 product 100x784 @ 784x500 (median of 7
   runs of 100 products, measured just before and just after physml's epochs, same process,
   same torch threads) against the epoch's achieved rate, counting what an epoch must do: five
   such products per PCD-1 update (hidden probabilities of data and chains, visible
   probabilities of the chains, the two phases' weight statistics), 2·100·784·500 flop each,
   600 updates (235 GFLOP); the line prints both rates and the fraction (target >= 60%).
2. AIS: time to estimate log Z of a 784-20 RBM trained for one epoch, and its deviation
   from the exact value (2^20 hidden states enumerated).
3. Likelihood bounds: the time to a RAISE/AIS sandwich of width <= 1 nat (gap + 2 errors, the
   ``wide`` flag of physml.ebm.log_likelihood_bounds) of the mean log-likelihood of 100 test
   images under the 784-500 RBM of item 1 (one PCD-1 epoch), trying 100, 300, 1,000, 3,000,
   10,000, 30,000 and 100,000 temperatures in turn (100 AIS chains, one RAISE chain per image,
   float32); the time is the sum over the tries up to the first narrow one, and a line gives the
   width reached when 100,000 are still wide (the last try alone takes about 5 minutes).
   Measured on the 2-core AMD EPYC (Zen 5, AVX-512): the model that
   two torch threads train is still 2.58 nats wide at 10,000 temperatures (gap 2.14 ± 0.22,
   35 s for all tries) and 1.77 at 30,000 (gap 1.28 ± 0.25, 84 s more); the one a single thread
   trains (other rounding, other chains) is 1.08 wide at 10,000 and 0.32 at 30,000. A full run
   (8 December 2026): 1.38 nats wide at 100,000 (gap 1.16 ± 0.11) after 354 s of tries.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from _harness import median_seconds, report


def main(repeat: int = 3) -> None:
    import torch
    from sklearn.neural_network import BernoulliRBM

    from physml.data import fashion_mnist
    from physml.ebm import RBM, RBMModel, ais_log_partition, exact_log_partition, pseudo_likelihood

    images, _ = fashion_mnist("train")
    x = images.reshape(len(images), -1) / 255.0 > 0.5  # (60000, 784) bool
    test, _ = fashion_mnist("test")
    x_test = (test.reshape(len(test), -1)[:1000] / 255.0 > 0.5).astype(np.float32)
    x64, x32 = x.astype(np.float64), x.astype(np.float32)
    settings = dict(batch_size=100, learning_rate=0.01, n_iter=1)
    n_updates = -(-len(x) // settings["batch_size"])

    ours = RBM(500, method="pcd", k=1, seed=0, **settings)
    ours_bf16 = RBM(500, method="pcd", k=1, seed=0, train_precision="bfloat16", **settings)
    theirs = BernoulliRBM(500, random_state=0, **settings)
    theirs32 = BernoulliRBM(500, random_state=0, **settings)
    # warm up both libraries (thread pools, BLAS) on a slice, then time full epochs
    RBM(500, seed=0, **settings).fit(x[:2000])
    BernoulliRBM(500, random_state=0, **settings).fit(x64[:2000])
    bare = bare_product_seconds(torch)
    t_ours = median_seconds(lambda: ours.fit(x), repeat=repeat, warmup=0)
    bare = sorted(bare + bare_product_seconds(torch))
    with warnings.catch_warnings():  # without bfloat16 units: float32, said on the result line
        warnings.simplefilter("ignore", RuntimeWarning)
        t_bf16 = median_seconds(lambda: ours_bf16.fit(x), repeat=repeat, warmup=0)
    t_theirs = median_seconds(lambda: theirs.fit(x64), repeat=repeat, warmup=0)
    t_theirs32 = median_seconds(lambda: theirs32.fit(x32), repeat=repeat, warmup=0)

    def pl(components, hidden, visible):
        model = RBMModel(
            torch.as_tensor(components, dtype=torch.float32),
            torch.as_tensor(visible, dtype=torch.float32),
            torch.as_tensor(hidden, dtype=torch.float32),
        )
        return float(np.mean(pseudo_likelihood(model, x_test)))

    pl_ours = pl(ours.components_, ours.intercept_hidden_, ours.intercept_visible_)
    pl_theirs = pl(theirs.components_, theirs.intercept_hidden_, theirs.intercept_visible_)
    pl_bf16 = pl(ours_bf16.components_, ours_bf16.intercept_hidden_, ours_bf16.intercept_visible_)
    print(
        f"RBM 784-500 PCD-1, batch 100, one epoch on 60,000 images: physml {t_ours:.2f} s/epoch, "
        f"sklearn {t_theirs:.2f} s/epoch (float64), {t_theirs32:.2f} s/epoch (float32 input)",
        flush=True,
    )
    report(
        "RBM 784-500 PCD-1 epoch vs sklearn float64",
        t_ours,
        "sklearn",
        t_theirs,
        f"pseudo-LL/test image physml {pl_ours:.1f} vs sklearn {pl_theirs:.1f} nats (target x3)",
    )
    report("RBM 784-500 PCD-1 epoch vs sklearn float32", t_ours, "sklearn", t_theirs32)
    t_product = (bare[len(bare) // 2 - 1] + bare[len(bare) // 2]) / 2  # median of the 14 runs
    rate = PRODUCT_FLOP / t_product / 1e9
    achieved = 5 * n_updates * PRODUCT_FLOP / t_ours / 1e9
    report(
        "RBM 784-500 PCD-1 epoch vs its bare products",
        t_ours,
        f"{5 * n_updates} x mm",
        5 * n_updates * t_product,
        f"{achieved:.0f} GFLOP/s achieved, bare 100x784 @ 784x500 float32 product {rate:.0f} GFLOP/s "
        f"({torch.get_num_threads()} threads): {achieved / rate:.0%} of the hardware limit (target >= 60%)",
    )
    bf16_used = ours_bf16.train_precision_ == "bfloat16"
    report(
        "RBM 784-500 PCD-1 epoch, bfloat16 matmuls" if bf16_used else "RBM 784-500, bf16 asked, float32 ran",
        t_bf16,
        "sklearn",
        t_theirs,
        f"pseudo-LL/test image physml bf16 {pl_bf16:.1f} vs sklearn {pl_theirs:.1f} nats (train_precision)"
        if bf16_used else "no bfloat16 units on this CPU: the RBM fell back to float32",
    )
    if torch.cuda.is_available():
        gpu = RBM(500, method="pcd", k=1, seed=0, device="cuda", **settings)

        def fit_gpu():
            gpu.fit(x)
            torch.cuda.synchronize()

        t_gpu = median_seconds(fit_gpu, repeat=repeat, warmup=1)
        report("RBM 784-500 PCD-1 epoch on CUDA", t_gpu, "sklearn", t_theirs)

    # AIS on a 784-20 RBM trained for one epoch
    small = RBM(20, method="pcd", seed=0, **settings).fit(x)
    start = time.perf_counter()
    exact = exact_log_partition(small)
    t_exact = time.perf_counter() - start
    start = time.perf_counter()
    estimate, stderr = ais_log_partition(small, n_chains=100, n_betas=10000, data=x, seed=0)
    t_ais = time.perf_counter() - start
    print(
        f"AIS log Z of a 784-20 RBM (100 chains, 10,000 betas): {estimate:.3f} ± {stderr:.3f} in "
        f"{t_ais:.1f} s; exact {exact:.3f} in {t_exact:.1f} s; deviation {estimate - exact:+.3f} nats "
        f"= {(estimate - exact) / stderr:+.2f} standard errors (target: within 0.5 nats in < 30 s)",
        flush=True,
    )

    sandwich_time(ours, x, x_test[:100])


#: flop of one 100x784 @ 784x500 product (multiply and add counted apart)
PRODUCT_FLOP = 2 * 100 * 784 * 500


def bare_product_seconds(torch, runs: int = 7, products: int = 100) -> list[float]:
    """Seconds per bare float32 product 100x784 @ 784x500 (the layout of the training's
    p(h|v): a batch times Wᵀ, W stored hidden-major), one value per run of ``products``
    products, after a warm-up."""
    g = torch.Generator().manual_seed(0)
    a = torch.rand(100, 784, generator=g)
    w = torch.rand(500, 784, generator=g)
    out = torch.empty(100, 500)
    for _ in range(products // 5):
        torch.mm(a, w.T, out=out)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(products):
            torch.mm(a, w.T, out=out)
        times.append((time.perf_counter() - start) / products)
    return times


def sandwich_time(rbm, x_train, x_test, betas=(100, 300, 1000, 3000, 10000, 30000, 100000),
                  tolerance: float = 1.0) -> float | None:
    """Item 3: seconds until log_likelihood_bounds gives a sandwich narrower than ``tolerance``
    (None, after a line that says so, when the last number of temperatures is still wide)."""
    from physml.ebm import log_likelihood_bounds

    total = 0.0
    shape = f"{rbm.components_.shape[1]}-{rbm.components_.shape[0]}"
    b = None
    for n_betas in betas:
        start = time.perf_counter()
        b = log_likelihood_bounds(rbm, x_test, n_betas=n_betas, data=x_train, ais_chains=100,
                                  tolerance=tolerance, seed=0, dtype="float32")
        total += time.perf_counter() - start
        print(f"  {shape} sandwich, {n_betas} temperatures: {b.lower:.3f} ± {b.lower_error:.3f} <= LL <= "
              f"{b.upper:.3f} ± {b.upper_error:.3f}, gap {b.gap:.3f} ± {b.gap_error:.3f} nats, "
              f"{total:.1f} s so far", flush=True)
        if not b.wide:
            print(f"time to a sandwich of width <= {tolerance:g} nat on the {shape} RBM: {total:.1f} s "
                  f"({n_betas} temperatures)", flush=True)
            return total
    print(f"no sandwich of width <= {tolerance:g} nat on the {shape} RBM within {betas[-1]:,} temperatures: "
          f"gap + 2 errors still {b.gap + 2 * b.gap_error:.2f} nats after {total:.1f} s "
          f"(tried {', '.join(f'{n:,}' for n in betas)}); stopped", flush=True)
    return None


if __name__ == "__main__":
    main()
