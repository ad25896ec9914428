"""Assembles packages/zoo from the training outputs: copies the ONNX files, parity fixtures, test-set statistics
and sample grids, and writes packages/zoo/manifest.json (sha256, IO contracts, sizes, training records, quality).

    /usr/bin/python3 tooling/zoo/make_manifest.py tooling/zoo/out/final

`out/final/<model>/` holds what each training script wrote (result.json, *.onnx, *.fixture.json, *.grid.png).
dit-tiny, sit-tiny and fmnist-features were trained in one GPU run and evaluated in a second run from the saved
weights (`--init ... --steps 0` / `--epochs 0`); their training records come from the first run's logs (below).
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import common as C

PKG = C.ROOT / "packages" / "zoo"
HW_RUN1 = "1x NVIDIA H100 80GB HBM3, PyTorch 2.11.0+cu130, Python 3.12 (5 trainings sharing the GPU; train_all.sh)"
HW_RUN3 = "1x NVIDIA H100 80GB HBM3, PyTorch 2.11.0+cu130, Python 3.12 (2 trainings sharing the GPU)"
REPRO = ("fixed seeds; the wall-time budget of the run is replaced by the step counts it reached. GPU kernels are not "
         "bit-deterministic, so a rerun gives a statistically equivalent, not identical, model")

# Training records of the first GPU run (the evaluation run re-loaded these weights); from train-run1.log.
RUN1 = {
    "fmnist-features": {"command": "/usr/bin/python3 tooling/zoo/fmnist_features.py --epochs 30", "seconds": 92, "steps": 7020},
    "dit-tiny": {"command": "/usr/bin/python3 tooling/zoo/dit_tiny.py --steps 11384", "seconds": 306, "steps": 11384},
    "sit-tiny": {"command": "/usr/bin/python3 tooling/zoo/sit_tiny.py --steps 11597", "seconds": 305, "steps": 11597},
}

# noise_floor.py: FID of 10,000 real training images carrying the residual noise of the sampler's last point.
ENDPOINT_FLOOR = {
    "dit-tiny": {"fid_real_train10k_noised_to_tau_0.01": 5.464, "fid_real_train10k_noised_to_tau_0.005": 2.006,
                 "note": "the reference sampler returns the state at tau = 0.01 (sigma 0.0446) without a final denoising step; "
                         "that residual noise alone costs about 5.5 FID (tooling/zoo/noise_floor.py)"},
    "sit-tiny": {"fid_real_train10k_at_tau_0.99": 0.662},
}

B = "B"
IMG = [B, 1, 28, 28]
CLASS_Y = {"name": "y", "dtype": "int64", "shape": [B], "range": "class id 0..9; 10 = null class (unconditional branch of CFG)"}


def contracts(res: dict) -> dict:
    var = res.get("var", {})
    return {
        "fmnist-features": {
            "models/fmnist-features.onnx": {
                "inputs": [{"name": "x", "dtype": "float32", "shape": IMG, "range": "[0,1] (u8 / 255)"}],
                "outputs": [{"name": "logits", "dtype": "float32", "shape": [B, 10]},
                            {"name": "features", "dtype": "float32", "shape": [B, 128],
                             "range": "penultimate embedding (after BatchNorm, before ReLU); the FID feature space"}],
            }
        },
        "dit-tiny": {
            "models/dit-tiny.onnx": {
                "inputs": [{"name": "x", "dtype": "float32", "shape": IMG, "range": "x_tau = alpha(tau) x0 + sigma(tau) eps, x0 in [-1,1]"},
                           {"name": "t", "dtype": "float32", "shape": [B], "range": "1000 * tau, tau in [0.001, 1] (tau = 1 is noise)"},
                           CLASS_Y],
                "outputs": [{"name": "eps", "dtype": "float32", "shape": IMG, "range": "predicted noise"},
                            {"name": "features", "dtype": "float32", "shape": [B, 49, 128], "range": "last transformer block output, 7x7 tokens row-major"}],
            }
        },
        "sit-tiny": {
            "models/sit-tiny.onnx": {
                "inputs": [{"name": "x", "dtype": "float32", "shape": IMG, "range": "x_tau = tau x_data + (1 - tau) noise, x_data in [-1,1]"},
                           {"name": "t", "dtype": "float32", "shape": [B], "range": "tau in [0, 1] (tau = 0 is noise, tau = 1 is data)"},
                           CLASS_Y],
                "outputs": [{"name": "v", "dtype": "float32", "shape": IMG, "range": "predicted velocity x_data - noise"},
                            {"name": "features", "dtype": "float32", "shape": [B, 49, 128], "range": "last transformer block output, 7x7 tokens row-major"}],
            }
        },
        "maskgit-tiny": {
            "models/maskgit-tiny.onnx": {
                "inputs": [{"name": "ids", "dtype": "int64", "shape": [B, 49], "range": "0..511 codes, 512 = mask token; 7x7 row-major"}, CLASS_Y],
                "outputs": [{"name": "logits", "dtype": "float32", "shape": [B, 49, 512], "range": "unnormalised, over the 512 real codes"},
                            {"name": "features", "dtype": "float32", "shape": [B, 49, 128], "range": "last transformer block output"}],
            },
            "models/maskgit-tiny.decoder.onnx": {
                "inputs": [{"name": "ids", "dtype": "int64", "shape": [B, 49], "range": "0..511 (no mask token)"}],
                "outputs": [{"name": "image", "dtype": "float32", "shape": IMG, "range": "about [-1,1], not clamped; show clamp((x+1)/2, 0, 1)"}],
            },
        },
        "var-tiny": {
            "models/var-tiny.onnx": {
                "inputs": [{"name": "x_in", "dtype": "float32", "shape": [B, "L", 32],
                            "range": "the first L rows of var-tiny.next's x_in, L = offsets[k+1] <= 104; row 0 is ignored (class start token)"}, CLASS_Y],
                "outputs": [{"name": "logits", "dtype": "float32", "shape": [B, "L", 512], "range": "rows offsets[k]..offsets[k+1]-1 predict scale k"},
                            {"name": "features", "dtype": "float32", "shape": [B, "L", 128], "range": "last transformer block output"}],
            },
            "models/var-tiny.next.onnx": {
                "inputs": [{"name": "ids", "dtype": "int64", "shape": [B, 104], "range": "0..511, all scales concatenated (offsets); unsampled scales may hold any valid id"}],
                "outputs": [{"name": "x_in", "dtype": "float32", "shape": [B, 104, 32], "range": "rows of scale k depend on ids of scales < k only"},
                            {"name": "f_hat", "dtype": "float32", "shape": [B, 32, 7, 7], "range": "sum of all 6 scales' contributions"}],
            },
            "models/var-tiny.decoder.onnx": {
                "inputs": [{"name": "f_hat", "dtype": "float32", "shape": [B, 32, 7, 7]}],
                "outputs": [{"name": "image", "dtype": "float32", "shape": IMG, "range": "about [-1,1], not clamped; show clamp((x+1)/2, 0, 1)"}],
            },
        },
    }


SAMPLING = {
    "dit-tiny": {
        "schedule": {"type": "vp-linear", "beta0": 0.1, "beta1": 20.0, "time_input": "1000 * tau", "T": 1,
                     "log_alpha": "-(beta1 - beta0) tau^2 / 4 - beta0 tau / 2", "sigma": "sqrt(1 - alpha^2)"},
        "reference_sampler": "DPM-Solver++(2S), docs/method.md 5.3; T guided evaluations, T+1 points uniform from 0.9 down to 0.01; "
                             "x ~ N(0, I) is the state at 0.9; the state at 0.01 is the output (no final denoising)",
        "guidance": "eps = eps_c + w (eps_c - eps_u), on the single channel", "default_cfg": 1.0,
        "decode": "clamp((x + 1) / 2, 0, 1)",
    },
    "sit-tiny": {
        "schedule": {"type": "linear-interpolant", "alpha": "tau", "sigma": "1 - tau", "time_input": "tau",
                     "direction": "tau = 0 noise, tau = 1 data (increasing)"},
        "reference_sampler": "DPM-Solver++(2S) on alpha = tau, sigma = 1 - tau (docs/method.md 5.4), T+1 points uniform from 0.01 up to 0.99; "
                             "data prediction x + (1 - tau) v; also Euler and Heun on dx/dtau = v over [0, 1]",
        "guidance": "v = v_c + w (v_c - v_u), on the single channel", "default_cfg": 1.5,
        "decode": "clamp((x + 1) / 2, 0, 1)",
    },
    "maskgit-tiny": {
        "tokens": 49, "grid": [7, 7], "codebook": 512, "mask_id": 512,
        "reference_sampler": "docs/method.md 5.1 with the cosine heuristic of 4.3 (mask ratio cos(pi/2 r_k), masking temperature "
                             "temp_init (1 - r_k), sampling temperature 1, CFG ramp cfg_init (k + 0.001) / T), n = min(floor(49 m), 48)",
        "guidance": "L = L_c + w (L_c - L_u)", "defaults": {"cfg_init": 1.0, "temp_init": 1.0, "samp_temp": 1.0},
        "decode": "decoder(sampled ids) then clamp((x + 1) / 2, 0, 1)",
    },
    "var-tiny": {
        "reference_sampler": "one pass per scale: for k = 0..5: x_in = next(ids).x_in; run var-tiny on x_in[:, :offsets[k+1]] for "
                             "the conditional and the null class; take rows offsets[k]..offsets[k+1]-1; t = cfg k / 5; "
                             "L = (1 + t) L_c - t L_u; top-k, then top-p (docs/method.md 5.2), / temperature; sample into ids. "
                             "Then image = decoder(next(ids).f_hat)",
        "decode": "clamp((x + 1) / 2, 0, 1)",
    },
}


def file_entry(rel: str) -> dict:
    p = PKG / rel
    return {"path": rel, "sha256": C.sha256(p), "bytes": p.stat().st_size}


def main():
    src = Path(sys.argv[1] if len(sys.argv) > 1 else C.HERE / "out" / "final")
    for d in ("models", "fixtures", "stats"):
        (PKG / d).mkdir(parents=True, exist_ok=True)
    manifest = {
        "schema": 1,
        "description": "Small class-conditional Fashion-MNIST generators (one per paradigm) and the feature extractor, as ONNX (opset 17, dynamic batch)",
        "pixels": "generators work in [-1,1]; images are clamp((x + 1) / 2, 0, 1); the extractor takes [0,1]",
        "classes": {"count": 10, "null_class": 10, "label_dropout_in_training": 0.1},
        "dataset": {
            "name": "Fashion-MNIST", "licence": "MIT (data/LICENSE)", "source": "Debian package dataset-fashion-mnist",
            "files": [file_entry(f"data/{n}") for n in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")],
        },
        "evaluation": {
            "samples": 10000, "classes_balanced": True, "extractor": "fmnist-features",
            "feature": "features output, 128-d", "reference": "Fashion-MNIST test set (10,000 images)",
            "class_acc": "fraction of samples that fmnist-features classifies as their conditioning class",
        },
        "models": {},
    }
    grids = {"dit-tiny": "dit-tiny.grid.png", "sit-tiny": "sit-tiny.grid.png", "maskgit-tiny": "maskgit-tiny.grid.png",
             "var-tiny": "var-tiny.grid.png", "fmnist-features": "grid.png"}
    for name in ("fmnist-features", "dit-tiny", "sit-tiny", "maskgit-tiny", "var-tiny"):
        d = src / name
        res = json.loads((d / "result.json").read_text())
        io = contracts(res)[name]
        files = []
        for rel in io:
            shutil.copy(d / Path(rel).name, PKG / rel)
            files.append(file_entry(rel))
        fixtures = []
        for rel in io:
            fx_name = Path(rel).name.replace(".onnx", ".fixture.json")
            shutil.copy(d / fx_name, PKG / "fixtures" / fx_name)
            fixtures.append(file_entry(f"fixtures/{fx_name}"))
        shutil.copy(d / grids[name], C.HERE / (f"{name}.grid.png" if name != "fmnist-features" else "fmnist-test.grid.png"))
        train = RUN1.get(name) or {"command": res["command"], "seconds": res["train_seconds"], "steps": res["steps"]}
        train = dict(train, hardware=HW_RUN1 if name in RUN1 else HW_RUN3, reproducibility=REPRO)
        entry = {"paradigm": res["paradigm"], "files": files, "fixtures": fixtures, "io": io,
                 "params": res["params"], "mflops": res["mflops"], "training": train}
        if name == "fmnist-features":
            shutil.copy(d / "fmnist-features.test-stats.json", PKG / "stats" / "fmnist-features.test-stats.json")
            entry["stats"] = file_entry("stats/fmnist-features.test-stats.json")
            entry["feature_dim"] = res["feature_dim"]
            entry["input_range"] = [0, 1]
            entry["class_acc"] = res["test_acc"]
            entry["fid"] = {"floor_train10k_vs_test": res["fid_floor_train10k_vs_test"]}
            entry["quality"] = {"test_acc": res["test_acc"], "floor_class_acc_train10k": res["floor_class_acc"]}
            entry["training"]["notes"] = "30 epochs, AdamW + one-cycle LR, flip + 2-px shift augmentation, label smoothing 0.05"
        else:
            entry["class_acc"] = res["class_acc"]
            entry["fid"] = res["fid"]
            entry["quality"] = {"generous_setting": res["generous"], "class_acc_all": res["class_acc_all"],
                                "default_cfg": res["default_cfg"], "samples": res["eval_n"]}
            if name in ENDPOINT_FLOOR:
                entry["quality"]["endpoint_noise_floor"] = ENDPOINT_FLOOR[name]
            if "vq_recon_test" in res:
                entry["quality"]["tokenizer_reconstruction_test"] = res["vq_recon_test"]
                entry["params_tokenizer"] = res["params_tokenizer"]
                entry["mflops_decoder"] = res["mflops_decoder"]
                entry["training"].update(vq_steps=res["vq_steps"], seconds_vq=res["train_seconds_vq"],
                                         seconds_transformer=res["train_seconds_transformer"])
            if "mflops_per_generation_no_cache" in res:
                entry["mflops_note"] = "mflops is one forward over all 104 tokens; a whole generation (6 prefix forwards, no KV cache) is mflops_per_generation_no_cache"
                entry["mflops_per_generation_no_cache"] = res["mflops_per_generation_no_cache"]
            entry["arch"] = res["arch"]
            entry["sampling"] = SAMPLING[name]
            if name == "var-tiny":
                entry["sampling"].update(res["var"])
            if name in RUN1:
                entry["training"]["notes"] = (f"EMA weights; evaluated in a second run from the saved weights "
                                              f"(tooling/zoo/{name.replace('-', '_')}.py --init <pt> --steps 0)")
        entry["ort_parity_max_abs_python"] = res.get("ort_parity_max_abs")
        manifest["models"][name] = entry
    total = sum(f["bytes"] for m in manifest["models"].values() for f in m["files"])
    manifest["model_bytes_total"] = total
    (PKG / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote manifest, model files {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
