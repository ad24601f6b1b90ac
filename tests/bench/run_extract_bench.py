#!/usr/bin/python3
"""Feature-extraction benchmark: deepsvm against hand-tuned torchvision, alternating runs.

  /usr/bin/python3 tests/bench/run_extract_bench.py --build build [--rounds 3] [--seconds 15]
        [--images 640] [--sizes 96,224] [--out docs/bench-extract-cache.json]

For each input size and precision it runs, alternately, R times each:
  network:  bench_network (our folded ResNet-50, fused oneDNN primitives; also LibTorch's
            blocked layout, the path before, and fp32 with Winograd) vs bench_torchvision.py network
  extract:  `deepsvm extract` on a synthetic STL-10 set (decode + resize + network + .npy)
            vs bench_torchvision.py extract on the same binary file
and the 3x3-convolution peak of the machine. Prints a Markdown table of medians.

Each extraction is also run the way memory used to be handled, to show what keeping pages
between batches does: ours with its CPU memory cache off (DEEPSVM_CPU_CACHE_MB=0), and
torchvision both as users run it and with glibc told to keep its pages
(MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1e11), so the ratio compares equal allocators.
For every extraction the child's minor page faults per second and the share of its CPU time
spent in the kernel are recorded (from wait4's rusage).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


GLIBC_KEEPS_PAGES = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "100000000000"}


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_measured(cmd, env=None):
    """Runs cmd; returns (last stdout line as JSON or the whole stdout as JSON, faults/s, kernel share)."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError("%s failed" % " ".join(cmd))
        out.seek(0)
        text = out.read().strip()
    try:
        j = json.loads(text)
    except ValueError:
        j = json.loads(text.splitlines()[-1])
    cpu = ru.ru_utime + ru.ru_stime
    return j, ru.ru_minflt / wall, (ru.ru_stime / cpu if cpu > 0 else 0.0)


