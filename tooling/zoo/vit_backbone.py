"""Pretrains the frozen ViT body of the projected discriminator (core's ProjectedDiscriminator; the paper uses a
frozen DINO ViT-S/16 there, docs/method.md §9.1) as a Fashion-MNIST classifier, in PyTorch (about 15x faster here than
TensorFlow.js on wasm), and writes it in core's tensor-file format for `ProjectedDiscriminator.load`:

    /usr/bin/python3 tooling/zoo/vit_backbone.py --epochs 6

Outputs packages/zoo/models/fmnist-vit.adagen and packages/zoo/fixtures/fmnist-vit.fixture.json (hidden states of a
few test images, which core's ViTEncoder must reproduce: packages/zoo/src/vit-backbone.test.ts).

The network is core's ViTEncoder op for op (packages/core/src/nn/vit.ts): patchify by reshape/transpose, linear
embedding + learned positions, pre-LN blocks (LayerNorm without affine, eps 1e-6; attention; GELU tanh MLP), inputs
2x - 1. Classifier: LayerNorm(last hidden state) -> token mean -> Linear(64 -> 10), discarded after training.
Augmentation: horizontal flips and Gaussian pixel noise with std uniform in [0, 0.1] ([-1, 1] units), so the features
stay meaningful for samples that stop short of t = 0. A different network from the FID extractor
(fmnist-features, a CNN), so the reward does not share the evaluation's feature space.
"""
import argparse
import json
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_fmnist  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CONFIG = dict(height=28, width=28, channels=1, patch=4, dim=64, depth=4, heads=4, mlpRatio=2, seed=0)


def layer_norm(x):
    return F.layer_norm(x, x.shape[-1:], eps=1e-6)


