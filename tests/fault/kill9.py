"""Fault injection: `kill -9` at random moments, then restart (ctest: tst_kill9).

    python3 tests/fault/kill9.py DEEPSVM_BINARY [--kills N] [--seed S] [--keep DIR]

Four jobs are killed N times each at a random moment of their run (uniform over the time an
uninterrupted run takes): feature caching (`extract`), model saving (`svm` over a folder
that holds an older complete model), fine-tuning checkpoints (`finetune`), and report
writing (`run`, with its PNG charts, over an older complete report). After every kill:

- every file under its final name is complete (.npy sizes agree with their header, JSON
  parses, PNGs end with IEND, .pth zips have their central directory) and is either the old
  version or the new one (compared with uninterrupted runs, timings aside);
- a restart finishes, reusing what was complete (cached splits, the last checkpoint's
  epoch), gives the uninterrupted run's results, and leaves no temporary file.

Only the standard library is used. Prints one line per kill and a summary; exits 1 on any
failure.
"""
import argparse
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, flush=True)


def verdict(before):
    return "ok" if len(failures) == before else "FAILED"


def run(cmd, timeout=600):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def run_and_kill(cmd, after):
    """Starts cmd, sends SIGKILL after `after` seconds; returns True if it was still running."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=after)
        return False
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return True


def timed(cmd):
    t0 = time.monotonic()
    r = run(cmd)
    if r.returncode != 0:
        raise SystemExit("setup failed: %s\n%s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    return time.monotonic() - t0, r


# --- file checks ------------------------------------------------------------------------------

def npy_problem(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        return "no .npy magic"
    major = data[6]
    if major == 1:
        hlen = struct.unpack("<H", data[8:10])[0]
        start = 10
    else:
        hlen = struct.unpack("<I", data[8:12])[0]
        start = 12
    header = data[start:start + hlen].decode("latin1")
    try:
        d = eval(header, {"__builtins__": {}}, {"True": True, "False": False})  # a literal dict, no names
    except Exception as e:
        return "header does not parse (%s)" % e
    size = {"<f4": 4, "<f8": 8, "<i8": 8, "<i4": 4, "|u1": 1}.get(d["descr"])
    if size is None:
        return "unexpected dtype " + d["descr"]
    n = 1
    for s in d["shape"]:
        n *= s
    if len(data) - start - hlen != n * size:
        return "holds %d data bytes, its header says %d" % (len(data) - start - hlen, n * size)
    return None


def file_problem(path):
    """Why the file is not complete, or None."""
    name = os.path.basename(path)
    try:
        if name.endswith(".npy"):
            return npy_problem(path)
        if name.endswith(".json"):
            with open(path, "rb") as f:
                json.loads(f.read().decode("utf-8"))
            return None
        if name.endswith(".png"):
            with open(path, "rb") as f:
                data = f.read()
            if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[-12:-8] != b"\x00\x00\x00\x00" or data[-8:-4] != b"IEND":
                return "PNG without its IEND chunk"
            return None
        if name.endswith(".pth") or name.endswith(".pt"):
            with zipfile.ZipFile(path) as z:
                bad = z.testzip()
            return "zip entry %s is damaged" % bad if bad else None
        if name.endswith(".pdf"):
            with open(path, "rb") as f:
                data = f.read()
            return None if data.rstrip().endswith(b"%%EOF") else "PDF without %%EOF"
        if name.endswith(".csv") or name.endswith(".libsvm"):
            with open(path, "rb") as f:
                data = f.read()
            return None if data.endswith(b"\n") else "text file not ending in a newline"
    except Exception as e:
        return "unreadable (%s)" % e
    return None


def normalised(path):
    """The file's content for old/new comparison: JSON without timings, other files as bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if not path.endswith(".json"):
        return data

    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items()
                    if k not in ("timings", "seconds", "images_per_second", "created", "started", "finished", "threads")}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return json.dumps(strip(json.loads(data.decode("utf-8"))), sort_keys=True).encode()


