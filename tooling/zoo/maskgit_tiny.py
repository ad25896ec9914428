"""maskgit-tiny: a VQ tokenizer (28x28 -> 7x7 = 49 tokens, codebook 512) and a bidirectional class-conditional
transformer over the 49 tokens with a mask token (id 512). Reference sampler: MaskGIT cosine schedule as in
docs/method.md 4.3 / 5.1.

    /usr/bin/python3 tooling/zoo/maskgit_tiny.py --vq-steps N --steps M
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import common as C
import vq

K = 512
MASK_ID = K


class MaskGITNet(nn.Module):
    """ids [B,49] int64 in 0..512 (512 = mask), y [B] int64 -> logits [B,49,512], features [B,49,dim]."""

    def __init__(self, dim=128, depth=6, heads=4, n=49):
        super().__init__()
        self.tok = nn.Embedding(K + 1, dim)
        self.pos = nn.Parameter(torch.randn(1, n, dim) * 0.02)
        self.y_emb = nn.Embedding(C.NUM_CLASSES + 1, dim)
        self.blocks = nn.ModuleList([C.AdaLNBlock(dim, heads) for _ in range(depth)])
        self.final = C.FinalAdaLN(dim, K)
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.y_emb.weight, std=0.02)

    def forward(self, ids, y):
        h = self.tok(ids) + self.pos
        c = self.y_emb(y)
        for blk in self.blocks:
            h = blk(h, c)
        return self.final(h, c), h


class DecodeIds(nn.Module):
    """ids [B,49] int64 (0..511) -> image [B,1,28,28] in [-1,1] (not clamped)."""

    def __init__(self, codebook, dec):
        super().__init__()
        self.codebook, self.dec = codebook, dec

    def forward(self, ids):
        z = self.codebook.emb(ids).reshape(-1, 7, 7, self.codebook.emb.weight.shape[1]).permute(0, 3, 1, 2)
        return self.dec(z)


class EncodeIds(nn.Module):
    """image [B,1,28,28] in [-1,1] -> ids [B,49] int64 (row-major 7x7)."""

    def __init__(self, enc, codebook):
        super().__init__()
        self.enc, self.codebook = enc, codebook

    def forward(self, x):
        f = self.enc(x)
        cdim = f.shape[1]
        zt = f.permute(0, 2, 3, 1).reshape(-1, cdim)
        w = self.codebook.emb.weight
        d = (zt**2).sum(1, keepdim=True) - 2 * zt @ w.t() + (w**2).sum(1)[None]
        return d.argmin(1).reshape(-1, 49)


@torch.no_grad()
def sample(net, y, T, cfg_init=1.0, temp_init=1.0, samp_temp=1.0, gen=None):
    """docs/method.md 5.1 with the heuristic schedule of 4.3 (49 tokens instead of 256). Returns the sampled ids."""
    B, N = y.shape[0], 49
    ids = torch.full((B, N), MASK_ID, dtype=torch.long, device=y.device)
    yy = torch.cat([y, torch.full_like(y, C.NULL_CLASS)])
    sampled = ids
    for k in range(T):
        r = (k + 1 - 0.001) / T
        m = math.cos(math.pi / 2 * r)
        beta = temp_init * (1 - r)
        w = cfg_init * (k + 0.001) / T
        logits, _ = net(torch.cat([ids, ids]), yy)
        lc, lu = logits[:B], logits[B:]
        L = lc + w * (lc - lu)
        probs = torch.softmax(L / samp_temp, -1)
        x = torch.multinomial(probs.reshape(-1, K), 1, generator=gen).reshape(B, N)
        conf = torch.log_softmax(L, -1).gather(-1, x[..., None])[..., 0]
        known = ids != MASK_ID
        x = torch.where(known, ids, x)
        conf = torch.where(known, torch.full_like(conf, float("inf")), conf)
        n = min(int(math.floor(N * m)), N - 1)
        u = torch.rand(B, N, device=y.device, generator=gen).clamp(1e-20, 1 - 1e-7)
        noisy = conf + beta * (-torch.log(-torch.log(u)))
        cut = noisy.sort(-1).values[:, n : n + 1]
        remask = noisy < cut
        sampled = x
        ids = torch.where(remask, torch.full_like(x, MASK_ID), x)
    return sampled


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vq-steps", type=int, default=100000)
    ap.add_argument("--vq-seconds", type=float, default=1e9)
    ap.add_argument("--steps", type=int, default=200000)
    ap.add_argument("--seconds", type=float, default=1e9)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-n", type=int, default=10000)
    ap.add_argument("--generous", type=int, default=32)
    ap.add_argument("--init", default="", help="a saved checkpoint: skip training, export and evaluate it")
    args = ap.parse_args()
    name = "maskgit-tiny"
    C.seed_all(args.seed)
    dev = C.pick_device()
    out = C.out_dir(name)
    t_all = time.time()
    if args.init:
        ck = torch.load(args.init, map_location=dev)
        enc, dec, cb = vq.Encoder().to(dev), vq.Decoder().to(dev), vq.Codebook(K).to(dev)
        enc.load_state_dict(ck["enc"]), dec.load_state_dict(ck["dec"]), cb.load_state_dict(ck["cb"])
        enc, dec, cb, vq_steps, vq_s = enc.eval(), dec.eval(), cb.eval(), 0, 0.0
    else:
        enc, dec, cb, vq_steps, vq_s = vq.train_vq("single", args.vq_steps, args.vq_seconds, dev, k=K, log_name=f"{name} vq")
    for p in list(enc.parameters()) + list(dec.parameters()) + list(cb.parameters()):
        p.requires_grad_(False)
    encode, decode = EncodeIds(enc, cb).eval(), DecodeIds(cb, dec).eval()

    xtr_u8, ytr = C.load_fmnist("train")
    xtr = C.to_pm1(xtr_u8).to(dev)
    ytr = torch.from_numpy(ytr).to(dev)
    with torch.no_grad():
        ids_all = torch.cat([torch.cat([encode(xtr[i : i + 5000]), encode(xtr[i : i + 5000].flip(-1))])
                             for i in range(0, xtr.shape[0], 5000)])
        y_all = torch.cat([torch.cat([ytr[i : i + 5000], ytr[i : i + 5000]]) for i in range(0, xtr.shape[0], 5000)])
    used = int(torch.unique(ids_all).numel())
    C.log(f"{name} tokenized {ids_all.shape[0]} images, {used} distinct codes")

    net = MaskGITNet().to(dev)
    if args.init:
        net.load_state_dict(ck["net"])
        args.steps = 0
    ema = C.EMA(net, 0.9995)
    opt = C.adamw(net.parameters(), lr=args.lr)
    budget = C.Budget(args.steps, args.seconds)
    t0, step = time.time(), 0
    while not budget.done(step):
        idx = torch.randint(0, ids_all.shape[0], (args.batch,), device=dev)
        ids, y = ids_all[idx], y_all[idx]
        y = torch.where(torch.rand(args.batch, device=dev) < 0.1, torch.full_like(y, C.NULL_CLASS), y)
        r = torch.cos(math.pi / 2 * torch.rand(args.batch, device=dev))
        n_mask = (r * 49).ceil().clamp(1, 49)
        rank = torch.rand(args.batch, 49, device=dev).argsort(-1).argsort(-1)
        mask = rank < n_mask[:, None]
        inp = torch.where(mask, torch.full_like(ids, MASK_ID), ids)
        logits, _ = net(inp, y)
        loss = F.cross_entropy(logits[mask], ids[mask], label_smoothing=0.1)
        for gr in opt.param_groups:
            gr["lr"] = args.lr * min(1.0, (step + 1) / 1000)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        ema.update(net, min(0.9995, (1 + step) / (10 + step)))
        step += 1
        if step % 2000 == 0 or step == 1:
            C.log(f"{name} step {step} loss {loss.item():.4f} {time.time() - t0:.0f}s")
    tr_s = time.time() - t0
    if step > 0:
        ema.copy_to(net)
    net.eval()
    if not args.init:
        torch.save({"net": net.state_dict(), "enc": enc.state_dict(), "dec": dec.state_dict(), "cb": cb.state_dict()},
               out / f"{name}.pt")
    total_s = time.time() - t_all

    try:
        exp = export(net, encode, decode, out, name)
    except Exception as e:  # the checkpoint is saved; export can be redone with export_local.py
        C.log(f"{name} EXPORT FAILED: {e!r}")
        exp = {"export_error": repr(e)}

    # evaluation
    ev = C.Evaluator(dev)
    n = args.eval_n
    y = C.balanced_labels(n, dev)
    xte_u8, yte = C.load_fmnist("test")
    with torch.no_grad():
        xte = C.to_pm1(xte_u8).to(dev)
        nte = 200 if C.os.environ.get("ZOO_SMOKE") else 10000
        rec = torch.cat([decode(encode(xte[i : i + 2500][:nte])) for i in range(0, nte, 2500)])
    recon = ev.score(((rec + 1) / 2).clamp(0, 1).cpu(), torch.from_numpy(yte[:nte]))
    C.log(f"{name} test reconstructions: {recon}")
    fid, acc = {}, {}
    g = torch.Generator(device=dev).manual_seed(123)
    runs = [(f"cosine_T{T}", T, 1.0) for T in (4, 8, 16, args.generous)] + [(f"cosine_T{args.generous}_cfg0", args.generous, 0.0)]
    for key, T, cfg in runs:
        t1 = time.time()
        with torch.no_grad():
            imgs = torch.cat([((decode(sample(net, y[i : i + 2500], T, cfg_init=cfg, gen=g)) + 1) / 2).clamp(0, 1).cpu()
                              for i in range(0, n, 2500)])
        sc = ev.score(imgs, y.cpu())
        fid[key], acc[key] = sc["fid"], sc["class_acc"]
        C.log(f"{name} {key}: {sc} ({time.time() - t1:.1f}s)")
        if key == f"cosine_T{args.generous}":
            C.save_grid(out / f"{name}.grid.png", imgs[:200], y[:200].cpu())
    netc = copy.deepcopy(net).cpu()
    decode = copy.deepcopy(decode)
    res = {
        "model": name, "paradigm": "maskgit", "class_acc": acc[f"cosine_T{args.generous}"], "fid": fid,
        "class_acc_all": acc, "generous": f"cosine_T{args.generous}", "default_cfg": 1.0, "eval_n": n,
        "vq_recon_test": recon, "codes_used": used, "codebook": K, "mask_id": MASK_ID,
        "params": C.count_params(netc), "params_tokenizer": C.count_params(enc, dec, cb),
        "mflops": round(C.measure_mflops(netc, (torch.zeros(1, 49, dtype=torch.long), torch.zeros(1, dtype=torch.long))), 2),
        "mflops_decoder": round(C.measure_mflops(decode.cpu(), (torch.zeros(1, 49, dtype=torch.long),)), 2),
        "train_seconds": round(total_s, 1), "train_seconds_vq": round(vq_s, 1), "train_seconds_transformer": round(tr_s, 1),
        "steps": step, "vq_steps": vq_steps,
        "command": C.command_line({"vq-steps": vq_steps, "steps": step}), "hardware": C.hardware(),
        "arch": {"dim": 128, "depth": 6, "heads": 4, "tokens": 49},
    }
    res.update(exp)
    C.write_json(out / "result.json", res)
    C.log(f"{name} done", json.dumps(res)[:2000])


def export(net, encode, decode, out, name):
    net, encode, decode = (copy.deepcopy(m).cpu().eval() for m in (net, encode, decode))
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(0, K + 1, (3, 49), generator=g)
    y = torch.tensor([3, 7, C.NULL_CLASS], dtype=torch.long)
    files, parity = [], {}
    p = out / f"{name}.onnx"
    C.export_onnx(net, (ids, y), p, ["ids", "y"], ["logits", "features"],
                  {"ids": {0: "B"}, "y": {0: "B"}, "logits": {0: "B"}, "features": {0: "B"}})
    fx = C.write_fixture(out / f"{name}.fixture.json", p.name, net, {"ids": ids, "y": y}, ["logits", "features"])
    parity[p.name] = C.ort_parity(p, fx)
    files.append(p.name)
    ids_real = torch.randint(0, K, (3, 49), generator=g)
    p = out / f"{name}.decoder.onnx"
    C.export_onnx(decode, (ids_real,), p, ["ids"], ["image"], {"ids": {0: "B"}, "image": {0: "B"}})
    fx = C.write_fixture(out / f"{name}.decoder.fixture.json", p.name, decode, {"ids": ids_real}, ["image"])
    parity[p.name] = C.ort_parity(p, fx)
    files.append(p.name)
    xte_u8, _ = C.load_fmnist("test")
    x = C.to_pm1(xte_u8[:3])
    p = out / f"{name}.encoder.onnx"
    C.export_onnx(encode, (x,), p, ["image"], ["ids"], {"image": {0: "B"}, "ids": {0: "B"}})
    fx = C.write_fixture(out / f"{name}.encoder.fixture.json", p.name, encode, {"image": x}, ["ids"])
    parity[p.name] = C.ort_parity(p, fx)
    files.append(p.name)
    C.log(f"{name} exported, parity {parity}")
    return {"onnx": files, "ort_parity_max_abs": parity}


if __name__ == "__main__":
    main()
