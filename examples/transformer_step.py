"""A decoder-only transformer's training step, written as most model code is.

Its layers are a Python loop over a list of parameter dicts; the step takes
``jax.value_and_grad`` of the loss and applies an SGD update with
``jax.tree_util.tree_map``, all under ``jax.jit``. Open it as a notebook
(VS Code and Jupytext read the ``# %%`` cells) and put ``%%tgraph`` on the
last cell to see it as forward, backward and update, the layers folded into
one block repeated 24 times. tgraph's tests and ``bench/structure_bench.py`` run these
same cells, the tests with smaller sizes.
"""

# %% Sizes: model width D, MLP width H, tokens T, vocabulary V, and the depth
import jax
import jax.numpy as jnp

D, H, T, V = 16, 32, 8, 32
LAYERS = 24

# %% The model's pieces, and its parameters


def rms(x, g):
    return x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + 1e-6) * g


def attn(x, p):
    q, k, v = x @ p["wq"], x @ p["wk"], x @ p["wv"]
    s = jnp.where(jnp.tril(jnp.ones((T, T), bool)), q @ k.T / jnp.sqrt(D), -1e9)
    return jax.nn.softmax(s, -1) @ v @ p["wo"]


def mlp(x, p):
    return jax.nn.gelu(x @ p["w1"]) @ p["w2"]


def block(x, p):
    x = x + attn(rms(x, p["g1"]), p)
    return x + mlp(rms(x, p["g2"]), p)


def layer(k):
    ks = jax.random.split(k, 6)
    shapes = dict(wq=(D, D), wk=(D, D), wv=(D, D), wo=(D, D), w1=(D, H), w2=(H, D))
    p = {n: jax.random.normal(kk, s) * 0.1 for kk, (n, s) in zip(ks, shapes.items(), strict=True)}
    return p | dict(g1=jnp.ones(D), g2=jnp.ones(D))


k = jax.random.PRNGKey(0)
params = dict(
    emb=jax.random.normal(k, (V, D)),
    gf=jnp.ones(D),
    layers=[layer(kk) for kk in jax.random.split(k, LAYERS)],
)
tok = jnp.arange(T) % V
tgt = (tok + 1) % V

# %% The loss and the training step, called once


def loss(params, tok, tgt):
    x = params["emb"][tok]
    for p in params["layers"]:
        x = block(x, p)
    logits = rms(x, params["gf"]) @ params["emb"].T
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), tgt[:, None], -1))


@jax.jit
def step(params, tok, tgt):
    value, grads = jax.value_and_grad(loss)(params, tok, tgt)
    return value, jax.tree_util.tree_map(lambda a, b: a - 0.01 * b, params, grads)


value, params = step(params, tok, tgt)
