#!/usr/bin/python3
"""Reference values and numpy-written files for the @adagen/metrics tests.

Run with Debian's python (numpy, scipy, torch, onnx):

    /usr/bin/python3 tooling/metrics/make_fixtures.py

It writes packages/metrics/fixtures/ (committed, so CI needs no Python):

- reference.json: FID by the pytorch-fid formula (scipy.linalg.sqrtm) at 64 dims (from features, full rank and
  rank-deficient) and 2048 dims (covariances built from a hash generator that the tests reproduce bit-exactly,
  full rank and rank-deficient); KID by torch-fidelity's algorithm; IS by torch-fidelity's/docs/method.md 13.1
  algorithm; precision/recall (k = 3) by brute force; numpy RandomState(2020) permutations.
- feats_*.npy, logits.npy, pr_*.npy, kid_*.npy: the inputs, float64.
- stats_a.npz / stats_b.npz: pytorch-fid statistics files (np.savez, keys mu, sigma) of the 64-dim features.
- numpy_stored.npz / numpy_deflated.npz: arrays of many dtypes and layouts, by np.savez / np.savez_compressed.
- samples_28.npz: an ADM-style sample batch (arr_0 uint8 N x 28 x 28 x 1, arr_1 int64 labels),
  samples_28_b.npz (another batch, deflated), samples_28_rgb.npz (N x 28 x 28 x 3) and samples_28_float.npz
  (float32 holding 0..255, an out-of-range error case).
- extractor_28.onnx (+ .json contract): a tiny random-weight CNN, 1 x 28 x 28 input -> 32 features, 10 logits.
- inception_contract.onnx (+ .json): a scaled-down model with the Inception-v3 IO contract of
  tooling/metrics/export_inception.py (3 x H x W in [0, 1] at any size, bilinear resize to 299 inside the graph,
  2x - 1, outputs "features" B x 2048 and "logits" B x 1008). The real network at random weights is ~100 MB,
  too large to commit; this one has the same interface and a few kB of weights.

The hash generator: value i of stream `seed` is lowbias32(i * 0x9E3779B9 + seed * 0x85EBCA6B mod 2^32) / 2^32
- 0.5, exactly representable in float64; src/test-support.ts implements the same.
"""
import json
import os
import sys

import numpy as np
import scipy
import scipy.linalg as la
from scipy.special import log_softmax

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "packages", "metrics", "fixtures")


