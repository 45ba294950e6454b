#!/usr/bin/python3
"""Reference outputs for stages/nn: every op, and two small graphs, computed
independently of the Go code (scipy.signal.correlate for convolutions,
explicit window loops for pooling, numpy for the rest), in float64 from
float32 inputs and weights.

Writes cases.json (one eigenlab nn.Arch per case, format 1) and goldens.npz
with, per case, "<case>:x" (N×C×H×W input), "<case>:y" (output of the last
node) and "<case>:<weight>" for each weight named "<node>/<param>".

Run: cd stages/nn/testdata && /usr/bin/python3 make_goldens.py
"""
import json
import math

import numpy as np
from scipy.signal import correlate

rng = np.random.default_rng(20240611)
N = 2


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def pads(size, k, s, padding):
    """TensorFlow's padding rule: (before, after, out)."""
    if padding == "valid":
        return 0, 0, (size - k) // s + 1
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2, out


def pad_image(x, node):
    kh, kw = node["kernel"]
    sh, sw = node["stride"]
    t, b, oh = pads(x.shape[1], kh, sh, node["padding"])
    l, r, ow = pads(x.shape[2], kw, sw, node["padding"])
    return np.pad(x, ((0, 0), (t, b), (l, r))), oh, ow


def conv(x, node, w, bias):
    """Grouped cross-correlation of one C×H×W image, channel by channel."""
    g = node.get("groups", 1)
    xp, oh, ow = pad_image(x, node)
    sh, sw = node["stride"]
    cout, cin_g = w.shape[0], w.shape[1]
    y = np.zeros((cout, oh, ow))
    for o in range(cout):
        grp = o // (cout // g)
        for c in range(cin_g):
            full = correlate(xp[grp * cin_g + c], w[o, c], mode="valid")
            y[o] += full[::sh, ::sw][:oh, :ow]
    if bias is not None:
        y += bias[:, None, None]
    return y


def pool(x, node, kind):
    """Pooling over the valid cells of each window (padding never counts)."""
    kh, kw = node["kernel"]
    sh, sw = node["stride"]
    t, _, oh = pads(x.shape[1], kh, sh, node["padding"])
    l, _, ow = pads(x.shape[2], kw, sw, node["padding"])
    y = np.zeros((x.shape[0], oh, ow))
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * sh - t, ox * sw - l
            win = x[:, max(y0, 0):min(y0 + kh, x.shape[1]), max(x0, 0):min(x0 + kw, x.shape[2])]
            y[:, oy, ox] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return y


