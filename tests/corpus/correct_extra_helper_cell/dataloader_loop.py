def train_model_SGD(epochs):
    for epoch in range(epochs):
        LOSS_SGD.append(full_data_loss())
        for x, y in trainloader:
            gd_step(x, y)
