"""A candidate reward feature space: a network of the FID extractor's *design* (fmnist_features.py's classifier,
augmentation and optimiser) trained from another seed on the 60,000 training images only. It shares the metric's
inductive biases but not its weights, and never sees the test set (the test accuracy is printed, not used), so it
is not the FID extractor and nothing in it is fit on the test set (issue 10's rule for rewards). The question it
answers (packages/zoo/policies/README.md, stop 45): is FID's preference for more guidance than every other feature
space a property of the extractor's design, which a reward can share, or of its one set of weights?

    /usr/bin/python3 tooling/zoo/extractor_twin.py --seed 1 --epochs 30 --out fmnist-twin-30ep-s1.onnx

On a GPU (picked when torch sees one) the extractor's 30 epochs take about 80 s; on this project's 2-core CPU about
2.5 hours (4 epochs: 1,072 s).

Writes an ONNX file whose input is `x` float32 [B,28,28,1] in [0,1] (the layout the envs render and core's
`openFeatureSpace` feeds) and whose outputs are `logits` [B,10] and `features` [B,128] (the penultimate embedding
before its ReLU, the layer FID reads in the extractor; checked by onnx's checker on export). Prints each epoch's
training loss and the test accuracy.
"""
import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402
from fmnist_features import Classifier, accuracy, train_step  # noqa: E402


class ChannelsLast(torch.nn.Module):
    """[B,28,28,1] → the classifier's [B,1,28,28]; outputs (logits, features) unchanged."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.permute(0, 3, 1, 2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1, help="any seed but the extractor's 0")
    ap.add_argument("--epochs", type=int, default=5, help="the extractor trained 30 (on a GPU); 5 fit a 2-core CPU in about 20 minutes")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True, help="the ONNX file to write")
    args = ap.parse_args()
    if args.seed == 0:
        sys.exit("--seed 0 is the FID extractor's own seed; a reward space must not be the metric's network")
    torch.set_num_threads(args.threads)
    C.seed_all(args.seed)
    dev = C.pick_device()  # a GPU trains the extractor's 30 epochs in about a minute; the CPU here needs 2.5 hours
    out = Path(args.out).resolve()
    xtr_u8, ytr = C.load_fmnist("train")
    xte_u8, yte = C.load_fmnist("test")
    xtr, xte = C.to_unit(xtr_u8), C.to_unit(xte_u8)
    ytr, yte = torch.from_numpy(ytr), torch.from_numpy(yte)
    xtr_d, ytr_d = xtr.to(dev), ytr.to(dev)
    net = Classifier().to(dev)
    steps_per_epoch = xtr.shape[0] // args.batch
    total = args.epochs * steps_per_epoch
    opt = C.adamw(net.parameters(), lr=args.lr, wd=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total, pct_start=0.15)
    g = torch.Generator().manual_seed(args.seed)
    start = time.time()
    for epoch in range(args.epochs):
        net.train()
        perm = torch.randperm(xtr.shape[0], generator=g).to(dev)
        running = 0.0
        for i in range(steps_per_epoch):
            idx = perm[i * args.batch : (i + 1) * args.batch]
            running += train_step(net, opt, sched, xtr_d[idx], ytr_d[idx]).item()
        print(f"epoch {epoch + 1}/{args.epochs}: training loss {running / steps_per_epoch:.4f} ({time.time() - start:.0f} s)", flush=True)
    net.eval()
    test_acc = accuracy(net, xte, yte, dev)
    net = net.cpu()  # exported from the CPU, as every zoo model is
    print(f"test accuracy {test_acc:.4f} (reported only; nothing is selected on it)", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    probe = xte[:8].permute(0, 2, 3, 1).contiguous()
    wrapped = ChannelsLast(net).eval()
    tmp = out.with_suffix(".tmp.onnx")
    C.export_onnx(wrapped, (probe,), tmp, ["x"], ["logits", "features"], {"x": {0: "B"}, "logits": {0: "B"}, "features": {0: "B"}})
    tmp.replace(out)
    print(f"wrote {out} ({out.stat().st_size} bytes); seed {args.seed}, {args.epochs} epochs, test accuracy {test_acc:.4f}, {time.time() - start:.0f} s on {C.hardware()}")


if __name__ == "__main__":
    main()
