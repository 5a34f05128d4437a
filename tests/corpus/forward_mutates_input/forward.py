def forward(x):
    yhat = x
    yhat *= w
    yhat += b
    return yhat
