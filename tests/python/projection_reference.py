#!/usr/bin/python3
"""scikit-learn reference numbers for DeepSVM Studio's projection tests.

  pca VALUES.f32 ROWS COLS                  PCA(n_components=2, svd_solver="full").fit_transform, JSON [[x, y], ...]
  tsne VALUES.f32 ROWS COLS OURS.f32 PERP   trustworthiness (10 neighbours) of our embedding and of sklearn's
                                            TSNE(init="pca", learning_rate="auto"), JSON
VALUES.f32 is a raw little-endian float32 matrix, row-major; OURS.f32 is rows x 2 float32.
"""
import json
import sys

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness


def load(path, rows, cols):
    return np.fromfile(path, dtype="<f4").reshape(int(rows), int(cols)).astype(np.float64)


def cmd_pca(path, rows, cols):
    # svd_solver="full": 'auto' picks the randomized solver above 500 x 500, which is itself approximate.
    print(json.dumps(PCA(n_components=2, svd_solver="full").fit_transform(load(path, rows, cols)).tolist()))


def cmd_tsne(path, rows, cols, ours_path, perplexity):
    x = load(path, rows, cols)
    ours = np.fromfile(ours_path, dtype="<f4").reshape(int(rows), 2)
    theirs = TSNE(n_components=2, perplexity=float(perplexity), init="pca", learning_rate="auto",
                  random_state=0).fit_transform(x)
    print(json.dumps({"ours": trustworthiness(x, ours, n_neighbors=10),
                      "sklearn": trustworthiness(x, theirs, n_neighbors=10)}))


if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1]](*sys.argv[2:])
