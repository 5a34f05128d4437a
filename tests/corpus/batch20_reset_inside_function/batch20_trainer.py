trainloader = DataLoader(dataset=dataset, batch_size=20)
lr = 0.1

def my_train_model(epochs):
    global w, b, LOSS_MINI20
    w = torch.tensor(-15.0, requires_grad=True)
    b = torch.tensor(-10.0, requires_grad=True)
    LOSS_MINI20 = []
    for epoch in range(epochs):
        LOSS_MINI20.append(criterion(forward(X), Y).item())
        for x, y in trainloader:
            yhat = forward(x)
            loss = criterion(yhat, y)
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_()
            b.grad.data.zero_()
