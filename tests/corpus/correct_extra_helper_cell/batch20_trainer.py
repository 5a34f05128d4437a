trainloader = DataLoader(dataset=dataset, batch_size=20)

w = torch.tensor(-15.0, requires_grad=True)
b = torch.tensor(-10.0, requires_grad=True)
lr = 0.1
LOSS_MINI20 = []

def my_train_model(epochs):
    for epoch in range(epochs):
        LOSS_MINI20.append(full_data_loss())
        for x, y in trainloader:
            gd_step(x, y)
