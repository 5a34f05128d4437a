def forward(x):
    return w.item() * x + b.item()
