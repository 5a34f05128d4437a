def train_model_SGD(epochs):
    # Debug printing left in a loop that never ends
    while True:
        print("w =", w.item(), "b =", b.item(), "and some more text to watch " * 20)
