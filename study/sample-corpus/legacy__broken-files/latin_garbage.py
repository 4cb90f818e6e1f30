import mlflow
mlflow.log_metric("a", 1)
x = ÿþ invalid utf8
