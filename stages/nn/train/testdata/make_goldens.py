#!/usr/bin/python3
"""Goldens for stages/nn/train from PyTorch autograd (Debian python3-torch, CPU, float64 and float32).

Run from this directory:  /usr/bin/python3 make_goldens.py
Every case saves its inputs (x, y, weights in torch layout) and torch's outputs:
  <case>_x, <case>_y                  batch and int64 labels
  <case>_p<i>                         parameter i in torch's parameters() order (before training)
  <case>_logits, <case>_loss          forward values (loss: mean cross-entropy [+ weight·reg])
  <case>_g<i>, <case>_gx              gradient of the loss wrt parameter i and wrt the input
Cases: mlp (2 hidden layers), cnn (conv3x3-relu-pool ×2, dense-relu, dense; 15×15 input so the
pool floors), reg (1-hidden MLP + the spectral regulariser of METHODS §4, a port of
eigen_val_regulate in josuenassar/power_law ModelDefs/utils.py), sgd/adam/amsgrad (10 steps on
fresh batches: <case>_b<t>_x/_y, final weights <case>_w<i>), attacks on the mlp model
(fgsm, pgd_linf, pgd_l2), and lr schedules.
"""
import math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
rng = np.random.default_rng(5)


def save(name, a):
    a = a.detach().numpy() if torch.is_tensor(a) else np.asarray(a)
    np.save(f"{name}.npy", np.ascontiguousarray(a))


