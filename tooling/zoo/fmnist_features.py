"""fmnist-features: a small CNN classifier on Fashion-MNIST, used for class accuracy of samples and as the
FID feature extractor (its 128-d penultimate embedding).

Input x [B,1,28,28] float32 in [0,1] (u8 / 255). Outputs logits [B,10] and features [B,128].

    /usr/bin/python3 tooling/zoo/fmnist_features.py --epochs 30
"""
from __future__ import annotations

import argparse
import base64
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import common as C

FEAT_DIM = 128
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel mean and std in [0,1]


def conv_bn(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(1, 32), conv_bn(32, 32), nn.MaxPool2d(2),  # 14x14
            conv_bn(32, 64), conv_bn(64, 64), nn.MaxPool2d(2),  # 7x7
            conv_bn(64, 128), nn.MaxPool2d(2, ceil_mode=False),  # 3x3
        )
        self.embed = nn.Linear(128 * 9, FEAT_DIM)
        self.embed_bn = nn.BatchNorm1d(FEAT_DIM)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(FEAT_DIM, 10)

    def forward(self, x):
        h = self.body((x - MEAN) / STD).flatten(1)
        feat = self.embed_bn(self.embed(h))  # penultimate embedding, before the ReLU
        logits = self.head(self.drop(F.relu(feat)))
        return logits, feat


def augment(x: torch.Tensor) -> torch.Tensor:
    """Random horizontal flip and random 28x28 crop of a 2-pixel zero-padded image, per sample."""
    B = x.shape[0]
    flip = torch.rand(B, device=x.device) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    xp = F.pad(x, (2, 2, 2, 2))
    oy = torch.randint(0, 5, (B,), device=x.device)
    ox = torch.randint(0, 5, (B,), device=x.device)
    ar = torch.arange(28, device=x.device)
    rows = (oy[:, None] + ar[None]).view(B, 1, 28, 1).expand(B, 1, 28, 32)
    xp = torch.gather(xp, 2, rows)
    cols = (ox[:, None] + ar[None]).view(B, 1, 1, 28).expand(B, 1, 28, 28)
    return torch.gather(xp, 3, cols)


def train_step(net, opt, sched, x, y) -> torch.Tensor:
    """One step of the extractor's recipe (also extractor_twin.py's): augmented batch, label-smoothed cross-entropy."""
    lo, _ = net(augment(x))
    loss = F.cross_entropy(lo, y, label_smoothing=0.05)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    sched.step()
    return loss


@torch.no_grad()
def accuracy(net, x, y, device, bs=2000):
    net.eval()
    correct = 0
    for i in range(0, x.shape[0], bs):
        lo, _ = net(x[i : i + bs].to(device))
        correct += int((lo.argmax(-1).cpu() == y[i : i + bs]).sum())
    return correct / x.shape[0]


def b64f64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f8").tobytes()).decode()


def export(net_cpu, out):
    xte_u8, _ = C.load_fmnist("test")
    x_fix = C.to_unit(xte_u8[:4])
    onnx_path = out / "fmnist-features.onnx"
    C.export_onnx(net_cpu, (x_fix,), onnx_path, ["x"], ["logits", "features"],
                  {"x": {0: "B"}, "logits": {0: "B"}, "features": {0: "B"}})
    fx = C.write_fixture(out / "fmnist-features.fixture.json", onnx_path.name, net_cpu, {"x": x_fix}, ["logits", "features"])
    return C.ort_parity(onnx_path, fx)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help="a few steps only, to test the script")
    ap.add_argument("--init", default="", help="load these weights and skip training (with --epochs 0)")
    args = ap.parse_args()
    C.seed_all(args.seed)
    dev = C.pick_device()
    out = C.out_dir("fmnist-features")
    (out / "DONE").unlink(missing_ok=True)
    t0 = time.time()

    xtr_u8, ytr = C.load_fmnist("train")
    xte_u8, yte = C.load_fmnist("test")
    xtr, xte = C.to_unit(xtr_u8), C.to_unit(xte_u8)
    ytr_t, yte_t = torch.from_numpy(ytr), torch.from_numpy(yte)
    xtr_d, ytr_d = xtr.to(dev), ytr_t.to(dev)

    net = Classifier().to(dev)
    if args.init:
        net.load_state_dict(torch.load(args.init, map_location=dev))
    steps_per_epoch = xtr.shape[0] // args.batch
    total = 5 if args.smoke else args.epochs * steps_per_epoch
    opt = C.adamw(net.parameters(), lr=args.lr, wd=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=max(total, 1), pct_start=0.15)
    g = torch.Generator(device="cpu").manual_seed(args.seed)
    step = 0
    while step < total:
        perm = torch.randperm(xtr.shape[0], generator=g).to(dev)
        net.train()
        for i in range(steps_per_epoch):
            if step >= total:
                break
            idx = perm[i * args.batch : (i + 1) * args.batch]
            loss = train_step(net, opt, sched, xtr_d[idx], ytr_d[idx])
            step += 1
        C.log(f"classifier step {step}/{total} loss {loss.item():.4f}")
    train_s = time.time() - t0
    net.eval()
    test_acc = accuracy(net, xte, yte_t, dev)
    C.log(f"test accuracy {test_acc:.4f}, train {train_s:.0f}s")
    if not args.init:
        torch.save(net.state_dict(), out / "classifier.pt")
    (out / "DONE").write_text("ok")

    # Reference statistics of the test set and the floor: FID of 10,000 real training images.
    ev = C.Evaluator(dev)
    g2 = torch.Generator().manual_seed(1234)
    pick = torch.randperm(xtr.shape[0], generator=g2)[:10000]
    floor = ev.score(xtr[pick], ytr_t[pick])
    test_self = ev.score(xte, yte_t)
    C.log(f"floor FID (10k train vs test) {floor}")
    feats = ev.features(xte)
    mu, cov = C.stats(feats)
    (out / "fmnist-features.test-stats.json").write_text(json.dumps({
        "description": "Fashion-MNIST test set (10,000 images) in fmnist-features 'features' (float64, little-endian, base64)",
        "dim": FEAT_DIM, "count": int(feats.shape[0]),
        "mean": b64f64(mu), "cov": b64f64(cov),
    }))
    C.save_grid(out / "grid.png", xte[:2000], yte_t[:2000])

    net_cpu = Classifier().eval()
    net_cpu.load_state_dict({k: v.cpu() for k, v in net.state_dict().items()})
    onnx_path = out / "fmnist-features.onnx"
    x_fix = C.to_unit(xte_u8[:4])
    try:
        parity = export(net_cpu, out)
    except Exception as e:
        C.log(f"EXPORT FAILED: {e!r}")
        parity = repr(e)
    mflops = C.measure_mflops(net_cpu, (x_fix[:1],))
    C.write_json(out / "result.json", {
        "model": "fmnist-features", "paradigm": "extractor",
        "params": C.count_params(net_cpu), "mflops": round(mflops, 2),
        "test_acc": round(test_acc, 4), "feature_dim": FEAT_DIM,
        "fid_floor_train10k_vs_test": floor["fid"], "floor_class_acc": floor["class_acc"],
        "fid_test_vs_itself": test_self["fid"],
        "train_seconds": round(train_s, 1), "steps": total,
        "command": C.command_line(), "hardware": C.hardware(), "ort_parity_max_abs": parity,
        "onnx": [onnx_path.name],
    })
    C.log("done", json.dumps({"acc": test_acc, "floor": floor, "parity": parity, "mflops": mflops}))


if __name__ == "__main__":
    main()
