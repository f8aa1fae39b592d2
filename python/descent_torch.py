"""Use a model trained by Descent in PyTorch.

Descent's ``sequential`` models are ``torch.nn.Sequential`` stacks: the same layers, the same
hyper-parameters (camelCased in Descent) and the same ``state_dict`` names (``0.weight``,
``1.running_mean``, ``3.weight_ih_l0``, ``5.self_attn.in_proj_weight``, ...). This file builds that
module from a Descent model spec and loads a weights download into it, so that a trained model can
be served, fine-tuned or exported with PyTorch. It needs torch only (no ``safetensors`` package)::

    import json, urllib.request
    import descent_torch

    job = json.load(urllib.request.urlopen(f"{url}/v1/jobs/{job_id}"))
    urllib.request.urlretrieve(f"{url}/v1/jobs/{job_id}/weights?format=safetensors", "w.safetensors")
    module = descent_torch.load("w.safetensors", job)   # load_state_dict(strict=True)
    probs = descent_torch.predict(module, rows)          # what POST /v1/jobs/{id}/predict returns

``spec`` may be the model spec (``{"type": "sequential", "input": [...], "layers": [...]}``), a
JobSpec (``{"model": ..., "loss": ...}``) or a Job as ``GET /v1/jobs/{id}`` returns it; with a
JobSpec or Job, ``predict`` applies the loss's output (softmax for ``cross_entropy``, sigmoid for
``bce``) as ``/predict`` does. Missing layer fields take PyTorch's defaults, as in Descent.

Written against PyTorch 1.13 (what Descent's fixtures are generated with); it uses no API newer.
"""
import json
import os
import struct

import torch
from torch import nn

__all__ = ['build_module', 'load', 'predict', 'read_safetensors', 'DescentSequential',
           'LearnedPositional', 'MeanPool']


# ------------------------------------------------------------------------- wrapper modules
# Each wrapper subclasses the torch module rather than containing it, so that its parameters keep
# torch's names with no extra level (`3.weight_ih_l0`, not `3.rnn.weight_ih_l0`).

class RecurrentOut:
    """Mixin for nn.RNN/LSTM/GRU: return only the output tensor (all steps, or the last one)."""

    def _pick(self, out):
        # output[:, -1, :]: both directions' features at the last time index, as Descent's "last".
        return out[:, -1, :] if self.descent_output == 'last' else out


class RNN(RecurrentOut, nn.RNN):
    def forward(self, x):
        return self._pick(nn.RNN.forward(self, x)[0])


class LSTM(RecurrentOut, nn.LSTM):
    def forward(self, x):
        return self._pick(nn.LSTM.forward(self, x)[0])


class GRU(RecurrentOut, nn.GRU):
    def forward(self, x):
        return self._pick(nn.GRU.forward(self, x)[0])


def _causal_mask(t, like):
    """Additive mask: -inf above the diagonal, so position i attends to positions <= i."""
    return torch.triu(torch.full((t, t), float('-inf'), dtype=like.dtype, device=like.device), 1)


class SelfAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention(batch_first=True) as self-attention (q = k = v = x), output only."""

    def forward(self, x):
        mask = _causal_mask(x.shape[1], x) if self.descent_causal else None
        if mask is None and self.in_proj_bias is None:
            # torch 1.13's eval-mode fast path fails without biases (qkv_bias must be a Tensor); an
            # all-zero additive mask changes nothing in the maths and keeps it on the composite path.
            mask = torch.zeros(x.shape[1], x.shape[1], dtype=x.dtype, device=x.device)
        return nn.MultiheadAttention.forward(self, x, x, x, attn_mask=mask, need_weights=False)[0]


class TransformerEncoder(nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer(batch_first=True), with Descent's optional causal mask."""

    def forward(self, x):
        mask = _causal_mask(x.shape[1], x) if self.descent_causal else None
        return nn.TransformerEncoderLayer.forward(self, x, src_mask=mask)


class LearnedPositional(nn.Module):
    """Descent's `positional`: x + weight[:T] for x [N, T, F]; parameter `weight` [maxLen, F]."""

    def __init__(self, max_len, features):
        super().__init__()
        # Overwritten by load(); N(0, 1) as nn.Embedding when a module is trained from scratch.
        self.weight = nn.Parameter(torch.randn(max_len, features))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]


