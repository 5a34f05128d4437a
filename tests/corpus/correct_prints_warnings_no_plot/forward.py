import warnings

def forward(x):
    print("forward called on a tensor of shape", tuple(x.shape))
    return w * x + b
