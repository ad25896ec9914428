"""Shared pieces of the model-zoo tooling: data, seeding, transformer blocks, export, fixtures, metrics.

Runs on Debian's PyTorch 1.13 (CPU) and on PyTorch 2.x (CUDA). Pixel conventions used everywhere:
- dataset images as uint8 [N,28,28]; the feature extractor takes float32 [B,1,28,28] in [0,1];
- generators work in [-1,1] (x = 2 * u8 / 255 - 1) and images are shown as clamp((x + 1) / 2, 0, 1).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import inspect
import json
import math
import os
import random
import struct
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA_DIR = ROOT / "packages" / "zoo" / "data"
NULL_CLASS = 10  # class id used for the unconditional branch of classifier-free guidance
NUM_CLASSES = 10
OPSET = 17


def out_dir(name: str) -> Path:
    base = Path(os.environ.get("ZOO_OUT", str(HERE / "out")))
    d = base / name
    d.mkdir(parents=True, exist_ok=True)
    return d


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ---------------------------------------------------------------- data

def read_idx_gz(path: Path) -> np.ndarray:
    """Reads an IDX file (gzip) into a numpy array: magic 0x00 0x00 dtype ndim, big-endian int32 dims, data."""
    with gzip.open(path, "rb") as f:
        buf = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", buf[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: expected an IDX ubyte file, got magic {buf[:4].hex()}")
    dims = struct.unpack(">" + "I" * ndim, buf[4 : 4 + 4 * ndim])
    data = np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load_fmnist(split: str):
    prefix = {"train": "train", "test": "t10k"}[split]
    x = read_idx_gz(DATA_DIR / f"{prefix}-images-idx3-ubyte.gz")
    y = read_idx_gz(DATA_DIR / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    if os.environ.get("ZOO_SMOKE") and split == "train":  # script tests on a CPU: a small subset
        x, y = x[:5000], y[:5000]
    return x, y


def to_unit(x_u8) -> torch.Tensor:
    return torch.tensor(np.asarray(x_u8), dtype=torch.float32).unsqueeze(1) / 255.0


def to_pm1(x_u8) -> torch.Tensor:
    return to_unit(x_u8) * 2.0 - 1.0


# ---------------------------------------------------------------- runtime

def pick_device() -> torch.device:
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        return torch.device("cuda")
    return torch.device("cpu")


def seed_all(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def hardware() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    return f"CPU ({os.cpu_count()} cores), torch {torch.__version__}"


def adamw(params, lr, wd=0.0):
    kw = {}
    if torch.cuda.is_available() and "fused" in inspect.signature(torch.optim.AdamW).parameters:
        kw["fused"] = True
    return torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.99), weight_decay=wd, **kw)


class EMA:
    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: nn.Module, decay: float | None = None):
        d = self.decay if decay is None else decay
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)
            else:
                self.shadow[k].copy_(v)

    def copy_to(self, model: nn.Module):
        model.load_state_dict(self.shadow)


class Budget:
    """Stops a training loop at `steps` or after `seconds`, whichever comes first."""

    def __init__(self, steps: int, seconds: float):
        self.steps, self.seconds, self.t0 = steps, seconds, time.time()

    def done(self, step: int) -> bool:
        return step >= self.steps or (time.time() - self.t0) > self.seconds


# ---------------------------------------------------------------- transformer blocks

def timestep_embedding(t: torch.Tensor, dim: int = 256, max_period: float = 10000.0) -> torch.Tensor:
    """DiT-style sinusoidal embedding: [cos(t f_i), sin(t f_i)], f_i = exp(-ln(max_period) i / (dim/2))."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Attention(nn.Module):
    flops_counter = None  # set to a list to accumulate attention matmul FLOPs per image

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        B, N, D = x.shape
        h = self.heads
        qkv = self.qkv(x).reshape(B, N, 3, h, D // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(D // h))
        if mask is not None:
            att = att + mask
        att = att.softmax(dim=-1)
        out = torch.matmul(att, v).transpose(1, 2).reshape(B, N, D)
        if Attention.flops_counter is not None:
            Attention.flops_counter.append(2 * 2 * N * N * D)
        return self.proj(out)


class PlainLN(nn.Module):
    """LayerNorm without learned affine parameters. The scale/bias are constant buffers so that the ONNX
    LayerNormalization node gets explicit inputs (PyTorch 1.13 leaves them empty otherwise, which is invalid)."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.dim, self.eps = dim, eps
        self.register_buffer("ones", torch.ones(dim), persistent=False)
        self.register_buffer("zeros", torch.zeros(dim), persistent=False)

    def forward(self, x):
        return F.layer_norm(x, (self.dim,), self.ones, self.zeros, self.eps)


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class AdaLNBlock(nn.Module):
    """DiT block with adaLN-Zero conditioning on a vector c [B,D]."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.norm1 = PlainLN(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = PlainLN(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def forward(self, x, c, mask=None):
        s1, g1, a1, s2, g2, a2 = self.ada(c).chunk(6, dim=-1)
        x = x + a1.unsqueeze(1) * self.attn(modulate(self.norm1(x), s1, g1), mask)
        x = x + a2.unsqueeze(1) * self.mlp(modulate(self.norm2(x), s2, g2))
        return x


class FinalAdaLN(nn.Module):
    def __init__(self, dim: int, out: int):
        super().__init__()
        self.norm = PlainLN(dim)
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))
        self.linear = nn.Linear(dim, out)
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def forward(self, x, c):
        shift, scale = self.ada(c).chunk(2, dim=-1)
        return self.linear(modulate(self.norm(x), shift, scale))


