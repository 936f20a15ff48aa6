#!/usr/bin/env python3
"""Extracts tar archives the ways real consumers do and prints what landed on disk, as JSON.

    extract-trees.py WORKDIR ARCHIVE...

For each archive: GNU `tar -x` (exit status and stderr kept), Python tarfile `r:*` and `r|*`
(the streaming mode webdataset uses). Each extraction goes to its own directory under WORKDIR;
the result lists every regular file with its size and SHA-256, every symlink with its target,
and every other non-directory entry by kind. Prints one JSON object: {archive: {mode: tree}}.
Used by the differential tar test and the bypass regression test (testdata/dataset).
"""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import warnings

warnings.simplefilter("ignore")


def tree(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    out[rel] = {"size": st.st_size, "sha256": hashlib.sha256(f.read()).hexdigest()}
            elif stat.S_ISLNK(st.st_mode):
                out[rel] = {"link": os.readlink(p)}
            elif not stat.S_ISDIR(st.st_mode):
                out[rel] = {"other": stat.S_IFMT(st.st_mode)}
    return out


def python_extract(archive, mode, dest):
    try:
        with tarfile.open(archive, mode) as t:
            kwargs = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
            t.extractall(dest, **kwargs)
        return {"ok": True, "tree": tree(dest)}
    except Exception as e:  # the extractor refused: no bytes to compare
        return {"ok": False, "error": f"{type(e).__name__}: {e}"[:300], "tree": tree(dest)}


def gnu_extract(archive, dest):
    if shutil.which("tar") is None:
        return None
    r = subprocess.run(["tar", "-x", "-f", archive, "-C", dest], capture_output=True, timeout=60)
    return {"ok": r.returncode == 0, "status": r.returncode, "stderr": r.stderr.decode("utf-8", "replace")[:300], "tree": tree(dest)}


def main():
    work = sys.argv[1]
    result = {}
    for i, archive in enumerate(sys.argv[2:]):
        per = {}
        for mode in ("gnu", "r:*", "r|*"):
            dest = os.path.join(work, f"{i}-{mode.replace(':', 'c').replace('|', 'p').replace('*', 's')}")
            os.makedirs(dest)
            per[mode] = gnu_extract(archive, dest) if mode == "gnu" else python_extract(archive, mode, dest)
            shutil.rmtree(dest, ignore_errors=True)
        result[archive] = per
    json.dump(result, sys.stdout)


main()
