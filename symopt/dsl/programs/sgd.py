# Plain SGD with learning rate 0.1 and a small weight decay (1e-4). Neither
# state slot is used.
def train(w, g, m, v, lr):
    wd = w * 0.0001
    update = g + wd
    lr = lr * 0.1
    update = update * lr
    return update, m, v
