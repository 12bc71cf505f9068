# The paper's Program 4: what the search returned after selection and automatic
# redundancy removal, verbatim. It is Lion in disguise: `m = cosh(update)` is
# dead across steps, m / sqrt(m * m) is sign(m), and the two interps chain into
# one momentum with beta2 ~ 0.997 while the update uses beta1 ~ 0.899.
def train(w, g, m, v, lr):
    g = clip(g, lr)
    g = arcsin(g)
    m = interp(g, v, 0.899)
    m2 = m * m
    v = interp(g, m, 1.109)
    abs_m = sqrt(m2)
    update = m / abs_m
    wd = w * 0.4602
    update = update + wd
    lr = lr * 0.0002
    m = cosh(update)
    update = update * lr
    return update, m, v
