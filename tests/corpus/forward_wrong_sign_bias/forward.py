def forward(x):
    yhat = w * x - b
    return yhat