def mlp(dims):
    layers = []
    for a, b in zip(dims[:-2], dims[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(dims[-2], dims[-1]))


def cnn(c, chans, flat, hidden, classes):
    layers = []
    for a, b in zip([c] + chans[:-1], chans):
        layers += [nn.Conv2d(a, b, 3), nn.ReLU(), nn.MaxPool2d(2, 2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def batch(n, shape, classes, normal=False):
    x = torch.tensor(rng.standard_normal((n,) + shape) if normal else rng.uniform(0, 1, (n,) + shape))
    x = x.to(torch.get_default_dtype())
    y = torch.tensor(rng.integers(0, classes, n))
    return x, y


def spectral_penalty(h, v, start, slope):
    """eigen_val_regulate of the reference, eigT=None: batch covariance /(N-1), diag(vᵀΣv),
    sorted descending, β from rank `start` without gradient, ranks start+1.. with λ > 0, /D."""
    xt = h - torch.mean(h, 0)
    cov = xt.transpose(1, 0) @ xt / (h.shape[0] - 1)
    cov = (cov + cov.transpose(1, 0)) / 2
    eig = torch.diag(v.transpose(1, 0) @ cov @ v)
    eigs = torch.sort(eig, descending=True)[0]
    regul = torch.zeros(1)
    with torch.no_grad():
        beta = eigs[start] * (start + 1) ** slope
    for n in range(start + 1, eigs.shape[0]):
        if eigs[n] > 0:
            gamma = beta / ((n + 1) ** slope)
            regul += (eigs[n] / gamma - 1) ** 2 + torch.relu(eigs[n] / gamma - 1)
    return regul[0] / h.shape[1], eigs


def basis(h):
    """Eigenvectors of the full-set hidden covariance (centered, /N), as compute_eig_vectors_only."""
    ht = h - torch.mean(h, 0)
    cov = ht.transpose(1, 0) @ ht / ht.shape[0]
    cov = (cov + cov.transpose(1, 0)) / 2
    return torch.linalg.eigh(cov)[1]


REG = dict(start=3, slope=1.5, weight=0.7)


def reg_loss(model, x, y, v):
    h = model[:2](x)
    logits = model[2:](h)
    pen, _ = spectral_penalty(h, v, REG["start"], REG["slope"])
    return F.cross_entropy(logits, y) + REG["weight"] * pen, logits, pen


def grads_case(name, model, x, y, loss_fn=None):
    for i, p in enumerate(model.parameters()):
        save(f"{name}_p{i}", p)
    x = x.clone().requires_grad_(True)
    if loss_fn is None:
        logits = model(x)
        loss = F.cross_entropy(logits, y)
    else:
        loss, logits = loss_fn(x)
    loss.backward()
    save(f"{name}_x", x)
    save(f"{name}_y", y)
    save(f"{name}_logits", logits)
    save(f"{name}_loss", loss.reshape(1))
    for i, p in enumerate(model.parameters()):
        save(f"{name}_g{i}", p.grad)
    save(f"{name}_gx", x.grad)


def run(p):
    """The layer, regulariser and optimiser cases in torch's default dtype, names prefixed by p."""
    # Layer cases.
    m = mlp([12, 16, 16, 5])
    x, y = batch(8, (12,), 5)
    grads_case(p + "mlp", m, x, y)

    c = cnn(2, [3, 4], 4 * 2 * 2, 10, 5)
    x, y = batch(6, (2, 15, 15), 5)
    grads_case(p + "cnn", c, x, y)

    # Regulariser: D = 24 hidden units, basis from a 200-sample "training set", batch of 60.
    r = mlp([10, 24, 5])
    full, _ = batch(200, (10,), 5, normal=True)
    with torch.no_grad():
        v = basis(r[:2](full))
    save(p + "reg_full", full)
    save(p + "reg_v", v)
    x, y = batch(60, (10,), 5, normal=True)
    with torch.no_grad():
        pen, eigs = spectral_penalty(r[:2](x), v, REG["start"], REG["slope"])
    save(p + "reg_penalty", pen.reshape(1))
    save(p + "reg_eigs", eigs)

    def reg_fn(x):
        loss, logits, _ = reg_loss(r, x, y, v)
        return loss, logits

    grads_case(p + "reg", r, x, y, reg_fn)

    # Optimisers: 10 steps, each on a fresh batch; the adam case adds the regulariser.
    def steps(name, model, opt, shape, classes, loss_fn):
        for i, p in enumerate(model.parameters()):
            save(f"{name}_p{i}", p)
        for t in range(10):
            x, y = batch(16, shape, classes)
            save(f"{name}_b{t}_x", x)
            save(f"{name}_b{t}_y", y)
            opt.zero_grad()
            loss_fn(model, x, y).backward()
            opt.step()
        for i, p in enumerate(model.parameters()):
            save(f"{name}_w{i}", p)

    ce = lambda model, x, y: F.cross_entropy(model(x), y)
    m = cnn(1, [3], 3 * 4 * 4, 8, 4)
    steps(p + "sgd", m, torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3), (1, 10, 10), 4, ce)
    m = mlp([10, 24, 5])
    with torch.no_grad():
        v = basis(m[:2](full))
    save(p + "adam_v", v)
    regce = lambda model, x, y: reg_loss(model, x, y, v)[0]
    steps(p + "adam", m, torch.optim.Adam(m.parameters(), lr=0.01, weight_decay=1e-3), (10,), 5, regce)
    m = mlp([12, 16, 5])
    steps(p + "amsgrad", m, torch.optim.Adam(m.parameters(), lr=0.01, betas=(0.8, 0.99), eps=1e-6, amsgrad=True), (12,), 5, ce)
    m = mlp([12, 16, 5])
    steps(p + "nesterov", m, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.8, dampening=0, nesterov=True, weight_decay=1e-2), (12,), 5, ce)


run("")


# Attacks on the first mlp model (cross-entropy mean loss; the sign or direction of its input gradient).
m = mlp([12, 16, 16, 5])
for i, p in enumerate(m.parameters()):
    save(f"atk_p{i}", p)
x, y = batch(8, (12,), 5)
save("atk_x", x)
save("atk_y", y)


def input_grad(x):
    x = x.clone().requires_grad_(True)
    F.cross_entropy(m(x), y).backward()
    return x.grad


EPS, STEP = 0.1, 0.03
save("atk_fgsm", torch.clamp(x + EPS * torch.sign(input_grad(x)), 0, 1))
a = x.clone()
for _ in range(5):
    a = a + STEP * torch.sign(input_grad(a))
    a = torch.clamp(torch.min(torch.max(a, x - EPS), x + EPS), 0, 1)
save("atk_pgd_linf", a)
EPS2, STEP2 = 0.5, 0.2
a = x.clone()
for _ in range(5):
    g = input_grad(a)
    a = a + STEP2 * g / g.norm(dim=1, keepdim=True)
    d = a - x
    d = d * torch.clamp(EPS2 / d.norm(dim=1, keepdim=True), max=1)
    a = torch.clamp(x + d, 0, 1)
save("atk_pgd_l2", a)

# LR schedules over 12 epochs (scheduler stepped once per epoch).
def lrs(sched_fn):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    s = sched_fn(opt)
    out = []
    for _ in range(12):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    return np.array(out)


save("lr_step", lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.3)))
save("lr_cosine", lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=12, eta_min=1e-3)))

# The same cases in float32 from the same seeds.
torch.set_default_dtype(torch.float32)
torch.manual_seed(0)
rng = np.random.default_rng(5)
run("f32_")
