"""var-tiny: multi-scale residual VQ (scales 1,2,3,4,5,7 of a 7x7x32 latent, one codebook of 512) and a
class-conditional transformer with block-causal attention over the 104 tokens of all scales (next-scale
prediction). Reference sampler: VAR's defaults (docs/method.md 4.3 / 5.2), one pass per scale.

    /usr/bin/python3 tooling/zoo/var_tiny.py --vq-steps N --steps M
"""
from __future__ import annotations

import argparse
import copy
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import common as C
import vq

K = 512
CDIM = 32
SCALES = (1, 2, 3, 4, 5, 7)
TOP_K = 112  # VAR's 900 of 4096 codes, scaled to 512 codes
TOP_P = 0.96
CFG = 1.5  # docs/method.md 4.3, var_d16.yaml


class VARNet(nn.Module):
    """x_in [B,L,32] (rows of ids_to_inputs, L <= 104), y [B] int64 -> logits [B,L,512], features [B,L,dim].
    Row 0 is replaced by the class start token. Attention is block-causal over scales, so the outputs of
    scale k depend only on rows of scales <= k."""

    def __init__(self, dim=128, depth=6, heads=4):
        super().__init__()
        offsets = [0]
        for pn in SCALES:
            offsets.append(offsets[-1] + pn * pn)
        L = offsets[-1]
        self.word = nn.Linear(CDIM, dim)
        self.y_emb = nn.Embedding(C.NUM_CLASSES + 1, dim)
        self.start_pos = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, L, dim) * 0.02)
        self.lvl = nn.Parameter(torch.randn(1, L, dim) * 0.02)  # level embedding, stored per position
        level = torch.zeros(L, dtype=torch.long)
        for i in range(len(SCALES)):
            level[offsets[i] : offsets[i + 1]] = i
        self.register_buffer("lvl_idx", level, persistent=False)
        first = torch.zeros(1, L, 1)
        first[0, 0, 0] = 1.0
        self.register_buffer("first", first, persistent=False)
        allowed = level[None, :] <= level[:, None]
        self.register_buffer("mask", torch.where(allowed, torch.zeros(L, L), torch.full((L, L), -1e9)), persistent=False)
        self.blocks = nn.ModuleList([C.AdaLNBlock(dim, heads) for _ in range(depth)])
        self.final = C.FinalAdaLN(dim, K)
        nn.init.normal_(self.y_emb.weight, std=0.02)

    def forward(self, x_in, y):
        L = x_in.shape[1]
        c = self.y_emb(y)
        first = self.first[:, :L]
        h = self.word(x_in) * (1 - first) + (c[:, None, :] + self.start_pos) * first
        h = h + self.pos[:, :L] + self.lvl[:, :L]
        mask = self.mask[:L, :L]
        for blk in self.blocks:
            h = blk(h, c, mask)
        return self.final(h, c), h


class NextInputs(nn.Module):
    """ids [B,104] int64 -> x_in [B,104,32], f_hat [B,32,7,7] (see vq.MultiScale.ids_to_inputs)."""

    def __init__(self, ms):
        super().__init__()
        self.ms = ms

    def forward(self, ids):
        return self.ms.ids_to_inputs(ids)


def filter_logits(L, top_k, top_p):
    """Top-k then top-p (docs/method.md 5.2 steps 4-5), on [M,K] logits."""
    if top_k > 0:
        kth = L.topk(top_k, -1).values[:, -1:]
        L = L.masked_fill(L < kth, float("-inf"))
    if top_p < 1:
        srt, order = L.sort(-1)  # ascending
        cum = srt.softmax(-1).cumsum(-1)
        drop = cum <= 1 - top_p
        drop[:, -1] = False
        L = L.masked_fill(torch.zeros_like(drop).scatter(-1, order, drop), float("-inf"))
    return L


