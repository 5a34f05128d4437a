trainloader = DataLoader(dataset=dataset, batch_size=20)

w = torch.tensor(-15.0, requires_grad=True)
b = torch.tensor(-10.0, requires_grad=True)
lr = 0.1
LOSS_MINI20 = []

def my_train_model(epochs):
    for epoch in range(epochs):
        total = criterion(forward(X), Y)
        LOSS_MINI20.append(total.item())
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
