#!/usr/bin/env python3
"""Reference resolver for the pickle differential test. Never unpickles anything.

  python3 testdata/pickle-reference.py gen       -> JSON list of hex pickles made by pickle.dumps
                                                     (every protocol, optimized and not)
  python3 testdata/pickle-reference.py resolve   <- JSON list of hex pickles on stdin
                                                 -> per pickle, per stream: the imports an
                                                    Unpickler would perform, in order

Opcodes and their arguments come from pickletools.genops; a small stack machine (driven by each
opcode's stack_before/stack_after description) tracks the strings that reach STACK_GLOBAL through
the memo. GLOBAL/INST lines are re-read raw and decoded as UTF-8, because that is what CPython's
load_global does (genops applies escape_decode to them, CPython does not). fix_imports is applied
with the protocol in force at the import, exactly as Unpickler.find_class does.
"""
import _compat_pickle
import argparse
import collections
import io
import json
import pickle
import pickletools
import sys

MARK = object()


class Unknown:
    pass


def fix(module, name, proto):
    if proto < 3:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(module, name)]
        if module in _compat_pickle.IMPORT_MAPPING:
            return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


def raw_lines(data, pos, n):
    """The n newline-terminated lines after the opcode byte at pos, as CPython reads them."""
    out, p = [], pos + 1
    for _ in range(n):
        e = data.index(b"\n", p)
        out.append(data[p:e].decode("utf-8"))
        p = e + 1
    return out


STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"}


def resolve_stream(data, start):
    f = io.BytesIO(data)
    f.seek(start)
    stack, memo, proto, found = [], {}, 0, []
    end = None
    error = None
    try:
        for op, arg, pos in pickletools.genops(f):
            name = op.name
            if name == "PROTO":
                proto = arg
                continue
            if name in ("PUT", "BINPUT", "LONG_BINPUT"):
                if arg < 0:
                    raise ValueError("negative PUT")
                memo[arg] = stack[-1]
                continue
            if name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
                continue
            if name in ("GET", "BINGET", "LONG_BINGET"):
                if arg not in memo:
                    raise KeyError("memo miss")
                stack.append(memo[arg])
                continue
            if name == "DUP":
                stack.append(stack[-1])
                continue
            if name in ("GLOBAL", "INST"):
                module, attr = raw_lines(data, pos, 2)
                m, a = fix(module, attr, proto)
                found.append([module, attr, m, a])
            if name == "STACK_GLOBAL":
                attr, module = stack.pop(), stack.pop()
                if not isinstance(attr, str) or not isinstance(module, str):
                    found.append(["?", "?", "?", "?"])
                    stack.append(Unknown())
                    continue
                m, a = fix(module, attr, proto)
                found.append([module, attr, m, a])
                stack.append(Unknown())
                continue
            if name == "STOP":
                end = f.tell()
                break
            # Generic stack effect from the opcode's own description.
            before = op.stack_before
            if pickletools.markobject in before:
                while stack and stack[-1] is not MARK:
                    stack.pop()
                if not stack:
                    raise ValueError("no mark")
                stack.pop()
                before = [x for x in before if x not in (pickletools.markobject, pickletools.stackslice)]
            for _ in before:
                if not stack or stack[-1] is MARK:
                    raise ValueError("underflow")
                stack.pop()
            for x in op.stack_after:
                if x is pickletools.markobject:
                    stack.append(MARK)
                elif name in STRING_OPS:
                    stack.append(arg if isinstance(arg, str) else arg.decode("latin-1"))
                else:
                    stack.append(Unknown())
    except Exception as e:  # a broken stream ends the walk, as it ends a real load()
        error = type(e).__name__
    return found, end, error


def resolve(data):
    streams, pos = [], 0
    while pos < len(data) and len(streams) < 64:
        found, end, error = resolve_stream(data, pos)
        streams.append({"globals": found, "complete": end is not None, "error": error})
        if end is None:
            break
        pos = end
    return streams


class Outer:
    class Inner:
        pass


def generated():
    objs = [
        {"lr": 0.1, "n": 3},
        collections.OrderedDict(a=1),
        argparse.Namespace(x=1),
        [collections.Counter("aab"), frozenset({1, 2}), {1, 2}, b"bytes", bytearray(b"x")],
        argparse.ArgumentParser.parse_args,
        collections.OrderedDict.fromkeys,
        Outer.Inner,
        range(3),
        complex(1, 2),
        [("shared", "shared")] * 3,
    ]
    out = []
    for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
        for o in objs:
            try:
                p = pickle.dumps(o, protocol=proto)
            except Exception:
                continue
            out.append(p.hex())
            out.append(pickletools.optimize(p).hex())
            out.append((p + pickle.dumps(o, protocol=max(0, proto - 1))).hex())
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["gen"]:
        json.dump(generated(), sys.stdout)
    elif sys.argv[1:] == ["resolve"]:
        json.dump([resolve(bytes.fromhex(h)) for h in json.load(sys.stdin)], sys.stdout)
    else:
        sys.exit("usage: pickle-reference.py gen|resolve")
