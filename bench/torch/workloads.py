"""PyTorch side of `npm run bench`: one workload per process, one thread, one JSON line on stdout.

usage: /usr/bin/python3 bench/torch/workloads.py W1|W2|W3|W4|W5|W6|sgemm|dgemm [seconds]
The parent (bench/run.ts) starts this with OPENBLAS_NUM_THREADS=1 and OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset.
Each workload warms up, then runs whole steps until `seconds` have passed, and reports the steady-state rate.
"""
import json
import resource
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)


def timed(step, seconds, warmup=0.3, window=0.25):
    """Run step() for `warmup`, then until `seconds` more have passed. Returns (calls, elapsed, best, median):
    best/median are the per-call rates of the best and median ~0.25 s windows (the machine is shared)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < warmup:
        step()
    n = 0
    rates = []
    t0 = w_start = time.perf_counter()
    w_count = 0
    while True:
        step()
        n += 1
        w_count += 1
        t = time.perf_counter()
        if t - w_start >= window:
            rates.append(w_count / (t - w_start))
            w_start, w_count = t, 0
        el = t - t0
        if el >= seconds:
            rates = sorted(rates) or [n / el]
            return n, el, rates[-1], rates[len(rates) // 2]


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def minibatch_run(model, opt, loss_fn, x, y, batch, seconds):
    """Epochs of shuffled minibatches (like the trainer); returns samples/s."""
    rows = x.shape[0]
    state = {"perm": torch.randperm(rows), "pos": 0}

    def step():
        if state["pos"] + batch > rows:
            state["perm"] = torch.randperm(rows)
            state["pos"] = 0
        idx = state["perm"][state["pos"] : state["pos"] + batch]
        state["pos"] += batch
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()

    n, el, best, med = timed(step, seconds)
    return {"value": best * batch, "median": med * batch, "mean": n * batch / el, "unit": "samples/s", "steps": n, "seconds": el}


def w1(seconds):
    x = torch.randn(10_000, 20)
    y = (torch.rand(10_000, 1) < 0.5).float()
    model = torch.nn.Linear(20, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()

    n, el, best, med = timed(step, seconds)
    return {"value": best, "median": med, "mean": n / el, "unit": "steps/s", "steps": n, "seconds": el}


def w2(seconds):
    x = torch.randn(60_000, 784)
    y = torch.randint(0, 10, (60_000,))
    model = mlp([784, 256, 128, 10])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return minibatch_run(model, opt, torch.nn.CrossEntropyLoss(), x, y, 128, seconds)


def w3(seconds):
    x = torch.randn(10_000, 13)
    y = torch.randn(10_000, 1)
    model = mlp([13, 64, 64, 1])
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return minibatch_run(model, opt, torch.nn.MSELoss(), x, y, 32, seconds)


def w4(seconds):
    """Newton on logistic regression 10,000 × 50 (float64): autograd gradient and Hessian, solve, 20 iterations."""
    x = torch.randn(10_000, 50, dtype=torch.float64)
    y = (torch.rand(10_000, dtype=torch.float64) < 0.5).double()

    def loss(w):
        return torch.nn.functional.binary_cross_entropy_with_logits(x @ w, y)

    def run20():
        w = torch.zeros(50, dtype=torch.float64)
        for _ in range(20):
            wr = w.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(loss(wr), wr)
            h = torch.autograd.functional.hessian(loss, w)
            w = w - torch.linalg.solve(h + 1e-8 * torch.eye(50, dtype=torch.float64), g)
        return w

    n, el, best, med = timed(run20, seconds, warmup=0.5)
    return {"value": 20 * best, "median": 20 * med, "mean": 20 * n / el, "unit": "iterations/s", "runs": n, "seconds": el}


def w5(seconds):
    """The digits CNN (bench/common.ts SPEC.W5): conv2d(1→8, 3×3, padding 1) → batchnorm2d → relu → maxpool2d(2)
    → flatten → linear(128→10), cross-entropy, Adam, batch 32, over 1,797 digits-sized images (pixels 0–16)."""
    x = torch.clamp(torch.floor(torch.randn(1797, 1, 8, 8).abs() * 6), max=16)
    y = torch.arange(1797) * 31 % 10
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(128, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return minibatch_run(model, opt, torch.nn.CrossEntropyLoss(), x, y, 32, seconds)


class LastStep(torch.nn.Module):
    """LSTM(1→32) over the sequence, its output at the last step (as Descent's lstm layer with output "last")."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(1, 32, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[0][:, -1, :]


def w6(seconds):
    """W6 (SPEC.W6): LSTM(1→32) on 20-step sine windows → linear(32→1), MSE, Adam, batch 32, 10,000 windows."""
    rows, steps = 10_000, 20
    phase = torch.randn(rows, 1) * torch.pi
    freq = 0.2 + 0.05 * torch.randn(rows, 1).abs()
    t = torch.arange(steps + 1).float()
    series = torch.sin(phase + freq * t)
    x = series[:, :steps].unsqueeze(-1).contiguous()
    y = series[:, steps:].contiguous()
    model = torch.nn.Sequential(LastStep(), torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return minibatch_run(model, opt, torch.nn.MSELoss(), x, y, 32, seconds)


def gemm(dtype):
    def run(seconds):
        a = torch.randn(256, 256, dtype=dtype)
        b = torch.randn(256, 256, dtype=dtype)
        c = torch.empty(256, 256, dtype=dtype)
        n, el, best, med = timed(lambda: torch.mm(a, b, out=c), seconds)
        f = 2 * 256**3 / 1e9
        return {"value": f * best, "median": f * med, "mean": f * n / el, "unit": "GFLOPS", "calls": n, "seconds": el}

    return run


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6, "sgemm": gemm(torch.float32), "dgemm": gemm(torch.float64)}

if __name__ == "__main__":
    name = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    out = WORKLOADS[name](seconds)
    out.update(
        {
            "workload": name,
            "system": "pytorch",
            "version": torch.__version__,
            "threads": torch.get_num_threads(),
            "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )
    print(json.dumps(out))
