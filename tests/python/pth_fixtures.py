#!/usr/bin/python3
"""Fixtures for tests/core/tst_pthfile.cpp (the restricted .pth reader/writer).

Usage:
  pth_fixtures.py OUTDIR
      Writes .pth fixtures into OUTDIR, and for each group of valid ones the expected
      contents: GROUP.json (names, dtypes, shapes, byte ranges in file order) and GROUP.bin
      (every tensor's elements in row-major order, concatenated).
  pth_fixtures.py --check WRITTEN REFERENCE [--load-into resnet18]
      Loads WRITTEN (produced by our writer) with torch.load and compares every tensor with
      REFERENCE bitwise (names, order, dtype, shape, values, storage sharing); optionally
      loads it into torchvision's model with strict=True. Exit status 0 on success.

Must run with an interpreter that has torch 1.13 and torchvision 0.14 (/usr/bin/python3).
"""

import json
import os
import sys
import zipfile

import torch
import torchvision


def tensor_bytes(t):
    return t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def write_expected(outdir, group, sd):
    entries, blob = [], bytearray()
    for name, t in sd.items():
        data = tensor_bytes(t)
        entries.append({"name": name, "dtype": dtype_name(t), "shape": list(t.shape),
                        "offset": len(blob), "nbytes": len(data)})
        blob += data
    with open(os.path.join(outdir, group + ".json"), "w") as f:
        json.dump({"tensors": entries}, f)
    with open(os.path.join(outdir, group + ".bin"), "wb") as f:
        f.write(blob)


def save_both(outdir, stem, sd, **kwargs):
    torch.save(sd, os.path.join(outdir, stem + ".pth"), **kwargs)
    torch.save(sd, os.path.join(outdir, stem + "_legacy.pth"), _use_new_zipfile_serialization=False, **kwargs)