class ViTEncoder(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        p, d, r = c["patch"], c["dim"], c["mlpRatio"]
        tokens = (c["height"] // p) * (c["width"] // p)
        P = lambda *s: torch.nn.Parameter(torch.randn(*s) * (1.0 / math.sqrt(s[0])))  # noqa: E731
        Z = lambda *s: torch.nn.Parameter(torch.zeros(*s))  # noqa: E731
        # Names and [in, out] layouts are ParamStore's (x @ W + b).
        self.params = torch.nn.ParameterDict({"patch/w": P(p * p * c["channels"], d), "patch/b": Z(d), "pos": torch.nn.Parameter(torch.randn(tokens, d) * 0.02)})
        for i in range(c["depth"]):
            self.params[f"block{i}/qkv/w"] = P(d, 3 * d)
            self.params[f"block{i}/qkv/b"] = Z(3 * d)
            self.params[f"block{i}/proj/w"] = P(d, d)
            self.params[f"block{i}/proj/b"] = Z(d)
            self.params[f"block{i}/fc1/w"] = P(d, d * r)
            self.params[f"block{i}/fc1/b"] = Z(d * r)
            self.params[f"block{i}/fc2/w"] = P(d * r, d)
            self.params[f"block{i}/fc2/b"] = Z(d)

    def lin(self, x, name):
        return x @ self.params[f"{name}/w"] + self.params[f"{name}/b"]

    def hidden_states(self, images):
        """images [B, H, W, C] in [0, 1] -> list of depth + 1 tensors [B, tokens, dim]."""
        c = self.c
        B, H, W, C, p = images.shape[0], c["height"], c["width"], c["channels"], c["patch"]
        x = (images * 2 - 1).reshape(B, H // p, p, W // p, p, C).permute(0, 1, 3, 2, 4, 5).reshape(B, (H // p) * (W // p), p * p * C)
        x = self.lin(x, "patch") + self.params["pos"]
        states = [x]
        heads, d = c["heads"], c["dim"]
        dh = d // heads
        for i in range(c["depth"]):
            h = layer_norm(x)
            N = h.shape[1]
            qkv = self.lin(h, f"block{i}/qkv").reshape(B, N, 3, heads, dh).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
            a = (w @ v).permute(0, 2, 1, 3).reshape(B, N, d)
            x = x + self.lin(a, f"block{i}/proj")
            x = x + self.lin(F.gelu(self.lin(layer_norm(x), f"block{i}/fc1"), approximate="tanh"), f"block{i}/fc2")
            states.append(x)
        return states


def write_tensor_file(path: Path, meta: dict, tensors: dict):
    """core's tensor-file format: "ADAGEN01", uint32 LE header length, JSON header padded to 4 bytes, float32 data."""
    directory, offset, blobs = [], 0, []
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4")
        directory.append({"name": name, "shape": list(a.shape), "offset": offset, "length": int(a.size)})
        offset += a.size
        blobs.append(a.tobytes())
    header = json.dumps({"meta": meta, "tensors": directory}, separators=(",", ":")).encode()
    header += b" " * ((4 - (8 + 4 + len(header)) % 4) % 4)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(b"ADAGEN01" + struct.pack("<I", len(header)) + header + b"".join(blobs))
    tmp.replace(path)


def seeded_fmnist_nhwc():
    """Seeds torch and numpy with CONFIG's seed on 2 threads, then Fashion-MNIST train and test: images float32
    [N, 28, 28, 1] in [0, 1], labels int64 (shared by this script and vit_ssl_backbone.py)."""
    torch.manual_seed(CONFIG["seed"])
    np.random.seed(CONFIG["seed"])
    torch.set_num_threads(2)
    xtr, ytr = load_fmnist("train")
    xte, yte = load_fmnist("test")
    to_nhwc = lambda x: torch.tensor(np.asarray(x), dtype=torch.float32).unsqueeze(-1) / 255.0  # noqa: E731
    return to_nhwc(xtr), torch.tensor(ytr), to_nhwc(xte), torch.tensor(yte)


def backbone_meta(command: str, epochs: int, seconds: int, **extra) -> dict:
    """The metadata core's loadViTBackbone reads (format, config) and what reproduces the file."""
    hardware = f"2-core CPU, PyTorch {torch.__version__}"
    return {"format": "adagen-vit-backbone", "version": 1, "config": CONFIG, "command": command, **extra, "epochs": epochs, "seconds": seconds, "hardware": hardware}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()
    command = "/usr/bin/python3 tooling/zoo/vit_backbone.py " + " ".join(sys.argv[1:])
    Xtr, Ytr, Xte, Yte = seeded_fmnist_nhwc()
    enc = ViTEncoder(CONFIG)
    head = torch.nn.Linear(CONFIG["dim"], 10)
    params = list(enc.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05)
    steps = args.epochs * (len(Xtr) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    logits = lambda x: head(layer_norm(enc.hidden_states(x)[-1]).mean(1))  # noqa: E731

    def accuracy():
        with torch.no_grad():
            return sum((logits(Xte[i : i + 1000]).argmax(1) == Yte[i : i + 1000]).sum().item() for i in range(0, len(Xte), 1000)) / len(Xte)

    t0 = time.time()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(Xtr))
        total = 0.0
        for s in range(len(Xtr) // args.batch):
            idx = perm[s * args.batch : (s + 1) * args.batch]
            x = Xtr[idx]
            flip = torch.rand(len(x)) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(2), x)
            std = 0.1 * torch.rand(len(x), 1, 1, 1)
            x = (x + std / 2 * torch.randn_like(x)).clamp(0, 1)
            loss = F.cross_entropy(logits(x), Ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        print(f"epoch {epoch + 1}: loss {total / (len(Xtr) // args.batch):.4f}, test accuracy {accuracy():.4f}, {time.time() - t0:.0f} s", flush=True)
    acc = accuracy()
    seconds = round(time.time() - t0)
    meta = backbone_meta(command, args.epochs, seconds, testAccuracy=acc)
    meta["task"] = "Fashion-MNIST classification (head discarded)"
    out = ROOT / "packages/zoo/models/fmnist-vit.adagen"
    write_tensor_file(out, meta, dict(enc.params.items()))
    # Parity fixture: hidden states of test images 0..3 (first 8 values of every token of every hook, flattened).
    with torch.no_grad():
        states = enc.hidden_states(Xte[:4])
    fixture = {"images": [int(i) for i in range(4)], "hooks": [s[:, :, :8].reshape(-1).tolist() for s in states], "slice": "[:, :, :8]"}
    (ROOT / "packages/zoo/fixtures/fmnist-vit.fixture.json").write_text(json.dumps(fixture))
    print(json.dumps({"out": str(out.relative_to(ROOT)), "testAccuracy": acc, "seconds": seconds, "parameters": sum(p.numel() for p in enc.parameters())}))


if __name__ == "__main__":
    main()
