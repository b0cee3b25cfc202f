#!/usr/bin/python3
# The training step of bench/training.bench.js in native PyTorch (CPU, one thread), for the
# same-run comparison: reads the initial weights, data and sampling plan from the JSON file
# given as argv[1], checks nothing itself (it prints the first step's loss for the bench to
# compare), then times SAMPLES samples of at least SAMPLE_MS each and prints JSON.
# Run with Debian's python3 and its apt package python3-torch.
import json
import sys
import time

import torch

torch.set_num_threads(1)
spec = json.load(open(sys.argv[1]))
T, B, D, H, C = (spec[k] for k in ('T', 'B', 'D', 'H', 'C'))
lstm, lin = torch.nn.LSTM(D, H), torch.nn.Linear(H, C)
with torch.no_grad():
    for name, p in list(lstm.named_parameters()) + [('lin.' + n, p) for n, p in lin.named_parameters()]:
        p.copy_(torch.tensor(spec['weights'][name], dtype=torch.float32).view_as(p))
x = torch.tensor(spec['x'], dtype=torch.float32).view(T, B, D)
y = torch.tensor(spec['targets'], dtype=torch.long)
opt = torch.optim.SGD(list(lstm.parameters()) + list(lin.parameters()), lr=spec['lr'])


def step():
    opt.zero_grad()
    out, _ = lstm(x)
    loss = torch.nn.functional.cross_entropy(lin(out).view(-1, C), y)
    loss.backward()
    opt.step()
    return float(loss)


first = step()
t0, calls = time.perf_counter(), 0
while calls < 3 or time.perf_counter() - t0 < spec['warmupMs'] / 1000:
    step()
    calls += 1
per_sample = max(1, int(spec['sampleMs'] / 1000 / ((time.perf_counter() - t0) / calls)) + 1)
samples = []
for _ in range(spec['samples']):
    t0 = time.perf_counter()
    for _ in range(per_sample):
        step()
    samples.append((time.perf_counter() - t0) * 1000 / per_sample)
print(json.dumps({'torch': torch.__version__, 'firstLoss': first, 'samples': samples}))
