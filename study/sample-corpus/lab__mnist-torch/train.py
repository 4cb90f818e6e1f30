import os

import numpy as np
import torch
from mlflow import MlflowClient
from mlflow import log_metric as lm

os.environ["PYTHONHASHSEED"] = "0"
torch.manual_seed(0)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
np.random.seed(0)

client = MlflowClient()
experiment_id = client.create_experiment("mnist-tiny")
run = client.create_run(experiment_id)
client.log_param(run.info.run_id, "hidden", 16)

model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
x = torch.randn(64, 4)
y = x.sum(dim=1, keepdim=True)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(20):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    client.log_metric(run.info.run_id, "loss", loss.item(), step=step)
    lm("loss_fluent", loss.item(), step=step)
client.set_terminated(run.info.run_id)
