#!/usr/bin/python3
"""`deepsvm classify` of a folder against `deepsvm extract` of the same images.

Builds a class folder of 2 x the photos of PHOTOS (each photo and its mirror image, e.g.
1,000 files from ../shared/data/cifar10-sample), runs `deepsvm run` on it with half held out
for testing, then times `extract` and `classify` over all the files (same network, size and
batch size), and checks that classify predicts every held-out image as the run's own test
scoring did (predictions.csv).

  /usr/bin/python3 tests/bench/bench_classify.py --deepsvm build/app/deepsvm \
      --photos ../shared/data/cifar10-sample --work /tmp/cb
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time

from PIL import Image, ImageOps


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deepsvm", required=True)
    ap.add_argument("--photos", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--backbone", default="resnet18")
    ap.add_argument("--size", default="96")
    ap.add_argument("--batch-size", default="32")
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    data = os.path.join(a.work, "data")
    n = 0
    for cls in sorted(os.listdir(a.photos)):
        os.makedirs(os.path.join(data, cls))
        for name in sorted(os.listdir(os.path.join(a.photos, cls))):
            src = os.path.join(a.photos, cls, name)
            stem = os.path.splitext(name)[0]
            shutil.copyfile(src, os.path.join(data, cls, name))
            with Image.open(src) as im:
                ImageOps.mirror(im.convert("RGB")).save(os.path.join(data, cls, stem + "_m.png"))
            n += 2
    net = ["--backbone", a.backbone, "--weights", "random", "--size", a.size, "--batch-size", a.batch_size]
    model = os.path.join(a.work, "model")
    subprocess.run([a.deepsvm, "run", "--data", data] + net + ["--kernel", "rbf", "--C", "1,10", "--gamma", "scale",
                   "--folds", "3", "--test-fraction", "0.5", "--out", model], check=True, stderr=subprocess.DEVNULL)
    extract_s = timed([a.deepsvm, "extract", "--data", data] + net + ["--no-cache", "--out", os.path.join(a.work, "f")])
    out_csv = os.path.join(a.work, "classified.csv")
    classify_s = timed([a.deepsvm, "classify", "--model", model, data, "--batch-size", a.batch_size, "--csv", out_csv])
    predicted = {}
    for r in csv.DictReader(open(out_csv)):
        predicted[os.path.relpath(r["path"], data)] = r["predicted"]
    side = json.load(open(os.path.join(model, "features", "features.test.json")))
    names = json.load(open(os.path.join(model, "report.json")))["class_names"]
    rows = list(csv.DictReader(open(os.path.join(model, "predictions.csv"))))
    same = sum(predicted.get(side["ids"][int(r["index"])]) == names[int(r["predicted"])] for r in rows)
    report = {"images": n, "backbone": a.backbone, "size": int(a.size), "batch_size": int(a.batch_size),
              "extract_seconds": round(extract_s, 2), "extract_images_per_second": round(n / extract_s, 1),
              "classify_seconds": round(classify_s, 2), "classify_images_per_second": round(n / classify_s, 1),
              "classify_vs_extract": round(extract_s / classify_s, 3),
              "test_images": len(rows), "same_prediction_as_run": same}
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
