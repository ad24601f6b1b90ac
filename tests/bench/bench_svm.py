#!/usr/bin/python3
"""SVM benchmark: `deepsvm svm` against GridSearchCV(SVC(), n_jobs=<cores>) on the same rows and
folds, both followed by the probability refit and test scoring (the seed's procedure).

  /usr/bin/python3 tests/bench/bench_svm.py --build build --rows 1000,5000 [--test-rows 2000] [--repeats 3]

Features: ResNet-50 avgpool (2048-d, random weights, 96 px, bf16) of a synthetic STL-10 set
made with `deepsvm demo-data`, so both sides see the same real-shaped data. Also times the
STL-10 protocol (the 10 predefined folds of fold_indices.txt) at the largest size.
Ours is timed as the median of --repeats whole-process runs, scikit-learn once (it takes
20 minutes at 5,000 rows). Prints a Markdown table; --out writes the JSON.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def sklearn_run(train, test, folds, cores):
    from sklearn.model_selection import GridSearchCV
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    t0 = time.perf_counter()
    xtr, ytr = np.load(train + ".features.npy").astype(np.float64), np.load(train + ".labels.npy")
    xte, yte = np.load(test + ".features.npy").astype(np.float64), np.load(test + ".labels.npy")
    scaler = StandardScaler().fit(xtr)
    xs = scaler.transform(xtr)
    grid = {"kernel": ["poly"], "C": [0.1, 1, 10, 100], "gamma": [1, 0.1, 0.01, 0.001]}
    search = GridSearchCV(SVC(), grid, cv=folds, n_jobs=cores).fit(xs, ytr)
    t_grid = time.perf_counter() - t0
    best = search.best_params_
    model = SVC(probability=True, random_state=0, **best).fit(xs, ytr)
    acc = float((model.predict(scaler.transform(xte)) == yte).mean())
    model.predict_proba(scaler.transform(xte))
    return {"seconds": time.perf_counter() - t0, "grid_seconds": t_grid, "best": best, "test_accuracy": acc}


def ours_run(binary, train, test, out, extra=(), repeats=1):
    """The median of `repeats` whole-process runs (this 2-core machine's timings vary by ~20%)."""
    runs = sorted((ours_once(binary, train, test, out, extra) for _ in range(repeats)), key=lambda r: r["seconds"])
    median = dict(runs[len(runs) // 2])
    median["all_seconds"] = [r["seconds"] for r in runs]
    return median


def ours_once(binary, train, test, out, extra=()):
    t0 = time.perf_counter()
    r = subprocess.run([binary, "svm", "--train", train, "--test", test, "--out", out, "--json", *extra],
                       check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    rep = json.loads(r.stdout)
    b = rep["best"]
    return {"seconds": seconds, "grid_seconds": rep["timings"]["grid_search_seconds"],
            "refit_seconds": rep["timings"]["refit_seconds"], "test_seconds": rep["timings"]["test_seconds"],
            "best": {"kernel": b["kernel"], "C": b["C"], "gamma": b["gamma"]},
            "test_accuracy": rep["test"]["accuracy"], "precomputed": rep["precomputed_kernels"]}


def subset(prefix, rows, out):
    x = np.load(prefix + ".features.npy")[:rows]
    y = np.load(prefix + ".labels.npy")[:rows]
    np.save(out + ".features.npy", x)
    np.save(out + ".labels.npy", y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rows", default="1000,5000")
    ap.add_argument("--test-rows", type=int, default=2000)
    ap.add_argument("--out")
    ap.add_argument("--repeats", type=int, default=3, help="runs of ours per size; the median is reported")
    ap.add_argument("--skip-sklearn-above", type=int, default=10**9,
                    help="do not run scikit-learn above this many rows (it can take hours)")
    a = ap.parse_args()
    binary = os.path.join(a.build, "app/deepsvm")
    cores = os.cpu_count()
    sizes = [int(s) for s in a.rows.split(",")]
    from sklearn.model_selection import StratifiedKFold
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        per_class = (max(sizes) + 9) // 10
        test_per_class = (a.test_rows + 9) // 10
        subprocess.run([binary, "demo-data", "--out", tmp, "--train-per-class", str(per_class),
                        "--test-per-class", str(test_per_class)], check=True, capture_output=True)
        feats = os.path.join(tmp, "f")
        subprocess.run([binary, "extract", "--data", tmp, "--backbone", "resnet50", "--size", "96",
                        "--precision", "bf16", "--out", feats], check=True, capture_output=True)
        for n in sizes:
            train = os.path.join(tmp, "train%d" % n)
            subset(feats + ".train", n, train)
            y = np.load(train + ".labels.npy")
            folds = list(StratifiedKFold(5).split(np.zeros(len(y)), y))
            ours = ours_run(binary, train, feats + ".test", os.path.join(tmp, "out%d" % n), repeats=a.repeats)
            row = {"rows": n, "dims": 2048, "ours": ours}
            if n <= a.skip_sklearn_above:
                row["sklearn"] = sklearn_run(train, feats + ".test", folds, cores)
            rows_out.append(row)
            print(json.dumps(row), file=sys.stderr)
        n = max(sizes)
        stl = ours_run(binary, os.path.join(tmp, "train%d" % n), feats + ".test", os.path.join(tmp, "stl"),
                       ["--fold-indices", os.path.join(tmp, "stl10_binary", "fold_indices.txt")],
                       repeats=a.repeats) if n == per_class * 10 else None
    print("| rows x dims | deepsvm total s | GridSearchCV + refit s | speed-up | same best | best (ours) | test acc ours / sklearn |")
    print("|---|---|---|---|---|---|---|")
    for r in rows_out:
        o, s = r["ours"], r.get("sklearn")
        if s:
            same = o["best"]["C"] == s["best"]["C"] and o["best"]["gamma"] == s["best"]["gamma"]
            print("| %d x %d | %.1f | %.1f | %.1fx | %s | C=%g gamma=%g | %.4f / %.4f |" % (
                r["rows"], r["dims"], o["seconds"], s["seconds"], s["seconds"] / o["seconds"], "yes" if same else "NO",
                o["best"]["C"], o["best"]["gamma"], o["test_accuracy"], s["test_accuracy"]))
        else:
            print("| %d x %d | %.1f | not run | | | C=%g gamma=%g | %.4f / - |" % (
                r["rows"], r["dims"], o["seconds"], o["best"]["C"], o["best"]["gamma"], o["test_accuracy"]))
    if stl:
        print("\nSTL-10 protocol (10 predefined folds) on %d rows: %.1f s in all (grid search %.1f s)"
              % (max(sizes), stl["seconds"], stl["grid_seconds"]))
    if a.out:
        json.dump({"rows": rows_out, "stl10_protocol": stl, "cores": cores}, open(a.out, "w"), indent=2)


if __name__ == "__main__":
    main()