class MeanPool(nn.Module):
    """Descent's `mean_pool`: the mean over time, [N, T, F] -> [N, F]."""

    def forward(self, x):
        return x.mean(dim=1)


class DescentSequential(nn.Sequential):
    """nn.Sequential that first reshapes flat rows to [N, *input] (and token ids to integers).

    The reshape lives in forward rather than in a layer 0, so that child i is Descent's layer i and
    the state_dict names are exactly those of Descent's weights.
    """

    def __init__(self, input_shape, layers, loss=None):
        super().__init__(*layers)
        self.input_shape = list(input_shape)
        # Only for predict(): the output /predict applies (softmax, sigmoid or none).
        self.loss = loss

    def forward(self, x):
        x = x.reshape(x.shape[0], *self.input_shape)
        if len(self) and isinstance(self[0], nn.Embedding):
            # Ids arrive as numbers in data rows; an embedding indexes with integers.
            x = torch.round(x).long()
        return super().forward(x)


class DescentLinear(nn.Linear):
    """A `linear` model: one nn.Linear, so its state_dict names are `weight` and `bias` as Descent's."""

    def __init__(self, in_width, out_width, loss=None):
        super().__init__(in_width, out_width)
        self.loss = loss


# ------------------------------------------------------------------------- building

def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else v


def _padding(v):
    return v if isinstance(v, str) else _pair(v)


def _model_spec(spec):
    """The model spec and loss out of a model spec, a JobSpec or a Job."""
    if 'spec' in spec and isinstance(spec['spec'], dict):
        spec = spec['spec']
    if 'model' in spec and isinstance(spec['model'], dict):
        return spec['model'], spec.get('loss')
    return spec, None


