def train_model_SGD(epochs):
    # Debug printing left in a loop that never ends, with a long line each time
    while True:
        print("w =", w.item(), "b =", b.item(), "history:", "." * 100_000)
