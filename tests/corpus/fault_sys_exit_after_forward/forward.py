import sys

def forward(x):
    return w * x + b

sys.exit()
