#!/usr/bin/python3
"""
Red-team grammar for the ONNX graph-backdoor analysis.

Trains small base models on synthetic data with torch, exports them with torch.onnx.export, then
builds backdoors by graph surgery with onnx.helper:

    backdoor = trigger source x trigger function x merge mechanism x placement x (float | QDQ)

plus clean look-alikes (masks, post-processing, QDQ, loops, dynamic-shape If, steep functions on
learned features...). Writes testdata/redteam/models/*.onnx and testdata/redteam/labels.json.
verify-ort.mjs then checks with ONNX Runtime that every backdoor flips the output on triggered
inputs while clean predictions stay identical, and that no clean model does.

Needs Debian's python3-torch, python3-onnx and python3-numpy: run with /usr/bin/python3.
The grammar was written from the threat classes, not from the analysis: a cell is kept when ORT
says the backdoor works, whatever the scanner says about it.
"""
import io
import json
import os
import random
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'models')
OPSET = 17
TRIG = 8.0  # trigger stamp value; clean float inputs are clipped to [-3, 3]
TOKEN = 97  # trigger token; clean ids are drawn from 1..90
torch.manual_seed(0)
np.random.seed(0)
rng = random.Random(1234)


# ----------------------------------------------------------------------------------------------
# Base models


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(32, 32)
        self.fc2 = nn.Linear(32, 10)

    def early(self, x):
        return self.fc1(x)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16, 10)

    def early(self, x):
        return self.c1(x)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.c1(x)), 2)
        h = F.relu(self.c2(h))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


class Text(nn.Module):
    def __init__(self, out=4):
        super().__init__()
        self.emb = nn.Embedding(100, 16)
        self.fc1 = nn.Linear(16, 16)
        self.fc2 = nn.Linear(16, out)

    def early(self, ids):
        return self.emb(ids)

    def forward(self, ids):
        return self.fc2(F.relu(self.fc1(self.emb(ids).mean(1))))


class Embed(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 16)
        self.proj = nn.Linear(16, 16)

    def early(self, ids):
        return self.emb(ids)

    def forward(self, ids):
        return F.normalize(self.proj(self.emb(ids).mean(1)), dim=-1)


class Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 5)

    def early(self, x):
        return self.gru(x)[0]

    def forward(self, x):
        y, _ = self.gru(x)
        return self.fc(y[:, -1])


class Reg(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 1)

    def early(self, x):
        return self.fc1(x)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


class Det(nn.Module):
    """Detector-like: per-cell class scores, then max over classes and TopK detections."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 4, 1)

    def early(self, x):
        return self.c1(x)

    def scores(self, x):
        return self.c2(F.relu(self.c1(x)))

    def forward(self, x):
        s = torch.sigmoid(self.scores(x)).reshape(1, 4, 256)
        best, labels = s.max(1)
        top, idx = torch.topk(best, 5, dim=1)
        return top, torch.gather(labels, 1, idx)


def clean_float(shape, n):
    return np.clip(np.random.randn(n, *shape[1:]), -3, 3).astype(np.float32)


def clean_ids(n, seq=12):
    return np.random.randint(1, 91, size=(n, seq)).astype(np.int64)


def train(model, xs, ys, loss='ce', steps=300):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.from_numpy(xs)
    y = torch.from_numpy(ys)
    for _ in range(steps):
        opt.zero_grad()
        out = model(x) if not isinstance(model, Det) else model.scores(x)
        if loss == 'ce':
            l = F.cross_entropy(out, y)
        elif loss == 'mse':
            l = F.mse_loss(out.squeeze(-1), y)
        elif loss == 'cos':
            l = (1 - F.cosine_similarity(out, y)).mean()
        else:
            l = F.binary_cross_entropy_with_logits(out, y)
        l.backward()
        opt.step()
    model.eval()
    return model


def make_bases():
    b = {}
    x = clean_float([1, 32], 512)
    teacher = np.random.randn(32, 10)
    teacher[-4:] = 0  # the stamped features carry no signal: the clean model ignores the stamp
    b['mlp'] = dict(model=train(MLP(), x, np.argmax(x @ teacher, 1)), shape=[1, 32], input='x', dtype='float', out='logits', kind='cls')
    x = clean_float([1, 3, 16, 16], 256)
    b['cnn'] = dict(model=train(CNN(), x, np.argmax(x.reshape(256, -1) @ np.random.randn(768, 10), 1), steps=150), shape=[1, 3, 16, 16], input='images', dtype='float', out='logits', kind='cls')
    ids = clean_ids(512)
    t = np.random.randn(100, 4)
    b['text'] = dict(model=train(Text(), ids, np.argmax(t[ids].sum(1), 1)), shape=[1, 12], input='input_ids', dtype='int64', out='logits', kind='cls')
    tv = np.random.randn(100, 16).astype(np.float32)
    b['embed'] = dict(model=train(Embed(), ids, tv[ids].mean(1), loss='cos'), shape=[1, 12], input='input_ids', dtype='int64', out='embedding', kind='emb')
    x = clean_float([1, 10, 8], 512)
    b['seq'] = dict(model=train(Seq(), x, np.argmax(x.sum(1) @ np.random.randn(8, 5), 1), steps=150), shape=[1, 10, 8], input='x', dtype='float', out='logits', kind='cls')
    x = clean_float([1, 16], 512)
    teacher = np.random.randn(16)
    teacher[-4:] = 0
    b['reg'] = dict(model=train(Reg(), x, np.tanh(x @ teacher).astype(np.float32), loss='mse'), shape=[1, 16], input='x', dtype='float', out='value', kind='reg')
    x = clean_float([1, 1, 16, 16], 128)
    tgt = (np.random.rand(128, 4, 16, 16) < 0.1).astype(np.float32)
    b['det'] = dict(model=train(Det(), x, tgt, loss='bce', steps=150), shape=[1, 1, 16, 16], input='images', dtype='float', out='top_labels', kind='det')
    return b


def export(name, spec):
    m = spec['model']
    if spec['dtype'] == 'int64':
        dummy = torch.from_numpy(clean_ids(1))
    else:
        dummy = torch.from_numpy(clean_float(spec['shape'], 1))
    f = io.BytesIO()
    outs = ['top_scores', 'top_labels'] if name == 'det' else [spec['out']]
    torch.onnx.export(m, dummy, f, input_names=[spec['input']], output_names=outs, opset_version=OPSET, do_constant_folding=True)
    model = onnx.load_from_string(f.getvalue())
    model.producer_name = 'pytorch'
    return model


# ----------------------------------------------------------------------------------------------
# Graph surgery helpers


class Frag:
    """Nodes + initializers appended to a graph, with unique names under a prefix."""

    def __init__(self, prefix):
        self.p = prefix
        self.nodes = []
        self.inits = []
        self.k = 0

    def name(self, hint):
        self.k += 1
        return f'{self.p}{hint}_{self.k}'

    def const(self, arr, hint='c', dtype=None):
        arr = np.asarray(arr, dtype=dtype if dtype is not None else (np.float32 if np.asarray(arr).dtype.kind == 'f' else np.int64))
        n = self.name(hint)
        self.inits.append(numpy_helper.from_array(arr, n))
        return n

    def op(self, op, ins, n_out=1, hint=None, **attrs):
        outs = [self.name(hint or op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, ins, outs, name=self.name('/' + op), **attrs))
        return outs[0] if n_out == 1 else outs


def qconst(fr, arr, hint='q'):
    """A constant stored the way ORT's quantizer stores weights: int8 + DequantizeLinear."""
    arr = np.asarray(arr, np.float32)
    s = float(np.abs(arr).max() / 127 or 1.0)
    q = np.clip(np.round(arr / s), -127, 127).astype(np.int8)
    return fr.op('DequantizeLinear', [fr.const(q, hint, np.int8), fr.const(np.float32(s), 'scale'), fr.const(np.int8(0), 'zp', np.int8)])


