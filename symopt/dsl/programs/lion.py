# Lion (Chen et al. 2023): the sign of an interpolation of gradient and momentum
# (beta1 0.9), while the momentum tracks the gradient more slowly (beta2 0.99).
# Learning rate 3e-4 and weight decay 0.1: Lion wants a learning rate 3-10x
# smaller than AdamW's and a decay 3-10x larger. Slot v is unused. With a unit
# lr input this equals optax.lion(0.0003, b1=0.9, b2=0.99, weight_decay=0.1).
def train(w, g, m, v, lr):
    update = interp(g, m, 0.9)
    update = sign(update)
    m = interp(g, m, 0.99)
    wd = w * 0.1
    update = update + wd
    lr = lr * 0.0003
    update = update * lr
    return update, m, v
