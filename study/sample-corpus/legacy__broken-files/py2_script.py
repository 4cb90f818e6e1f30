import mlflow
print "training"
mlflow.log_param("lr", 0.1)
