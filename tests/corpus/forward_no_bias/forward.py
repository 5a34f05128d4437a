def forward(x):
    return w * x
