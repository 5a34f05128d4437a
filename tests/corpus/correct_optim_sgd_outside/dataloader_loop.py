optimizer = torch.optim.SGD([w, b], lr=lr)

def train_model_SGD(epochs):
    for epoch in range(epochs):
        LOSS_SGD.append(criterion(forward(X), Y).item())
        for x, y in trainloader:
            yhat = forward(x)
            loss = criterion(yhat, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
