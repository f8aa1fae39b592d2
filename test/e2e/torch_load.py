"""Load a Descent safetensors download into the equivalent torch.nn.Sequential with
load_state_dict (no safetensors package needed: the format is parsed here) and print
softmax(model(x)) for the inputs given as JSON on stdin: {"hidden": [...], "activation": "relu", "x": [[...]]}."""
import json
import struct
import sys

import torch

path = sys.argv[1]
req = json.load(sys.stdin)
raw = open(path, 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
base = 8 + n
state = {}
for name, e in header.items():
    if name == '__metadata__':
        continue
    dtype = {'F32': torch.float32, 'F64': torch.float64}[e['dtype']]
    b, end = e['data_offsets']
    t = torch.frombuffer(bytearray(raw[base + b:base + end]), dtype=dtype).reshape(e['shape'])
    state[name] = t

acts = {'relu': torch.nn.ReLU, 'tanh': torch.nn.Tanh, 'sigmoid': torch.nn.Sigmoid, 'gelu': torch.nn.GELU}
sizes = [len(req['x'][0])] + req['hidden'] + [state[sorted(state, key=lambda k: int(k.split('.')[0]))[-1]].shape[0]]
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        layers.append(acts[req['activation']]())
model = torch.nn.Sequential(*layers).to(next(iter(state.values())).dtype)
model.load_state_dict(state)  # strict: names and shapes must match torch's own
x = torch.tensor(req['x'], dtype=next(iter(state.values())).dtype)
with torch.no_grad():
    out = torch.softmax(model(x), dim=-1)
print(json.dumps(out.tolist()))