@torch.no_grad()
def sample(net, ms, y, cfg=CFG, top_k=TOP_K, top_p=TOP_P, temp=1.0, gen=None):
    B = y.shape[0]
    S = len(SCALES)
    ids = torch.zeros(B, ms.seq_len, dtype=torch.long, device=y.device)
    yy = torch.cat([y, torch.full_like(y, C.NULL_CLASS)])
    for k in range(S):
        a, b = ms.offsets[k], ms.offsets[k + 1]
        x_in, _ = ms.ids_to_inputs(ids)
        logits, _ = net(torch.cat([x_in[:, :b], x_in[:, :b]]), yy)
        lc, lu = logits[:B, a:b], logits[B:, a:b]
        t = cfg * k / (S - 1)
        Lg = ((1 + t) * lc - t * lu).reshape(-1, K)
        Lg = filter_logits(Lg, top_k, top_p)
        probs = torch.softmax(Lg / temp, -1)
        ids[:, a:b] = torch.multinomial(probs, 1, generator=gen).reshape(B, b - a)
    return ids


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
    ap.add_argument("--init", default="", help="a saved checkpoint: skip training, export and evaluate it")
    args = ap.parse_args()
    name = "var-tiny"
    C.seed_all(args.seed)
    dev = C.pick_device()
    out = C.out_dir(name)
    t_all = time.time()
    if args.init:
        ck = torch.load(args.init, map_location=dev)
        enc, dec, ms = vq.Encoder(CDIM).to(dev), vq.Decoder(CDIM).to(dev), vq.MultiScale(k=K, cdim=CDIM).to(dev)
        enc.load_state_dict(ck["enc"]), dec.load_state_dict(ck["dec"]), ms.load_state_dict(ck["ms"])
        enc, dec, ms, vq_steps, vq_s = enc.eval(), dec.eval(), ms.eval(), 0, 0.0
    else:
        enc, dec, ms, vq_steps, vq_s = vq.train_vq("multi", args.vq_steps, args.vq_seconds, dev, k=K, cdim=CDIM, log_name=f"{name} vq")
    for p in list(enc.parameters()) + list(dec.parameters()) + list(ms.parameters()):
        p.requires_grad_(False)

    xtr_u8, ytr = C.load_fmnist("train")
    xtr = C.to_pm1(xtr_u8).to(dev)
    ytr = torch.from_numpy(ytr).to(dev)
    with torch.no_grad():
        chunks = []
        for i in range(0, xtr.shape[0], 5000):
            for flip in (False, True):
                xb = xtr[i : i + 5000]
                chunks.append(ms.quantize(enc(xb.flip(-1) if flip else xb))[1])
        ids_all = torch.cat(chunks)
        y_all = torch.cat([ytr[i : i + 5000] for i in range(0, xtr.shape[0], 5000) for _ in range(2)])
    used = int(torch.unique(ids_all).numel())
    C.log(f"{name} tokenized {ids_all.shape[0]} images, {used} distinct codes")

    net = VARNet().to(dev)
    if args.init:
        net.load_state_dict(ck["net"])
        args.steps = 0
    nexti = NextInputs(ms).eval()
    ema = C.EMA(net, 0.9995)
    opt = C.adamw(net.parameters(), lr=args.lr)
    budget = C.Budget(args.steps, args.seconds)
    t0, step = time.time(), 0
    while not budget.done(step):
        idx = torch.randint(0, ids_all.shape[0], (args.batch,), device=dev)
        ids, y = ids_all[idx], y_all[idx]
        y = torch.where(torch.rand(args.batch, device=dev) < 0.1, torch.full_like(y, C.NULL_CLASS), y)
        with torch.no_grad():
            x_in, _ = nexti(ids)
        logits, _ = net(x_in, y)
        loss = F.cross_entropy(logits.reshape(-1, K), ids.reshape(-1), label_smoothing=0.1)
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
        torch.save({"net": net.state_dict(), "enc": enc.state_dict(), "dec": dec.state_dict(), "ms": ms.state_dict()},
               out / f"{name}.pt")
    total_s = time.time() - t_all

    try:
        exp = export(net, nexti, dec, out, name)
    except Exception as e:  # the checkpoint is saved; export can be redone with export_local.py
        C.log(f"{name} EXPORT FAILED: {e!r}")
        exp = {"export_error": repr(e)}

    ev = C.Evaluator(dev)
    n = args.eval_n
    y = C.balanced_labels(n, dev)
    xte_u8, yte = C.load_fmnist("test")
    with torch.no_grad():
        xte = C.to_pm1(xte_u8).to(dev)
        nte = 200 if C.os.environ.get("ZOO_SMOKE") else 10000
        rec = torch.cat([dec(ms.quantize(enc(xte[i : i + 2500][:nte]))[0]) for i in range(0, nte, 2500)])
    recon = ev.score(((rec + 1) / 2).clamp(0, 1).cpu(), torch.from_numpy(yte[:nte]))
    C.log(f"{name} test reconstructions: {recon}")
    fid, acc = {}, {}
    g = torch.Generator(device=dev).manual_seed(123)
    runs = [("default_6scales", dict()), ("cfg0_6scales", dict(cfg=0.0)),
            ("cfg3_6scales", dict(cfg=3.0)), ("nofilter_6scales", dict(top_k=0, top_p=1.0))]
    for key, kw in runs:
        t1 = time.time()
        with torch.no_grad():
            imgs = []
            for i in range(0, n, 2500):
                ids = sample(net, ms, y[i : i + 2500], gen=g, **kw)
                imgs.append(((dec(nexti(ids)[1]) + 1) / 2).clamp(0, 1).cpu())
            imgs = torch.cat(imgs)
        sc = ev.score(imgs, y.cpu())
        fid[key], acc[key] = sc["fid"], sc["class_acc"]
        C.log(f"{name} {key}: {sc} ({time.time() - t1:.1f}s)")
        if key == "default_6scales":
            C.save_grid(out / f"{name}.grid.png", imgs[:200], y[:200].cpu())
    netc = copy.deepcopy(net).cpu()
    dec = copy.deepcopy(dec)
    L = ms.seq_len
    res = {
        "model": name, "paradigm": "var", "class_acc": acc["default_6scales"], "fid": fid, "class_acc_all": acc,
        "generous": "default_6scales", "default_cfg": CFG, "eval_n": n,
        "vq_recon_test": recon, "codes_used": used,
        "params": C.count_params(netc), "params_tokenizer": C.count_params(enc, dec, ms),
        "mflops": round(C.measure_mflops(netc, (torch.zeros(1, L, CDIM), torch.zeros(1, dtype=torch.long))), 2),
        "mflops_per_generation_no_cache": round(sum(C.measure_mflops(netc, (torch.zeros(1, ms.offsets[k + 1], CDIM), torch.zeros(1, dtype=torch.long))) for k in range(len(SCALES))), 2),
        "mflops_decoder": round(C.measure_mflops(dec.cpu(), (torch.zeros(1, CDIM, 7, 7),)), 2),
        "train_seconds": round(total_s, 1), "train_seconds_vq": round(vq_s, 1), "train_seconds_transformer": round(tr_s, 1),
        "steps": step, "vq_steps": vq_steps,
        "command": C.command_line({"vq-steps": vq_steps, "steps": step}), "hardware": C.hardware(),
        "arch": {"dim": 128, "depth": 6, "heads": 4, "tokens": L},
        "var": {"scales": list(SCALES), "offsets": ms.offsets, "seq_len": L, "codebook": K, "latent_channels": CDIM,
                "defaults": {"cfg": CFG, "top_k": TOP_K, "top_p": TOP_P, "temperature": 1.0}},
    }
    res.update(exp)
    C.write_json(out / "result.json", res)
    C.log(f"{name} done", json.dumps(res)[:2000])


