"""Writes the part of the bad-input corpus that needs PyTorch or PIL to make (tst_badinput).

    /usr/bin/python3 tests/python/bad_inputs.py OUTDIR

OUTDIR/pth/*.pth: weight files for `deepsvm extract --backbone resnet18 --weights FILE`.
OUTDIR/images/*: images in formats Qt cannot write (CMYK JPEG, animated WebP / PNG / TIFF).
Every file is generated here; nothing binary is checked in.
"""
import json
import os
import sys
import zipfile

import torch
import torchvision
from PIL import Image

out = sys.argv[1]
pth = os.path.join(out, "pth")
images = os.path.join(out, "images")
os.makedirs(pth, exist_ok=True)
os.makedirs(images, exist_ok=True)
torch.manual_seed(0)
state = torchvision.models.resnet18().state_dict()


def save(name, obj):
    torch.save(obj, os.path.join(pth, name))


def rewrite_zip(src, dst, change):
    """Copies a torch zip file entry by entry, letting change(name, bytes) alter or drop entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)


# The control: a real torchvision state dict (OrderedDict with _metadata), which must load.
save("good.pth", state)
good = open(os.path.join(pth, "good.pth"), "rb").read()

# Cut short at several places: inside the zip's central directory, inside a tensor, at the start.
for fraction in (0.999, 0.5, 0.01):
    with open(os.path.join(pth, "truncated-%g.pth" % fraction), "wb") as f:
        f.write(good[: int(len(good) * fraction)])


# Pickles that name globals a state dict never needs: loading must not run them.
class RunsACommand:
    def __reduce__(self):
        return (os.system, ("touch " + os.path.join(out, "PWNED"),))


class CallsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('touch " + os.path.join(out, "PWNED") + "')",))


bad = dict(state)
bad["evil"] = RunsACommand()
save("global-os-system.pth", bad)
bad = dict(state)
bad["evil"] = CallsEval()
save("global-builtins-eval.pth", bad)

# A zip bomb: the pickle deflated from 256 MB (torch's own files are never compressed).
with zipfile.ZipFile(os.path.join(pth, "zip-bomb.pth"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("archive/data.pkl", b"\0" * (256 << 20))


# A tensor whose storage is shorter than its shape: conv1.weight's bytes cut in half.
conv1_bytes = state["conv1.weight"].numel() * 4


def halve_conv1(name, data):
    if "/data/" in name and len(data) == conv1_bytes:
        return data[: len(data) // 2]
    return data


rewrite_zip(os.path.join(pth, "good.pth"), os.path.join(pth, "short-storage.pth"), halve_conv1)

# Other dtypes: integers load_state_dict converts (so do we); complex it cannot.
bad = dict(state)
bad["conv1.weight"] = state["conv1.weight"].to(torch.int64)
save("int64-weights.pth", bad)
bad = dict(state)
bad["conv1.weight"] = state["conv1.weight"].to(torch.complex64)
save("complex-weights.pth", bad)
# Wrong shape and a missing parameter.
bad = dict(state)
bad["conv1.weight"] = torch.zeros(10, 3, 7, 7)
save("wrong-shape.pth", bad)
bad = dict(state)
del bad["layer1.0.conv1.weight"]
save("missing-key.pth", bad)

# Not a state dict at all.
save("a-list.pth", [1, 2, 3])
with open(os.path.join(pth, "text.pth"), "w") as f:
    f.write("this is not a weights file\n")

# Images PIL can write and Qt cannot.
rgb = Image.new("RGB", (40, 30), (200, 40, 40))
rgb.convert("CMYK").save(os.path.join(images, "cmyk.jpg"), quality=95)
frames = [Image.new("RGB", (40, 30), c) for c in ((200, 40, 40), (40, 200, 40), (40, 40, 200))]
frames[0].save(os.path.join(images, "animated.webp"), save_all=True, append_images=frames[1:], duration=100, loop=0)
frames[0].save(os.path.join(images, "animated.png"), save_all=True, append_images=frames[1:], duration=100, loop=0)
frames[0].save(os.path.join(images, "multipage.tiff"), save_all=True, append_images=frames[1:])
Image.new("I;16", (40, 30), 40000).save(os.path.join(images, "grey16.png"))
Image.new("LA", (40, 30), (120, 128)).save(os.path.join(images, "grey-alpha.png"))
palette = Image.new("P", (40, 30), 3)
palette.putpalette([0, 0, 0] * 3 + [180, 60, 20] + [0, 0, 0] * 252)
palette.save(os.path.join(images, "palette.png"))
# What PIL (torchvision's loader) decodes: RGB at (5, 5) of each image, first frame.
pixels = {}
for name in sorted(os.listdir(images)):
    if name.endswith(".json"):
        continue
    with Image.open(os.path.join(images, name)) as im:
        pixels[name] = list(im.convert("RGB").getpixel((5, 5)))
with open(os.path.join(images, "pil_pixels.json"), "w") as f:
    json.dump(pixels, f)
print("ok")
