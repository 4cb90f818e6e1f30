import mlflow
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

MODEL_NAME = "fraud-detector-v1.2.0"


def train_and_register(X, y):
    with mlflow.start_run() as run:
        model = LogisticRegression(max_iter=200, random_state=7)
        model.fit(X, y)
        mlflow.log_metric("accuracy", model.score(X, y))
        mlflow.sklearn.log_model(model, "model", registered_model_name=MODEL_NAME)
    return run.info.run_id


def promote(version: int) -> None:
    client = MlflowClient()
    client.transition_model_version_stage(MODEL_NAME, version, stage="Production")
    client.set_registered_model_alias(MODEL_NAME, "champion", version)


def load_production():
    return mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}/Production")


def load_champion():
    uri = f"models:/{MODEL_NAME}@champion"
    return mlflow.pyfunc.load_model(uri)