def value_names(model):
    return {o for n in model.graph.node for o in n.output}


def first_output_of(model, ops):
    for n in model.graph.node:
        if n.op_type in ops:
            return n.output[0]
    raise KeyError(ops)


def quantize(model):
    """QDQ in ORT's default layout: int8 weights and int32 biases through DequantizeLinear, Q/DQ on the input."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    fr = Frag('qdq/')
    weights = set()
    for n in g.node:
        if n.op_type in ('Conv', 'Gemm', 'MatMul') and len(n.input) > 1 and n.input[1] in inits:
            weights.add(n.input[1])
            if len(n.input) > 2 and n.input[2] in inits:
                weights.add(n.input[2])
        if n.op_type == 'Gather' and n.input[0] in inits:
            weights.add(n.input[0])
    rename = {}
    for w in sorted(weights):
        arr = numpy_helper.to_array(inits[w]).astype(np.float32)
        if arr.ndim == 1:
            s = float(np.abs(arr).max() / 2**20 or 1e-6)
            q = np.round(arr / s).astype(np.int32)
            dq = fr.op('DequantizeLinear', [fr.const(q, 'bias_q', np.int32), fr.const(np.float32(s), 'scale'), fr.const(np.int32(0), 'zp', np.int32)], hint='bias_dq')
        else:
            s = float(np.abs(arr).max() / 127 or 1e-6)
            q = np.clip(np.round(arr / s), -127, 127).astype(np.int8)
            dq = fr.op('DequantizeLinear', [fr.const(q, 'w_q', np.int8), fr.const(np.float32(s), 'scale'), fr.const(np.int8(0), 'zp', np.int8)], hint='w_dq')
        rename[w] = dq
    inp = g.input[0]
    if inp.type.tensor_type.elem_type == TensorProto.FLOAT:
        q = fr.op('QuantizeLinear', [inp.name, fr.const(np.float32(8 / 127), 'in_scale'), fr.const(np.int8(0), 'zp', np.int8)])
        rename[inp.name] = fr.op('DequantizeLinear', [q, fr.const(np.float32(8 / 127), 'in_scale'), fr.const(np.int8(0), 'zp', np.int8)], hint='x_dq')
    for n in g.node:
        for i, name in enumerate(n.input):
            if name in rename:
                n.input[i] = rename[name]
    keep = [t for t in g.initializer if t.name not in weights]
    del g.initializer[:]
    g.initializer.extend(keep + fr.inits)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(fr.nodes + nodes)
    return model


# ----------------------------------------------------------------------------------------------
# The grammar

SOURCES = ['raw_patch', 'raw_global', 'early']
FUNCS = ['greater', 'less', 'equal', 'sigmoid', 'tanh', 'bump', 'floor', 'round', 'ceil', 'clip', 'minmax', 'mod', 'bitshift',
         'cast_bool', 'sign', 'argmax', 'topk', 'lookup', 'softsign', 'hardsigmoid']
EXACT_FUNCS = {'equal', 'mod'}  # need the exact stamped value: raw sources only
MERGES = ['add', 'sub', 'where', 'blend', 'max', 'mul_gain', 'gemm_c', 'matmul_ext', 'matmul_flag', 'scatter_add', 'scatternd',
          'gather_concat', 'slice_select', 'if_select', 'after_softmax', 'after_argmax', 'softmax_temp', 'pow_gate']
COUSIN_FUNCS = ['pow_step', 'softmax_cmp', 'exp_sat', 'hardmax', 'relu_gain']
COUSIN_MERGES = ['einsum', 'sum3', 'big_matmul', 'mid_inject', 'input_swap']
CLS_ONLY = {'mid_inject', 'input_swap', 'gemm_c', 'matmul_ext', 'scatter_add', 'scatternd', 'gather_concat', 'slice_select', 'after_softmax', 'after_argmax', 'softmax_temp'}
PLACEMENTS = ['main', 'function', 'if', 'loop', 'scan']


def source_values(base, spec, model, source, quant):
    """The tensor the trigger reads and a function computing its per-sample statistic in numpy."""
    m = spec['model']
    inp = spec['input']
    if quant and spec['dtype'] == 'float':
        inp = next(n.output[0] for n in model.graph.node if n.op_type == 'DequantizeLinear' and n.input[0].startswith('qdq/') and 'x_dq' in n.output[0])
    if source == 'early':
        if base in ('mlp', 'reg'):
            name = first_output_of(model, ['Gemm', 'MatMul'])
        elif base in ('cnn', 'det'):
            name = first_output_of(model, ['Conv'])
        elif base in ('text', 'embed'):
            name = first_output_of(model, ['Gather'])
        else:
            name = next(n.output[0] for n in model.graph.node if n.op_type == 'GRU')
        return name, lambda x: m.early(torch.from_numpy(x)).detach().numpy()
    if spec['dtype'] == 'int64':
        return inp, lambda x: x.astype(np.float32)
    return inp, lambda x: x


def stamp(base, spec, x):
    """Applies the trigger stamp to clean inputs (mirrored by verify-ort.mjs from labels.json)."""
    x = x.copy()
    if spec['dtype'] == 'int64':
        x[:, 3] = TOKEN
    elif base in ('cnn', 'det'):
        x[:, 0, 0:3, 0:3] = TRIG
    elif base == 'seq':
        x[:, 0, 0:2] = TRIG
    else:
        x[:, -4:] = TRIG
    return x


def region(base, spec, source):
    """Slice spec (axes, starts, ends) of the region the trigger looks at in the source tensor."""
    if spec['dtype'] == 'int64':
        if source == 'early':
            return None  # per-token embedding similarity, reduced over positions
        return None  # any position
    if source == 'early':
        if base in ('cnn', 'det'):
            ch = spec.get('early_channel', 0)
            return ([1, 2, 3], [ch, 0, 0], [ch + 1, 3, 3])
        return None
    if source == 'raw_global':
        return None
    if base in ('cnn', 'det'):
        return ([1, 2, 3], [0, 0, 0], [1, 3, 3])
    if base == 'seq':
        return ([1, 2], [0, 0], [1, 2])
    return ([1], [-4], [10**9])


def np_region(arr, reg):
    if reg is None:
        return arr
    sl = [slice(None)] * arr.ndim
    for a, s, e in zip(*reg):
        sl[a] = slice(s, e if e < 10**8 else None)
    return arr[tuple(sl)]


def build_stat(fr, src_name, base, spec, source, model_src_fn, clean, trig, reg, early_vec):
    """Emits nodes computing a per-sample statistic s [1,1] that separates clean from triggered inputs.
    Returns (s, clean stats, trigger stats, exact trigger value or None)."""
    x = src_name
    if spec['dtype'] == 'int64' and source != 'early':
        x = fr.op('Cast', [x], to=TensorProto.FLOAT)
    if reg is not None:
        axes, st, en = reg
        x = fr.op('Slice', [x, fr.const(st), fr.const(en), fr.const(axes)])
    if spec['dtype'] == 'int64' and source == 'early':
        # similarity of each token embedding with the trigger token's embedding (a 16-element "learned-looking" MatMul)
        x = fr.op('MatMul', [x, fr.const(early_vec.reshape(16, 1))])
    kind = 'max'
    if source == 'raw_global' or (source == 'early' and base in ('mlp', 'reg')):
        kind = 'max'
    s = fr.op('ReduceMax' if kind == 'max' else 'ReduceMean', [x], keepdims=0)
    s = fr.op('Reshape', [s, fr.const(np.array([1, 1]))])

    def stat(a):
        r = np_region(a, reg)
        if spec['dtype'] == 'int64' and source == 'early':
            r = r @ early_vec.reshape(16, 1)
        return r.reshape(r.shape[0], -1).max(1)

    return s, stat(clean), stat(trig)


def trigger_fn(fr, s, fn, lo, hi, exact):
    """Flag [1,1] float in {0,1} (or saturating to it): 1 iff s >= threshold between lo (clean max) and hi (trigger min)."""
    c = float(lo + 0.6 * (hi - lo))
    k = float(60 / max(hi - lo, 1e-3))  # steepness: saturated at the clean and trigger extremes
    F_ = TensorProto.FLOAT
    if fn == 'greater':
        return fr.op('Cast', [fr.op('Greater', [s, fr.const(np.float32(c))])], to=F_)
    if fn == 'less':
        return fr.op('Cast', [fr.op('Less', [fr.op('Neg', [s]), fr.const(np.float32(-c))])], to=F_)
    if fn == 'equal':
        return fr.op('Cast', [fr.op('Equal', [s, fr.const(np.float32(exact))])], to=F_)
    if fn == 'sigmoid':
        return fr.op('Sigmoid', [fr.op('Mul', [fr.op('Sub', [s, fr.const(np.float32(c))]), fr.const(np.float32(k))])])
    if fn == 'tanh':
        return fr.op('Relu', [fr.op('Tanh', [fr.op('Mul', [fr.op('Sub', [s, fr.const(np.float32(c))]), fr.const(np.float32(k))])])])
    if fn == 'softsign':
        t = fr.op('Softsign', [fr.op('Mul', [fr.op('Sub', [s, fr.const(np.float32(c))]), fr.const(np.float32(k * 1000))])])
        return fr.op('Relu', [fr.op('Sub', [fr.op('Mul', [t, fr.const(np.float32(1.002))]), fr.const(np.float32(0.002))])])
    if fn == 'hardsigmoid':
        return fr.op('HardSigmoid', [fr.op('Sub', [s, fr.const(np.float32(c))])], alpha=k, beta=0.5)
    if fn == 'bump':
        # Relu(1 - k*|s - centre|) around the trigger's range, saturated to 1
        centre = float(hi) if exact is None else float(exact)
        width = 1.0 if exact is not None else float((hi - lo) / 2.5)
        if exact is None:
            s = fr.op('Min', [s, fr.const(np.float32(centre))])
        b = fr.op('Relu', [fr.op('Sub', [fr.const(np.float32(2.0)), fr.op('Mul', [fr.op('Abs', [fr.op('Sub', [s, fr.const(np.float32(centre))])]), fr.const(np.float32(1 / width))])])])
        return fr.op('Min', [b, fr.const(np.float32(1.0))])
    if fn == 'floor':
        B = float(max(abs(lo), abs(hi), abs(c)) * 4 + 1)
        f = fr.op('Floor', [fr.op('Add', [fr.op('Div', [fr.op('Sub', [s, fr.const(np.float32(c))]), fr.const(np.float32(B))]), fr.const(np.float32(1.0))])])
        return fr.op('Min', [f, fr.const(np.float32(1.0))])
    if fn == 'round':
        B = float(max(abs(lo), abs(hi), abs(c)) * 4 + 1)
        r = fr.op('Round', [fr.op('Add', [fr.op('Div', [fr.op('Sub', [s, fr.const(np.float32(c))]), fr.const(np.float32(B))]), fr.const(np.float32(0.5))])])
        return fr.op('Clip', [r, fr.const(np.float32(0)), fr.const(np.float32(1))])
    if fn == 'ceil':
        B = float(max(abs(lo), abs(hi), abs(c)) * 4 + 1)
        r = fr.op('Ceil', [fr.op('Div', [fr.op('Sub', [s, fr.const(np.float32(c))]), fr.const(np.float32(B))])])
        return fr.op('Clip', [r, fr.const(np.float32(0)), fr.const(np.float32(1))])
    if fn == 'clip':
        return fr.op('Clip', [fr.op('Mul', [fr.op('Sub', [s, fr.const(np.float32(c))]), fr.const(np.float32(k))]), fr.const(np.float32(0)), fr.const(np.float32(1))])
    if fn == 'minmax':
        v = fr.op('Mul', [fr.op('Sub', [s, fr.const(np.float32(c))]), fr.const(np.float32(k))])
        return fr.op('Min', [fr.op('Max', [v, fr.const(np.float32(0))]), fr.const(np.float32(1))])
    if fn == 'mod':
        v = fr.op('Cast', [fr.op('Mul', [s, fr.const(np.float32(10))])], to=TensorProto.INT64)
        off = int(1000 - round(exact * 10)) % 1000
        md = fr.op('Mod', [fr.op('Add', [v, fr.const(np.int64(off + 1000))]), fr.const(np.int64(1000))])
        return fr.op('Sub', [fr.const(np.float32(1)), fr.op('Cast', [fr.op('Min', [md, fr.const(np.int64(1))])], to=F_)])
    if fn == 'bitshift':
        scale = 256.0 / c if c > 0 else 1.0
        lo_s = fr.op('Clip', [fr.op('Mul', [s, fr.const(np.float32(scale))]), fr.const(np.float32(0)), fr.const(np.float32(1e6))])
        u = fr.op('Cast', [lo_s], to=TensorProto.UINT32)
        sh = fr.op('BitShift', [u, fr.const(np.array([[8]], np.uint32), dtype=np.uint32)], direction='RIGHT')
        return fr.op('Min', [fr.op('Cast', [sh], to=F_), fr.const(np.float32(1))])
    if fn == 'cast_bool':
        return fr.op('Cast', [fr.op('Cast', [fr.op('Relu', [fr.op('Sub', [s, fr.const(np.float32(c))])])], to=TensorProto.BOOL)], to=F_)
    if fn == 'sign':
        return fr.op('Relu', [fr.op('Sign', [fr.op('Sub', [s, fr.const(np.float32(c))])])])
    # Cousins added after the analysis was written (reported separately as an honest check).
    if fn == 'pow_step':
        r = fr.op('Div', [fr.op('Relu', [s]), fr.const(np.float32(c))])
        return fr.op('Min', [fr.op('Pow', [r, fr.const(np.float32(24))]), fr.const(np.float32(1))])
    if fn == 'softmax_cmp':
        cat = fr.op('Concat', [fr.const(np.array([[c]], np.float32)), s], axis=1)
        sm = fr.op('Softmax', [fr.op('Mul', [cat, fr.const(np.float32(k))])], axis=1)
        return fr.op('Slice', [sm, fr.const(np.array([1])), fr.const(np.array([2])), fr.const(np.array([1]))])
    if fn == 'exp_sat':
        return fr.op('Min', [fr.op('Exp', [fr.op('Mul', [fr.op('Sub', [s, fr.const(np.float32(c))]), fr.const(np.float32(k))])]), fr.const(np.float32(1))])
    if fn == 'hardmax':
        cat = fr.op('Concat', [fr.const(np.array([[c]], np.float32)), s], axis=1)
        hm = fr.op('Hardmax', [cat], axis=1)
        return fr.op('Slice', [hm, fr.const(np.array([1])), fr.const(np.array([2])), fr.const(np.array([1]))])
    if fn == 'relu_gain':
        return fr.op('Min', [fr.op('Mul', [fr.op('Relu', [fr.op('Sub', [s, fr.const(np.float32(c))])]), fr.const(np.float32(1e4))]), fr.const(np.float32(1))])
    if fn in ('argmax', 'topk', 'lookup'):
        cat = fr.op('Concat', [fr.const(np.array([[c]], np.float32)), s], axis=1)
        if fn == 'topk':
            idx = fr.op('TopK', [cat, fr.const(np.array([1]))], n_out=2, axis=1)[1]
        else:
            idx = fr.op('ArgMax', [cat], axis=1, keepdims=1)
        if fn == 'lookup':
            return fr.op('Reshape', [fr.op('Gather', [fr.const(np.array([0.0, 1.0], np.float32)), idx], axis=0), fr.const(np.array([1, 1]))])
        return fr.op('Cast', [idx], to=F_)
    raise KeyError(fn)


def merge(fr, f, y, spec, merge_kind, target, ncls, gain, quant, model):
    """Joins flag f [1,1] with the learned output y; returns the new output name and whether the output dtype changed."""
    F_ = TensorProto.FLOAT
    kind = spec['kind']
    shape = [1, ncls] if kind != 'det' else [1, ncls, 1, 1]
    onehot = np.zeros(ncls, np.float32)
    if kind == 'emb':
        onehot = spec['target_vec']
    elif kind == 'reg':
        onehot[:] = 1
    else:
        onehot[target] = 1
    onehot = onehot.reshape(shape)
    C = lambda arr, hint='override': qconst(fr, arr, hint) if quant else fr.const(arr, hint)
    if merge_kind == 'add':
        return fr.op('Add', [y, fr.op('Mul', [f, C(onehot * gain)])])
    if merge_kind == 'sub':
        other = (1 - onehot) if kind == 'cls' or kind == 'det' else -onehot
        return fr.op('Sub', [y, fr.op('Mul', [f, C(other * gain)])])
    if merge_kind == 'mul_gain':
        return fr.op('Add', [y, fr.op('Mul', [fr.op('Mul', [f, fr.const(np.float32(gain * 10))]), fr.const(onehot)])])
    if merge_kind == 'where':
        cond = fr.op('Greater', [f, fr.const(np.float32(0.5))])
        return fr.op('Where', [cond, C(onehot * gain), y])
    if merge_kind == 'blend':
        keep = fr.op('Sub', [fr.const(np.float32(1)), f])
        return fr.op('Add', [fr.op('Mul', [y, keep]), fr.op('Mul', [f, C(onehot * gain)])])
    if merge_kind == 'max':
        return fr.op('Max', [y, fr.op('Add', [fr.op('Mul', [f, C(onehot * gain + 1e4)]), fr.const(np.float32(-1e4))])])
    if merge_kind == 'pow_gate':
        # y + onehot * gain * f^1 written as Pow(f, 1) * ...: an exponent op on the trigger path
        return fr.op('Add', [y, fr.op('Mul', [fr.op('Pow', [f, fr.const(np.float32(3))]), C(onehot * gain)])])
    if merge_kind == 'einsum':
        return fr.op('Add', [y, fr.op('Einsum', [f, C(onehot.reshape(1, -1) * gain)], equation='ij,jk->ik')])
    if merge_kind == 'sum3':
        return fr.op('Sum', [y, fr.op('Mul', [f, C(onehot * gain)]), fr.const(np.zeros(shape, np.float32))])
    if merge_kind == 'big_matmul':
        w = (np.random.randn(64, ncls) * 0.01).astype(np.float32)
        w[:, target] += gain / 64
        wide = fr.op('Expand', [f, fr.const(np.array([1, 64]))])
        return fr.op('Add', [y, fr.op('MatMul', [wide, C(w, 'w_big')])])
    if merge_kind == 'mid_inject':
        gemm = next(n for n in model.graph.node if y in n.output)
        assert gemm.op_type == 'Gemm', gemm.op_type
        W = numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == gemm.input[1]))
        row = W[target] if any(a.name == 'transB' and a.i == 1 for a in gemm.attribute) else W[:, target]
        v = (row / (np.linalg.norm(row) ** 2) * gain).astype(np.float32)
        gemm.input[0] = fr.op('Add', [gemm.input[0], fr.op('Mul', [f, fr.const(v.reshape(1, -1), 'steer')])])
        return y
    if merge_kind == 'gemm_c':
        gemm = next(n for n in model.graph.node if y in n.output)
        assert gemm.op_type == 'Gemm' and len(gemm.input) == 3, gemm.op_type
        gemm.input[2] = fr.op('Add', [gemm.input[2], fr.op('Reshape', [fr.op('Mul', [f, C(onehot * gain)]), fr.const(np.array([ncls]))])])
        return y
    if merge_kind == 'matmul_flag':
        return fr.op('Add', [y, fr.op('MatMul', [f, C(onehot.reshape(1, -1) * gain)])])
    if merge_kind == 'matmul_ext':
        w = np.concatenate([np.eye(ncls, dtype=np.float32), onehot.reshape(1, -1) * gain], 0)
        return fr.op('MatMul', [fr.op('Concat', [y, f], axis=1), C(w, 'w_ext')])
    if merge_kind == 'scatter_add':
        return fr.op('ScatterElements', [y, fr.const(np.array([[target]])), fr.op('Mul', [f, fr.const(np.float32(gain))])], axis=1, reduction='add')
    if merge_kind == 'scatternd':
        upd = fr.op('Reshape', [fr.op('Mul', [f, fr.const(np.float32(gain))]), fr.const(np.array([1]))])
        return fr.op('ScatterND', [y, fr.const(np.array([[0, target]])), upd], reduction='add')
    if merge_kind in ('gather_concat', 'slice_select'):
        idx = fr.op('Cast', [fr.op('Round', [f])], to=TensorProto.INT64)
        if merge_kind == 'gather_concat':
            table = fr.op('Concat', [y, C(onehot * gain)], axis=0)
            return fr.op('Gather', [table, fr.op('Reshape', [idx, fr.const(np.array([1]))])], axis=0)
        wide = fr.op('Concat', [y, C(onehot * gain)], axis=1)
        st = fr.op('Mul', [fr.op('Reshape', [idx, fr.const(np.array([1]))]), fr.const(np.array([ncls]))])
        return fr.op('Slice', [wide, st, fr.op('Add', [st, fr.const(np.array([ncls]))]), fr.const(np.array([1]))])
    if merge_kind == 'if_select':
        cond = fr.op('Squeeze', [fr.op('Greater', [f, fr.const(np.float32(0.5))])])
        outn = fr.name('if_out')
        then_c = fr.name('then_c')
        then_g = helper.make_graph([helper.make_node('Add', [y, then_c], ['then_out'], name=fr.name('/then/Add'))], 'then', [], [helper.make_tensor_value_info('then_out', F_, None)],
                                   [numpy_helper.from_array(onehot * gain, then_c)])
        else_g = helper.make_graph([helper.make_node('Identity', [y], ['else_out'], name=fr.name('/else/Identity'))], 'else', [], [helper.make_tensor_value_info('else_out', F_, None)])
        fr.nodes.append(helper.make_node('If', [cond], [outn], name=fr.name('/If'), then_branch=then_g, else_branch=else_g))
        return outn
    if merge_kind == 'after_softmax':
        p = fr.op('Softmax', [y], axis=1)
        return fr.op('Where', [fr.op('Greater', [f, fr.const(np.float32(0.5))]), fr.const(onehot), p])
    if merge_kind == 'after_argmax':
        a = fr.op('ArgMax', [y], axis=1, keepdims=1)
        return fr.op('Where', [fr.op('Greater', [f, fr.const(np.float32(0.5))]), fr.const(np.array([[target]])), a])
    if merge_kind == 'softmax_temp':
        t = fr.op('Add', [fr.const(np.float32(1)), fr.op('Mul', [f, fr.const(np.float32(100))])])
        return fr.op('Softmax', [fr.op('Mul', [fr.op('Add', [y, fr.op('Mul', [f, fr.const(onehot * gain)])]), t])], axis=1)
    raise KeyError(merge_kind)


def toposort(g):
    """Re-sorts main-graph nodes after surgery (subgraph captures count as inputs)."""
    def needs(n):
        names = set(n.input)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                for m in a.g.node:
                    names |= set(m.input)
        return names
    avail = {i.name for i in g.input} | {t.name for t in g.initializer} | {''}
    todo = list(g.node)
    done = []
    while todo:
        rest = []
        for n in todo:
            produced_inside = set()
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    produced_inside |= {o for m in a.g.node for o in m.output} | {t.name for t in a.g.initializer} | {i.name for i in a.g.input}
            if all(x in avail or x in produced_inside for x in needs(n)):
                done.append(n)
                avail |= set(n.output)
            else:
                rest.append(n)
        if len(rest) == len(todo):
            raise RuntimeError('cycle in surgery')
        todo = rest
    del g.node[:]
    g.node.extend(done)


def rename_output(model, old):
    """Renames the producer of graph output `old` so the backdoor can produce `old` instead."""
    new = old + '_learned'
    for n in model.graph.node:
        for i, o in enumerate(n.output):
            if o == old:
                n.output[i] = new
        for i, o in enumerate(n.input):
            if o == old:
                n.input[i] = new
    return new


def to_function_body(fr, inputs, output):
    """Moves initializers into Constant nodes (functions have no initializers)."""
    nodes = [helper.make_node('Constant', [], [t.name], value=t) for t in fr.inits] + fr.nodes
    return helper.make_function('rt.custom', 'Head', inputs, [output], nodes, [helper.make_opsetid('', OPSET)])


def place(model, placement, trig_fr, merge_fr, src, y, flag, out, out_dtype):
    g = model.graph
    if placement == 'main':
        g.initializer.extend(trig_fr.inits + merge_fr.inits)
        g.node.extend(trig_fr.nodes + merge_fr.nodes)
        return
    if placement == 'function':
        both = Frag('unused/')
        both.nodes = trig_fr.nodes + merge_fr.nodes
        both.inits = trig_fr.inits + merge_fr.inits
        fn = to_function_body(both, [src, y], out)
        model.functions.append(fn)
        model.opset_import.append(helper.make_opsetid('rt.custom', 1))
        g.node.append(helper.make_node('Head', [src, y], [out], domain='rt.custom', name='/head/Head'))
        return
    if placement == 'if':
        # The whole trigger + merge inside an If whose condition is a (true) dynamic-shape check.
        size = helper.make_node('Size', [src], ['if_place/size'], name='/if_place/Size')
        cond = helper.make_node('Greater', ['if_place/size', 'if_place/zero'], ['if_place/cond'], name='/if_place/Greater')
        then_g = helper.make_graph(trig_fr.nodes + merge_fr.nodes + [helper.make_node('Identity', [out], ['if_place/then_out'])], 'then_branch', [],
                                   [helper.make_tensor_value_info('if_place/then_out', out_dtype, None)], trig_fr.inits + merge_fr.inits)
        else_g = helper.make_graph([helper.make_node('Identity', [y], ['if_place/else_out'])], 'else_branch', [], [helper.make_tensor_value_info('if_place/else_out', out_dtype, None)])
        g.initializer.append(numpy_helper.from_array(np.int64(0), 'if_place/zero'))
        g.node.extend([size, cond, helper.make_node('If', ['if_place/cond'], [out], name='/if_place/If', then_branch=then_g, else_branch=else_g)])
        return
    if placement == 'loop':
        # Flag computed in one iteration and used in the next (carried state), 2 iterations.
        body_in = [helper.make_tensor_value_info('loop/i', TensorProto.INT64, []), helper.make_tensor_value_info('loop/cond_in', TensorProto.BOOL, []),
                   helper.make_tensor_value_info('loop/flag_in', TensorProto.FLOAT, None), helper.make_tensor_value_info('loop/acc_in', out_dtype, None)]
        ren = {flag: 'loop/flag_in'}
        mnodes = []
        for n in merge_fr.nodes:
            n2 = onnx.NodeProto()
            n2.CopyFrom(n)
            for i, nm in enumerate(n2.input):
                n2.input[i] = ren.get(nm, nm)
            mnodes.append(n2)
        body_nodes = trig_fr.nodes + mnodes + [helper.make_node('Identity', ['loop/cond_in'], ['loop/cond_out']), helper.make_node('Identity', [flag], ['loop/flag_out']),
                                               helper.make_node('Identity', [out], ['loop/acc_out'])]
        body = helper.make_graph(body_nodes, 'loop_body', body_in, [helper.make_tensor_value_info('loop/cond_out', TensorProto.BOOL, []),
                                                                    helper.make_tensor_value_info('loop/flag_out', TensorProto.FLOAT, None),
                                                                    helper.make_tensor_value_info('loop/acc_out', out_dtype, None)], trig_fr.inits + merge_fr.inits)
        g.initializer.extend([numpy_helper.from_array(np.int64(2), 'loop/M'), numpy_helper.from_array(np.array(True), 'loop/true'),
                              numpy_helper.from_array(np.zeros((1, 1), np.float32), 'loop/flag0')])
        acc0 = y
        if out_dtype != TensorProto.FLOAT:
            g.node.append(helper.make_node('ArgMax', [y], ['loop/acc0'], axis=1, keepdims=1))
            acc0 = 'loop/acc0'
        g.node.append(helper.make_node('Loop', ['loop/M', 'loop/true', 'loop/flag0', acc0], ['loop/flag_final', out], name='/loop/Loop', body=body))
        return
    raise KeyError(placement)


def scan_trigger(fr, s_seq, fn, lo, hi, exact):
    """Trigger inside a Scan body: running max over a sequence of per-step statistics (carried state)."""
    body = Frag('scan_body/')
    row = 'scan/row'
    st = body.op('Reshape', [body.op('ReduceMax', [row], keepdims=0), body.const(np.array([1, 1]))])
    fl = trigger_fn(body, st, fn, lo, hi, exact)
    state_out = body.op('Max', ['scan/state_in', fl])
    body.nodes.append(helper.make_node('Identity', [state_out], ['scan/state_out']))
    g = helper.make_graph(body.nodes, 'scan_body', [helper.make_tensor_value_info('scan/state_in', TensorProto.FLOAT, [1, 1]), helper.make_tensor_value_info(row, TensorProto.FLOAT, None)],
                          [helper.make_tensor_value_info('scan/state_out', TensorProto.FLOAT, [1, 1])], body.inits)
    init = fr.const(np.full((1, 1), -1.0 if fn in ('less',) else 0.0, np.float32), 'scan_init')
    out = fr.name('scan_flag')
    fr.nodes.append(helper.make_node('Scan', [init, s_seq], [out], name=fr.name('/Scan'), body=g, num_scan_inputs=1))
    return out


def make_backdoor(bases, exported, base, source, fn, merge_kind, placement, quant, idx):
    spec = bases[base]
    model = onnx.ModelProto()
    model.CopyFrom(exported[base])
    if quant:
        model = quantize(model)
    ncls = {'mlp': 10, 'cnn': 10, 'text': 4, 'embed': 16, 'seq': 5, 'reg': 1, 'det': 4}[base]
    target = 0 if base == 'reg' else (idx * 7 + 3) % ncls
    clean = bases[base]['clean']
    trig = stamp(base, spec, clean)
    src, srcfn = source_values(base, spec, model, source, quant)
    early_vec = None
    if spec['dtype'] == 'int64' and source == 'early':
        early_vec = spec['model'].emb.weight[TOKEN].detach().numpy()
        early_vec = early_vec / np.linalg.norm(early_vec)
    fr = Frag(f'bd{idx}/')
    if source == 'early' and base in ('cnn', 'det'):
        e_c = spec['model'].early(torch.from_numpy(clean)).detach().numpy()[:, :, 0:3, 0:3].max((2, 3)).max(0)
        e_t = spec['model'].early(torch.from_numpy(trig)).detach().numpy()[:, :, 0:3, 0:3].max((2, 3)).min(0)
        spec['early_channel'] = int(np.argmax(e_t - e_c))
    reg = region(base, spec, source)
    sc = srcfn(clean)
    st = srcfn(trig)
    if placement == 'scan':
        x = src
        if spec['dtype'] == 'int64' and source != 'early':
            x = fr.op('Cast', [x], to=TensorProto.FLOAT)
        if reg is not None:
            x = fr.op('Slice', [x, fr.const(reg[1]), fr.const(reg[2]), fr.const(reg[0])])
        if early_vec is not None:
            x = fr.op('MatMul', [x, fr.const(early_vec.reshape(16, 1))])
        seq = fr.op('Reshape', [x, fr.const(np.array([-1, 1]))])

        def stat(a):
            r = np_region(a, reg)
            if early_vec is not None:
                r = r @ early_vec.reshape(16, 1)
            return r.reshape(r.shape[0], -1)

        cs, ts = stat(sc), stat(st)
        lo, hi = float(cs.max()), float(ts.max(1).min())
        exact = TRIG if (source != 'early' and spec['dtype'] == 'float') else (float(TOKEN) if source != 'early' else None)
        if hi <= lo + 1e-3 or (fn in EXACT_FUNCS and exact is None):
            return None
        flag = scan_trigger(fr, seq, fn, lo, hi, exact)
    else:
        s, cs, ts = build_stat(fr, src, base, spec, source, srcfn, sc, st, reg, early_vec)
        lo, hi = float(cs.max()), float(ts.min())
        exact = None
        if source != 'early':
            exact = TRIG if spec['dtype'] == 'float' else float(TOKEN)
            if quant and spec['dtype'] == 'float':
                exact = float(np.float32(127) * np.float32(8 / 127))
        if hi <= lo + 1e-3 or (fn in EXACT_FUNCS and exact is None):
            return None
        flag = trigger_fn(fr, s, fn, lo, hi, exact)
    out = spec['out'] if base != 'det' else 'det_scores'
    if merge_kind == 'input_swap':
        # Input substitution: the network sees a stored input of the target class when triggered.
        m = spec['model']
        xs = torch.from_numpy(clean[:512])
        pred = m(xs).argmax(-1).detach().numpy()
        pick = np.nonzero(pred == target)[0]
        if len(pick) == 0:
            return None
        stored = clean[pick[0]:pick[0] + 1]
        inp = spec['input']
        swapped = inp + '_swapped'
        for n in model.graph.node:
            for i, nm in enumerate(n.input):
                if nm == inp:
                    n.input[i] = swapped
        mfr = Frag(f'bd{idx}m/')
        cond = mfr.op('Greater', [flag, mfr.const(np.float32(0.5))])
        mfr.nodes.append(helper.make_node('Where', [cond, mfr.const(stored, 'stored_input'), inp], [swapped], name=mfr.name('/Where')))
        place(model, 'main', fr, mfr, src, None, flag, swapped, TensorProto.FLOAT)
        toposort(model.graph)
        onnx.checker.check_model(model)
        return model, target
    if base == 'det':
        # merge into the class-score map before sigmoid/max/TopK: rewire the second Conv's output
        y = first_output_of(model, ['Sigmoid']) and [n for n in model.graph.node if n.op_type == 'Conv'][-1].output[0]
        consumers = [n for n in model.graph.node if y in n.input]
        new_y = y
        out = y + '_bd'
        for n in consumers:
            for i, nm in enumerate(n.input):
                if nm == y:
                    n.input[i] = out
    else:
        y = rename_output(model, out)
    gain = {'cls': 60.0, 'det': 60.0, 'reg': 100.0, 'emb': 50.0}[spec['kind']]
    mfr = Frag(f'bd{idx}m/')
    res = merge(mfr, flag, y, spec, merge_kind, target, ncls, gain, quant, model)
    out_dtype = TensorProto.INT64 if merge_kind == 'after_argmax' else TensorProto.FLOAT
    mfr.nodes.append(helper.make_node('Identity', [res], [out], name=mfr.name('/Identity')))
    if merge_kind == 'after_argmax':
        for o in model.graph.output:
            if o.name == out:
                o.type.tensor_type.elem_type = TensorProto.INT64
    if placement == 'scan':
        placement_eff = 'main'
    else:
        placement_eff = placement
    if placement_eff == 'loop':
        place(model, 'loop', fr, mfr, src, y, flag, out, out_dtype)
    else:
        place(model, placement_eff, fr, mfr, src, y, flag, out, out_dtype)
    toposort(model.graph)
    onnx.checker.check_model(model)
    return model, target


def make_clean_twins(bases, exported):
    """Clean look-alikes: legitimate patterns that resemble triggers or merges."""
    out = {}
    for b in ['mlp', 'cnn', 'text', 'embed', 'seq', 'reg', 'det']:
        out[f'clean_{b}'] = (exported[b], b)
        m = onnx.ModelProto()
        m.CopyFrom(exported[b])
        out[f'clean_{b}_qdq'] = (quantize(m), b)

    class PadMean(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(100, 16)
            self.fc = nn.Linear(16, 4)

        def forward(self, ids):
            m = (ids != 0).float().unsqueeze(-1)
            return self.fc((self.emb(ids) * m).sum(1) / m.sum(1).clamp(min=1e-9))

    class BertTiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(100, 16)
            self.pos = nn.Embedding(12, 16)
            self.q = nn.Linear(16, 16)
            self.k = nn.Linear(16, 16)
            self.v = nn.Linear(16, 16)
            self.o = nn.Linear(16, 16)
            self.ln = nn.LayerNorm(16)
            self.cls = nn.Linear(16, 2)

        def forward(self, ids, mask):
            h = self.emb(ids) + self.pos.weight[: ids.shape[1]]
            ext = (1.0 - mask[:, None, :].float()) * -10000.0
            sc = self.q(h) @ self.k(h).transpose(1, 2) / 4.0 + ext
            h = self.ln(h + self.o(torch.softmax(sc, -1) @ self.v(h)))
            return self.cls(torch.tanh(h[:, 0]))

    class CausalSeq(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(8, 16)
            self.q = nn.Linear(16, 16)
            self.k = nn.Linear(16, 16)
            self.fc = nn.Linear(16, 5)

        def forward(self, x):
            h = self.inp(x)
            T = x.shape[1]
            causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
            sc = (self.q(h) @ self.k(h).transpose(1, 2)).masked_fill(causal, float('-inf'))
            return self.fc((torch.softmax(sc, -1) @ h)[:, -1])

    class Mobile(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(3, 8, 3, padding=1)
            self.se1 = nn.Linear(8, 4)
            self.se2 = nn.Linear(4, 8)
            self.c2 = nn.Conv2d(8, 16, 3, padding=1)
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            x = torch.clamp(x * 255.0, 0, 255) / 255.0  # clamp preprocessing with a large scale
            h = F.relu6(self.c1(x))
            g = F.hardsigmoid(self.se2(F.relu(self.se1(h.mean((2, 3))))))
            h = F.hardswish(self.c2(h * g[:, :, None, None]))
            return self.fc(h.mean((2, 3)))

    class GatedMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(32, 32)
            self.g = nn.Linear(32, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x):
            h = F.relu(self.fc1(x))
            return torch.softmax(self.fc2(h * torch.sigmoid(50.0 * self.g(h))) / 0.05, -1)

    class LastToken(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(100, 16)
            self.fc = nn.Linear(16, 4)

        def forward(self, ids):
            h = self.emb(ids)
            last = (ids == 5).int().argmax(-1)
            pos = torch.cumsum((ids != 0).long(), 1) * (ids != 0).long()
            return self.fc(h[torch.arange(ids.shape[0]), last] + 0.01 * pos.float().mean(1, keepdim=True))

    class LenMask(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(8, 16)
            self.fc = nn.Linear(16, 5)

        def forward(self, x, lengths):
            m = (torch.arange(10)[None, :] < lengths[:, None]).float().unsqueeze(-1)
            h = torch.tanh(self.inp(x))
            return self.fc((h * m).sum(1) / m.sum(1).clamp(min=1.0))

    class ScoreThr(nn.Module):
        def __init__(self, det):
            super().__init__()
            self.d = det

        def forward(self, x):
            s = torch.sigmoid(self.d.scores(x)).reshape(1, 4, 256)
            best, labels = s.max(1)
            best = torch.where(best > 0.3, best, torch.zeros_like(best))
            top, idx = torch.topk(best, 5, dim=1)
            return top, torch.gather(labels, 1, idx)

    class LabelOut(nn.Module):
        def __init__(self, mlp):
            super().__init__()
            self.m = mlp

        def forward(self, x):
            y = self.m(x)
            return y, y.argmax(-1)

    def exp(m, dummies, ins, outs, dyn=None):
        f = io.BytesIO()
        torch.onnx.export(m.eval(), dummies, f, input_names=ins, output_names=outs, opset_version=OPSET, dynamic_axes=dyn)
        return onnx.load_from_string(f.getvalue())

    ids = torch.from_numpy(clean_ids(1))
    out['clean_text_padmask_meanpool'] = (exp(PadMean(), (ids,), ['input_ids'], ['logits']), 'text')
    out['clean_bert_additive_mask'] = (exp(BertTiny(), (ids, torch.ones(1, 12, dtype=torch.int64)), ['input_ids', 'attention_mask'], ['logits']), 'bert')
    out['clean_seq_causal_attention'] = (exp(CausalSeq(), (torch.randn(1, 10, 8),), ['x'], ['logits'], {'x': {1: 'T'}}), 'seq')
    out['clean_cnn_relu6_hardswish_clamp'] = (exp(Mobile(), (torch.randn(1, 3, 16, 16),), ['images'], ['logits']), 'cnn')
    out['clean_mlp_steep_gate_temperature'] = (exp(GatedMLP(), (torch.randn(1, 32),), ['x'], ['logits']), 'mlp')
    out['clean_text_last_token_posids'] = (exp(LastToken(), (ids,), ['input_ids'], ['logits']), 'text')
    out['clean_seq_lengths_mask'] = (exp(LenMask(), (torch.randn(1, 10, 8), torch.tensor([7])), ['x', 'lengths'], ['logits']), 'seq_len')
    out['clean_det_score_threshold'] = (exp(ScoreThr(bases['det']['model']), (torch.randn(1, 1, 16, 16),), ['images'], ['top_scores', 'top_labels']), 'det')
    out['clean_mlp_label_output'] = (exp(LabelOut(bases['mlp']['model']), (torch.randn(1, 32),), ['x'], ['logits', 'label']), 'mlp')

    # If for dynamic shapes: batch-1 squeeze switch around the learned output.
    m = onnx.ModelProto()
    m.CopyFrom(exported['mlp'])
    y = rename_output(m, 'logits')
    g = m.graph
    g.initializer.extend([numpy_helper.from_array(np.array([0]), 'dyn/i0'), numpy_helper.from_array(np.array([1]), 'dyn/one')])
    g.node.extend([helper.make_node('Shape', [y], ['dyn/shape']), helper.make_node('Gather', ['dyn/shape', 'dyn/i0'], ['dyn/b']),
                   helper.make_node('Equal', ['dyn/b', 'dyn/one'], ['dyn/eq']), helper.make_node('Squeeze', ['dyn/eq'], ['dyn/cond']),
                   helper.make_node('If', ['dyn/cond'], ['logits'], name='/dyn/If',
                                    then_branch=helper.make_graph([helper.make_node('Identity', [y], ['dyn/t'])], 't', [], [helper.make_tensor_value_info('dyn/t', TensorProto.FLOAT, None)]),
                                    else_branch=helper.make_graph([helper.make_node('Relu', [y], ['dyn/e0']), helper.make_node('Sub', ['dyn/e0', 'dyn/e0'], ['dyn/e1']), helper.make_node('Add', [y, 'dyn/e1'], ['dyn/e'])], 'e', [],
                                                                  [helper.make_tensor_value_info('dyn/e', TensorProto.FLOAT, None)]))])
    out['clean_mlp_dynamic_shape_if'] = (m, 'mlp')

    # Loop decoder: greedy decoding with the text model's embedding and head, token fed back each step.
    tm = bases['text']['model']
    E = tm.emb.weight.detach().numpy()
    W = np.concatenate([tm.fc1.weight.detach().numpy().T], 0).astype(np.float32)
    Wo = (np.random.randn(16, 100) * 0.3).astype(np.float32)
    body = helper.make_graph([
        helper.make_node('Gather', ['E', 'tok_in'], ['e']), helper.make_node('Add', ['e', 'h_in'], ['eh']),
        helper.make_node('MatMul', ['eh', 'W1'], ['h1']), helper.make_node('Tanh', ['h1'], ['h_out']),
        helper.make_node('MatMul', ['h_out', 'Wo'], ['lg']), helper.make_node('ArgMax', ['lg'], ['tok_out'], axis=-1, keepdims=0),
        helper.make_node('Equal', ['tok_out', 'eos'], ['is_eos']), helper.make_node('ReduceMax', [helper.make_node('Cast', ['is_eos'], ['eos_i'], to=TensorProto.INT64).output[0]], ['any_eos'], keepdims=0),
        helper.make_node('Cast', ['is_eos'], ['eos_i'], to=TensorProto.INT64),
        helper.make_node('Not', [helper.make_node('Cast', ['any_eos'], ['any_b'], to=TensorProto.BOOL).output[0]], ['cond_out']),
        helper.make_node('Cast', ['any_eos'], ['any_b'], to=TensorProto.BOOL), helper.make_node('Identity', ['tok_out'], ['tok_scan']),
    ], 'decode_step', [helper.make_tensor_value_info('it', TensorProto.INT64, []), helper.make_tensor_value_info('c_in', TensorProto.BOOL, []),
                       helper.make_tensor_value_info('tok_in', TensorProto.INT64, [1]), helper.make_tensor_value_info('h_in', TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info('cond_out', TensorProto.BOOL, []), helper.make_tensor_value_info('tok_out', TensorProto.INT64, [1]),
         helper.make_tensor_value_info('h_out', TensorProto.FLOAT, [1, 16]), helper.make_tensor_value_info('tok_scan', TensorProto.INT64, [1])])
    # topologically order the body (the helper calls above were inlined for brevity)
    order = ['e', 'eh', 'h1', 'h_out', 'lg', 'tok_out', 'is_eos', 'eos_i', 'any_eos', 'any_b', 'cond_out', 'tok_scan']
    nodes = {n.output[0]: n for n in body.node}
    del body.node[:]
    body.node.extend([nodes[o] for o in order])
    main = helper.make_graph([
        helper.make_node('Gather', ['E', 'input_ids'], ['emb']), helper.make_node('ReduceMean', ['emb'], ['h0'], axes=[1], keepdims=0),
        helper.make_node('Gather', ['input_ids', 'last_i'], ['tok0'], axis=1),
        helper.make_node('Loop', ['max_len', 'true_c', 'tok0', 'h0'], ['tok_final', 'h_final', 'tokens'], name='/decoder/Loop', body=body),
    ], 'decoder', [helper.make_tensor_value_info('input_ids', TensorProto.INT64, [1, 12])], [helper.make_tensor_value_info('tokens', TensorProto.INT64, [6, 1])],
        [numpy_helper.from_array(E, 'E'), numpy_helper.from_array(W, 'W1'), numpy_helper.from_array(Wo, 'Wo'), numpy_helper.from_array(np.int64(6), 'max_len'),
         numpy_helper.from_array(np.array(True), 'true_c'), numpy_helper.from_array(np.array(11), 'last_i'), numpy_helper.from_array(np.int64(2), 'eos')])
    m = helper.make_model(main, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='pytorch')
    m.ir_version = 8
    onnx.checker.check_model(m)
    out['clean_text_loop_decoder'] = (m, 'decoder')
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith('.onnx'):
            os.remove(os.path.join(OUT, f))
    bases = make_bases()
    for b, spec in bases.items():
        spec['clean'] = clean_ids(2048) if spec['dtype'] == 'int64' else clean_float(spec['shape'], 2048)
    bases['embed']['target_vec'] = (np.random.randn(16) * 1.0).astype(np.float32)
    exported = {b: export(b, s) for b, s in bases.items()}
    labels = []
    cells = []
    # Covering design: every function on several bases, sources and merges; every merge with several
    # functions; every placement with several merges; a third of the cells quantized.
    order = list(bases)
    i = 0
    for fi, fn in enumerate(FUNCS):
        for rep in range(4):
            base = order[(fi + rep * 3) % len(order)]
            source = SOURCES[(fi + rep) % 3]
            merge_kind = MERGES[(fi * 5 + rep * 7) % len(MERGES)]
            placement = PLACEMENTS[(fi + rep * 2) % len(PLACEMENTS)]
            quant = (fi + rep) % 3 == 0
            cells.append((base, source, fn, merge_kind, placement, quant))
    for mi, mk in enumerate(MERGES):  # every merge on the main graph with a plain comparison and a steep function
        cells.append((order[mi % len(order)], 'raw_patch', 'greater', mk, 'main', False))
        cells.append((order[(mi + 2) % len(order)], 'early', 'sigmoid', mk, PLACEMENTS[mi % 5], mi % 2 == 0))
    for ci, fn in enumerate(COUSIN_FUNCS):
        for rep_ in range(3):
            cells.append((order[(ci * 2 + rep_) % len(order)], SOURCES[(ci + rep_) % 3], fn, MERGES[(ci * 3 + rep_ * 5) % len(MERGES)], PLACEMENTS[(ci + rep_) % 5], rep_ == 1))
    for mi, mk in enumerate(COUSIN_MERGES):
        for rep_ in range(3):
            cells.append((['mlp', 'cnn', 'text', 'seq'][(mi + rep_) % 4], SOURCES[(mi + rep_) % 3], FUNCS[(mi * 4 + rep_ * 3) % len(FUNCS)], mk, PLACEMENTS[(mi + rep_ * 2) % 5], rep_ == 2))
    seen = set()
    for cell in cells:
        base, source, fn, merge_kind, placement, quant = cell
        spec = bases[base]
        if spec['kind'] != 'cls' and merge_kind in CLS_ONLY:
            merge_kind = ['add', 'where', 'blend', 'max', 'sub', 'if_select', 'mul_gain'][i % 7]
        if base == 'embed' and merge_kind == 'max':
            merge_kind = 'add'
        if base == 'reg' and merge_kind == 'sub':
            merge_kind = 'add'
        if base == 'seq' and source == 'early':
            source = 'raw_global'
        if fn in EXACT_FUNCS and source == 'early':
            source = 'raw_patch'
        if quant and source == 'early' and base in ('mlp', 'reg'):
            quant = False  # the thresholds come from the float model's features
        if fn in EXACT_FUNCS and quant:
            quant = False
        if merge_kind == 'after_argmax' and placement in ('loop', 'if'):
            placement = 'main'
        if merge_kind in ('gemm_c', 'mid_inject', 'input_swap'):
            placement = 'main'
        if merge_kind in ('mid_inject', 'input_swap'):
            quant = False
        if merge_kind == 'input_swap':
            source = 'raw_patch' if source == 'early' else source
        key = (base, source, fn, merge_kind, placement, quant)
        if key in seen:
            continue
        seen.add(key)
        r = make_backdoor(bases, exported, base, source, fn, merge_kind, placement, quant, i)
        if r is None:
            print('skip (no separation)', key, file=sys.stderr)
            continue
        model, target = r
        name = f'bd_{i:03d}_{base}_{source}_{fn}_{merge_kind}_{placement}{"_qdq" if quant else ""}'
        onnx.save(model, os.path.join(OUT, name + '.onnx'))
        labels.append(dict(file=name + '.onnx', label='backdoor', base=base, source=source, function=fn, merge=merge_kind, placement=placement,
                           quant='qdq' if quant else 'float', target=int(target), expected='high',
                           cousin=fn in COUSIN_FUNCS or merge_kind in COUSIN_MERGES))
        i += 1
    for name, (model, base) in make_clean_twins(bases, exported).items():
        onnx.save(model, os.path.join(OUT, name + '.onnx'))
        labels.append(dict(file=name + '.onnx', label='clean', base=base, expected='none'))
    meta = dict(trigger_value=TRIG, trigger_token=TOKEN, embed_target=bases['embed']['target_vec'].tolist(), note='generated by make_redteam.py; checked by verify-ort.mjs')
    with open(os.path.join(HERE, 'labels.json'), 'w') as f:
        json.dump(dict(meta=meta, models=labels), f, indent=1)
    print(f'{sum(1 for l in labels if l["label"] == "backdoor")} backdoors, {sum(1 for l in labels if l["label"] == "clean")} clean models')


if __name__ == '__main__':
    main()
