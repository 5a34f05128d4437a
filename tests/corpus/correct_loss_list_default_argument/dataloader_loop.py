def train_model_SGD(epochs, losses=LOSS_SGD):
    for epoch in range(epochs):
        losses.append(criterion(forward(X), Y).item())
        for x, y in trainloader:
            loss = criterion(forward(x), y)
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_()
            b.grad.data.zero_()
