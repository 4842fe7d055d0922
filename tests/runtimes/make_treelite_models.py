#!/usr/bin/env python3
"""Writes tree models for the treelite runtime's tests, with treelite's own outputs.

    python3 tests/runtimes/make_treelite_models.py REPO_DIR EXPECTED_DIR [XGB_TREES]

Needs the xgboost, lightgbm, treelite and scikit-learn Python packages (ADLIK_WITH_TREELITE=1
scripts/setup.sh). Models are fitted on random data drawn from a fixed seed. Writes:

    REPO_DIR/xgb_binary/1/model.json    XGBoost binary classifier (XGB_TREES trees, default 20)
                                        on 8 features, XGBoost JSON; config: platform treelite,
                                        max_batch_size 64, no tensors (completed by the runtime)
    REPO_DIR/lgbm_multiclass/1/model.txt  LightGBM 3-class classifier (10 rounds) on 6 features;
                                        config: backend treelite, default_model_filename
                                        model.txt, max_batch_size 0
    REPO_DIR/sklearn_forest/1/model.tl  scikit-learn random forest (5 trees, 2 classes) on 5
                                        features, imported with treelite.sklearn.import_model and
                                        saved as a treelite checkpoint; config: backend treelite,
                                        default_model_filename model.tl, max_batch_size 16
    EXPECTED_DIR/<model>_x.npy          inputs (FP32, 7 rows)
    EXPECTED_DIR/<model>_y.npy          treelite.gtil.predict of the loaded file on them
    EXPECTED_DIR/<model>_engine.npy     the training library's own prediction (XGBoost's or
                                        LightGBM's probabilities), which GTIL's must match
"""

import os
import sys

import lightgbm
import numpy as np
import sklearn.ensemble
import treelite
import treelite.sklearn
import xgboost

SEED = 20240607


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def main(repo, expected, xgb_trees=20):
    rng = np.random.default_rng(SEED)
    os.makedirs(expected, exist_ok=True)

    # XGBoost binary classifier.
    x = rng.standard_normal((400, 8)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + 0.3 * rng.standard_normal(400) > 0).astype(np.int32)
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "nthread": 1},
                            xgboost.DMatrix(x, label=y), num_boost_round=xgb_trees)
    os.makedirs(os.path.join(repo, "xgb_binary", "1"), exist_ok=True)
    path = os.path.join(repo, "xgb_binary", "1", "model.json")
    booster.save_model(path)
    write(os.path.join(repo, "xgb_binary", "config.pbtxt"),
          'name: "xgb_binary"\nplatform: "treelite"\nmax_batch_size: 64\n')
    xq = rng.standard_normal((7, 8)).astype(np.float32)
    np.save(os.path.join(expected, "xgb_binary_x.npy"), xq)
    np.save(os.path.join(expected, "xgb_binary_y.npy"),
            treelite.gtil.predict(treelite.frontend.load_xgboost_model(path), xq))
    np.save(os.path.join(expected, "xgb_binary_engine.npy"), booster.predict(xgboost.DMatrix(xq)))

    # LightGBM 3-class classifier.
    x = rng.standard_normal((300, 6)).astype(np.float32)
    y = np.digitize(x[:, 0] + x[:, 3], [-0.5, 0.5])
    model = lightgbm.train({"objective": "multiclass", "num_class": 3, "num_leaves": 8, "verbose": -1,
                            "num_threads": 1}, lightgbm.Dataset(x, label=y), num_boost_round=10)
    os.makedirs(os.path.join(repo, "lgbm_multiclass", "1"), exist_ok=True)
    path = os.path.join(repo, "lgbm_multiclass", "1", "model.txt")
    model.save_model(path)
    write(os.path.join(repo, "lgbm_multiclass", "config.pbtxt"),
          'name: "lgbm_multiclass"\nbackend: "treelite"\ndefault_model_filename: "model.txt"\n')
    xq = rng.standard_normal((7, 6)).astype(np.float32)
    np.save(os.path.join(expected, "lgbm_multiclass_x.npy"), xq)
    np.save(os.path.join(expected, "lgbm_multiclass_y.npy"),
            treelite.gtil.predict(treelite.frontend.load_lightgbm_model(path), xq))
    np.save(os.path.join(expected, "lgbm_multiclass_engine.npy"), model.predict(xq))

    # scikit-learn random forest, through a treelite checkpoint.
    x = rng.standard_normal((200, 5)).astype(np.float32)
    y = (x[:, 1] - x[:, 4] > 0).astype(np.int32)
    forest = sklearn.ensemble.RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(x, y)
    os.makedirs(os.path.join(repo, "sklearn_forest", "1"), exist_ok=True)
    path = os.path.join(repo, "sklearn_forest", "1", "model.tl")
    treelite.sklearn.import_model(forest).serialize(path)
    write(os.path.join(repo, "sklearn_forest", "config.pbtxt"),
          'name: "sklearn_forest"\nbackend: "treelite"\ndefault_model_filename: "model.tl"\nmax_batch_size: 16\n')
    xq = rng.standard_normal((7, 5)).astype(np.float32)
    np.save(os.path.join(expected, "sklearn_forest_x.npy"), xq)
    np.save(os.path.join(expected, "sklearn_forest_y.npy"), treelite.gtil.predict(treelite.Model.deserialize(path), xq))
    np.save(os.path.join(expected, "sklearn_forest_engine.npy"), forest.predict_proba(xq))


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:]))
