def forward(x):
    return (w * x + b).view(-1)
