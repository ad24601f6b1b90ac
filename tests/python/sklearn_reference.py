#!/usr/bin/python3
"""scikit-learn reference numbers for DeepSVM Studio's SVM and metrics tests.

  folds LABELS.npy K                          StratifiedKFold(K) validation indices, JSON
  svc TRAIN TEST KERNEL C GAMMA DEGREE COEF0  StandardScaler (float64) + SVC: predictions and
                                              one-vs-one decision values on TEST, JSON
  grid TRAIN FOLDS.json SPEC.json             GridSearchCV(SVC(), spec['grid'], scoring=spec['scoring'])
                                              with these explicit folds, JSON
  oof TRAIN FOLDS.json KERNEL C GAMMA DEGREE COEF0
                                              StandardScaler + cross_val_predict(SVC) on these folds:
                                              predictions and predict_proba (random_state=0), JSON
  linearsvc TRAIN TEST C                      StandardScaler + LinearSVC(C) (its defaults, random_state=0):
                                              predictions and decision values on TEST, coef_, intercept_, JSON
  nystroem TRAIN TEST LANDMARKS.npy KERNEL GAMMA DEGREE COEF0 C
                                              StandardScaler + Nystroem fitted on these landmark rows (all of
                                              them as components) + LinearSVC(C): predictions on TEST and the
                                              approximate kernel of the first 20 TEST rows against the first
                                              50 TRAIN rows (mapped rows' dot products), JSON
  metrics TRUTH.npy SCORES.npy PRED.npy       roc_curve / roc_auc_score / confusion_matrix /
                                              classification_report, JSON
TRAIN/TEST are prefixes of PREFIX.features.npy + PREFIX.labels.npy.
"""
import json
import sys

import numpy as np
from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix, f1_score, roc_auc_score,
                             roc_curve)
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler, label_binarize
from sklearn.svm import SVC


def load(prefix):
    return np.load(prefix + ".features.npy").astype(np.float64), np.load(prefix + ".labels.npy")


def gamma_of(text):
    return text if text in ("scale", "auto") else float(text)


def cmd_folds(labels, k):
    y = np.load(labels)
    out = [test.tolist() for _, test in StratifiedKFold(int(k)).split(np.zeros(len(y)), y)]
    print(json.dumps(out))


def cmd_svc(train, test, kernel, c, gamma, degree, coef0):
    xtr, ytr = load(train)
    xte, yte = load(test)
    scaler = StandardScaler().fit(xtr)
    model = SVC(kernel=kernel, C=float(c), gamma=gamma_of(gamma), degree=int(degree), coef0=float(coef0),
                decision_function_shape="ovo").fit(scaler.transform(xtr), ytr)
    xs = scaler.transform(xte)
    ovo = model.decision_function(xs).tolist()
    model.decision_function_shape = "ovr"
    print(json.dumps({"predicted": model.predict(xs).tolist(),
                      "decision": ovo,
                      "decision_ovr": model.decision_function(xs).tolist(),
                      "n_support": int(model.n_support_.sum())}))


def cmd_grid(train, folds_path, grid_path):
    x, y = load(train)
    xs = StandardScaler().fit_transform(x)
    folds = json.load(open(folds_path))
    cv = [(np.array(f["train"]), np.array(f["validation"])) for f in folds]
    spec = json.load(open(grid_path))
    grid, scoring = spec["grid"], spec.get("scoring", "accuracy")
    for g in grid:
        if "gamma" in g:
            g["gamma"] = [gamma_of(str(v)) for v in g["gamma"]]
    if scoring == "roc_auc_macro":
        # One-vs-rest AUC of SVC's decision_function (shape 'ovr') per class present in the
        # validation rows, averaged: a plain SVC has no predict_proba, so scikit-learn's own
        # 'roc_auc_ovr' scorer does not apply to it.
        def scoring(est, xv, yv):
            d = est.decision_function(xv)
            return float(np.mean([roc_auc_score(yv == c, d[:, i]) for i, c in enumerate(est.classes_)
                                  if 0 < (yv == c).sum() < len(yv)]))
    search = GridSearchCV(SVC(), grid, cv=cv, scoring=scoring, n_jobs=1).fit(xs, y)
    r = search.cv_results_
    points = []
    for i, params in enumerate(r["params"]):
        points.append({"params": {k: v for k, v in params.items()}, "mean": r["mean_test_score"][i],
                       "std": r["std_test_score"][i]})
    print(json.dumps({"points": points, "best": search.best_params_}))


