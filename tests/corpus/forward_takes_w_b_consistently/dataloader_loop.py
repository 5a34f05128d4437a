def train_model_SGD(epochs):
    # YOUR CODE HERE
    for epoch in range(epochs):
        # Loss on all the data, before this epoch's updates
        LOSS_SGD.append(criterion(forward(X, w, b), Y).item())
        get_surface.set_para_loss(w.item(), b.item(), LOSS_SGD[-1])
        get_surface.plot_ps()
        for x, y in trainloader:
            yhat = forward(x, w, b)
            loss = criterion(yhat, y)
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_()
            b.grad.data.zero_()
