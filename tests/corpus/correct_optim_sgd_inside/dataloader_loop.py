def train_model_SGD(epochs):
    optimizer = torch.optim.SGD([w, b], lr=lr)
    for epoch in range(epochs):
        LOSS_SGD.append(criterion(forward(X), Y).item())
        for x, y in trainloader:
            loss = criterion(forward(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
