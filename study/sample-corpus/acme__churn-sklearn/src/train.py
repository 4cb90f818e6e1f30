"""Train an ElasticNet churn model and track it with MLflow."""
import argparse
import random

import mlflow as mf
import mlflow.sklearn
import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

SEED = 42


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--l1-ratio", type=float, default=0.1)
    args = parser.parse_args()

    random.seed(SEED)
    np.random.seed(SEED)
    df = pd.read_csv("data/churn.csv")
    X, y = df.drop(columns=["churn"]), df["churn"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=SEED)

    mf.set_experiment("churn")
    with mf.start_run(run_name="elasticnet"):
        model = ElasticNet(alpha=args.alpha, l1_ratio=args.l1_ratio, random_state=SEED)
        model.fit(X_train, y_train)
        pred = model.predict(X_test)
        mf.log_params({"alpha": args.alpha, "l1_ratio": args.l1_ratio, "seed": SEED})
        mf.log_metric("rmse", float(np.sqrt(mean_squared_error(y_test, pred))))
        mf.log_metric("r2", float(r2_score(y_test, pred)))
        mlflow.sklearn.log_model(model, "model")


if __name__ == "__main__":
    main()
