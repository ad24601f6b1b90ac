#!/usr/bin/python3
"""The Python baseline, tuned by hand: torchvision ResNet, eval + inference_mode,
channels_last, all cores, the same batch size as ours.

  network --arch resnet50 --size 224 --batch 32 --mode fp32|bf16|bf16-autocast|ofi --seconds 20
  extract --data DIR/stl10_binary --split train --arch resnet50 --size 224 --batch 32 --mode ... [--limit N]

`extract` reads the STL-10 binary file as the official reader does and runs the same
transforms as deepsvm (uint8 -> float -> antialiased resize -> centre crop -> normalise),
batched, then the network. Prints one JSON line.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torchvision
from torchvision.transforms import functional as F

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def build(arch, mode):
    model = getattr(torchvision.models, arch)().eval()
    dtype = torch.float32
    if mode == "ofi":
        model = torch.jit.optimize_for_inference(torch.jit.script(model))
        return model, dtype, False
    model = model.to(memory_format=torch.channels_last)
    if mode == "bf16":
        model = model.to(torch.bfloat16)
        dtype = torch.bfloat16
    return model, dtype, mode == "bf16-autocast"


def run(model, x, autocast):
    if autocast:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return model(x)
    return model(x)


def prepare(batch_u8, size, dtype):
    x = batch_u8.permute(0, 3, 1, 2).float().div_(255)
    x = F.resize(x, size, antialias=True)
    x = F.center_crop(x, size)
    x = (x - MEAN) / STD
    return x.to(dtype).contiguous(memory_format=torch.channels_last)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["network", "extract"])
    ap.add_argument("--arch", default="resnet50")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--mode", default="fp32")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--data")
    ap.add_argument("--split", default="train")
    ap.add_argument("--limit", type=int, default=-1)
    a = ap.parse_args()
    torch.set_num_threads(os.cpu_count())
    model, dtype, autocast = build(a.arch, a.mode)
    result = {"bench": "torchvision_" + a.what, "arch": a.arch, "size": a.size, "batch": a.batch,
              "mode": a.mode, "threads": torch.get_num_threads()}
    with torch.inference_mode():
        if a.what == "network":
            x = torch.randn(a.batch, 3, a.size, a.size).to(dtype).contiguous(memory_format=torch.channels_last)
            run(model, x, autocast)
            n, t0 = 0, time.perf_counter()
            while n < 2 or time.perf_counter() - t0 < a.seconds:
                run(model, x, autocast)
                n += 1
            result["images_per_second"] = a.batch * n / (time.perf_counter() - t0)
        else:
            raw = np.memmap(os.path.join(a.data, a.split + "_X.bin"), dtype=np.uint8, mode="r")
            images = np.reshape(raw, (-1, 3, 96, 96))
            count = len(images) if a.limit < 0 else min(a.limit, len(images))
            t0 = time.perf_counter()
            feats = []
            for s in range(0, count, a.batch):
                hwc = torch.from_numpy(np.ascontiguousarray(np.transpose(images[s:s + a.batch], (0, 3, 2, 1))))
                x = prepare(hwc, a.size, dtype)
                feats.append(run(model, x, autocast).float())
            out = torch.cat(feats)
            result["images"] = count
            result["images_per_second"] = count / (time.perf_counter() - t0)
            result["output_dim"] = out.shape[1]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
