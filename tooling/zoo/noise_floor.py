"""FID of 10,000 real training images left with the residual noise of the samplers' last time point, against the
test set: what the endpoint convention alone costs (dit-tiny ends at the state at tau = 0.01, sigma = 0.0446;
sit-tiny at tau = 0.99). Needs the trained classifier in $ZOO_OUT/fmnist-features/ (classifier.pt and DONE).

    ZOO_OUT=tooling/zoo/out /usr/bin/python3 tooling/zoo/noise_floor.py
"""
import json

import torch

import common as C
import continuous as K


def main():
    torch.manual_seed(0)
    ev = C.Evaluator(torch.device("cpu"))
    x, y = C.load_fmnist("train")
    pick = torch.randperm(60000, generator=torch.Generator().manual_seed(1234))[:10000].numpy()
    x0, yy = C.to_pm1(x[pick]), torch.from_numpy(y[pick])
    res = {}
    for tau in (0.01, 0.005):
        xn = K.VP.alpha(tau) * x0 + K.VP.sigma(tau) * torch.randn_like(x0)
        res[f"vp_tau_{tau}"] = ev.score(((xn + 1) / 2).clamp(0, 1), yy)
    xs = 0.99 * x0 + 0.01 * torch.randn_like(x0)
    res["flow_tau_0.99"] = ev.score(((xs + 1) / 2).clamp(0, 1), yy)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