def softmax(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def activate(y, act):
    if act == "relu":
        return np.maximum(y, 0)
    if act == "relu6":
        return np.clip(y, 0, 6)
    if act == "softmax":
        return softmax(y)
    return y


def run_node(node, ins, W):
    op, x = node["op"], ins[0] if ins else None
    p = lambda name: W.get(node["name"] + "/" + name)  # noqa: E731
    if op in ("conv2d", "depthwise_conv2d"):
        if op == "depthwise_conv2d":
            node = dict(node, groups=x.shape[0])
        return activate(conv(x, node, p("kernel"), p("bias")), node.get("activation", ""))
    if op in ("max_pool2d", "avg_pool2d"):
        return pool(x, node, op[:3])
    if op == "batch_norm":
        sc = p("gamma") / np.sqrt(p("var") + node["epsilon"])
        shape = (-1,) + (1,) * (x.ndim - 1)
        return (x - p("mean").reshape(shape)) * sc.reshape(shape) + p("beta").reshape(shape)
    if op == "relu":
        m = node.get("max_value", 0)
        return np.clip(x, 0, m) if m > 0 else np.maximum(x, 0)
    if op == "softmax":
        return softmax(x)
    if op == "global_avg_pool":
        return x.mean(axis=(1, 2))
    if op == "flatten":
        return x.reshape(-1)
    if op == "dense":
        y = p("kernel") @ x
        return activate(y + p("bias") if p("bias") is not None else y, node.get("activation", ""))
    if op == "add":
        return sum(ins[1:], ins[0])
    if op == "concat":
        return np.concatenate(ins, axis=0)
    if op == "zero_pad":
        t, b, l, r = node["pad"]
        return np.pad(x, ((0, 0), (t, b), (l, r)))
    raise ValueError(op)


def forward(arch, x, W):
    outs = {}
    for node in arch["nodes"]:
        if node["op"] == "input":
            outs[node["name"]] = x
        else:
            ins = [outs[i] for i in node.get("inputs", [])]
            outs[node["name"]] = run_node(node, [a.astype(np.float64) for a in ins], W)
    return outs[arch["nodes"][-1]["name"]]


def weights_for(arch, shapes):
    """Random float32 weights; BN variances positive."""
    W = {}
    for name, shape in shapes.items():
        if name.endswith("/var"):
            W[name] = (rng.uniform(0.5, 2.0, shape)).astype(np.float32)
        else:
            W[name] = f32(*shape, scale=0.5)
    return W


def win(name, op, inp, k, s, padding, **kw):
    return dict(name=name, op=op, inputs=[inp], kernel=list(k), stride=list(s), padding=padding, **kw)


def single(case, c, h, w, node, shapes):
    arch = {"format": 1, "name": case, "nodes": [dict(name="input", op="input", channels=c), node]}
    return case, arch, (c, h, w), shapes


def conv_case(case, cin, cout, h, w, k, s, padding, groups=1, bias=False, act=""):
    node = win("layer", "conv2d", "input", k, s, padding, channels=cout)
    if groups > 1:
        node["groups"] = groups
    if bias:
        node["bias"] = True
    if act:
        node["activation"] = act
    shapes = {"layer/kernel": (cout, cin // groups) + tuple(k)}
    if bias:
        shapes["layer/bias"] = (cout,)
    return single(case, cin, h, w, node, shapes)


def dw_case(case, c, mult, h, w, k, s, padding, bias=False):
    node = win("layer", "depthwise_conv2d", "input", k, s, padding)
    if mult > 1:
        node["multiplier"] = mult
    shapes = {"layer/kernel": (c * mult, 1) + tuple(k)}
    if bias:
        node["bias"] = True
        shapes["layer/bias"] = (c * mult,)
    return single(case, c, h, w, node, shapes)


def graph_case():
    """A small DAG with every multi-input op: a MobileNet-style stem, an
    Inception-style block, a residual add, and a dense softmax head."""
    nodes = [
        dict(name="input", op="input", channels=3),
        dict(name="pad", op="zero_pad", inputs=["input"], pad=[0, 1, 0, 1]),
        win("stem", "conv2d", "pad", (3, 3), (2, 2), "valid", channels=8),
        dict(name="stem_bn", op="batch_norm", inputs=["stem"], epsilon=1e-3),
        dict(name="stem_relu", op="relu", inputs=["stem_bn"], max_value=6.0),
        win("dw", "depthwise_conv2d", "stem_relu", (3, 3), (1, 1), "same", bias=True, activation="relu6"),
        win("b1", "conv2d", "dw", (1, 1), (1, 1), "valid", channels=4, activation="relu"),
        win("b2", "conv2d", "dw", (1, 3), (1, 1), "same", channels=4, bias=True),
        win("b3", "avg_pool2d", "dw", (3, 3), (1, 1), "same"),
        dict(name="mix", op="concat", inputs=["b1", "b2", "b3"]),
        win("proj", "conv2d", "mix", (1, 1), (1, 1), "same", channels=8),
        dict(name="res", op="add", inputs=["proj", "stem_relu"]),
        win("down", "max_pool2d", "res", (3, 3), (2, 2), "same"),
        dict(name="flat", op="flatten", inputs=["down"]),
        dict(name="fc", op="dense", inputs=["flat"], channels=6, bias=True, activation="relu"),
        dict(name="fc_bn", op="batch_norm", inputs=["fc"], epsilon=1e-5),
        dict(name="head", op="dense", inputs=["fc_bn"], channels=5, activation="softmax"),
    ]
    shapes = {"stem/kernel": (8, 3, 3, 3), "dw/kernel": (8, 1, 3, 3), "dw/bias": (8,),
              "b1/kernel": (4, 8, 1, 1), "b2/kernel": (4, 8, 1, 3), "b2/bias": (4,),
              "proj/kernel": (8, 16, 1, 1), "fc/kernel": (6, 8 * 5 * 5), "fc/bias": (6,),
              "head/kernel": (5, 6)}
    for bn, c in (("stem_bn", 8), ("fc_bn", 6)):
        for p in ("gamma", "beta", "mean", "var"):
            shapes[f"{bn}/{p}"] = (c,)
    return "graph", {"format": 1, "name": "graph", "nodes": nodes}, (3, 19, 19), shapes


def other(case, op, c, h, w, shapes=None, **kw):
    return single(case, c, h, w, dict(name="layer", op=op, inputs=["input"], **kw), shapes or {})


CASES = [
    conv_case("conv_same", 3, 5, 8, 7, (3, 3), (1, 1), "same", bias=True),
    conv_case("conv_same_s2_odd", 4, 6, 9, 9, (3, 3), (2, 2), "same"),
    conv_case("conv_same_s2_even", 4, 6, 10, 8, (3, 3), (2, 2), "same", act="relu"),
    conv_case("conv_valid_5x5", 3, 4, 9, 9, (5, 5), (1, 1), "valid"),
    conv_case("conv_valid_s2", 3, 4, 7, 8, (3, 3), (2, 2), "valid", act="relu6"),
    conv_case("conv_1x7", 4, 6, 11, 11, (1, 7), (1, 1), "same"),
    conv_case("conv_7x1_s2", 4, 3, 12, 9, (7, 1), (2, 1), "same"),
    conv_case("conv_groups", 6, 4, 8, 8, (3, 3), (1, 1), "same", groups=2, bias=True),
    conv_case("conv_pointwise", 8, 5, 6, 6, (1, 1), (1, 1), "valid"),
    conv_case("conv_1x1_s2", 3, 4, 9, 9, (1, 1), (2, 2), "valid"),
    conv_case("conv_softmax", 3, 4, 5, 5, (3, 3), (1, 1), "same", act="softmax"),
    dw_case("dw_same", 4, 1, 9, 9, (3, 3), (1, 1), "same", bias=True),
    dw_case("dw_mult2_s2", 3, 2, 10, 10, (3, 3), (2, 2), "same"),
    dw_case("dw_valid_5x5_s2", 2, 1, 8, 8, (5, 5), (2, 2), "valid"),
    other("max_valid", "max_pool2d", 3, 8, 8, kernel=[2, 2], stride=[2, 2], padding="valid"),
    other("max_same", "max_pool2d", 3, 9, 9, kernel=[3, 3], stride=[2, 2], padding="same"),
    other("avg_same", "avg_pool2d", 3, 7, 6, kernel=[3, 3], stride=[1, 1], padding="same"),
    other("avg_valid", "avg_pool2d", 2, 8, 9, kernel=[2, 3], stride=[2, 3], padding="valid"),
    other("batch_norm", "batch_norm", 5, 4, 4, {f"layer/{p}": (5,) for p in ("gamma", "beta", "mean", "var")}, epsilon=1e-3),
    other("relu6", "relu", 3, 4, 4, max_value=6.0),
    other("softmax", "softmax", 4, 3, 3),
    other("gap", "global_avg_pool", 4, 5, 3),
    other("zero_pad", "zero_pad", 2, 4, 3, pad=[1, 2, 0, 3]),
    graph_case(),
]


def main():
    cases, arrays = [], {}
    for case, arch, (c, h, w), shapes in CASES:
        W = weights_for(arch, shapes)
        scale = 4.0 if case == "relu6" else 1.0
        x = f32(N, c, h, w, scale=scale)
        y = np.stack([forward(arch, x[i].astype(np.float64), {k: v.astype(np.float64) for k, v in W.items()}) for i in range(N)])
        arrays[f"{case}:x"], arrays[f"{case}:y"] = x, y
        for k, v in W.items():
            arrays[f"{case}:{k}"] = v
        cases.append({"name": case, "arch": arch})
        assert math.isfinite(float(np.abs(y).max()))
    with open("cases.json", "w") as f:
        json.dump(cases, f, indent=1)
    np.savez("goldens.npz", **arrays)


if __name__ == "__main__":
    main()
