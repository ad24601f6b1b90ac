#!/usr/bin/python3
"""How many passes LinearSVC needs on Nystroem features of the SVM benchmark's data: the cost that
decides whether `--solver nystroem:M` (Nystroem + LinearSVC) can run the seed's grid at 100,000 rows.

  /usr/bin/python3 tests/bench/bench_nystroem_linearsvc.py --rows 8000 --landmarks 500 \
      [--points 1:0.1,1:100,0.01:0.1,0.01:100] [--separation 0.08]

For each gamma:C point: scikit-learn's Nystroem(kernel='poly', degree=3, coef0=0, gamma) with M
landmarks, then LinearSVC(C) with its defaults (tol 1e-4, max_iter 1000) on the standardised rows;
prints n_iter_ (1000 means it stopped at its cap without converging), seconds and training accuracy.
The data are bench_svm_large.py's (10 overlapping Gaussian classes in 2,048 dimensions).
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_svm_large import make  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=8000)
    ap.add_argument("--dims", type=int, default=2048)
    ap.add_argument("--landmarks", type=int, default=500)
    ap.add_argument("--separation", type=float, default=0.08)
    ap.add_argument("--points", default="1:0.1,1:100,0.01:0.1,0.01:100", help="gamma:C pairs")
    ap.add_argument("--work", default="/tmp/nystroem-linearsvc")
    a = ap.parse_args()
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.kernel_approximation import Nystroem
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC
    os.makedirs(a.work, exist_ok=True)
    prefix = os.path.join(a.work, "train%d" % a.rows)
    make(prefix, a.rows, a.dims, a.rows, a.separation)
    x = StandardScaler().fit_transform(np.load(prefix + ".features.npy").astype(np.float64))
    y = np.load(prefix + ".labels.npy")
    print("| gamma | C | LinearSVC n_iter_ | converged | fit s | training accuracy |")
    print("| ---: | ---: | ---: | --- | ---: | ---: |")
    for point in a.points.split(","):
        gamma, C = (float(v) for v in point.split(":"))
        mapped = Nystroem(kernel="poly", degree=3, coef0=0, gamma=gamma, n_components=a.landmarks,
                          random_state=0).fit_transform(x)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            svc = LinearSVC(C=C).fit(mapped, y)
        seconds = time.perf_counter() - t0
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        print("| %g | %g | %d | %s | %.1f | %.4f |" % (gamma, C, int(svc.n_iter_), "yes" if converged else "no",
                                                       seconds, float((svc.predict(mapped) == y).mean())), flush=True)


if __name__ == "__main__":
    main()
