"""Shared code of dit-tiny (VP diffusion, noise prediction) and sit-tiny (linear interpolant, velocity prediction):
a DiT-style transformer on 28x28x1 pixels in [-1,1], patch 4 -> 7x7 = 49 tokens, adaLN-Zero conditioning on
class (0-9, 10 = null) and time, the reference samplers and the training/eval/export driver.
"""
from __future__ import annotations

import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import common as C

# VP "linear" schedule of docs/method.md 5.3: beta_0 = 0.1, beta_1 = 20, T = 1.
BETA0, BETA1 = 0.1, 20.0


class DiT(nn.Module):
    """Inputs x [B,1,28,28], t [B] (float), y [B] (int64). Outputs the prediction [B,1,28,28] and the output
    tokens of the last block [B,49,dim] (before the final adaLN/linear layer)."""

    def __init__(self, dim=128, depth=6, heads=4, patch=4, time_scale=1.0):
        super().__init__()
        self.patch, self.grid, self.time_scale = patch, 28 // patch, time_scale
        self.patch_embed = nn.Linear(patch * patch, dim)
        self.pos = nn.Parameter(torch.randn(1, self.grid * self.grid, dim) * 0.02)
        self.t_mlp = nn.Sequential(nn.Linear(256, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.y_emb = nn.Embedding(C.NUM_CLASSES + 1, dim)
        self.blocks = nn.ModuleList([C.AdaLNBlock(dim, heads) for _ in range(depth)])
        self.final = C.FinalAdaLN(dim, patch * patch)
        nn.init.zeros_(self.final.linear.weight)
        nn.init.zeros_(self.final.linear.bias)
        nn.init.normal_(self.y_emb.weight, std=0.02)

    def forward(self, x, t, y):
        p, g = self.patch, self.grid
        tok = x.reshape(-1, 1, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(-1, g * g, p * p)
        h = self.patch_embed(tok) + self.pos
        c = self.t_mlp(C.timestep_embedding(t * self.time_scale)) + self.y_emb(y)
        for blk in self.blocks:
            h = blk(h, c)
        out = self.final(h, c)
        out = out.reshape(-1, g, g, 1, p, p).permute(0, 3, 1, 4, 2, 5).reshape(-1, 1, g * p, g * p)
        return out, h


# ------------------------------------------------------------ schedules

def vp_log_alpha(tau):
    return -(BETA1 - BETA0) * tau**2 / 4 - BETA0 * tau / 2


class VP:
    """alpha, sigma, lambda of the VP linear schedule (tau = 1 noise, tau = 0 data)."""

    @staticmethod
    def alpha(tau):
        return math.exp(vp_log_alpha(tau))

    @staticmethod
    def sigma(tau):
        return math.sqrt(-math.expm1(2 * vp_log_alpha(tau)))

    @staticmethod
    def lam(tau):
        return vp_log_alpha(tau) - 0.5 * math.log(-math.expm1(2 * vp_log_alpha(tau)))


class Linear:
    """alpha = tau, sigma = 1 - tau (tau = 0 noise, tau = 1 data)."""

    @staticmethod
    def alpha(tau):
        return tau

    @staticmethod
    def sigma(tau):
        return 1 - tau

    @staticmethod
    def lam(tau):
        return math.log(tau / (1 - tau))


# ------------------------------------------------------------ samplers

def guided(model, x, tau, y, w, paradigm):
    """Data prediction at (x, tau) with classifier-free guidance pred = c + w (c - u) on the single channel."""
    B = x.shape[0]
    t_in = torch.full((2 * B,), tau * (1000.0 if paradigm == "diffusion" else 1.0), device=x.device)
    yy = torch.cat([y, torch.full_like(y, C.NULL_CLASS)])
    out, _ = model(torch.cat([x, x]), t_in, yy)
    pc, pu = out[:B], out[B:]
    pred = pc + w * (pc - pu)
    if paradigm == "diffusion":
        return (x - VP.sigma(tau) * pred) / VP.alpha(tau)
    return x + (1 - tau) * pred


def heuristic_points(T, paradigm):
    """docs/method.md 4.3: T+1 points uniform from 0.9 down to 0.01 (DiT) or from 0.01 up to 0.99 (SiT)."""
    if paradigm == "diffusion":
        return [0.9 - k * 0.89 / T for k in range(T + 1)]
    return [0.01 + k * 0.98 / T for k in range(T + 1)]


@torch.no_grad()
def dpm_solver_2s(model, x, y, T, w, paradigm):
    """DPM-Solver++(2S) of docs/method.md 5.3/5.4 with the heuristic time points; T guided evaluations (T even).
    x is N(0, I), taken as the state at the first point; the state at the last point is returned."""
    sch = VP if paradigm == "diffusion" else Linear
    p = heuristic_points(T, paradigm)
    for j in range(T // 2):
        s, s1, t = p[2 * j], p[2 * j + 1], p[2 * j + 2]
        x0_s = guided(model, x, s, y, w, paradigm)
        h1 = sch.lam(s1) - sch.lam(s)
        x_s1 = (sch.sigma(s1) / sch.sigma(s)) * x + sch.alpha(s1) * (1 - math.exp(-h1)) * x0_s
        x0_s1 = guided(model, x_s1, s1, y, w, paradigm)
        h = sch.lam(t) - sch.lam(s)
        d = x0_s + (h / (2 * max(h1, 0.01))) * (x0_s1 - x0_s)
        x = (sch.sigma(t) / sch.sigma(s)) * x + sch.alpha(t) * (1 - math.exp(-h)) * d
    return x


def flow_velocity(model, x, tau, y, w):
    return (guided(model, x, tau, y, w, "flow") - x) / max(1 - tau, 1e-6) if tau < 1 else None


@torch.no_grad()
def flow_euler(model, x, y, T, w):
    """Euler on dx/dtau = v over T uniform steps of tau from 0 to 1 (T evaluations)."""
    B = x.shape[0]
    ts = [k / T for k in range(T + 1)]
    for a, b in zip(ts[:-1], ts[1:]):
        x = x + (b - a) * _v(model, x, a, y, w)
    return x


@torch.no_grad()
def flow_heun(model, x, y, T, w):
    """Heun (2nd order) over T/2 uniform steps of tau from 0 to 1 (T evaluations)."""
    n = T // 2
    ts = [k / n for k in range(n + 1)]
    for a, b in zip(ts[:-1], ts[1:]):
        v1 = _v(model, x, a, y, w)
        xe = x + (b - a) * v1
        v2 = _v(model, xe, b, y, w)
        x = x + (b - a) * 0.5 * (v1 + v2)
    return x


def _v(model, x, tau, y, w):
    B = x.shape[0]
    yy = torch.cat([y, torch.full_like(y, C.NULL_CLASS)])
    out, _ = model(torch.cat([x, x]), torch.full((2 * B,), float(tau), device=x.device), yy)
    return out[:B] + w * (out[:B] - out[B:])


# ------------------------------------------------------------ driver

def main(paradigm: str, name: str):
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200000)
    ap.add_argument("--seconds", type=float, default=1e9, help="wall-time budget for training")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-n", type=int, default=10000)
    ap.add_argument("--generous", type=int, default=64)
    ap.add_argument("--init", default="", help="start from these weights (a saved EMA state dict)")
    args = ap.parse_args()
    C.seed_all(args.seed)
    dev = C.pick_device()
    out = C.out_dir(name)
    t0 = time.time()
    xtr_u8, ytr = C.load_fmnist("train")
    xtr = C.to_pm1(xtr_u8).to(dev)
    ytr = torch.from_numpy(ytr).to(dev)
    model = DiT(args.dim, args.depth, time_scale=1.0 if paradigm == "diffusion" else 1000.0).to(dev)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location=dev))
    ema = C.EMA(model, 0.9995)
    opt = C.adamw(model.parameters(), lr=args.lr)
    budget = C.Budget(args.steps, args.seconds)
    step = 0
    if args.steps == 0:
        C.log(f"{name}: no training (--steps 0), evaluating --init weights")
    while not budget.done(step):
        idx = torch.randint(0, xtr.shape[0], (args.batch,), device=dev)
        x0, y = xtr[idx], ytr[idx]
        y = torch.where(torch.rand(args.batch, device=dev) < 0.1, torch.full_like(y, C.NULL_CLASS), y)
        noise = torch.randn_like(x0)
        if paradigm == "diffusion":
            tau = torch.rand(args.batch, device=dev) * (1 - 1e-3) + 1e-3
            la = vp_log_alpha(tau)[:, None, None, None]
            xt = torch.exp(la) * x0 + torch.sqrt(-torch.expm1(2 * la)) * noise
            pred, _ = model(xt, 1000.0 * tau, y)
            loss = F.mse_loss(pred, noise)
        else:
            tau = torch.rand(args.batch, device=dev)
            tb = tau[:, None, None, None]
            xt = tb * x0 + (1 - tb) * noise
            pred, _ = model(xt, tau, y)
            loss = F.mse_loss(pred, x0 - noise)
        lr = args.lr * min(1.0, (step + 1) / 1000)
        for gr in opt.param_groups:
            gr["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema.update(model, min(0.9995, (1 + step) / (10 + step)) if not args.init else 0.9995)
        step += 1
        if step % 2000 == 0 or step == 1:
            C.log(f"{name} step {step} loss {loss.item():.4f} {time.time() - t0:.0f}s")
    train_s = time.time() - t0
    C.log(f"{name} trained {step} steps in {train_s:.0f}s")
    if step > 0:
        ema.copy_to(model)
    model.eval()
    torch.save(model.state_dict(), out / f"{name}.pt")

    try:
        export(model, paradigm, name, out)
    except Exception as e:  # the checkpoint is saved; export can be redone with export_local.py
        C.log(f"{name} EXPORT FAILED: {e!r}")
        C.write_json(out / "export.json", {"export_error": repr(e)})
    res = evaluate(model, paradigm, name, out, dev, args)
    res.update({
        "params": C.count_params(model),
        "mflops": round(C.measure_mflops(model.cpu(), (torch.zeros(1, 1, 28, 28), torch.ones(1), torch.zeros(1, dtype=torch.long))), 2),
        "train_seconds": round(train_s, 1), "steps": step,
        "command": C.command_line(step),
        "hardware": C.hardware(), "arch": {"dim": args.dim, "depth": args.depth, "heads": 4, "patch": 4, "tokens": 49},
    })
    res.update(json.loads((out / "export.json").read_text()))
    C.write_json(out / "result.json", res)
    C.log(f"{name} done", json.dumps(res)[:2000])


def export(model, paradigm, name, out):
    model = model.cpu().eval()
    g = torch.Generator().manual_seed(7)
    x = torch.randn(3, 1, 28, 28, generator=g)
    t = torch.tensor([0.9, 0.3, 0.02]) * (1000.0 if paradigm == "diffusion" else 1.0)
    if paradigm == "flow":
        t = torch.tensor([0.01, 0.5, 0.97])
    y = torch.tensor([3, 7, C.NULL_CLASS], dtype=torch.long)
    pred_name = "eps" if paradigm == "diffusion" else "v"
    path = out / f"{name}.onnx"
    C.export_onnx(model, (x, t, y), path, ["x", "t", "y"], [pred_name, "features"],
                  {"x": {0: "B"}, "t": {0: "B"}, "y": {0: "B"}, pred_name: {0: "B"}, "features": {0: "B"}})
    fx = C.write_fixture(out / f"{name}.fixture.json", path.name, model, {"x": x, "t": t, "y": y}, [pred_name, "features"])
    parity = C.ort_parity(path, fx)
    C.write_json(out / "export.json", {"onnx": [path.name], "ort_parity_max_abs": parity})
    C.log(f"{name} exported, parity {parity}")


def evaluate(model, paradigm, name, out, dev, args):
    model = model.to(dev).eval()
    ev = C.Evaluator(dev)
    n = args.eval_n
    y = C.balanced_labels(n, dev)
    w_default = 1.0 if paradigm == "diffusion" else 1.5  # docs/method.md 4.3 cfg_init (DiT 1.0, SiT 1.5)
    fid, acc = {}, {}
    runs = [(f"dpm2s_T{T}", "dpm", T, w_default) for T in (4, 8, 16, args.generous)]
    runs.append((f"dpm2s_T{args.generous}_cfg0", "dpm", args.generous, 0.0))
    if paradigm == "flow":
        runs += [(f"euler_T{args.generous}", "euler", args.generous, w_default),
                 (f"heun_T{args.generous}", "heun", args.generous, w_default)]
    g = torch.Generator(device=dev).manual_seed(123)
    for key, kind, T, w in runs:
        t0 = time.time()
        imgs = []
        for i in range(0, n, 2500):
            yb = y[i : i + 2500]
            x = torch.randn(yb.shape[0], 1, 28, 28, device=dev, generator=g)
            if kind == "dpm":
                xs = dpm_solver_2s(model, x, yb, T, w, paradigm)
            elif kind == "euler":
                xs = flow_euler(model, x, yb, T, w)
            else:
                xs = flow_heun(model, x, yb, T, w)
            imgs.append(((xs + 1) / 2).clamp(0, 1).cpu())
        imgs = torch.cat(imgs)
        sc = ev.score(imgs, y.cpu())
        fid[key], acc[key] = sc["fid"], sc["class_acc"]
        C.log(f"{name} {key}: {sc} ({time.time() - t0:.1f}s)")
        if key == f"dpm2s_T{args.generous}":
            C.save_grid(out / f"{name}.grid.png", imgs[:200], y[:200].cpu())
    gen = f"dpm2s_T{args.generous}"
    return {
        "model": name, "paradigm": paradigm, "class_acc": acc[gen], "fid": fid, "class_acc_all": acc,
        "generous": gen, "default_cfg": w_default, "eval_n": n,
    }
