#!/usr/bin/python3
"""Reference numbers from torchvision for DeepSVM Studio's tests (run with /usr/bin/python3).

  weights ARCH OUT.pth SEED [CLASSES]      random torchvision weights, BN statistics perturbed
  torchscript ARCH WEIGHTS.pth OUT.pt      the same network as a TorchScript archive
  forward ARCH WEIGHTS.pth IMAGES.npy SIZE NORM OUTDIR
        IMAGES.npy: uint8 N x H x W x 3. Writes OUTDIR/{input,pooled,logits}.npy
  forward-input ARCH WEIGHTS.pth N SIZE SEED OUTDIR
        any family, on a seeded N x 3 x SIZE x SIZE normal input. Writes OUTDIR/{input,
        penultimate,logits}.npy (penultimate: the input of the last Linear layer)
  preprocess IMAGE.npy SIZE NORM OUT.npy   one uint8 H x W x 3 image through the transforms
  published ARCH                           torchvision's weights of ARCH: tag, file, crop, resize,
                                           interpolation, top-1 (tab-separated, one per line)
  preprocess-weights ARCH TAG IMAGE.npy OUT.npy
        one image through the preprocessing the weights' transforms() describe (its resize,
        crop and interpolation), antialiased as the tensor Resize(antialias=True)
  stl10 X.bin OUT.npy                      the official reader's reshape + transpose
  check-load ARCH WEIGHTS.pth CLASSES      torch.load + load_state_dict(strict=True); prints OK
  imagefolder ROOT                         torchvision's ImageFolder classes and samples
  keys WEIGHTS.pth                         the state dict's keys and shapes in order
"""
import sys

import numpy as np
import torch
import torchvision
from torchvision import transforms

MEANS = {"imagenet": ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]), "half": ([0.5] * 3, [0.5] * 3)}


def make_transform(size, norm):
    mean, std = MEANS[norm]
    return transforms.Compose([
        transforms.ConvertImageDtype(torch.float32),
        transforms.Resize(size, antialias=True),
        transforms.CenterCrop(size),
        transforms.Normalize(mean, std),
    ])


def to_tensor(hwc):
    return torch.from_numpy(np.ascontiguousarray(hwc)).permute(2, 0, 1).contiguous()


def cmd_weights(arch, out, seed, classes="1000"):
    torch.manual_seed(int(seed))
    model = getattr(torchvision.models, arch)(num_classes=int(classes))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                # Non-trivial statistics, so BatchNorm folding is really exercised.
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(7)
            elif isinstance(m, torch.nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                # torchvision starts it at 1e-6, which would make every block the identity.
                p.uniform_(0.2, 1.0)
    torch.save(model.state_dict(), out)


def load(arch, path, classes=None):
    sd = torch.load(path, map_location="cpu")
    if classes is None:
        # the class count is the row count of the last Linear weight (fc, classifier.2, heads.head, ...)
        classes = [v for k, v in sd.items() if k.endswith("weight") and v.dim() == 2][-1].shape[0]
    n = classes
    model = getattr(torchvision.models, arch)(num_classes=int(n))
    model.load_state_dict(sd, strict=True)
    return model.eval()


def cmd_torchscript(arch, weights, out):
    torch.jit.script(load(arch, weights)).save(out)


def cmd_forward(arch, weights, images, size, norm, outdir):
    model = load(arch, weights)
    tf = make_transform(int(size), norm)
    imgs = np.load(images)
    x = torch.stack([tf(to_tensor(im)) for im in imgs])
    feats = {}
    model.avgpool.register_forward_hook(lambda m, i, o: feats.__setitem__("pooled", torch.flatten(o, 1)))
    with torch.inference_mode():
        logits = model(x)
    np.save(outdir + "/input.npy", x.numpy())
    np.save(outdir + "/pooled.npy", feats["pooled"].numpy())
    np.save(outdir + "/logits.npy", logits.numpy())


def cmd_forward_input(arch, weights, n, size, seed, outdir):
    model = load(arch, weights)
    torch.manual_seed(int(seed))
    x = torch.randn(int(n), 3, int(size), int(size))
    np.save(outdir + "/input.npy", x.numpy())
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    feats = {}
    last.register_forward_pre_hook(lambda m, i: feats.__setitem__("penultimate", torch.flatten(i[0], 1)))
    with torch.inference_mode():
        logits = model(x)
    np.save(outdir + "/penultimate.npy", feats["penultimate"].numpy())
    np.save(outdir + "/logits.npy", logits.numpy())


def cmd_preprocess(image, size, norm, out):
    np.save(out, make_transform(int(size), norm)(to_tensor(np.load(image))).numpy())


def cmd_published(arch):
    for w in torchvision.models.get_model_weights(arch):
        t = w.transforms()
        print("\t".join([w.name, w.url.rsplit("/", 1)[-1], str(t.crop_size[0]), str(t.resize_size[0]),
                         t.interpolation.value, repr(w.meta["_metrics"]["ImageNet-1K"]["acc@1"])]))


def cmd_preprocess_weights(arch, tag, image, out):
    t = torchvision.models.get_model_weights(arch)[tag].transforms()
    pipeline = transforms.Compose([
        transforms.ConvertImageDtype(torch.float32),
        transforms.Resize(t.resize_size, interpolation=t.interpolation, antialias=True),
        transforms.CenterCrop(t.crop_size),
        transforms.Normalize(t.mean, t.std),
    ])
    np.save(out, pipeline(to_tensor(np.load(image))).numpy())


def cmd_stl10(xbin, out):
    raw = np.fromfile(xbin, dtype=np.uint8)
    images = np.transpose(np.reshape(raw, (-1, 3, 96, 96)), (0, 3, 2, 1))
    np.save(out, np.ascontiguousarray(images))


def cmd_imagefolder(root):
    ds = torchvision.datasets.ImageFolder(root)
    print("\t".join(ds.classes))
    for path, label in ds.samples:
        print("%s\t%d" % (path[len(root.rstrip("/")) + 1:], label))


def cmd_keys(weights):
    for k, v in torch.load(weights, map_location="cpu").items():
        print("%s\t%s" % (k, list(v.shape)))


def cmd_check_load(arch, weights, classes):
    load(arch, weights, int(classes))
    print("OK")


if __name__ == "__main__":
    cmd = sys.argv[1].replace("-", "_")
    globals()["cmd_" + cmd](*sys.argv[2:])
