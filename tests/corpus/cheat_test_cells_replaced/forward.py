def forward(x):
    return x * w