def _layer(l, shape, out_width, last):
    """One torch module for Descent layer spec `l`, given one sample's shape reaching it."""
    t = l['type']
    g = l.get
    if t == 'linear':
        out = g('out')
        if out is None:
            if not last:
                raise ValueError('only the last linear layer may omit "out"')
            if out_width is None:
                raise ValueError('the last linear layer has no "out": pass out_width (load() reads it '
                                 'from the weights)')
            out = out_width
        return nn.Linear(shape[-1], out, bias=g('bias', True))
    if t == 'flatten':
        return nn.Flatten()
    if t == 'dropout':
        return nn.Dropout(g('p', 0.5))
    simple = {'relu': nn.ReLU, 'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid, 'silu': nn.SiLU}
    if t in simple:
        return simple[t]()
    if t == 'leaky_relu':
        return nn.LeakyReLU(g('slope', 0.01))
    if t == 'elu':
        return nn.ELU(g('alpha', 1.0))
    if t == 'gelu':
        return nn.GELU(approximate=g('approximate', 'none'))
    if t == 'softplus':
        return nn.Softplus(g('beta', 1.0), g('threshold', 20.0))
    if t in ('conv1d', 'conv2d'):
        conv = nn.Conv1d if t == 'conv1d' else nn.Conv2d
        return conv(shape[0], l['out'], _pair(l['kernel']), stride=_pair(g('stride', 1)),
                    padding=_padding(g('padding', 0)), dilation=_pair(g('dilation', 1)),
                    groups=g('groups', 1), bias=g('bias', True))
    if t in ('maxpool1d', 'maxpool2d'):
        pool = nn.MaxPool1d if t == 'maxpool1d' else nn.MaxPool2d
        return pool(_pair(l['kernel']), stride=_pair(g('stride')), padding=_pair(g('padding', 0)),
                    dilation=_pair(g('dilation', 1)))
    if t in ('avgpool1d', 'avgpool2d'):
        pool = nn.AvgPool1d if t == 'avgpool1d' else nn.AvgPool2d
        return pool(_pair(l['kernel']), stride=_pair(g('stride')), padding=_pair(g('padding', 0)),
                    count_include_pad=g('countIncludePad', True))
    if t == 'adaptive_avgpool2d':
        return nn.AdaptiveAvgPool2d(_pair(l['output']))
    if t in ('batchnorm1d', 'batchnorm2d'):
        bn = nn.BatchNorm1d if t == 'batchnorm1d' else nn.BatchNorm2d
        return bn(shape[0], eps=g('eps', 1e-5), momentum=g('momentum', 0.1), affine=g('affine', True))
    if t == 'layernorm':
        return nn.LayerNorm(shape[-1], eps=g('eps', 1e-5), elementwise_affine=g('affine', True))
    if t == 'embedding':
        return nn.Embedding(l['num'], l['dim'], padding_idx=g('paddingIdx'))
    if t in ('rnn', 'lstm', 'gru'):
        kw = dict(num_layers=g('layers', 1), bias=g('bias', True), batch_first=True,
                  dropout=g('dropout', 0.0), bidirectional=g('bidirectional', False))
        if t == 'rnn':
            m = RNN(shape[-1], l['hidden'], nonlinearity=g('nonlinearity', 'tanh'), **kw)
        else:
            m = (LSTM if t == 'lstm' else GRU)(shape[-1], l['hidden'], **kw)
        m.descent_output = g('output', 'sequence')
        return m
    if t == 'attention':
        m = SelfAttention(shape[-1], l['heads'], dropout=g('dropout', 0.0), bias=g('bias', True),
                          batch_first=True)
        m.descent_causal = g('causal', False)
        return m
    if t == 'transformer_encoder':
        m = TransformerEncoder(l['dModel'], l['heads'], dim_feedforward=g('ff', 2048),
                               dropout=g('dropout', 0.1), activation=g('activation', 'relu'),
                               layer_norm_eps=g('eps', 1e-5), batch_first=True,
                               norm_first=g('normFirst', False))
        m.descent_causal = g('causal', False)
        return m
    if t == 'positional':
        return LearnedPositional(l['maxLen'], shape[-1])
    if t == 'mean_pool':
        return MeanPool()
    raise ValueError(f'unknown layer type "{t}"')


def _output_shape(module, shape):
    """One sample's shape after `module`, found by running it on one zero sample (eval mode)."""
    ids = isinstance(module, nn.Embedding)
    x = torch.zeros(1, *shape, dtype=torch.long if ids else torch.get_default_dtype())
    was = module.training
    module.eval()  # no batch statistics from a batch of one, no dropout
    with torch.no_grad():
        y = module(x)
    module.train(was)
    return list(y.shape[1:])


def build_module(spec, out_width=None, in_width=None, dtype=None):
    """The torch.nn.Sequential equivalent of a Descent model spec, freshly initialized (an
    nn.Linear for a `linear` model).

    `out_width`: the width of a last linear layer whose `out` is omitted (Descent's output-width
    rule decides it: number of classes, or of target columns). `in_width`: the number of input
    features of a `linear` or `mlp` model (a `sequential` model states it in `input`).
    The module is in training mode; its parameter names equal Descent's weight names.
    """
    model, loss = _model_spec(spec)
    if model['type'] == 'linear':
        out = out_width if out_width is not None else model.get('classes')
        if in_width is None or out is None:
            raise ValueError('a "linear" model needs in_width and out_width')
        module = DescentLinear(in_width, out, loss)
        return module.to(dtype) if dtype is not None else module
    if model['type'] == 'mlp':
        if in_width is None:
            raise ValueError('an "mlp" model needs in_width (its number of features)')
        out_width = out_width if out_width is not None else model.get('classes')
        layers = []
        for h in model['hidden']:
            layers.append({'type': 'linear', 'out': h})
            layers.append({'type': model.get('activation', 'relu')})
            if model.get('dropout', 0):
                layers.append({'type': 'dropout', 'p': model['dropout']})
        layers.append({'type': 'linear'})
        model = {'type': 'sequential', 'input': [in_width], 'layers': layers}
    if model['type'] != 'sequential':
        raise ValueError(f'unknown model type "{model["type"]}"')
    shape = list(model['input'])
    built = []
    n = len(model['layers'])
    for i, l in enumerate(model['layers']):
        try:
            m = _layer(l, shape, out_width, i == n - 1)
            shape = _output_shape(m, shape)
        except Exception as e:  # say which layer, as Descent's 400s do
            raise ValueError(f'/model/layers/{i} ({l.get("type")}): {e}') from e
        built.append(m)
    module = DescentSequential(model['input'], built, loss)
    return module.to(dtype) if dtype is not None else module


# ------------------------------------------------------------------------- loading

_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
           'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8,
           'U8': torch.uint8, 'BOOL': torch.bool}


