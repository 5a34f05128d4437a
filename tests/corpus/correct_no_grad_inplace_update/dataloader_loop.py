def train_model_SGD(epochs):
    global w, b
    for epoch in range(epochs):
        LOSS_SGD.append(criterion(forward(X), Y).item())
        for x, y in trainloader:
            loss = criterion(forward(x), y)
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
