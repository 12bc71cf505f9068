# AdamW, the warm start of the search (SPEC section 2): betas 0.9 / 0.999, peak
# learning rate 0.001, decoupled weight decay 0.01; bias correction and epsilon
# are left out, as in the paper.
def train(w, g, m, v, lr):
    g2 = square(g)
    m = interp(g, m, 0.9)
    v = interp(g2, v, 0.999)
    sqrt_v = sqrt(v)
    update = m / sqrt_v
    wd = w * 0.01
    update = update + wd
    lr = lr * 0.001
    update = update * lr
    return update, m, v
