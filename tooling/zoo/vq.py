"""VQ tokenizers for maskgit-tiny (single-scale VQ on a 7x7 grid) and var-tiny (multi-scale residual VQ,
scales 1,2,3,4,5,7). Images in [-1,1], latents [B,C,7,7]."""
from __future__ import annotations

import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import common as C


class Res(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.c2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return x + self.c2(F.silu(self.c1(F.silu(x))))


class Encoder(nn.Module):
    """[B,1,28,28] in [-1,1] -> [B,C,7,7]."""

    def __init__(self, cdim=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 48, 3, padding=1), Res(48),
            nn.Conv2d(48, 96, 4, stride=2, padding=1), Res(96),  # 14
            nn.Conv2d(96, 128, 4, stride=2, padding=1), Res(128),  # 7
            nn.SiLU(), nn.Conv2d(128, cdim, 1),
        )

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    """[B,C,7,7] -> [B,1,28,28], nominally in [-1,1] (not clamped)."""

    def __init__(self, cdim=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cdim, 128, 3, padding=1), Res(128),
            nn.ConvTranspose2d(128, 96, 4, stride=2, padding=1), Res(96),  # 14
            nn.ConvTranspose2d(96, 48, 4, stride=2, padding=1), Res(48),  # 28
            nn.SiLU(), nn.Conv2d(48, 1, 3, padding=1),
        )

    def forward(self, z):
        return self.net(z)


class Codebook(nn.Module):
    def __init__(self, k=512, cdim=32):
        super().__init__()
        self.k = k
        self.emb = nn.Embedding(k, cdim)
        nn.init.uniform_(self.emb.weight, -1.0 / k, 1.0 / k)
        self.register_buffer("usage", torch.zeros(k))

    def nearest(self, z_flat):  # [M,C] -> [M]
        w = self.emb.weight
        d = (z_flat**2).sum(1, keepdim=True) - 2 * z_flat @ w.t() + (w**2).sum(1)[None]
        return d.argmin(1)

    @torch.no_grad()
    def restart_dead(self, z_flat, min_usage=1e-3):
        """Codes whose running usage fell under min_usage are moved onto random latents of the batch."""
        dead = (self.usage < min_usage).nonzero().flatten()
        if dead.numel() == 0:
            return 0
        pick = torch.randint(0, z_flat.shape[0], (dead.numel(),), device=z_flat.device)
        self.emb.weight.data[dead] = z_flat[pick] + 0.01 * torch.randn_like(z_flat[pick])
        self.usage[dead] = 1.0 / self.k
        return dead.numel()

    @torch.no_grad()
    def track(self, idx):
        counts = torch.bincount(idx.flatten(), minlength=self.k).float()
        self.usage.mul_(0.99).add_(counts / counts.sum(), alpha=0.01)


def interp_matrix(src: int, dst: int, mode: str) -> torch.Tensor:
    """[dst*dst, src*src] matrix M with interpolate(x, (dst,dst), mode).flatten() = M @ x.flatten() (PyTorch
    semantics, align_corners=False), built from basis images; used as a plain MatMul in the ONNX graphs."""
    basis = torch.eye(src * src).reshape(src * src, 1, src, src)
    if mode == "area":
        out = F.adaptive_avg_pool2d(basis, (dst, dst))
    else:
        out = F.interpolate(basis, size=(dst, dst), mode=mode, align_corners=False)
    return out.reshape(src * src, dst * dst).t().contiguous()


