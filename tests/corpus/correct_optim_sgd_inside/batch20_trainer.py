trainloader = DataLoader(dataset=dataset, batch_size=20)

w = torch.tensor(-15.0, requires_grad=True)
b = torch.tensor(-10.0, requires_grad=True)
lr = 0.1
LOSS_MINI20 = []

def my_train_model(epochs):
    optimizer = torch.optim.SGD([w, b], lr=lr)
    for epoch in range(epochs):
        LOSS_MINI20.append(criterion(forward(X), Y).item())
        for x, y in trainloader:
            loss = criterion(forward(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