def rezip(src, dst, compression=zipfile.ZIP_STORED, patch=None):
    """Copies a torch zip entry by entry (optionally patching entries) with Python's zipfile."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=compression) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if patch:
                data = patch(info.filename, data)
            zout.writestr(info.filename, data)


def resnet18_dict():
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    # Distinct num_batches_tracked values, so the int64 0-dim buffers are checked by value.
    for i, m in enumerate(model.modules()):
        if isinstance(m, torch.nn.BatchNorm2d):
            m.num_batches_tracked.fill_(i * 1000003)
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    return model


def views_dict():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return {
        "base": base,
        "slice": base[:, 1:],          # offset 1, strides (6, 1), shares base's storage
        "transposed": base.t(),        # strides (1, 6)
        "row": base[2],                # offset 12
        "every_other": base[::2, ::3],  # strides (12, 3)
        "expanded": torch.arange(3.0).expand(4, 3),  # stride 0
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
        "long_shape": torch.arange(32.0).reshape(2, 2, 2, 2, 2),  # > 3 dims: TUPLE, not TUPLE1-3
    }


def dtypes_dict():
    g = torch.Generator().manual_seed(1)
    r = torch.randn(3, 5, generator=g) * 1000
    return {
        "f32": r.float(),
        "f64": r.double(),
        "f16": (r / 100).half(),
        "bf16": r.bfloat16(),
        "i64": (r * 1e9).long(),
        "i32": r.int(),
        "i16": r.short(),
        "i8": (r / 10).char(),
        "u8": (r.abs() % 256).byte(),
        "bool": r > 0,
    }


class RunsCommand:
    """Pickles as a call of `func(arg)`: what a malicious .pth would contain."""

    def __init__(self, func, arg):
        self.func, self.arg = func, arg

    def __reduce__(self):
        return (self.func, (self.arg,))


def generate(outdir):
    os.makedirs(outdir, exist_ok=True)
    p = lambda name: os.path.join(outdir, name)

    sd = resnet18_dict().state_dict()
    save_both(outdir, "resnet18", sd)
    write_expected(outdir, "resnet18", sd)
    torch.save(resnet18_dict().state_dict(keep_vars=True), p("resnet18_parameters.pth"))  # _rebuild_parameter

    views = views_dict()
    save_both(outdir, "views", views)
    write_expected(outdir, "views", views)

    dtypes = dtypes_dict()
    save_both(outdir, "dtypes", dtypes)
    write_expected(outdir, "dtypes", dtypes)
    # Protocol 4 exercises FRAME, SHORT_BINUNICODE, MEMOIZE and STACK_GLOBAL.
    torch.save(dtypes, p("dtypes_protocol4.pth"), pickle_protocol=4)

    # The same archive with zip64 records everywhere (zipfile's limits patched down).
    limits = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 0, 0
    try:
        rezip(p("views.pth"), p("views_zip64.pth"))
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = limits

    mixed = {"w": torch.ones(2), "note": 5, "name": "x", "nothing": None}
    torch.save(mixed, p("mixed.pth"))
    write_expected(outdir, "mixed", {"w": mixed["w"]})

    # --- files the reader must reject ---
    marker = p("PWNED")
    torch.save({"weight": torch.ones(2), "payload": RunsCommand(os.system, "touch " + marker)},
               p("evil_system.pth"))
    torch.save({"weight": torch.ones(2), "payload": RunsCommand(os.system, "touch " + marker)},
               p("evil_system_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save({"weight": torch.ones(2),
                "payload": RunsCommand(eval, "__import__('os').system('touch %s')" % marker)},
               p("evil_eval_protocol4.pth"), pickle_protocol=4)
    torch.save({"w": torch.ones(2), "tags": {1, 2}}, p("set_protocol4.pth"), pickle_protocol=4)  # EMPTY_SET
    torch.save({"epoch": 3, "model": {"w": torch.ones(2)}}, p("checkpoint.pth"))
    torch.save([torch.ones(2)], p("list.pth"))
    rezip(p("views.pth"), p("compressed.pth"), compression=zipfile.ZIP_DEFLATED)

    # A tensor claiming 10 elements of a 4-element storage: patch its size tuple (4,) -> (10,).
    torch.save({"w": torch.arange(4.0)}, p("short_storage_src.pth"))

    def grow(name, data):
        if not name.endswith("data.pkl"):
            return data
        old = b"K\x00K\x04\x85"  # offset 0, then size (4,)
        assert data.count(old) == 1, data
        return data.replace(old, b"K\x00K\x0a\x85")

    rezip(p("short_storage_src.pth"), p("short_storage.pth"), patch=grow)
    os.remove(p("short_storage_src.pth"))


def check(written, reference, load_into):
    got = torch.load(written)
    want = torch.load(reference)
    if list(got.keys()) != list(want.keys()):
        raise SystemExit("keys differ: %s vs %s" % (list(got.keys())[:5], list(want.keys())[:5]))
    for name, w in want.items():
        g = got[name]
        if g.dtype != w.dtype or g.shape != w.shape or tensor_bytes(g) != tensor_bytes(w):
            raise SystemExit("tensor %s differs (%s %s vs %s %s)" % (name, g.dtype, tuple(g.shape), w.dtype,
                                                                      tuple(w.shape)))
    # Views of one storage in the reference must still share a storage.
    for a in want:
        for b in want:
            shared_want = want[a].storage().data_ptr() == want[b].storage().data_ptr()
            shared_got = got[a].storage().data_ptr() == got[b].storage().data_ptr()
            if shared_want and not shared_got:
                raise SystemExit("tensors %s and %s no longer share a storage" % (a, b))
    if load_into:
        model = getattr(torchvision.models, load_into)()
        model.load_state_dict(got, strict=True)
        for name, t in model.state_dict().items():
            if tensor_bytes(t) != tensor_bytes(want[name]):
                raise SystemExit("model tensor %s differs after load_state_dict" % name)
    print("OK: %d tensors match%s" % (len(want), " and load into " + load_into if load_into else ""))


def main(argv):
    if argv and argv[0] == "--check":
        if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--load-into"):
            print(__doc__, file=sys.stderr)
            return 2
        check(argv[1], argv[2], argv[4] if len(argv) == 5 else None)
        return 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    generate(argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