def deepsvm_extract(binary, data, size, precision, batch, images, workdir, env=None):
    prefix = os.path.join(workdir, "f")
    cmd = [binary, "extract", "--data", data, "--split", "train", "--backbone", "resnet50", "--size", str(size),
           "--precision", precision, "--batch-size", str(batch), "--limit", str(images), "--no-cache",
           "--out", prefix, "--json"]
    j, faults, kernel = run_measured(cmd, env)
    return j["splits"][0]["images_per_second"], faults, kernel



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
                ours_net, tv_net, blocked_net, wino_net = [], [], [], []
                ext = {k: [] for k in ("ours", "ours_nocache", "tv", "tv_keep")}
                wino_ext = []
                gflops = None
                for _ in range(a.rounds):
                    r = run_json([bench, "--size", str(size), "--precision", precision, "--batch", str(a.batch),
                                  "--seconds", str(a.seconds)])
                    ours_net.append(r["images_per_second"])
                    gflops = r["gflops_per_image"]
                    blocked_net.append(run_json([bench, "--size", str(size), "--precision", precision, "--batch",
                                                 str(a.batch), "--seconds", str(a.seconds), "--layout", "blocked"])
                                       ["images_per_second"])
                    if precision == "fp32":
                        wino_net.append(run_json([bench, "--size", str(size), "--precision", precision, "--batch",
                                                  str(a.batch), "--seconds", str(a.seconds), "--algorithm", "winograd"])
                                        ["images_per_second"])
                        wino_ext.append(deepsvm_extract(deepsvm, data, size, precision, a.batch, a.images, tmp,
                                                        {"DEEPSVM_CONV_ALGORITHM": "winograd"})[0])
                    tv_net.append(run_json([PY, tv, "network", "--size", str(size), "--mode", precision,
                                            "--batch", str(a.batch), "--seconds", str(a.seconds)])["images_per_second"])
                    ext["ours"].append(deepsvm_extract(deepsvm, data, size, precision, a.batch, a.images, tmp))
                    ext["ours_nocache"].append(deepsvm_extract(deepsvm, data, size, precision, a.batch, a.images, tmp,
                                                               {"DEEPSVM_CPU_CACHE_MB": "0"}))
                    tv_cmd = [PY, tv, "extract", "--data", data, "--size", str(size), "--mode", precision,
                              "--batch", str(a.batch), "--limit", str(a.images)]
                    for key, env in (("tv", None), ("tv_keep", GLIBC_KEEPS_PAGES)):
                        j, faults, kernel = run_measured(tv_cmd, env)
                        ext[key].append((j["images_per_second"], faults, kernel))
                row = {"size": size, "precision": precision,
                       "ours_network": statistics.median(ours_net), "torchvision_network": statistics.median(tv_net),
                       "ours_network_blocked": statistics.median(blocked_net),
                       "ours_network_winograd": statistics.median(wino_net) if wino_net else None,
                       "ours_extract_winograd": statistics.median(wino_ext) if wino_ext else None,
                       "gflops_per_image": gflops}
                for key, name in (("ours", "ours_extract"), ("ours_nocache", "ours_extract_nocache"),
                                  ("tv", "torchvision_extract"), ("tv_keep", "torchvision_extract_keep_pages")):
                    row[name] = statistics.median(r[0] for r in ext[key])
                    row[name + "_faults_per_s"] = statistics.median(r[1] for r in ext[key])
                    row[name + "_kernel_share"] = statistics.median(r[2] for r in ext[key])
                row["peak_fraction"] = row["ours_network"] * gflops / peaks[precision]
                row["extract_peak_fraction"] = row["ours_extract"] * gflops / peaks[precision]
                results["rows"].append(row)
                print(json.dumps(row), file=sys.stderr)
    fp32 = {r["size"]: r for r in results["rows"] if r["precision"] == "fp32"}
    print("| size | precision | ours network img/s | torchvision network img/s | ratio | vs torchvision fp32 | "
          "ours extract img/s | torchvision extract img/s | ratio | torchvision, pages kept | ratio | "
          "network % of 3x3 conv peak | extract % of peak |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results["rows"]:
        base = fp32[r["size"]]
        print("| %d | %s | %.1f | %.1f | %.2fx | %.2fx | %.1f | %.1f | %.2fx | %.1f | %.2fx | %.0f%% | %.0f%% |" % (
            r["size"], r["precision"], r["ours_network"], r["torchvision_network"],
            r["ours_network"] / r["torchvision_network"], r["ours_network"] / base["torchvision_network"],
            r["ours_extract"], r["torchvision_extract"], r["ours_extract"] / r["torchvision_extract"],
            r["torchvision_extract_keep_pages"], r["ours_extract"] / r["torchvision_extract_keep_pages"],
            100 * r["peak_fraction"], 100 * r["extract_peak_fraction"]))
    print("\n| size | precision | extract img/s: cache off -> on | minor faults/s: off -> on | kernel share of CPU: off -> on | "
          "torchvision faults/s: as run -> pages kept |")
    print("|---|---|---|---|---|---|")
    for r in results["rows"]:
        print("| %d | %s | %.1f -> %.1f | %.0f -> %.0f | %.0f%% -> %.0f%% | %.0f -> %.0f |" % (
            r["size"], r["precision"], r["ours_extract_nocache"], r["ours_extract"],
            r["ours_extract_nocache_faults_per_s"], r["ours_extract_faults_per_s"],
            100 * r["ours_extract_nocache_kernel_share"], 100 * r["ours_extract_kernel_share"],
            r["torchvision_extract_faults_per_s"], r["torchvision_extract_keep_pages_faults_per_s"]))
    print("\n| size | precision | network img/s: LibTorch blocked -> fused | fp32 Winograd network img/s | "
          "fp32 Winograd extract img/s | Winograd network, direct-equivalent % of 3x3 conv peak |")
    print("|---|---|---|---|---|---|")
    for r in results["rows"]:
        w = r["ours_network_winograd"]
        print("| %d | %s | %.1f -> %.1f | %s | %s | %s |" % (
            r["size"], r["precision"], r["ours_network_blocked"], r["ours_network"],
            "%.1f" % w if w else "-", "%.1f" % r["ours_extract_winograd"] if w else "-",
            "%.0f%%" % (100 * w * r["gflops_per_image"] / peaks[r["precision"]]) if w else "-"))
    print("\n3x3 convolution peak: fp32 %.1f GFLOP/s, bf16 %.1f GFLOP/s (%d threads)" % (peaks["fp32"], peaks["bf16"], os.cpu_count()))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
