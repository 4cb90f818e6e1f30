import mlflow

def main():
    mlflow.set_tracking_uri("http://localhost:5000")
    with mlflow.start_run():
        mlflow.log_metric("ok", 1.0)
