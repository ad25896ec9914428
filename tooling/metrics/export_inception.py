#!/usr/bin/python3
"""Export the FID Inception-v3 as an ONNX feature extractor for @adagen/metrics / adagen-bench.

    # with the pytorch-fid weights (pip install pytorch-fid; the weights file is downloaded by pytorch-fid
    # or passed explicitly):
    python3 tooling/metrics/export_inception.py --weights pt_inception-2015-12-05-6726825d.pth -o inception-fid.onnx

    # contract check only: torchvision's Inception-v3 architecture at random weights (numbers are meaningless)
    /usr/bin/python3 tooling/metrics/export_inception.py --random -o /tmp/inception-random.onnx

The ONNX contract (also written to <output>.json, which FeatureExtractor reads):
- input "images": float32 [B, 3, H, W], RGB in [0, 1], any H and W (uint8 / 255; adagen-bench does this);
- inside the graph: PyTorch bilinear resize to 299 x 299 (align_corners=False), then 2x - 1
  (docs/method.md 13.1: the AdaGen evaluation resize, not torch-fidelity's TF1-compatible one);
- output "features": [B, 2048], the pool3 features (FID, KID, precision/recall);
- output "logits": [B, 1008], the fc output without bias ("logits_unbiased", Inception Score).

With --weights the network is pytorch-fid's `fid_inception_v3()` (TF-ported 2015-12-05 weights, FID-specific
Mixed_5b..7c blocks, 1008 classes). Without pytorch-fid installed only --random works. The --weights path was
written against pytorch-fid 0.3's module layout and has not been run here (pytorch-fid is not installed);
--random was exported and run through adagen-bench.
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F


class FidInceptionContract(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        n = self.net
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = n.Conv2d_1a_3x3(x)
        x = n.Conv2d_2a_3x3(x)
        x = n.Conv2d_2b_3x3(x)
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = n.Conv2d_3b_1x1(x)
        x = n.Conv2d_4a_3x3(x)
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for name in ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                     "Mixed_7a", "Mixed_7b", "Mixed_7c"]:
            x = getattr(n, name)(x)
        features = F.adaptive_avg_pool2d(x, 1).flatten(1)
        logits = features @ n.fc.weight.t()  # logits_unbiased: no bias
        return features, logits


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--weights", help="pytorch-fid weights file (pt_inception-2015-12-05-6726825d.pth)")
    g.add_argument("--random", action="store_true", help="torchvision architecture, random weights (contract test)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--opset", type=int, default=13)
    args = p.parse_args()

    if args.weights:
        # pytorch-fid's fid_inception_v3(), built without its download: the FID-specific blocks, then the weights.
        from pytorch_fid import inception as pf  # optional dependency

        net = pf._inception_v3(num_classes=1008, aux_logits=False, weights=None)
        net.Mixed_5b = pf.FIDInceptionA(192, pool_features=32)
        net.Mixed_5c = pf.FIDInceptionA(256, pool_features=64)
        net.Mixed_5d = pf.FIDInceptionA(288, pool_features=64)
        net.Mixed_6b = pf.FIDInceptionC(768, channels_7x7=128)
        net.Mixed_6c = pf.FIDInceptionC(768, channels_7x7=160)
        net.Mixed_6d = pf.FIDInceptionC(768, channels_7x7=160)
        net.Mixed_6e = pf.FIDInceptionC(768, channels_7x7=192)
        net.Mixed_7b = pf.FIDInceptionE_1(1280)
        net.Mixed_7c = pf.FIDInceptionE_2(2048)
        net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    else:
        from torchvision.models import inception_v3

        torch.manual_seed(0)
        net = inception_v3(weights=None, aux_logits=False, num_classes=1008, init_weights=True)
    model = FidInceptionContract(net).eval()
    torch.onnx.export(
        model, torch.rand(2, 3, 64, 64), args.output, input_names=["images"], output_names=["features", "logits"],
        dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"}, "features": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=args.opset,
    )
    with open(args.output + ".json", "w") as f:
        json.dump({"inputSize": None, "channels": 3, "layout": "NCHW", "mean": [0], "std": [1], "inputName": "images",
                   "featuresOutput": "features", "logitsOutput": "logits"}, f, indent=2)
    print("wrote", args.output)


if __name__ == "__main__":
    main()
