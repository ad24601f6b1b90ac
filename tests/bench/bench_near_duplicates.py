#!/usr/bin/python3
"""How well `deepsvm near-duplicates` separates copies of a photo from distinct photos.

Copies every photo of PHOTOS (a class folder, e.g. ../shared/data/cifar10-sample) into a
class folder under WORK, adds edited copies of the first --per-class photos of each class
(a JPEG re-encode at quality 60, a resize to 90% of the side, and a 1-pixel-border crop:
the first two must be found, the crop is reported apart),
extracts features with `deepsvm extract` (random weights unless --weights is given), runs
`deepsvm near-duplicates --threshold -1` over everything and reports, as JSON: the lowest
similarity of a photo and its edited copy, the highest similarity of two distinct photos,
and how many of each side of the default threshold.

  /usr/bin/python3 tests/bench/bench_near_duplicates.py --deepsvm build/app/deepsvm \
      --photos ../shared/data/cifar10-sample --work /tmp/nd
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

from PIL import Image

EDITS = {
    "q60": lambda im: (im, {"format": "JPEG", "quality": 60}),
    "r90": lambda im: (im.resize((max(1, round(im.width * 0.9)), max(1, round(im.height * 0.9))), Image.BILINEAR),
                       {"format": "PNG"}),
    "crop1": lambda im: (im.crop((1, 1, im.width - 1, im.height - 1)), {"format": "PNG"}),
}


def build(photos, data, per_class):
    """Returns {copy path: original path} for the edited copies."""
    copies = {}
    for cls in sorted(os.listdir(photos)):
        src = os.path.join(photos, cls)
        if not os.path.isdir(src):
            continue
        dst = os.path.join(data, cls)
        os.makedirs(dst, exist_ok=True)
        for i, name in enumerate(sorted(os.listdir(src))):
            original = os.path.join(dst, name)
            shutil.copyfile(os.path.join(src, name), original)
            if i >= per_class:
                continue
            stem = os.path.splitext(name)[0]
            with Image.open(original) as im:
                im = im.convert("RGB")
                for tag, edit in EDITS.items():
                    out, kw = edit(im)
                    path = os.path.join(dst, "%s_%s.%s" % (stem, tag, "jpg" if kw["format"] == "JPEG" else "png"))
                    out.save(path, **kw)
                    copies[path] = original
    return copies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deepsvm", required=True)
    ap.add_argument("--photos", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--per-class", type=int, default=5)
    ap.add_argument("--backbone", default="resnet18")
    ap.add_argument("--weights", default="random")
    ap.add_argument("--size", default="224")
    ap.add_argument("--default-threshold", type=float, required=True)
    a = ap.parse_args()
    data = os.path.join(a.work, "data")
    shutil.rmtree(a.work, ignore_errors=True)
    copies = build(a.photos, data, a.per_class)
    prefix = os.path.join(a.work, "features")
    subprocess.run([a.deepsvm, "extract", "--data", data, "--backbone", a.backbone, "--weights", a.weights,
                    "--size", a.size, "--out", prefix], check=True)
    pairs_csv = os.path.join(a.work, "pairs.csv")
    subprocess.run([a.deepsvm, "near-duplicates", "--features", prefix, "--threshold", "-1", "--out", pairs_csv],
                   check=True)
    same = lambda p, q: os.path.realpath(p) == os.path.realpath(q)
    origin = {os.path.realpath(k): os.path.realpath(v) for k, v in copies.items()}
    root = lambda p: origin.get(os.path.realpath(p), os.path.realpath(p))
    dup, distinct, cropped = [], [], []
    ids = lambda p: p if os.path.isabs(p) else os.path.join(data, p)
    with open(pairs_csv) as f:
        for row in csv.DictReader(f):
            a_id, b_id = ids(row["a_id"]), ids(row["b_id"])
            pair = (float(row["similarity"]), a_id, b_id)
            if root(a_id) != root(b_id):
                distinct.append(pair)
            elif "_crop1." in a_id or "_crop1." in b_id:
                cropped.append(pair)  # reported, not required: a crop is a different picture
            else:
                dup.append(pair)
    dup.sort()
    distinct.sort(reverse=True)
    t = a.default_threshold
    report = {
        "backbone": a.backbone, "weights": a.weights, "size": int(a.size),
        "photos": sum(len(fs) for _, _, fs in os.walk(data)) - len(copies), "edited_copies": len(copies),
        "copy_pairs": len(dup), "distinct_pairs": len(distinct),
        "lowest_copy_similarity": dup[0][0], "lowest_copy_pair": dup[0][1:],
        "highest_distinct_similarity": distinct[0][0], "highest_distinct_pair": distinct[0][1:],
        "threshold": t,
        "copy_pairs_found": sum(s >= t for s, _, _ in dup),
        "distinct_pairs_above": sum(s >= t for s, _, _ in distinct),
        "lowest_by_edit": {tag: min(s for s, x, y in dup + cropped if ("_" + tag + ".") in x or ("_" + tag + ".") in y)
                           for tag in EDITS},
        "crop_pairs_found": sum(s >= t for s, _, _ in cropped), "crop_pairs": len(cropped),
    }
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
