#!/usr/bin/python3
"""pandas + scikit-learn baseline for Kindling's examples/bank-lr job, timed phase by phase.

Owns the reference implementation the end-to-end benchmark (scripts/bench/end-to-end.mjs)
compares Kindling against: the same pipeline as bank-lr (drop contact, day, month, default;
StringIndexer frequencyDesc + OneHotEncoder dropLast on every other string column; label
deposit yes = 1; random 70/30 split; standardised, unregularised logistic regression; test AUC
and accuracy). Run it with Debian's /usr/bin/python3 (python3-pandas, python3-sklearn): the
python3 first on PATH may be a pyenv interpreter without those packages.

    /usr/bin/python3 scripts/bench/baseline_sklearn.py <csv> [--max-iter 10] [--json]

--max-iter takes one value or a comma-separated list; the default "10,1000" fits twice (the
Spark tutorial's maxIter=10 and a converged fit). Phase timings and metrics go to stdout, as
text or, with --json, as one JSON object.
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, roc_auc_score  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

T_IMPORTED = time.perf_counter()

DROP = ["contact", "day", "month", "default"]
LABEL = "deposit"
POSITIVE = "yes"
SPLIT_WEIGHTS = (0.7, 0.3)
SPLIT_SEED = 2018


def parse_args(argv):
    p = argparse.ArgumentParser(description="pandas + scikit-learn baseline of the bank-lr job")
    p.add_argument("csv", help="input CSV with bank.csv's header")
    p.add_argument(
        "--max-iter",
        default="10,1000",
        help="LogisticRegression max_iter; one value or a comma-separated list (default 10,1000)",
    )
    p.add_argument("--seed", type=int, default=SPLIT_SEED, help="split seed (default 2018)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = p.parse_args(argv)
    try:
        args.max_iters = [int(v) for v in args.max_iter.split(",") if v.strip()]
    except ValueError:
        p.error(f"--max-iter must be integers, got '{args.max_iter}'")
    if not args.max_iters or min(args.max_iters) < 1:
        p.error(f"--max-iter must be positive integers, got '{args.max_iter}'")
    return args


def string_index(column):
    """Spark StringIndexer (frequencyDesc) on one column: (codes, categories).

    Categories are ordered by count descending, ties alphabetically; codes index into them.
    One hashing pass (factorize), then a remap of the small code table.
    """
    codes, uniques = pd.factorize(column, sort=False)
    counts = np.bincount(codes, minlength=len(uniques))
    order = sorted(range(len(uniques)), key=lambda i: (-counts[i], uniques[i]))
    remap = np.empty(len(uniques), dtype=np.int64)
    remap[order] = np.arange(len(uniques))
    return remap[codes], [uniques[i] for i in order]


def encode(df):
    """One-hot (dropLast) every string column but the label, then the numeric columns.

    Feature order follows bank-lr's 'categorical-first' assembler: one-hot blocks in column
    order, then numeric columns in column order.
    """
    missing = [c for c in DROP + [LABEL] if c not in df.columns]
    if missing:
        raise SystemExit(f"baseline_sklearn: input lacks column(s) {', '.join(missing)}")
    df = df.drop(columns=DROP)
    y = (df[LABEL] == POSITIVE).to_numpy(dtype=np.int8)
    features = df.drop(columns=[LABEL])
    string_cols = [c for c in features.columns if features[c].dtype == object]
    numeric_cols = [c for c in features.columns if c not in string_cols]

    n = len(features)
    names = []
    blocks = []
    for col in string_cols:
        codes, order = string_index(features[col])
        kept = order[:-1]  # dropLast: the least frequent category is the reference
        block = np.zeros((n, len(kept)), dtype=np.float64)
        rows = np.flatnonzero(codes < len(kept))
        block[rows, codes[rows]] = 1.0
        blocks.append(block)
        names.extend(f"{col}_{k}" for k in kept)
    blocks.append(features[numeric_cols].to_numpy(dtype=np.float64))
    names.extend(numeric_cols)
    return np.hstack(blocks), y, names


def split(n, seed):
    """Bernoulli 70/30 split per row, like Spark's randomSplit (sizes vary around 70/30)."""
    rng = np.random.default_rng(seed)
    train = rng.random(n) < SPLIT_WEIGHTS[0] / sum(SPLIT_WEIGHTS)
    return train, ~train


def fit_and_evaluate(x_train, y_train, x_test, y_test, max_iter):
    t0 = time.perf_counter()
    scaler = StandardScaler()
    xs_train = scaler.fit_transform(x_train)
    model = LogisticRegression(penalty=None, solver="lbfgs", max_iter=max_iter)
    with warnings.catch_warnings():
        # maxIter=10 is the job's setting, not a mistake: do not warn about it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(xs_train, y_train)
    t1 = time.perf_counter()
    scores = model.decision_function(scaler.transform(x_test))
    auc = roc_auc_score(y_test, scores)
    accuracy = accuracy_score(y_test, (scores > 0).astype(np.int8))
    t2 = time.perf_counter()
    return {
        "maxIter": max_iter,
        "iterations": int(model.n_iter_[0]),
        "fitSeconds": t1 - t0,
        "evaluateSeconds": t2 - t1,
        "test": {"areaUnderROC": float(auc), "accuracy": float(accuracy)},
    }


def main(argv):
    args = parse_args(argv)
    t0 = time.perf_counter()
    df = pd.read_csv(args.csv)
    t1 = time.perf_counter()
    x, y, names = encode(df)
    t2 = time.perf_counter()
    train, test = split(len(y), args.seed)
    x_train, y_train, x_test, y_test = x[train], y[train], x[test], y[test]
    t3 = time.perf_counter()
    runs = [fit_and_evaluate(x_train, y_train, x_test, y_test, m) for m in args.max_iters]
    t4 = time.perf_counter()

    first = runs[0]
    result = {
        "engine": "pandas+scikit-learn",
        "csv": args.csv,
        "rows": int(len(y)),
        "features": len(names),
        "featureNames": names,
        "trainRows": int(train.sum()),
        "testRows": int(test.sum()),
        "timings": {
            "import": T_IMPORTED - T_START,
            "read": t1 - t0,
            "encode": t2 - t1,
            "split": t3 - t2,
            "fit": first["fitSeconds"],
            "evaluate": first["evaluateSeconds"],
            "total": t4 - T_START,
        },
        "test": first["test"],
        "runs": runs,
        "versions": {
            "python": platform.python_version(),
            "pandas": pd.__version__,
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
        },
    }
    if args.json:
        print(json.dumps(result))
        return
    tm = result["timings"]
    print(f"file      {args.csv}: {result['rows']} rows, {result['features']} features, "
          f"train {result['trainRows']} / test {result['testRows']}")
    print(f"import    {tm['import']:8.3f} s")
    print(f"read      {tm['read']:8.3f} s")
    print(f"encode    {tm['encode']:8.3f} s")
    print(f"split     {tm['split']:8.3f} s")
    for r in runs:
        print(f"fit       {r['fitSeconds']:8.3f} s   maxIter={r['maxIter']} ({r['iterations']} iterations)")
        print(f"evaluate  {r['evaluateSeconds']:8.3f} s   test AUC {r['test']['areaUnderROC']:.6f}, "
              f"accuracy {r['test']['accuracy']:.6f}")
    print(f"total     {tm['total']:8.3f} s   (from interpreter start of this script, imports included)")
    v = result["versions"]
    print(f"versions  python {v['python']}, pandas {v['pandas']}, scikit-learn {v['sklearn']}, numpy {v['numpy']}")


if __name__ == "__main__":
    main(sys.argv[1:])
