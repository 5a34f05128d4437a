def train_model_SGD(epochs):
    for epoch in range(epochs):
        LOSS_SGD.append(criterion(forward(X), Y).item())
        for x, y in trainloader:
            yhat = forward(x)
            loss = criterion(yhat, y)
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