def read_safetensors(source):
    """{name: tensor} from a safetensors file (a path or its bytes), parsed without the package.

    The format: an 8-byte little-endian header length n, n bytes of JSON
    ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}), then the raw
    little-endian tensor data, offsets relative to the end of the header.
    """
    raw = source if isinstance(source, (bytes, bytearray)) else open(source, 'rb').read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        dt = _DTYPES[e['dtype']]
        b, end = e['data_offsets']
        if end == b:
            out[name] = torch.zeros(e['shape'], dtype=dt)
            continue
        # frombuffer reads native byte order: every platform torch runs on is little-endian.
        t = torch.frombuffer(bytearray(raw[base + b:base + end]), dtype=dt)
        out[name] = t.reshape(e['shape'])
    return out


def _state_from(source):
    """A state dict from a safetensors path/bytes, a {name: tensor | nested list} dict, or the
    JSON of GET /v1/jobs/{id}/weights ({"weights": {...}, "shapes": {...}, "dtype": ...})."""
    if isinstance(source, (str, bytes, bytearray, os.PathLike)):
        return read_safetensors(source)
    if 'weights' in source and isinstance(source['weights'], dict):
        dt = torch.float64 if source.get('dtype') == 'float64' else torch.float32
        shapes = source.get('shapes', {})
        state = {}
        for k, v in source['weights'].items():
            t = torch.tensor(v, dtype=torch.int64 if k.endswith('num_batches_tracked') else dt)
            state[k] = t.reshape(shapes[k]) if k in shapes else t
        return state
    return {k: v if torch.is_tensor(v) else torch.tensor(v) for k, v in source.items()}


def _out_width_from(model, state):
    """The width of a last linear layer without `out`, read off its weight in the state dict."""
    if model.get('type') == 'linear':
        w = state.get('weight')
        return int(w.shape[0]) if w is not None else None
    if model.get('type') == 'mlp':
        ks = [k for k in state if k.endswith('.weight')]
        last = max(ks, key=lambda k: int(k.split('.')[0])) if ks else None
        return int(state[last].shape[0]) if last else None
    if model.get('type') != 'sequential' or not model['layers']:
        return None
    i = len(model['layers']) - 1
    w = state.get(f'{i}.weight')
    return int(w.shape[0]) if w is not None and model['layers'][i]['type'] == 'linear' else None


def load(source, spec, out_width=None, in_width=None):
    """Build the module of `spec` and load Descent weights into it with load_state_dict(strict=True).

    `source`: a safetensors file (path or bytes) from GET /v1/jobs/{id}/weights?format=safetensors,
    that endpoint's JSON, or a {name: tensor} dict. The module takes the floating dtype of the
    weights and is returned in eval mode (batchnorm uses its running statistics, no dropout).
    """
    state = _state_from(source)
    model, _ = _model_spec(spec)
    if out_width is None:
        out_width = _out_width_from(model, state)
    if in_width is None and model.get('type') in ('linear', 'mlp'):
        w = state.get('0.weight', state.get('weight'))
        in_width = int(w.shape[1]) if w is not None else None
    floats = [t.dtype for t in state.values() if t.is_floating_point()]
    module = build_module(spec, out_width=out_width, in_width=in_width)
    if floats:
        module = module.to(floats[0])
    module.load_state_dict(state, strict=True)
    return module.eval()


def predict(module, rows, loss=None):
    """The module's outputs on `rows` (flat, row-major, as Descent's data rows), in eval mode.

    With `loss` (or the loss of the JobSpec the module was built from), the outputs are those of
    POST /v1/jobs/{id}/predict: softmax probabilities for cross_entropy, sigmoid for bce.
    """
    loss = loss if loss is not None else getattr(module, 'loss', None)
    dtype = next((p.dtype for p in module.parameters()), torch.get_default_dtype())
    x = rows if torch.is_tensor(rows) else torch.tensor(rows, dtype=dtype)
    was = module.training
    module.eval()
    with torch.no_grad():
        y = module(x.to(dtype))
    module.train(was)
    if loss == 'cross_entropy':
        return torch.softmax(y, dim=-1)
    if loss == 'bce':
        return torch.sigmoid(y)
    return y


if __name__ == '__main__':  # a quick check: python3 descent_torch.py spec.json [weights.safetensors]
    import sys
    spec = json.load(open(sys.argv[1]))
    m = load(sys.argv[2], spec) if len(sys.argv) > 2 else build_module(spec, out_width=1)
    print(m)
    for k, v in m.state_dict().items():
        print(k, list(v.shape), str(v.dtype).replace('torch.', ''))
