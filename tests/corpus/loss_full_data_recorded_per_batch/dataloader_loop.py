def train_model_SGD(epochs):
    for epoch in range(epochs):
        for x, y in trainloader:
            # the loss on all the data, but once per batch
            LOSS_SGD.append(criterion(forward(X), Y).item())
            yhat = forward(x)
            loss = criterion(yhat, y)
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_()
            b.grad.data.zero_()
