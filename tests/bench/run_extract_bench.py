#!/usr/bin/python3
"""Feature-extraction benchmark: deepsvm against hand-tuned torchvision, alternating runs.

  /usr/bin/python3 tests/bench/run_extract_bench.py --build build [--rounds 3] [--seconds 15]
        [--images 640] [--sizes 96,224] [--out docs/benchmarks-extract.json]

For each input size and precision it runs, alternately, R times each:
  network:  bench_network (our folded/oneDNN ResNet-50) vs bench_torchvision.py network
  extract:  `deepsvm extract` on a synthetic STL-10 set (decode + resize + network + .npy)
            vs bench_torchvision.py extract on the same binary file
and the 3x3-convolution peak of the machine. Prints a Markdown table of medians.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def deepsvm_extract(binary, data, size, precision, batch, images, workdir):
    prefix = os.path.join(workdir, "f")
    cmd = [binary, "extract", "--data", data, "--split", "train", "--backbone", "resnet50", "--size", str(size),
           "--precision", precision, "--batch-size", str(batch), "--limit", str(images), "--no-cache",
           "--out", prefix, "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["splits"][0]["images_per_second"]



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--images", type=int, default=640)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--sizes", default="96,224")
    ap.add_argument("--out")
    a = ap.parse_args()
    bench = os.path.join(a.build, "tests/bench/bench_network")
    deepsvm = os.path.join(a.build, "app/deepsvm")
    tv = os.path.join(HERE, "bench_torchvision.py")
    results = {"machine": os.uname().nodename, "cores": os.cpu_count(), "rounds": a.rounds, "rows": []}
    peaks = {p: run_json([bench, "--conv-peak", "--precision", p, "--seconds", "5"])["gflops"] for p in ("fp32", "bf16")}
    results["conv3x3_peak_gflops"] = peaks
    with tempfile.TemporaryDirectory() as tmp:
        per_class = max(1, (a.images + 9) // 10)
        subprocess.run([deepsvm, "demo-data", "--out", tmp, "--train-per-class", str(per_class),
                        "--test-per-class", "1"], check=True, capture_output=True)
        data = os.path.join(tmp, "stl10_binary")
        for size in [int(s) for s in a.sizes.split(",")]:
            for precision in ("fp32", "bf16"):
                ours_net, tv_net, ours_ext, tv_ext = [], [], [], []
                gflops = None
                for _ in range(a.rounds):
                    r = run_json([bench, "--size", str(size), "--precision", precision, "--batch", str(a.batch),
                                  "--seconds", str(a.seconds)])
                    ours_net.append(r["images_per_second"])
                    gflops = r["gflops_per_image"]
                    tv_net.append(run_json([PY, tv, "network", "--size", str(size), "--mode", precision,
                                            "--batch", str(a.batch), "--seconds", str(a.seconds)])["images_per_second"])
                    ours_ext.append(deepsvm_extract(deepsvm, data, size, precision, a.batch, a.images, tmp))
                    tv_ext.append(run_json([PY, tv, "extract", "--data", data, "--size", str(size), "--mode", precision,
                                            "--batch", str(a.batch), "--limit", str(a.images)])["images_per_second"])
                row = {"size": size, "precision": precision,
                       "ours_network": statistics.median(ours_net), "torchvision_network": statistics.median(tv_net),
                       "ours_extract": statistics.median(ours_ext), "torchvision_extract": statistics.median(tv_ext),
                       "gflops_per_image": gflops}
                row["peak_fraction"] = row["ours_network"] * gflops / peaks[precision]
                results["rows"].append(row)
                print(json.dumps(row), file=sys.stderr)
    fp32 = {r["size"]: r for r in results["rows"] if r["precision"] == "fp32"}
    print("| size | precision | ours network img/s | torchvision network img/s | ratio | vs torchvision fp32 | "
          "ours extract img/s | torchvision extract img/s | ratio | % of 3x3 conv peak |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results["rows"]:
        base = fp32[r["size"]]
        print("| %d | %s | %.1f | %.1f | %.2fx | %.2fx | %.1f | %.1f | %.2fx | %.0f%% |" % (
            r["size"], r["precision"], r["ours_network"], r["torchvision_network"],
            r["ours_network"] / r["torchvision_network"], r["ours_network"] / base["torchvision_network"],
            r["ours_extract"], r["torchvision_extract"], r["ours_extract"] / r["torchvision_extract"],
            100 * r["peak_fraction"]))
    print("\n3x3 convolution peak: fp32 %.1f GFLOP/s, bf16 %.1f GFLOP/s (%d threads)" % (peaks["fp32"], peaks["bf16"], os.cpu_count()))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
