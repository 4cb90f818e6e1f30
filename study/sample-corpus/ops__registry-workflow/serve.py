import mlflow.pyfunc as pf

model = pf.load_model("models:/fraud-detector-v1.2.0/3")
latest = "models:/fraud-detector-v1.2.0/latest"
run_uri = mlflow_run = "runs:/abc/model"
