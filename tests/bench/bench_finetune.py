#!/usr/bin/python3
"""Fine-tuning throughput: `deepsvm finetune` against a plain PyTorch/torchvision training loop
with the same selection, batch, optimiser, augmentation and threads, alternating runs.

  /usr/bin/python3 tests/bench/bench_finetune.py --build build [--rounds 3] [--images 640]
        [--backbone resnet50] [--layers layer4] [--size 96] [--batch 32] [--out docs/bench-finetune.json]

Both read the same synthetic STL-10 training file, decode it, random-crop (padding 4) and flip,
normalise, and train the chosen layers plus a new 10-class head with SGD (momentum 0.9, weight
decay 1e-4); frozen parts stay in eval mode. Each run does 2 epochs without validation; the
figure is the second epoch's training images per second (the first includes warm-up).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3"


def torchvision_epoch_rate(data, backbone, layers, size, batch, images, threads, precision):
    import numpy as np
    import torch
    import torchvision
    from torchvision import transforms as T

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = np.fromfile(os.path.join(data, "stl10_binary", "train_X.bin"), dtype=np.uint8).reshape(-1, 3, 96, 96)
    x = np.transpose(x, (0, 3, 2, 1))[:images]  # STL-10's column-major layout -> N x H x W x 3
    y = (np.fromfile(os.path.join(data, "stl10_binary", "train_y.bin"), dtype=np.uint8).astype(np.int64) - 1)[:images]
    norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    pad = max(1, size // 24)
    tf = T.Compose([T.ToTensor(), T.Resize(size, antialias=True), T.CenterCrop(size),
                    T.RandomCrop(size, padding=pad), T.RandomHorizontalFlip(), norm])
    model = getattr(torchvision.models, backbone)(num_classes=1000)
    model.fc = torch.nn.Linear(model.fc.in_features, 10)
    roots = [l for l in layers if l] + ["fc"]
    trainable = []
    for name, p in model.named_parameters():
        on = any(name == r or name.startswith(r + ".") for r in roots)
        p.requires_grad_(on)
        if on:
            trainable.append(p)
    opt = torch.optim.SGD(trainable, lr=0.01, momentum=0.9, weight_decay=1e-4)
    lossf = torch.nn.CrossEntropyLoss()
    rates = []
    for epoch in range(2):
        model.eval()
        for name, m in model.named_modules():
            if name in roots:
                m.train()
        order = np.random.RandomState(epoch).permutation(len(x))
        t0 = time.perf_counter()
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            xb = torch.stack([tf(x[j]) for j in idx])
            yb = torch.from_numpy(y[idx])
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                out = model(xb)
            loss = lossf(out.float(), yb)
            loss.backward()
            opt.step()
        rates.append(len(order) / (time.perf_counter() - t0))
    return rates[-1]


def deepsvm_epoch_rate(binary, data, backbone, layers, size, batch, images, workdir, precision):
    out = os.path.join(workdir, "ft")
    cmd = [binary, "finetune", "--data", data, "--backbone", backbone, "--layers", ",".join(layers), "--epochs", "2",
           "--batch-size", str(batch), "--size", str(size), "--val-fraction", "0", "--limit", str(images),
           "--lr", "0.01", "--optimizer", "sgd", "--precision", precision, "--restart", "--out", out]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    with open(os.path.join(out, "metrics.json")) as f:
        return json.load(f)["epochs"][-1]["images_per_second"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--images", type=int, default=640)
    ap.add_argument("--backbone", default="resnet50")
    ap.add_argument("--layers", default="layer4")
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--out")
    ap.add_argument("--torchvision-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data")
    a = ap.parse_args()
    layers = [l for l in a.layers.split(",") if l]
    if a.torchvision_only:  # one measurement in a fresh interpreter
        print(json.dumps(torchvision_epoch_rate(a.data, a.backbone, layers, a.size, a.batch, a.images, a.threads, a.precision)))
        return
    binary = os.path.join(a.build, "app", "deepsvm")
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "demo")
        per_class = max(1, (a.images + 9) // 10)
        subprocess.run([binary, "demo-data", "--out", data, "--train-per-class", str(per_class), "--test-per-class", "1"],
                       check=True, capture_output=True)
        ours, theirs = [], []
        for r in range(a.rounds):
            ours.append(deepsvm_epoch_rate(binary, data, a.backbone, layers, a.size, a.batch, a.images, work, a.precision))
            tv = subprocess.run([PY, __file__, "--torchvision-only", "--data", data, "--backbone", a.backbone,
                                 "--layers", a.layers, "--size", str(a.size), "--batch", str(a.batch),
                                 "--images", str(a.images), "--threads", str(a.threads), "--precision", a.precision],
                                check=True, capture_output=True, text=True).stdout
            theirs.append(float(tv.strip().splitlines()[-1]))
            print(f"round {r + 1}: deepsvm {ours[-1]:.1f} img/s, torchvision {theirs[-1]:.1f} img/s", file=sys.stderr)
    result = {"precision": a.precision, "backbone": a.backbone, "layers": layers, "size": a.size, "batch": a.batch, "images": a.images,
              "threads": a.threads, "deepsvm_images_per_second": ours, "torchvision_images_per_second": theirs,
              "median_deepsvm": statistics.median(ours), "median_torchvision": statistics.median(theirs),
              "speedup": statistics.median(ours) / statistics.median(theirs)}
    print(json.dumps(result, indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