# ---------------------------------------------------------------- FLOPs and params

def count_params(*modules: nn.Module) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


@torch.no_grad()
def measure_mflops(model: nn.Module, args: tuple) -> float:
    """FLOPs per image of one forward (2 per multiply-add) over Linear, Conv2d, ConvTranspose2d and attention
    matmuls; elementwise ops, norms and softmax are not counted. Uses batch size 1."""
    flops = []

    def lin(m, i, o):
        flops.append(2 * i[0].numel() // i[0].shape[-1] * m.in_features * m.out_features)

    def conv(m, i, o):
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        flops.append(2 * o.numel() * k)

    def convt(m, i, o):
        k = m.kernel_size[0] * m.kernel_size[1] * (m.out_channels // m.groups)
        flops.append(2 * i[0].numel() * k)

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin))
        elif isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv))
        elif isinstance(m, nn.ConvTranspose2d):
            hooks.append(m.register_forward_hook(convt))
    Attention.flops_counter = flops
    try:
        model(*args)
    finally:
        Attention.flops_counter = None
        for h in hooks:
            h.remove()
    return sum(flops) / 1e6


# ---------------------------------------------------------------- ONNX export and parity fixtures

def export_onnx(model: nn.Module, args: tuple, path: Path, input_names, output_names, dynamic_axes):
    model.eval()
    kw = dict(
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        opset_version=OPSET,
        do_constant_folding=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    torch.onnx.export(model, args, str(path), **kw)
    import onnx

    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    return path


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tensor_json(t: torch.Tensor) -> dict:
    a = t.detach().cpu().contiguous().numpy()
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    dtype = {np.dtype(np.float32): "float32", np.dtype(np.int64): "int64"}[a.dtype]
    return {"dtype": dtype, "shape": list(a.shape), "data": base64.b64encode(a.astype("<" + a.dtype.str[1:]).tobytes()).decode()}


@torch.no_grad()
def write_fixture(path: Path, onnx_file: str, model: nn.Module, inputs: dict, output_names: list[str]):
    """Runs `model` on CPU in float32 and saves inputs and outputs (base64 little-endian) for the parity check."""
    model = model.cpu().eval()
    outs = model(*[v.cpu() for v in inputs.values()])
    if not isinstance(outs, (tuple, list)):
        outs = (outs,)
    fx = {
        "file": onnx_file,
        "inputs": {k: tensor_json(v) for k, v in inputs.items()},
        "outputs": {n: tensor_json(o) for n, o in zip(output_names, outs)},
    }
    path.write_text(json.dumps(fx))
    return fx


def ort_parity(onnx_path: Path, fixture: dict) -> float | None:
    """Max abs difference between onnxruntime (if installed) and the saved PyTorch outputs."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feeds = {}
    for k, v in fixture["inputs"].items():
        a = np.frombuffer(base64.b64decode(v["data"]), dtype=v["dtype"]).reshape(v["shape"])
        feeds[k] = a
    outs = sess.run(list(fixture["outputs"].keys()), feeds)
    worst = 0.0
    for (k, v), o in zip(fixture["outputs"].items(), outs):
        ref = np.frombuffer(base64.b64decode(v["data"]), dtype=v["dtype"]).reshape(v["shape"])
        if list(o.shape) != list(ref.shape):
            raise ValueError(f"{onnx_path.name}: output {k} shape {o.shape} != {ref.shape}")
        worst = max(worst, float(np.abs(o.astype(np.float64) - ref).max()))
    return worst


# ---------------------------------------------------------------- images

def write_png_gray(path: Path, img: np.ndarray):
    """Writes a uint8 [H,W] array as an 8-bit grayscale PNG (no external image library)."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    Path(path).write_bytes(png)


def save_grid(path: Path, imgs01: torch.Tensor, labels: torch.Tensor, per_class: int = 10):
    """One row per class (0..9), `per_class` images each, 2-pixel gaps; imgs01 in [0,1], [N,1,28,28]."""
    imgs01 = imgs01.detach().cpu().clamp(0, 1)
    labels = labels.detach().cpu()
    gap = 2
    canvas = np.full((10 * (28 + gap) + gap, per_class * (28 + gap) + gap), 255, dtype=np.uint8)
    for c in range(10):
        idx = (labels == c).nonzero().flatten()[:per_class]
        for j, i in enumerate(idx.tolist()):
            y0, x0 = gap + c * (28 + gap), gap + j * (28 + gap)
            canvas[y0 : y0 + 28, x0 : x0 + 28] = (imgs01[i, 0].numpy() * 255 + 0.5).astype(np.uint8)
    write_png_gray(path, canvas)


# ---------------------------------------------------------------- evaluation with the feature extractor

def balanced_labels(n: int, device) -> torch.Tensor:
    return (torch.arange(n, device=device) % NUM_CLASSES).long()


def fid_from_stats(mu1, s1, mu2, s2) -> float:
    """|mu1 - mu2|^2 + tr(s1) + tr(s2) - 2 tr((s1 s2)^(1/2)), with tr((s1 s2)^(1/2)) computed as the sum of the
    square roots of the eigenvalues of the symmetric PSD matrix s1^(1/2) s2 s1^(1/2)."""
    diff = mu1 - mu2
    w, v = np.linalg.eigh(s1)
    r1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    ev = np.linalg.eigvalsh(r1 @ s2 @ r1)
    tr_covmean = np.sqrt(np.clip(ev, 0, None)).sum()
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


def stats(feats: np.ndarray):
    feats = feats.astype(np.float64)
    return feats.mean(0), np.cov(feats, rowvar=False)


class Evaluator:
    """Class accuracy and FID in the fmnist-features penultimate features, against the test set."""

    def __init__(self, device, wait_s: float = 900.0):
        ck = out_dir("fmnist-features") / "classifier.pt"
        t0 = time.time()
        while not (out_dir("fmnist-features") / "DONE").exists():
            if time.time() - t0 > wait_s:
                raise RuntimeError(f"no classifier at {ck}")
            time.sleep(2)
        from fmnist_features import Classifier

        self.net = Classifier().to(device).eval()
        self.net.load_state_dict(torch.load(ck, map_location=device))
        self.device = device
        xt, _ = load_fmnist("test")
        self.mu_ref, self.s_ref = stats(self.features(to_unit(xt)))

    @torch.no_grad()
    def run(self, imgs01: torch.Tensor, bs: int = 2000):
        logits, feats = [], []
        for i in range(0, imgs01.shape[0], bs):
            lo, fe = self.net(imgs01[i : i + bs].to(self.device).clamp(0, 1))
            logits.append(lo.float().cpu())
            feats.append(fe.float().cpu())
        return torch.cat(logits), torch.cat(feats).numpy()

    def features(self, imgs01):
        return self.run(imgs01)[1]

    def score(self, imgs01: torch.Tensor, labels: torch.Tensor) -> dict:
        logits, feats = self.run(imgs01)
        acc = float((logits.argmax(-1) == labels.cpu()).float().mean())
        mu, s = stats(feats)
        return {"class_acc": round(acc, 4), "fid": round(fid_from_stats(mu, s, self.mu_ref, self.s_ref), 3)}


def write_json(path: Path, obj):
    Path(path).write_text(json.dumps(obj, indent=2))


def command_line(steps: int | None = None) -> str:
    """The command that reproduces this run; a wall-time budget is replaced by the step count it reached."""
    argv, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
            continue
        if steps is not None and a in ("--seconds", "--steps", "--vq-seconds", "--vq-steps"):
            skip = True
            continue
        argv.append(a)
    if steps is not None:
        argv += ["--steps", str(steps)] if not isinstance(steps, dict) else [f"--{k} {v}" for k, v in steps.items()]
    return "/usr/bin/python3 " + " ".join([os.path.relpath(sys.argv[0], ROOT)] + argv)
