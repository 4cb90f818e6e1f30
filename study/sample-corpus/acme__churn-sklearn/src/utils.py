"""Helpers with MLflow-like names that are NOT MLflow calls (look-alikes)."""


def log_param(key, value):
    print(f"{key}={value}")


class ConsoleLogger:
    def log_metric(self, key, value):
        print(key, value)


def describe():
    log_param("note", "mlflow.log_param is only mentioned in this string")
    ConsoleLogger().log_metric("x", 1)
