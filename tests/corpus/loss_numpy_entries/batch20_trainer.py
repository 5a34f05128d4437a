# YOUR CODE HERE
trainloader = DataLoader(dataset=dataset, batch_size=20)

w = torch.tensor(-15.0, requires_grad=True)
b = torch.tensor(-10.0, requires_grad=True)
lr = 0.1
LOSS_MINI20 = []

def my_train_model(epochs):
    for epoch in range(epochs):
        # Loss on all the data, before this epoch's updates
        LOSS_MINI20.append(criterion(forward(X), Y).data.numpy())
        get_surface.set_para_loss(w.item(), b.item(), LOSS_MINI20[-1])
        get_surface.plot_ps()
        for x, y in trainloader:
            yhat = forward(x)
            loss = criterion(yhat, y)
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_()
            b.grad.data.zero_()