class MultiScale(nn.Module):
    """VAR-style multi-scale residual quantisation over scales (1,2,3,4,5,7) of a 7x7 latent, one codebook shared
    by all scales, and one residual 3x3 conv phi_k per scale mixed as 0.5 x + 0.5 conv(x)."""

    def __init__(self, scales=(1, 2, 3, 4, 5, 7), k=512, cdim=32):
        super().__init__()
        self.scales, self.cdim = tuple(scales), cdim
        self.top = scales[-1]
        self.codebook = Codebook(k, cdim)
        self.phi = nn.ModuleList([nn.Conv2d(cdim, cdim, 3, padding=1) for _ in scales])
        for i, pn in enumerate(scales):
            self.register_buffer(f"up{i}", interp_matrix(pn, self.top, "bicubic"), persistent=False)
            self.register_buffer(f"down{i}", interp_matrix(self.top, pn, "area"), persistent=False)
        self.offsets = [0]
        for pn in scales:
            self.offsets.append(self.offsets[-1] + pn * pn)
        self.seq_len = self.offsets[-1]

    def up(self, i, h):  # [B,C,pn*pn] -> [B,C,7,7]
        return (h @ getattr(self, f"up{i}").t()).reshape(h.shape[0], self.cdim, self.top, self.top)

    def down(self, i, f):  # [B,C,7,7] -> [B,C,pn*pn]
        return f.reshape(f.shape[0], self.cdim, self.top * self.top) @ getattr(self, f"down{i}").t()

    def contribution(self, i, h):  # h [B,C,pn*pn] codes of scale i -> its term of f_hat
        u = self.up(i, h)
        return 0.5 * u + 0.5 * self.phi[i](u)

    def quantize(self, f):
        """f [B,C,7,7] -> (f_hat, ids [B,seq_len], loss terms)."""
        B = f.shape[0]
        f_hat = torch.zeros_like(f)
        ids, zs = [], []
        for i, pn in enumerate(self.scales):
            z = self.down(i, f - f_hat)  # residual at scale pn
            zt = z.transpose(1, 2).reshape(-1, self.cdim)
            idx = self.codebook.nearest(zt.detach())
            zs.append(zt.detach())
            ids.append(idx.reshape(B, pn * pn))
            h = self.codebook.emb(idx).reshape(B, pn * pn, self.cdim).transpose(1, 2)
            f_hat = f_hat + self.contribution(i, h)
        return f_hat, torch.cat(ids, 1), torch.cat(zs, 0)

    def ids_to_inputs(self, ids):
        """ids [B,seq_len] -> (x_in [B,seq_len,C], f_hat [B,C,7,7]). Row 0 of x_in is zeros (the class start token
        replaces it); the rows of scale k >= 1 are f_hat accumulated over scales < k, area-downsampled to pn_k.
        Rows of scale k depend on ids of scales < k only."""
        B = ids.shape[0]
        f_hat = torch.zeros(B, self.cdim, self.top, self.top, device=ids.device)
        rows = [torch.zeros(B, 1, self.cdim, device=ids.device)]
        for i, pn in enumerate(self.scales):
            if i > 0:
                rows.append(self.down(i, f_hat).transpose(1, 2))
            h = self.codebook.emb(ids[:, self.offsets[i] : self.offsets[i + 1]]).transpose(1, 2)
            f_hat = f_hat + self.contribution(i, h)
        return torch.cat(rows, 1), f_hat


def train_vq(kind: str, steps: int, seconds: float, dev, batch=256, lr=5e-4, k=512, cdim=32, log_name="vq"):
    """Trains encoder + decoder + quantiser on Fashion-MNIST; returns (enc, dec, quantiser, steps_done, seconds)."""
    xtr_u8, _ = C.load_fmnist("train")
    xtr = C.to_pm1(xtr_u8).to(dev)
    enc, dec = Encoder(cdim).to(dev), Decoder(cdim).to(dev)
    q = (Codebook(k, cdim) if kind == "single" else MultiScale(k=k, cdim=cdim)).to(dev)
    params = list(enc.parameters()) + list(dec.parameters()) + list(q.parameters())
    opt = C.adamw(params, lr=lr)
    budget = C.Budget(steps, seconds)
    t0, step = time.time(), 0
    cb = q if kind == "single" else q.codebook
    while not budget.done(step):
        idx = torch.randint(0, xtr.shape[0], (batch,), device=dev)
        x = xtr[idx]
        x = torch.where(torch.rand(batch, 1, 1, 1, device=dev) < 0.5, x, x.flip(-1))
        f = enc(x)
        if kind == "single":
            zt = f.permute(0, 2, 3, 1).reshape(-1, cdim)
            ids = q.nearest(zt.detach())
            f_hat = q.emb(ids).reshape(batch, 7, 7, cdim).permute(0, 3, 1, 2)
            zs = zt.detach()
        else:
            f_hat, ids, zs = q.quantize(f)
        vq_loss = F.mse_loss(f_hat, f.detach()) + 0.25 * F.mse_loss(f, f_hat.detach())
        f_st = f + (f_hat - f).detach()
        rec = dec(f_st)
        rec_loss = F.mse_loss(rec, x) + 0.5 * F.l1_loss(rec, x)
        loss = rec_loss + vq_loss
        for gr in opt.param_groups:
            gr["lr"] = lr * min(1.0, (step + 1) / 500)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        cb.track(ids)
        if step % 100 == 50 and step < 0.8 * steps and time.time() - t0 < 0.8 * seconds:
            cb.restart_dead(zs)
        step += 1
        if step % 1000 == 0 or step == 1:
            used = int((cb.usage > 1e-4).sum())
            C.log(f"{log_name} step {step} rec {rec_loss.item():.4f} vq {vq_loss.item():.4f} codes used {used}")
    return enc.eval(), dec.eval(), q.eval(), step, time.time() - t0
