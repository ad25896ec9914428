"""Pretrains the projected discriminator's frozen ViT body *without labels* on the Fashion-MNIST training images
(contrastive, SimCLR's NT-Xent loss between two augmented views of each image), the counterpart of the paper's DINO
backbone (docs/method.md §9.1) at this scale. Same network and file format as tooling/zoo/vit_backbone.py (the
classifier-pretrained body), so the two can be compared as discriminator backbones with everything else equal:

    /usr/bin/python3 tooling/zoo/vit_ssl_backbone.py --epochs 5

Writes packages/zoo/models/fmnist-vit-ssl.adagen. Views: random translation by up to 3 pixels, horizontal flip,
contrast/brightness jitter and a random cutout; *no* pixel noise or blur, so the features keep the fine detail a
discriminator needs to see (the classifier body was trained noise-invariant). Labels are never read for training;
the printed k-NN test accuracy (k = 20, cosine, on token-mean features of the last block) is a report only.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vit_backbone import CONFIG, ViTEncoder, backbone_meta, layer_norm, seeded_fmnist_nhwc, write_tensor_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEMPERATURE = 0.2  # NT-Xent temperature (SimCLR's small-batch setting)
MAX_SHIFT = 3
CUTOUT = 8


def augment(x: torch.Tensor) -> torch.Tensor:
    """x [B, 28, 28, 1] in [0, 1] -> one random view per image."""
    B, H, W, _ = x.shape
    padded = F.pad(x.permute(0, 3, 1, 2), (MAX_SHIFT,) * 4)  # zero background, as the data's
    dy = torch.randint(0, 2 * MAX_SHIFT + 1, (B,))
    dx = torch.randint(0, 2 * MAX_SHIFT + 1, (B,))
    rows = (dy[:, None] + torch.arange(H)[None, :])[:, None, :, None].expand(B, 1, H, W + 2 * MAX_SHIFT)
    shifted = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(W)[None, :])[:, None, None, :].expand(B, 1, H, W)
    v = shifted.gather(3, cols).permute(0, 2, 3, 1)
    flip = torch.rand(B) < 0.5
    v = torch.where(flip[:, None, None, None], v.flip(2), v)
    contrast = 0.6 + 0.8 * torch.rand(B, 1, 1, 1)
    brightness = 0.2 * (torch.rand(B, 1, 1, 1) - 0.5)
    v = (v * contrast + brightness).clamp(0, 1)
    cy = torch.randint(0, H, (B, 1, 1, 1))
    cx = torch.randint(0, W, (B, 1, 1, 1))
    yy = torch.arange(H)[None, :, None, None]
    xx = torch.arange(W)[None, None, :, None]
    hole = ((yy - cy).abs() < CUTOUT // 2) & ((xx - cx).abs() < CUTOUT // 2) & (torch.rand(B, 1, 1, 1) < 0.5)
    return torch.where(hole, torch.zeros_like(v), v)


def nt_xent(z: torch.Tensor) -> torch.Tensor:
    """z [2B, D]: rows i and i + B are the two views of one image."""
    z = F.normalize(z, dim=1)
    n = z.shape[0] // 2
    sim = z @ z.t() / TEMPERATURE
    sim.fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()
    command = "/usr/bin/python3 tooling/zoo/vit_ssl_backbone.py " + " ".join(sys.argv[1:])
    Xtr, Ytr, Xte, Yte = seeded_fmnist_nhwc()
    enc = ViTEncoder(CONFIG)
    d = CONFIG["dim"]
    projector = torch.nn.Sequential(torch.nn.Linear(d, 2 * d), torch.nn.GELU(), torch.nn.Linear(2 * d, d))
    params = list(enc.parameters()) + list(projector.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05)
    per_epoch = len(Xtr) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * per_epoch, pct_start=0.1)
    embed = lambda x: layer_norm(enc.hidden_states(x)[-1]).mean(1)  # noqa: E731

    def knn_accuracy(k=20, n_test=2000):
        with torch.no_grad():
            ftr = F.normalize(torch.cat([embed(Xtr[i : i + 2000]) for i in range(0, len(Xtr), 2000)]), dim=1)
            fte = F.normalize(embed(Xte[:n_test]), dim=1)
            nearest = (fte @ ftr.t()).topk(k, dim=1).indices
            pred = torch.mode(Ytr[nearest], dim=1).values
            return (pred == Yte[:n_test]).float().mean().item()

    t0 = time.time()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(Xtr))
        total = 0.0
        for s in range(per_epoch):
            x = Xtr[perm[s * args.batch : (s + 1) * args.batch]]
            loss = nt_xent(projector(embed(torch.cat([augment(x), augment(x)]))))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
            if s % 50 == 0:
                print(f"epoch {epoch + 1} step {s}/{per_epoch}: loss {loss.item():.4f}, {time.time() - t0:.0f} s", flush=True)
        print(f"epoch {epoch + 1}: loss {total / per_epoch:.4f}, k-NN test accuracy {knn_accuracy():.4f}, {time.time() - t0:.0f} s", flush=True)
    acc = knn_accuracy()
    seconds = round(time.time() - t0)
    meta = backbone_meta(command, args.epochs, seconds, knnTestAccuracy=acc)
    meta["task"] = "self-supervised (SimCLR NT-Xent, no labels) on the Fashion-MNIST training images; projector discarded"
    out = ROOT / "packages/zoo/models/fmnist-vit-ssl.adagen"
    write_tensor_file(out, meta, dict(enc.params.items()))
    print(json.dumps({"out": str(out.relative_to(ROOT)), "knnTestAccuracy": acc, "seconds": seconds}))


if __name__ == "__main__":
    main()
