def train_model_SGD(epochs):
    for epoch in range(epochs):
        for x, y in trainloader:
            yhat = forward(x)
            loss = criterion(yhat, y)
            LOSS_SGD.append(loss.item())
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_()
            b.grad.data.zero_()
