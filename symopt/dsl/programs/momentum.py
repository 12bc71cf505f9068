# Heavy-ball momentum, optax.sgd(learning_rate=0.01, momentum=0.9): the trace
# m = g + 0.9 m, plus a small decoupled weight decay (1e-4) added after the
# trace. Slot v is unused.
def train(w, g, m, v, lr):
    mm = m * 0.9
    m = g + mm
    wd = w * 0.0001
    update = m + wd
    lr = lr * 0.01
    update = update * lr
    return update, m, v
