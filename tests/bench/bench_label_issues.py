#!/usr/bin/python3
"""Label-issue precision and recall of `deepsvm label-issues` on generated features with
known flipped labels, against the baseline "every row whose out-of-fold prediction differs
from its label".

Ten overlapping Gaussian classes (so the model also makes honest mistakes), --flip of the
labels moved to another class at random; the SVM is rbf, C=1, gamma=scale, 5 folds.

  /usr/bin/python3 tests/bench/bench_label_issues.py --deepsvm build/app/deepsvm --work /tmp/li
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deepsvm", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--per-class", type=int, default=200)
    ap.add_argument("--dims", type=int, default=32)
    ap.add_argument("--spread", type=float, default=0.55, help="class centres ~ N(0, spread^2) per dimension")
    ap.add_argument("--flip", type=float, default=0.06)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    centres = rng.normal(0, a.spread, (a.classes, a.dims))
    y = np.repeat(np.arange(a.classes), a.per_class)
    rng.shuffle(y)
    x = (centres[y] + rng.normal(0, 1, (len(y), a.dims))).astype(np.float32)
    given = y.copy()
    flipped = rng.choice(len(y), int(round(a.flip * len(y))), replace=False)
    given[flipped] = (y[flipped] + rng.integers(1, a.classes, len(flipped))) % a.classes
    os.makedirs(a.work, exist_ok=True)
    prefix = os.path.join(a.work, "noisy")
    np.save(prefix + ".features.npy", x)
    np.save(prefix + ".labels.npy", given.astype(np.int64))
    out = os.path.join(a.work, "issues")
    t0 = time.perf_counter()
    subprocess.run([a.deepsvm, "label-issues", "--train", prefix, "--kernel", "rbf", "--C", "1", "--gamma", "scale",
                    "--folds", "5", "--out", out], check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    truth = set(int(i) for i in flipped)
    flagged = [int(r["index"]) for r in csv.DictReader(open(os.path.join(out, "label_issues.csv")))]
    base = []
    for r in csv.DictReader(open(os.path.join(out, "svm", "oof_predictions.csv"))):
        p = [float(r["p_%d" % k]) for k in range(a.classes)]
        if int(np.argmax(p)) != int(r["true"]):
            base.append(int(r["index"]))

    def score(rows):
        hits = sum(i in truth for i in rows)
        return {"flagged": len(rows), "precision": hits / max(len(rows), 1), "recall": hits / len(truth)}

    report = {"rows": len(y), "classes": a.classes, "dims": a.dims, "flipped": len(truth), "seconds": round(seconds, 1),
              "oof_accuracy_vs_given": json.load(open(os.path.join(out, "svm", "report.json")))["oof"]["accuracy"],
              "confident_learning": score(flagged), "prediction_differs": score(base),
              "top_flipped_rate": sum(i in truth for i in flagged[:len(truth)]) / len(truth)}
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
