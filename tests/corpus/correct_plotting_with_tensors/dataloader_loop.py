def train_model_SGD(epochs):
    for epoch in range(epochs):
        total = criterion(forward(X), Y)
        LOSS_SGD.append(total.item())
        get_surface.set_para_loss(w.detach(), b.detach(), total.detach())
        get_surface.plot_ps()
        plt.show()
        for x, y in trainloader:
            loss = criterion(forward(x), y)
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_()
            b.grad.data.zero_()