def snapshot(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            p = os.path.join(root, name)
            out[os.path.relpath(p, folder)] = normalised(p) if file_problem(p) is None else None
    return out


def temporaries(folder):
    found = []
    for root, _, files in os.walk(folder):
        found += [os.path.join(root, f) for f in files if ".tmp" in f]
    return found


def check_files(label, folder, old, new):
    """Every final file complete, and equal to its old or its new version."""
    for root, _, files in os.walk(folder):
        for name in files:
            if ".tmp" in name:
                continue  # a killed process's temporary: never under a final name
            p = os.path.join(root, name)
            rel = os.path.relpath(p, folder)
            problem = file_problem(p)
            if problem:
                fail("%s: %s is not complete: %s" % (label, rel, problem))
                continue
            versions = [v for v in (old.get(rel), new.get(rel)) if v is not None]
            if versions and normalised(p) not in versions:
                fail("%s: %s is neither the old nor the new version" % (label, rel))


def replace_folder_job(name, cmd, work, rng, n_kills):
    """`cmd --C 10 --out F` over a folder F that holds the complete output of `--C 1`, killed
    n_kills times: every file must stay old or new, and a restart must give the new folder
    (PNG charts are only checked for completeness: their bytes may differ run to run)."""
    old_dir, new_dir = os.path.join(work, name + "-old"), os.path.join(work, name + "-new")
    timed(cmd + ["--C", "1", "--out", old_dir])
    t_full, _ = timed(cmd + ["--C", "10", "--out", new_dir])
    old, new = snapshot(old_dir), snapshot(new_dir)
    kills = 0
    for k in range(n_kills):
        out = os.path.join(work, "%s-%d" % (name, k))
        shutil.copytree(old_dir, out)
        before = len(failures)
        at = rng.uniform(0.2, t_full)
        was_running = run_and_kill(cmd + ["--C", "10", "--out", out], at)
        kills += was_running
        check_files("%s kill %d at %.2f s" % (name, k, at), out, old, new)
        r = run(cmd + ["--C", "10", "--out", out])
        if r.returncode != 0:
            fail("%s restart %d: %s" % (name, k, r.stderr.decode(errors="replace")))
        else:
            got = snapshot(out)
            differ = [f for f in new if got.get(f) != new[f] and not f.endswith(".png")]
            if differ:
                fail("%s restart %d: %s differ from an uninterrupted run" % (name, k, differ))
            for f in new:
                if f.endswith(".png") and got.get(f) is None:
                    fail("%s restart %d: %s is missing or damaged" % (name, k, f))
        if temporaries(out):
            fail("%s restart %d left %s" % (name, k, temporaries(out)))
        print("%s: killed at %.2f s of %.2f (%s): every file old or new, restart equal: %s"
              % (name, at, t_full, "running" if was_running else "already done", verdict(before)), flush=True)
    return kills


# --- the jobs ---------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("deepsvm")
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="work in this folder and keep it")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = a.keep or tempfile.mkdtemp(prefix="deepsvm-kill9-")
    os.makedirs(work, exist_ok=True)
    D = a.deepsvm
    kills = 0

    demo = os.path.join(work, "demo")
    timed([D, "demo-data", "--out", demo, "--train-per-class", "12", "--test-per-class", "6"])
    net = ["--backbone", "resnet18", "--weights", "random"]

    # 1. Feature caching: train and test splits of the demo set.
    ref = os.path.join(work, "extract-ref")
    extract = [D, "extract", "--data", demo] + net + ["--size", "160", "--batch-size", "8", "--json"]
    t_extract, _ = timed(extract + ["--out", os.path.join(ref, "x")])
    new = snapshot(ref)
    for k in range(a.kills):
        out = os.path.join(work, "extract-%d" % k)
        before = len(failures)
        at = rng.uniform(0.3, t_extract)
        was_running = run_and_kill(extract + ["--out", os.path.join(out, "x")], at)
        kills += was_running
        check_files("extract kill %d at %.2f s" % (k, at), out, {}, new)
        # A split's set is complete as a whole: its sidecar is written last.
        for split in ("train", "test"):
            side = os.path.join(out, "x.%s.json" % split)
            if os.path.exists(side):
                for ext in (".features.npy", ".labels.npy"):
                    if not os.path.exists(os.path.join(out, "x.%s%s" % (split, ext))):
                        fail("extract kill %d: x.%s.json without x.%s%s" % (k, split, split, ext))
        done_before = [s for s in ("train", "test") if os.path.exists(os.path.join(out, "x.%s.json" % s))]
        r = run(extract + ["--out", os.path.join(out, "x")])
        if r.returncode != 0:
            fail("extract restart %d: %s" % (k, r.stderr.decode(errors="replace")))
            continue
        reused = [s["split"] for s in json.loads(r.stdout.decode())["splits"] if s["reused"]]
        if sorted(reused) != sorted(done_before):
            fail("extract restart %d reused %s, complete before: %s" % (k, reused, done_before))
        if snapshot(out) != new:
            fail("extract restart %d: the features differ from an uninterrupted run" % k)
        if temporaries(out):
            fail("extract restart %d left %s" % (k, temporaries(out)))
        print("extract: killed at %.2f s of %.2f (%s), %s complete, restart reused them: %s"
              % (at, t_extract, "running" if was_running else "already done", done_before or "nothing", verdict(before)), flush=True)

    # 2. Model saving: a folder holding an older complete model (C=1) gets a new one (C=10).
    feats = os.path.join(ref, "x")
    svm = [D, "svm", "--train", feats + ".train", "--test", feats + ".test", "--kernel", "poly", "--gamma", "0.01",
           "--folds", "3"]
    kills += replace_folder_job("svm", svm, work, rng, a.kills)

    # 3. Fine-tuning checkpoints: 4 epochs, killed, resumed.
    ft = [D, "finetune", "--data", demo] + net + ["--preset", "layer4", "--epochs", "4", "--size", "64",
                                                  "--batch-size", "16", "--seed", "3"]
    ft_ref = os.path.join(work, "ft-ref")
    t_ft, _ = timed(ft + ["--out", ft_ref])
    with open(os.path.join(ft_ref, "metrics.json")) as f:
        ref_epochs = [e["epoch"] for e in json.load(f)["epochs"]]
    for k in range(a.kills):
        out = os.path.join(work, "ft-%d" % k)
        before = len(failures)
        at = rng.uniform(0.5, t_ft)
        was_running = run_and_kill(ft + ["--out", out], at)
        kills += was_running
        check_files("finetune kill %d at %.2f s" % (k, at), out, {}, {})
        resumed_from = 0
        ck = os.path.join(out, "checkpoint.json")
        if os.path.exists(ck):
            with open(ck) as f:
                saved = json.load(f)
            resumed_from = saved["epoch"]
            for key in ("weights", "optimizer"):
                if not os.path.exists(os.path.join(out, saved[key])):
                    fail("finetune kill %d: checkpoint.json names %s, which is missing" % (k, saved[key]))
            if [e["epoch"] for e in saved["epochs"]] != list(range(1, resumed_from + 1)):
                fail("finetune kill %d: the checkpoint's epochs are not 1..%d" % (k, resumed_from))
        r = run(ft + ["--out", out])
        if r.returncode != 0:
            fail("finetune restart %d: %s" % (k, r.stderr.decode(errors="replace")))
            continue
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
        if [e["epoch"] for e in metrics["epochs"]] != ref_epochs:
            fail("finetune restart %d: epochs %s" % (k, [e["epoch"] for e in metrics["epochs"]]))
        if metrics.get("resumed_from", 0) != resumed_from:
            fail("finetune restart %d resumed from epoch %s, the checkpoint held %d"
                 % (k, metrics.get("resumed_from"), resumed_from))
        check_files("finetune restart %d" % k, out, {}, {})
        if temporaries(out):
            fail("finetune restart %d left %s" % (k, temporaries(out)))
        stale = [f for f in os.listdir(out) if f.startswith("checkpoint-epoch") and str(ref_epochs[-1]) not in f]
        if stale:
            fail("finetune restart %d left older checkpoints %s" % (k, stale))
        print("finetune: killed at %.2f s of %.2f (%s), checkpoint at epoch %d, resumed from it: %s"
              % (at, t_ft, "running" if was_running else "already done", resumed_from, verdict(before)), flush=True)

    # 4. Report writing: `run` with charts over an older complete report folder.
    run_cmd = [D, "run", "--data", demo] + net + ["--size", "64", "--gamma", "0.01", "--folds", "3"]
    kills += replace_folder_job("run", run_cmd, work, rng, a.kills)

    print("%d kills of running processes, %d restarts checked, %d failures" % (kills, 4 * a.kills, len(failures)))
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
