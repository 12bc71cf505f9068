# Signum: the sign of a single momentum (beta 0.9). The paper's ablation, NOT
# Lion: one beta instead of two, and it does worse than every baseline. Same
# learning rate (3e-4) and weight decay (0.1) as lion.py. Slot v is unused.
def train(w, g, m, v, lr):
    m = interp(g, m, 0.9)
    update = sign(m)
    wd = w * 0.1
    update = update + wd
    lr = lr * 0.0003
    update = update * lr
    return update, m, v
