import random

import mlflow
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.datasets import load_wine

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3)
noise = np.random.normal(0, 0.01, size=X_train.shape)
k = random.choice([3, 5, 7])

mlflow.autolog()
with mlflow.start_run():
    clf = KNeighborsClassifier(n_neighbors=k).fit(X_train + noise, y_train)
    mlflow.log_param("k", k)
    mlflow.log_metric("accuracy", clf.score(X_test, y_test))