def export(net, nexti, dec, out, name):
    net, nexti, dec = (copy.deepcopy(m).cpu().eval() for m in (net, nexti, dec))
    g = torch.Generator().manual_seed(7)
    L = nexti.ms.seq_len
    files, parity = [], {}
    ids = torch.randint(0, K, (3, L), generator=g)
    with torch.no_grad():
        x_in, f_hat = nexti(ids)
    y = torch.tensor([3, 7, C.NULL_CLASS], dtype=torch.long)
    p = out / f"{name}.onnx"
    C.export_onnx(net, (x_in[:, :30], y), p, ["x_in", "y"], ["logits", "features"],
                  {"x_in": {0: "B", 1: "L"}, "y": {0: "B"}, "logits": {0: "B", 1: "L"}, "features": {0: "B", 1: "L"}})
    fx = C.write_fixture(out / f"{name}.fixture.json", p.name, net, {"x_in": x_in[:, :14], "y": y}, ["logits", "features"])
    parity[p.name] = C.ort_parity(p, fx)
    fx = C.write_fixture(out / f"{name}.full.fixture.json", p.name, net, {"x_in": x_in[:2], "y": y[:2]}, ["logits", "features"])
    parity[p.name + "@L104"] = C.ort_parity(p, fx)
    files.append(p.name)
    p = out / f"{name}.next.onnx"
    C.export_onnx(nexti, (ids,), p, ["ids"], ["x_in", "f_hat"], {"ids": {0: "B"}, "x_in": {0: "B"}, "f_hat": {0: "B"}})
    fx = C.write_fixture(out / f"{name}.next.fixture.json", p.name, nexti, {"ids": ids}, ["x_in", "f_hat"])
    parity[p.name] = C.ort_parity(p, fx)
    files.append(p.name)
    p = out / f"{name}.decoder.onnx"
    C.export_onnx(dec, (f_hat,), p, ["f_hat"], ["image"], {"f_hat": {0: "B"}, "image": {0: "B"}})
    fx = C.write_fixture(out / f"{name}.decoder.fixture.json", p.name, dec, {"f_hat": f_hat}, ["image"])
    parity[p.name] = C.ort_parity(p, fx)
    files.append(p.name)
    C.log(f"{name} exported, parity {parity}")
    return {"onnx": files, "ort_parity_max_abs": parity}


if __name__ == "__main__":
    main()
