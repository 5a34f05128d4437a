import warnings

def train_model_SGD(epochs):
    warnings.warn("train_model_SGD: plotting is switched off in this version")
    for epoch in range(epochs):
        LOSS_SGD.append(criterion(forward(X), Y).item())
        print(f"epoch {epoch}: loss {LOSS_SGD[-1]:.4f}, w = {w.item():.3f}, b = {b.item():.3f}")
        for x, y in trainloader:
            yhat = forward(x)
            loss = criterion(yhat, y)
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_()
            b.grad.data.zero_()
    print("done:", LOSS_SGD)