def cmd_oof(train, folds_path, kernel, c, gamma, degree, coef0):
    x, y = load(train)
    xs = StandardScaler().fit_transform(x)
    cv = [(np.array(f["train"]), np.array(f["validation"])) for f in json.load(open(folds_path))]
    params = dict(kernel=kernel, C=float(c), gamma=gamma_of(gamma), degree=int(degree), coef0=float(coef0))
    predicted = cross_val_predict(SVC(**params), xs, y, cv=cv, method="predict")
    proba = cross_val_predict(SVC(probability=True, random_state=0, **params), xs, y, cv=cv, method="predict_proba")
    print(json.dumps({"predicted": predicted.tolist(), "proba": proba.tolist()}))


def cmd_linearsvc(train, test, c):
    from sklearn.svm import LinearSVC
    xtr, ytr = load(train)
    xte, _ = load(test)
    scaler = StandardScaler().fit(xtr)
    model = LinearSVC(C=float(c), random_state=0).fit(scaler.transform(xtr), ytr)
    xs = scaler.transform(xte)
    print(json.dumps({"predicted": model.predict(xs).tolist(), "decision": model.decision_function(xs).tolist(),
                      "coef": model.coef_.tolist(), "intercept": model.intercept_.tolist(),
                      "n_iter": int(model.n_iter_)}))


def cmd_nystroem(train, test, landmarks, kernel, gamma, degree, coef0, c):
    from sklearn.kernel_approximation import Nystroem
    from sklearn.svm import LinearSVC
    xtr, ytr = load(train)
    xte, _ = load(test)
    scaler = StandardScaler().fit(xtr)
    xs, xt = scaler.transform(xtr), scaler.transform(xte)
    basis = xs[np.load(landmarks)]
    params = {"gamma": float(gamma)}
    if kernel in ("poly", "sigmoid"):
        params["coef0"] = float(coef0)
    if kernel == "poly":
        params["degree"] = int(degree)
    ny = Nystroem(kernel=kernel, n_components=len(basis), random_state=0, **params).fit(basis)
    ftr, fte = ny.transform(xs), ny.transform(xt)
    model = LinearSVC(C=float(c), random_state=0).fit(ftr, ytr)
    print(json.dumps({"predicted": model.predict(fte).tolist(), "approx_kernel": (fte[:20] @ ftr[:50].T).tolist()}))


def cmd_metrics(truth_path, scores_path, pred_path):
    y = np.load(truth_path)
    s = np.load(scores_path)
    p = np.load(pred_path)
    k = s.shape[1]
    curves = []
    for c in range(k):
        fpr, tpr, thr = roc_curve(y == c, s[:, c])
        curves.append({"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr.tolist()})
    onehot = label_binarize(y, classes=list(range(k)))
    fm, tm, thm = roc_curve(onehot.ravel(), s.ravel())
    rep = classification_report(y, p, labels=list(range(k)), output_dict=True, zero_division=0)
    print(json.dumps({
        "curves": curves,
        "auc": [roc_auc_score(y == c, s[:, c]) for c in range(k)],
        "auc_micro": roc_auc_score(onehot, s, average="micro"),
        "auc_macro": roc_auc_score(onehot, s, average="macro"),
        "micro": {"fpr": fm.tolist(), "tpr": tm.tolist(), "thresholds": thm.tolist()},
        "confusion": confusion_matrix(y, p, labels=list(range(k))).tolist(),
        "accuracy": accuracy_score(y, p),
        "f1_macro": f1_score(y, p, average="macro"),
        "per_class": [[rep[str(c)]["precision"], rep[str(c)]["recall"], rep[str(c)]["f1-score"], rep[str(c)]["support"]]
                      for c in range(k)],
    }))


if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1]](*sys.argv[2:])
