"""Trains the zoo's fidelity model: a small CNN classifier of Fashion-MNIST whose confidence in a sample's
conditioning class is the "pretrained" per-sample reward (core's ClassifierReward; docs/method.md §12.3 and the
reward ablations of §9). Trained on the 60,000 training images only, and a separate network from the FID extractor
(fmnist-features), so the metric stays independent of what is trained against it.

    /usr/bin/python3 tooling/zoo/fidelity_classifier.py --epochs 3

A longer-trained variant (a candidate reward feature space, screened in packages/zoo/policies/README.md):

    /usr/bin/python3 tooling/zoo/fidelity_classifier.py --epochs 10 --out packages/zoo/models/fmnist-fidelity-10ep.onnx
    /usr/bin/python3 tooling/zoo/fidelity_classifier.py --epochs 20 --lr-schedule cosine --out packages/zoo/models/fmnist-fidelity-20ep-cos.onnx

Writes packages/zoo/models/fmnist-fidelity.onnx (or `--out`): input `x` float32 [B,28,28,1] in [0,1] (the rendered images the
envs give rewards), outputs `logits` float32 [B,10] and `features` float32 [B,128] (the last hidden layer); prints the test accuracy and the ONNX/PyTorch parity.
Augmentation: random translations of up to 2 pixels and Gaussian pixel noise with std uniform in [0, 0.05], so the
confidence is not brittle to the small defects generated images have.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_fmnist  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "packages/zoo/models/fmnist-fidelity.onnx"


class FidelityClassifier(torch.nn.Module):
    """[B,28,28,1] in [0,1] → logits [B,10]: two conv blocks and an MLP (about 0.4M parameters)."""

    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(1, 32, 3, padding=1)
        self.c2 = torch.nn.Conv2d(32, 64, 3, padding=1)
        self.fc = torch.nn.Linear(64 * 7 * 7, 128)
        self.out = torch.nn.Linear(128, 10)

    def hidden(self, x):
        """The last hidden layer [B,128], exported as the `features` output (fidelity_features.py)."""
        h = x.permute(0, 3, 1, 2) * 2.0 - 1.0
        h = F.max_pool2d(F.relu(self.c1(h)), 2)
        h = F.max_pool2d(F.relu(self.c2(h)), 2)
        return F.relu(self.fc(h.flatten(1)))

    def forward(self, x):
        return self.out(self.hidden(x))


class WithFeatures(torch.nn.Module):
    """The classifier with both ONNX outputs: logits and the hidden features."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        h = self.model.hidden(x)
        return self.model.out(h), h


def augment(x, g):
    """Random translation by up to 2 pixels (zero fill) and Gaussian noise, per image."""
    B = x.shape[0]
    padded = F.pad(x.permute(0, 3, 1, 2), (2, 2, 2, 2))
    dx = torch.randint(0, 5, (B,), generator=g)
    dy = torch.randint(0, 5, (B,), generator=g)
    rows = torch.stack([padded[i, :, dy[i] : dy[i] + 28, dx[i] : dx[i] + 28] for i in range(B)])
    std = torch.rand(B, 1, 1, 1, generator=g) * 0.05
    rows = (rows + std * torch.randn(rows.shape, generator=g)).clamp(0, 1)
    return rows.permute(0, 2, 3, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr-schedule", choices=["constant", "cosine"], default="constant",
                    help="cosine: decay the learning rate to 0 over the run (per batch); constant keeps the shipped file's recipe")
    ap.add_argument("--out", default=str(OUT), help="the ONNX file to write")
    args = ap.parse_args()
    out = Path(args.out).resolve()
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    xtr, ytr = load_fmnist("train")
    xte, yte = load_fmnist("test")
    to_x = lambda u8: torch.tensor(np.asarray(u8), dtype=torch.float32).unsqueeze(-1) / 255.0  # noqa: E731
    xtr, xte = to_x(xtr), to_x(xte)
    ytr, yte = torch.tensor(ytr), torch.tensor(yte)
    model = FidelityClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    batches = args.epochs * ((len(xtr) + args.batch - 1) // args.batch)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, batches) if args.lr_schedule == "cosine" else None
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(xtr), generator=g)
        total = 0.0
        for i in range(0, len(xtr), args.batch):
            idx = order[i : i + args.batch]
            loss = F.cross_entropy(model(augment(xtr[idx], g)), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if decay is not None:
                decay.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            acc = torch.cat([model(xte[i : i + 1000]).argmax(1) for i in range(0, len(xte), 1000)]).eq(yte).float().mean().item()
        print(f"epoch {epoch + 1}: train loss {total / len(xtr):.4f}, test accuracy {acc:.4f} ({time.time() - start:.0f} s)", flush=True)
    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    probe = xte[:8]
    torch.onnx.export(
        WithFeatures(model), probe, str(out), input_names=["x"], output_names=["logits", "features"],
        dynamic_axes={"x": {0: "B"}, "logits": {0: "B"}, "features": {0: "B"}}, opset_version=13,
    )
    try:
        import onnxruntime as ort  # optional: the parity check

        got = ort.InferenceSession(str(out)).run(["logits"], {"x": probe.numpy()})[0]
        print(f"ONNX parity: max |Δ logits| = {np.abs(got - model(probe).detach().numpy()).max():.2e}")
    except ImportError:
        print("onnxruntime not installed: ONNX parity not checked here (packages/zoo's tests run the model)")
    print(f"wrote {out} ({out.stat().st_size} bytes); test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