def hash_uniform(seed, count):
    i = np.arange(count, dtype=np.uint64)
    x = (i * np.uint64(0x9E3779B9) + np.uint64(seed) * np.uint64(0x85EBCA6B)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 2.0**32 - 0.5


def hash_stats(n, k, seed, diag):
    """mu (n,), sigma = U U^T / k + diag * I with U (n x k) from the hash generator."""
    mu = hash_uniform(seed, n)
    U = hash_uniform(seed + 1, n * k).reshape(n, k)
    sigma = U @ U.T / k
    if diag:
        sigma = sigma + np.diag(0.01 + 0.1 * (hash_uniform(seed + 2, n) + 0.5))
    return mu, sigma


def fid_pytorch_fid(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch_fid.fid_score.calculate_frechet_distance, verbatim in substance."""
    diff = mu1 - mu2
    covmean, _ = la.sqrtm(sigma1.dot(sigma2), disp=False)
    offset_used = False
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = la.sqrtm((sigma1 + offset).dot(sigma2 + offset))
        offset_used = True
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component {}".format(np.max(np.abs(covmean.imag))))
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean), offset_used


def fid_eigh(mu1, sigma1, mu2, sigma2):
    """The same quantity through symmetric eigendecompositions (independent check of scipy)."""
    w, V = np.linalg.eigh(sigma1)
    s = V * np.sqrt(np.clip(w, 0, None))
    lam = np.linalg.eigvalsh(s.T @ sigma2 @ s)
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.sqrt(np.clip(lam, 0, None)).sum())


def fid_mpmath(mu1, sigma1, mu2, sigma2, dps=40):
    """The exact FID of the float64 statistics, to ~30 digits (mpmath eigenvalues of sigma1 @ sigma2)."""
    import mpmath

    mpmath.mp.dps = dps
    prod = mpmath.matrix(sigma1.tolist()) * mpmath.matrix(sigma2.tolist())
    # real part of the principal square root, as pytorch-fid keeps: negative (rounding) eigenvalues add 0
    tr_sqrt = sum(mpmath.sqrt(max(mpmath.re(e), 0)) for e in mpmath.eig(prod, left=False, right=False))
    diff = [mpmath.mpf(x) for x in (mu1 - mu2).tolist()]
    base = sum(d * d for d in diff) + sum(mpmath.mpf(x) for x in np.diag(sigma1)) + sum(mpmath.mpf(x) for x in np.diag(sigma2))
    return float(base - 2 * tr_sqrt)


def kid_torch_fidelity(f1, f2, subsets, subset_size, degree=3, gamma=None, coef0=1, seed=2020):
    """torch_fidelity.metric_kid.kid_features_to_metric (subsets drawn by RandomState.choice), float64."""
    n1, n2 = len(f1), len(f2)
    gamma = 1.0 / f1.shape[1] if gamma is None else gamma
    rng = np.random.RandomState(seed)
    mmds = np.zeros(subsets)
    for i in range(subsets):
        a = f1[rng.choice(n1, subset_size, replace=False)]
        b = f2[rng.choice(n2, subset_size, replace=False)]
        k11 = (a @ a.T * gamma + coef0) ** degree
        k22 = (b @ b.T * gamma + coef0) ** degree
        k12 = (a @ b.T * gamma + coef0) ** degree
        m = subset_size
        value = (k11.sum() - np.diagonal(k11).sum() + k22.sum() - np.diagonal(k22).sum()) / (m * (m - 1))
        value -= 2 * k12.sum() / m**2
        mmds[i] = value
    return float(np.mean(mmds)), float(np.std(mmds))


def inception_score(logits, splits=10, seed=2020):
    """torch_fidelity.metric_isc.isc_featuresdict_to_metric / docs/method.md 13.1, float64."""
    n = len(logits)
    x = logits[np.random.RandomState(seed).permutation(n)]
    log_p = log_softmax(x, axis=1)
    p = np.exp(log_p)
    scores = []
    for i in range(splits):
        pc = p[i * n // splits:(i + 1) * n // splits]
        lpc = log_p[i * n // splits:(i + 1) * n // splits]
        q = pc.mean(0, keepdims=True)
        kl = (pc * (lpc - np.log(q))).sum(1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def precision_recall(gen, ref, k=3):
    def d2(a, b):
        return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)

    rr = np.sort(d2(ref, ref), axis=1)[:, k]
    gg = np.sort(d2(gen, gen), axis=1)[:, k]
    precision = float((d2(gen, ref) <= rr[None, :]).any(1).mean())
    recall = float((d2(ref, gen) <= gg[None, :]).any(1).mean())
    return precision, recall


def save_npy(name, arr):
    np.save(os.path.join(OUT, name), arr)


def make_onnx_models():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)

    class Tiny28(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 8, 3, stride=2, padding=1)
            self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
            self.fc = nn.Linear(16 * 7 * 7, 32)
            self.head = nn.Linear(32, 10)

        def forward(self, x):
            h = F.relu(self.c2(F.relu(self.c1(x))))
            f = F.relu(self.fc(h.flatten(1)))
            return f, self.head(f)

    m = Tiny28().eval()
    path = os.path.join(OUT, "extractor_28.onnx")
    torch.onnx.export(m, torch.zeros(2, 1, 28, 28), path, input_names=["images"], output_names=["features", "logits"],
                      dynamic_axes={"images": {0: "batch"}, "features": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
    with open(path + ".json", "w") as f:
        json.dump({"inputSize": [28, 28], "channels": 1, "layout": "NCHW", "mean": [0.5], "std": [0.5],
                   "inputName": "images", "featuresOutput": "features", "logitsOutput": "logits"}, f, indent=2)

    class InceptionContract(nn.Module):
        """Same IO contract as export_inception.py, tiny body."""

        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(3, 8, 3, stride=4)
            self.proj = nn.Conv2d(8, 2048, 1)
            # Factorised 2048 -> 1008 head (the real fc is a 8 MB matrix).
            self.fc = nn.Sequential(nn.Linear(2048, 8, bias=False), nn.Linear(8, 1008, bias=False))

        def forward(self, x):
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
            x = 2 * x - 1
            h = F.relu(self.proj(F.relu(self.c1(x))))
            feats = F.adaptive_avg_pool2d(h, 1).flatten(1)
            return feats, self.fc(feats)

    m = InceptionContract().eval()
    path = os.path.join(OUT, "inception_contract.onnx")
    torch.onnx.export(m, torch.zeros(2, 3, 32, 32), path, input_names=["images"], output_names=["features", "logits"],
                      dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"}, "features": {0: "batch"},
                                    "logits": {0: "batch"}}, opset_version=13)
    with open(path + ".json", "w") as f:
        json.dump({"inputSize": None, "channels": 3, "layout": "NCHW", "mean": [0], "std": [1],
                   "inputName": "images", "featuresOutput": "features", "logitsOutput": "logits"}, f, indent=2)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261123)
    ref = {"numpy": np.__version__, "scipy": scipy.__version__}

    # --- FID at 64 dims from features (stats computed by np.mean / np.cov as pytorch-fid does) ---
    A = rng.standard_normal((64, 64)) * 0.3
    feats = {
        "feats_a": rng.standard_normal((300, 64)) @ A + 1.0,
        "feats_b": rng.standard_normal((300, 64)) @ A * 1.1 + 1.05,
        "feats_c": rng.standard_normal((40, 64)) @ A + 1.0,  # rank-deficient covariance (rank 39)
        "feats_d": rng.standard_normal((30, 64)) @ A * 0.9 + 1.1,  # rank 29
    }
    stats = {}
    for name, f in feats.items():
        save_npy(name + ".npy", f)
        stats[name] = (np.mean(f, axis=0), np.cov(f, rowvar=False))
    np.savez(os.path.join(OUT, "stats_a.npz"), mu=stats["feats_a"][0], sigma=stats["feats_a"][1])
    np.savez(os.path.join(OUT, "stats_b.npz"), mu=stats["feats_b"][0], sigma=stats["feats_b"][1])
    np.savez(os.path.join(OUT, "stats_c.npz"), mu=stats["feats_c"][0], sigma=stats["feats_c"][1])
    np.savez(os.path.join(OUT, "stats_64d_mu_only.npz"), mu=stats["feats_a"][0])
    ref["fid64"] = {}
    for a, b in [("feats_a", "feats_b"), ("feats_c", "feats_d"), ("feats_a", "feats_c")]:
        v, off = fid_pytorch_fid(*stats[a], *stats[b])
        ref["fid64"][f"{a}:{b}"] = {"scipy": v, "offset": off, "eigh": fid_eigh(*stats[a], *stats[b])}
    # Exact values for the statistics files themselves (the features' covariances are ill-conditioned, cond ~1e8,
    # so the FID of these float64 inputs is sensitive to how the eigenvalues are computed: scipy's sqrtm is off by
    # ~1e-9 relative here).
    ref["fid64_exact"] = {}
    for a, b in [("feats_a", "feats_b"), ("feats_a", "feats_c")]:
        ref["fid64_exact"][f"{a}:{b}"] = fid_mpmath(*stats[a], *stats[b])
    ref["stats64"] = {"feats_a": {"mu0": float(stats["feats_a"][0][0]), "sigma01": float(stats["feats_a"][1][0, 1]),
                                  "sigma_trace": float(np.trace(stats["feats_a"][1]))}}

    # --- FID at 2048 dims from hash-generated covariances ---
    ref["fid2048"] = {}
    for label, k, diag, s1, s2 in [("full", 64, True, 11, 21), ("rank_deficient", 1000, False, 31, 41)]:
        mu1, sig1 = hash_stats(2048, k, s1, diag)
        mu2, sig2 = hash_stats(2048, k, s2, diag)
        v, off = fid_pytorch_fid(mu1, sig1, mu2, sig2)
        ref["fid2048"][label] = {"k": k, "diag": diag, "seeds": [s1, s2], "scipy": v, "offset": off,
                                 "eigh": fid_eigh(mu1, sig1, mu2, sig2)}
        if not diag:
            # Exact rank k: sigma_i = U_i U_i^T / k, so tr sqrt(sigma1 sigma2) = sum of the singular values of
            # U1^T U2 / k (a well-conditioned k x k problem): the FID of the ideal low-rank statistics.
            U1 = hash_uniform(s1 + 1, 2048 * k).reshape(2048, k)
            U2 = hash_uniform(s2 + 1, 2048 * k).reshape(2048, k)
            d = mu1 - mu2
            ts = np.linalg.svd(U1.T @ U2, compute_uv=False).sum() / k
            ref["fid2048"][label]["exact_low_rank"] = float(d @ d + (U1 * U1).sum() / k + (U2 * U2).sum() / k - 2 * ts)
        print(label, ref["fid2048"][label], file=sys.stderr)

    # --- KID ---
    kid_a = rng.standard_normal((200, 16)) + 0.2
    kid_b = rng.standard_normal((150, 16)) * 1.2
    save_npy("kid_a.npy", kid_a)
    save_npy("kid_b.npy", kid_b)
    ref["kid"] = {}
    for subsets, size in [(10, 50), (5, 150)]:
        m, s = kid_torch_fidelity(kid_a, kid_b, subsets, size)
        ref["kid"][f"{subsets}x{size}"] = {"mean": m, "std": s}

    # --- IS ---
    logits = rng.standard_normal((1000, 10)) * 3
    save_npy("logits.npy", logits)
    m, s = inception_score(logits)
    ref["is"] = {"mean": m, "std": s}
    m, s = inception_score(logits[:537], splits=10)
    ref["is_537"] = {"mean": m, "std": s}

    # --- precision / recall ---
    pr_g = rng.standard_normal((150, 8)) + 0.3
    pr_r = rng.standard_normal((120, 8))
    save_npy("pr_gen.npy", pr_g)
    save_npy("pr_ref.npy", pr_r)
    p, r = precision_recall(pr_g, pr_r)
    ref["pr"] = {"precision": p, "recall": r}

    # --- numpy RandomState ---
    ref["randomstate"] = {
        "perm2020_1000_head": np.random.RandomState(2020).permutation(1000)[:20].tolist(),
        "perm7_10": np.random.RandomState(7).permutation(10).tolist(),
        "choice2020": np.random.RandomState(2020).choice(200, 50, replace=False)[:10].tolist(),
    }

    # --- npz files written by numpy ---
    arrays = {
        "f8": np.arange(12, dtype=np.float64).reshape(3, 4) / 7,
        "f4": (np.arange(6, dtype=np.float32) - 2.5).reshape(2, 3),
        "u1": np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3),
        "i8": np.array([-3, 0, 5, 2**40], dtype=np.int64),
        "i4": np.array([[-1, 2], [3, -4]], dtype=np.int32),
        "b1": np.array([True, False, True]),
        "be_f8": np.array([1.5, -2.25, 3e10], dtype=">f8"),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
        "scalar": np.array(3.5),
        "empty": np.zeros((0, 5), dtype=np.float32),
    }
    np.savez(os.path.join(OUT, "numpy_stored.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "numpy_deflated.npz"), **arrays)

    # --- sample batches (ADM layout) ---
    imgs = rng.integers(0, 256, size=(24, 28, 28, 1), dtype=np.uint8)
    np.savez(os.path.join(OUT, "samples_28.npz"), imgs, np.arange(24, dtype=np.int64) % 10)
    imgs2 = np.clip(imgs.astype(np.int32) // 2 + 40, 0, 255).astype(np.uint8)
    np.savez_compressed(os.path.join(OUT, "samples_28_b.npz"), imgs2)
    np.savez(os.path.join(OUT, "samples_28_rgb.npz"), np.repeat(imgs, 3, axis=3))
    np.savez(os.path.join(OUT, "samples_28_float.npz"), imgs.astype(np.float32))

    make_onnx_models()

    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f, indent=2)
        f.write("\n")
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
