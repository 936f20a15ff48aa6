#!/usr/bin/python3
"""Real-producer fixtures for the "no false alarms" tests: written by the real writers, not by us.

Needs Debian's python3-torch and python3-numpy (run with /usr/bin/python3); CI does not run it —
the outputs are committed (testdata/real/, a few KiB each). Usage:
    /usr/bin/python3 testdata/make-real-weights.py [outDir]

- torch.save (zip format, torch's own miniz writer), legacy _use_new_zipfile_serialization=False,
  a training checkpoint (model + Adam state + epoch), a state dict in protocol 4;
- a torch 2.x-shaped archive: the same C++ writer (torch._C.PyTorchFileWriter) driven the way
  torch 2.x's serialization._save drives it (data.pkl, .format_version, .storage_alignment,
  byteorder, data/<key> storages, version, .data/serialization_id);
- NumPy .npy (f4, f2, i8, structured without objects) and .npz (savez, savez_compressed);
- safetensors F32/F16/BF16 following the format (8-byte LE header length, JSON header padded with
  spaces to a multiple of 8, sorted contiguous data) — the safetensors package is not in Debian;
- GGUF v3 with the published Llama-3, ChatML, Qwen2.5 and DeepSeek-R1 chat templates.
"""
import io
import json
import os
import pickle
import struct
import sys

import numpy as np
import torch

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "real")
os.makedirs(out, exist_ok=True)
p = lambda n: os.path.join(out, n)

torch.manual_seed(0)
np.random.seed(0)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.bn = torch.nn.BatchNorm2d(8)
        self.fc = torch.nn.Linear(72, 10)
        self.emb = torch.nn.Embedding(64, 16)


net = Net()
sd = net.state_dict()
torch.save(sd, p("torch-state-dict.pt"))
torch.save(sd, p("torch-legacy.pt"), _use_new_zipfile_serialization=False)
torch.save(sd, p("torch-protocol4.pt"), pickle_protocol=4)
opt = torch.optim.Adam(net.parameters())
loss = net.fc(torch.randn(2, 72)).sum() + net.conv(torch.randn(1, 3, 5, 5)).sum()
loss.backward()
opt.step()
torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "best": 0.91}, p("torch-training-checkpoint.pt"))
torch.save({"half": torch.randn(64, 16).half(), "bf16": torch.randn(64, 16).bfloat16(), "ids": torch.arange(10)}, p("torch-mixed-dtypes.pt"))


def torch2_shaped(obj, path):
    """torch 2.x serialization._save's record order, on the real C++ zip writer: torch's own
    _save pickles data.pkl and the storages; the wrapper adds the records 2.x writes."""

    class Writer2x:
        def __init__(self, w):
            self.w = w

        def write_record(self, name, data, size):
            self.w.write_record(name, data, size)
            if name == "data.pkl":
                self.w.write_record(".format_version", "1", 1)
                self.w.write_record(".storage_alignment", "64", 2)
                self.w.write_record("byteorder", sys.byteorder, len(sys.byteorder))

    w = torch._C.PyTorchFileWriter(path)
    torch.serialization._save(obj, Writer2x(w), pickle, 2)
    w.write_record(".data/serialization_id", "0123456789012345678901234567890123456789", 40)
    w.write_end_of_file()


try:
    torch2_shaped({k: v for k, v in sd.items() if v.dtype == torch.float32}, p("torch2-shaped.pt"))
except Exception as e:  # keep the other fixtures if this torch cannot drive the writer this way
    print("torch2-shaped.pt skipped:", e, file=sys.stderr)

np.save(p("numpy-f4.npy"), np.random.randn(64, 32).astype("<f4"))
np.save(p("numpy-f2.npy"), np.random.randn(1024).astype("<f2"))
np.save(p("numpy-i8.npy"), np.arange(100, dtype="<i8"))
np.save(p("numpy-structured.npy"), np.zeros(8, dtype=[("x", "<f4"), ("pos", "<i4", (3,)), ("inner", [("a", "<u1"), ("b", "<f8")])]))
np.savez(p("numpy-savez.npz"), w=np.random.randn(32, 32).astype("<f4"), b=np.zeros(32, "<f4"))
np.savez_compressed(p("numpy-savez-compressed.npz"), w=np.random.randn(32, 32).astype("<f4"))


def safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, arr_bytes, shape) in sorted(tensors.items()):
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(arr_bytes)]}
        blobs.append(arr_bytes)
        off += len(arr_bytes)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


w32 = torch.randn(64, 64) * 0.05
safetensors(p("safetensors-f32.safetensors"), {"l.weight": ("F32", w32.numpy().tobytes(), w32.shape), "l.bias": ("F32", torch.zeros(64).numpy().tobytes(), (64,))}, {"format": "pt"})
safetensors(p("safetensors-f16.safetensors"), {"l.weight": ("F16", w32.half().numpy().tobytes(), w32.shape)}, {"format": "pt"})
bf = w32.bfloat16().view(torch.int16).numpy().tobytes()
safetensors(p("safetensors-bf16.safetensors"), {"l.weight": ("BF16", bf, w32.shape)}, {"format": "pt"})

TEMPLATES = {
    "llama3": "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
    "chatml": "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    "qwen2.5": """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
""",
    "deepseek-r1": "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}{%- for message in messages %}{%- if message['role'] == 'system' %}{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and 'tool_calls' in message %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls'] %}{%- if not ns.is_first %}{%- if message['content'] is none %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}{%- else %}{{'<｜Assistant｜>' + message['content'] + '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}{%- endif %}{%- set ns.is_first = true -%}{%- else %}{{'\\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}{%- endif %}{%- endfor %}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- if message['role'] == 'assistant' and 'tool_calls' not in message %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}{%- else %}{{'<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}",
}


def gguf(path, template, arch):
    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    kvs = [("general.architecture", 8, s(arch)), ("general.name", 8, s(f"modelseal-{arch}-fixture")), ("general.alignment", 4, struct.pack("<I", 32)), ("tokenizer.chat_template", 8, s(template))]
    w = (np.random.randn(64, 32) * 0.02).astype("<f4")
    h = (np.random.randn(32) * 0.02).astype("<f2")
    tensors = [("token_embd.weight", w, 0), ("output_norm.weight", h, 1)]
    body = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for k, t, v in kvs:
        body += s(k) + struct.pack("<I", t) + v
    off = 0
    for name, arr, typ in tensors:
        body += s(name) + struct.pack("<I", arr.ndim) + b"".join(struct.pack("<Q", d) for d in reversed(arr.shape)) + struct.pack("<IQ", typ, off)
        off += (arr.nbytes + 31) // 32 * 32
    body += b"\0" * ((32 - len(body) % 32) % 32)
    for _, arr, _ in tensors:
        body += arr.tobytes() + b"\0" * ((32 - arr.nbytes % 32) % 32)
    with open(path, "wb") as f:
        f.write(body)


for name, tpl in TEMPLATES.items():
    gguf(p(f"gguf-{name}.gguf"), tpl, "llama" if name == "llama3" else "qwen2" if name.startswith("qwen") else "deepseek2" if name.startswith("deepseek") else "llama")
print("wrote", sorted(os.listdir(out)))
