#!/usr/bin/python3
"""The SVM at tens of thousands of rows: `deepsvm svm` with the seed's grid (poly, C x gamma 4 x 4),
5 folds, the probability refit, out-of-fold predictions and test scoring, per size; wall time, peak
RSS, the solver and kernel storage it chose, and the growth exponent between sizes.

  /usr/bin/python3 tests/bench/bench_svm_large.py --deepsvm build/app/deepsvm --rows 10000,20000 \
      --dims 2048 --work /tmp/svm-large [--solver auto] [--out docs/bench-svm-large.json]

Features: 10 Gaussian classes whose centres overlap (seeded; generated here, so every size is
the same problem drawn larger), 2,000 test rows.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np


def make(prefix, n, dims, seed, separation):
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(size=(10, dims)) * separation
    y = rng.integers(0, 10, size=n)
    x = (centres[y] + rng.normal(size=(n, dims))).astype(np.float32)
    np.save(prefix + ".features.npy", x)
    np.save(prefix + ".labels.npy", y.astype(np.int64))


def run(binary, train, test, out, solver):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        err = os.open(out + ".stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(err, 2)
        os.execv(binary, [binary, "svm", "--train", train, "--test", test, "--out", out, "--solver", solver])
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("deepsvm svm failed: see " + out + ".stderr.txt")
    rep = json.load(open(out + "/report.json"))
    return {"seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024,
            "solver": rep["solver"]["name"], "estimated_seconds": rep["solver"]["estimated_seconds"],
            "kernel_storage": rep.get("kernel_storage"), "best": rep["best"], "timings": rep["timings"],
            "test_accuracy": rep["test"]["accuracy"], "oof_accuracy": rep["oof"]["accuracy"],
            "test_roc_auc_macro": rep["test"]["roc_auc_macro"]}


def sklearn_one_fit(train, best):
    """scikit-learn's SVC at the best point on the first of 5 stratified folds: the time of one
    of GridSearchCV's fits (fit + scoring the validation rows), for a ratio extrapolated to its
    grid when the whole GridSearchCV would take too long to run."""
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    x = StandardScaler().fit_transform(np.load(train + ".features.npy").astype(np.float64))
    y = np.load(train + ".labels.npy")
    tr, va = next(StratifiedKFold(5).split(x, y))
    t0 = time.perf_counter()
    svc = SVC(kernel=best["kernel"], C=best["C"], gamma=best["gamma"], degree=best["degree"], coef0=best["coef0"])
    svc.fit(x[tr], y[tr])
    accuracy = float((svc.predict(x[va]) == y[va]).mean())
    return {"seconds": time.perf_counter() - t0, "fold_accuracy": accuracy, "support_vectors": int(svc.n_support_.sum())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deepsvm", default="build/app/deepsvm")
    ap.add_argument("--rows", default="10000,20000")
    ap.add_argument("--dims", type=int, default=2048)
    ap.add_argument("--solver", default="auto")
    ap.add_argument("--separation", type=float, default=0.045,
                    help="scale of the class centres against unit noise: 0.045 leaves the classes barely "
                         "separable (nearly every row a support vector), 0.08 about as separable as a good "
                         "backbone's features")
    ap.add_argument("--work", default="/tmp/svm-large")
    ap.add_argument("--out")
    ap.add_argument("--sklearn-one-fit", action="store_true",
                    help="also time one of scikit-learn's GridSearchCV fits per size (at our best point)")
    ap.add_argument("--sklearn-max-rows", type=int, default=20000,
                    help="sizes above this skip scikit-learn's fit (20,000 rows took 811 s here; it grows as n^2)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    test = os.path.join(a.work, "test")
    make(test, 2000, a.dims, 7, a.separation)
    results = []
    for n in [int(r) for r in a.rows.split(",")]:
        train = os.path.join(a.work, "train%d" % n)
        make(train, n, a.dims, n, a.separation)
        r = run(a.deepsvm, train, test, os.path.join(a.work, "out%d" % n), a.solver)
        r["rows"] = n
        if a.sklearn_one_fit and n <= a.sklearn_max_rows:
            r["sklearn_one_fit"] = sklearn_one_fit(train, r["best"])
            # Our score on the same fold at the same point, for the comparison.
            rep = json.load(open(os.path.join(a.work, "out%d" % n, "report.json")))
            for c in rep["cv"]:
                if all(c.get(k) == v for k, v in r["best"].items()):
                    r["sklearn_one_fit"]["ours_fold_accuracy"] = c["folds"][0]
                    break
        results.append(r)
        print(json.dumps(r), file=sys.stderr)
    print("| rows | solver | kernel storage | seconds (estimate) | grid / refit / oof / test s | peak RSS | test accuracy |")
    print("| ---: | --- | --- | ---: | --- | ---: | ---: |")
    for r in results:
        t = r["timings"]
        print("| %d | %s | %s | %.0f (%.0f) | %.0f / %.0f / %.0f / %.0f | %.2f GB | %.4f |" % (
            r["rows"], r["solver"], r["kernel_storage"] or "-", r["seconds"], r["estimated_seconds"],
            t["grid_search_seconds"], t["refit_seconds"], t["oof_seconds"], t["test_seconds"],
            r["peak_rss_mib"] / 1024, r["test_accuracy"]))
    for a_, b_ in zip(results, results[1:]):
        exponent = math.log(b_["seconds"] / a_["seconds"]) / math.log(b_["rows"] / a_["rows"])
        print("\ngrowth %d -> %d rows: time x%.2f, exponent %.2f" % (a_["rows"], b_["rows"], b_["seconds"] / a_["seconds"],
                                                                    exponent))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"dims": a.dims, "solver": a.solver, "separation": a.separation, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
