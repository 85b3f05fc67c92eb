"""The tokenloom-image model in JAX: text encoder, Mimir-style token fuser, and image-token decoder.

Parameters are a flat dict keyed by the GGUF tensor names (FORMAT.md), so export is a rename-free dump.
Matrices are stored [in, out] here (y = x @ W) and transposed on export to ggml's [out rows of in].
"""
import math
import jax
import jax.numpy as jnp
import numpy as np

NEG = -1e9  # additive mask value (finite, so fully masked rows stay finite)


class Config:
    def __init__(self, **kw):
        self.d = 160            # model width (encoder, fuser output, decoder)
        self.heads = 5          # attention heads (head dim d/heads)
        self.ffn = 640          # MLP hidden width
        self.enc_layers = 2     # bidirectional text encoder blocks
        self.dec_layers = 6     # causal decoder blocks
        self.text_len = 16      # T: prompt token slots
        self.stab = 4           # S: stabiliser tokens
        self.grid = 16          # image is grid x grid tokens
        self.colours = 64       # image vocabulary (palette size)
        self.levels = 20        # K: SJD2 noise levels (level 0 = clean)
        self.llm_dim = 576      # SmolLM2-135M hidden width
        self.text_vocab = 1     # local text vocabulary (0 = unknown), set from the data
        self.eps = 1e-5
        self.__dict__.update(kw)

    @property
    def n_img(self):
        return self.grid * self.grid


def init_params(cfg, key):
    d, f = cfg.d, cfg.ffn
    keys = iter(jax.random.split(key, 64))
    nrm = lambda shape, std=0.02: std * jax.random.normal(next(keys), shape, jnp.float32)
    p = {
        "text.token_embd": nrm((cfg.text_vocab, d)),
        "text.pos_embd": nrm((cfg.text_len, d)),
        "text.output_norm": jnp.ones(d),
        "fuser.z_theta.weight": jnp.zeros((d, d)), "fuser.z_theta.bias": jnp.zeros(d),
        "fuser.z_beta.weight": jnp.zeros((cfg.llm_dim, d)), "fuser.z_beta.bias": jnp.zeros(d),
        "fuser.scale": jnp.ones(cfg.llm_dim),
        "fuser.stab": nrm((cfg.stab, d)),
        "cond.pos_embd": nrm((cfg.text_len + cfg.stab, d)),
        "img.token_embd": nrm((cfg.colours, d), 1.0 / math.sqrt(d) * 4),
        "img.boi": nrm((d,)),
        "img.row_embd": nrm((cfg.grid, d)),
        "img.col_embd": nrm((cfg.grid, d)),
        "img.level_embd": jnp.zeros((cfg.levels + 1, d)),
        "dec.output_norm": jnp.ones(d),
        "dec.output": nrm((d, cfg.colours)),
    }
    for prefix, n in (("text", cfg.enc_layers), ("dec", cfg.dec_layers)):
        for i in range(n):
            b = f"{prefix}.blk.{i}."
            p[b + "attn_norm"] = jnp.ones(d)
            for w in ("attn_q", "attn_k", "attn_v"):
                p[b + w] = nrm((d, d))
            p[b + "attn_output"] = nrm((d, d), 0.02 / math.sqrt(2 * n))
            p[b + "ffn_norm"] = jnp.ones(d)
            p[b + "ffn_up"] = nrm((d, f))
            p[b + "ffn_down"] = nrm((f, d), 0.02 / math.sqrt(2 * n))
    return p


def rmsnorm(x, w, eps):
    return x * jax.lax.rsqrt(jnp.mean(x * x, -1, keepdims=True) + eps) * w


def block(p, b, x, bias, cfg):
    """Pre-norm transformer block. x [B, N, d]; bias [B, 1, N, N] additive attention mask."""
    B, N, d = x.shape
    h, hd = cfg.heads, d // cfg.heads
    a = rmsnorm(x, p[b + "attn_norm"], cfg.eps)
    q = (a @ p[b + "attn_q"]).reshape(B, N, h, hd).transpose(0, 2, 1, 3)
    k = (a @ p[b + "attn_k"]).reshape(B, N, h, hd).transpose(0, 2, 1, 3)
    v = (a @ p[b + "attn_v"]).reshape(B, N, h, hd).transpose(0, 2, 1, 3)
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias      # [B, h, N, N]
    o = (jax.nn.softmax(s, -1) @ v).transpose(0, 2, 1, 3).reshape(B, N, d)
    x = x + o @ p[b + "attn_output"]
    m = rmsnorm(x, p[b + "ffn_norm"], cfg.eps)
    return x + jax.nn.silu(m @ p[b + "ffn_up"]) @ p[b + "ffn_down"]


def encode_text(p, ids, cfg):
    """Bidirectional encoder. ids [B, T] local ids, -1 = pad. Returns E [B, T, d] and the key mask [B, T]."""
    valid = ids >= 0
    x = p["text.token_embd"][jnp.maximum(ids, 0)] + p["text.pos_embd"][None, : ids.shape[1]]
    bias = jnp.where(valid[:, None, None, :], 0.0, NEG)
    for i in range(cfg.enc_layers):
        x = block(p, f"text.blk.{i}.", x, bias, cfg)
    return rmsnorm(x, p["text.output_norm"], cfg.eps), valid


def llm_branch(p, H, cfg):
    """Z_beta(s * RMSNorm(H)) for LLM hidden states H [..., llm_dim] (RMSNorm without weight)."""
    return rmsnorm(H, p["fuser.scale"], cfg.eps) @ p["fuser.z_beta.weight"] + p["fuser.z_beta.bias"]


def fuse(p, E, H, instr, cfg):
    """Mimir-style fuser. E [B,T,d] encoder tokens; H [B,T,llm] aligned LLM states or None (encoder-only);
    instr [S, llm] instruction-prompt states or None. Returns (prompt tokens e, stabiliser tokens e_s)."""
    e = E + E @ p["fuser.z_theta.weight"] + p["fuser.z_theta.bias"]
    if H is not None:
        e = e + llm_branch(p, H, cfg)
    stab = p["fuser.stab"]
    if instr is not None:
        stab = stab + llm_branch(p, instr, cfg)
    return e, stab


def condition(p, ids, H, instr, cfg):
    """Condition sequence [B, T+S, d] and its key mask [B, T+S]."""
    E, valid = encode_text(p, ids, cfg)
    e, stab = fuse(p, E, H, instr, cfg)
    B = ids.shape[0]
    c = jnp.concatenate([e, jnp.broadcast_to(stab, (B,) + stab.shape)], 1) + p["cond.pos_embd"][None]
    return c, jnp.concatenate([valid, jnp.ones((B, cfg.stab), bool)], 1)


def image_inputs(p, tokens, noisy, levels, cfg, mu, sd):
    """Decoder inputs for the image part: BOI then tokens[:, :-1] (clean or noisy).
    tokens [B, 256]; noisy [B, 255, d] normalised noisy embeddings or None; levels [B, 255] ints (0 = clean).
    Slot j (0 = BOI) carries the row/column embedding of the pixel it predicts, j."""
    B = tokens.shape[0]
    g = cfg.grid
    pos = (p["img.row_embd"][:, None, :] + p["img.col_embd"][None, :, :]).reshape(g * g, -1)  # [256, d]
    emb = p["img.token_embd"][tokens[:, :-1]]                                                  # [B, 255, d]
    if noisy is not None:
        emb = jnp.where((levels > 0)[..., None], noisy * sd + mu, emb)
    emb = emb + p["img.level_embd"][levels]
    boi = jnp.broadcast_to(p["img.boi"], (B, 1, cfg.d))
    return jnp.concatenate([boi, emb], 1) + pos[None]                                         # [B, 256, d]


def decode(p, cond, cond_valid, img_in, cfg):
    """Causal decoder over [condition][image inputs]; returns image logits [B, 256, colours]."""
    x = jnp.concatenate([cond, img_in], 1)
    N = x.shape[1]
    causal = jnp.tril(jnp.ones((N, N), bool))
    keyok = jnp.concatenate([cond_valid, jnp.ones(img_in.shape[:2], bool)], 1)
    bias = jnp.where(causal[None, None] & keyok[:, None, None, :], 0.0, NEG)
    for i in range(cfg.dec_layers):
        x = block(p, f"dec.blk.{i}.", x, bias, cfg)
    x = rmsnorm(x[:, cond.shape[1]:], p["dec.output_norm"], cfg.eps)
    return x @ p["dec.output"]


def logits(p, ids, H, instr, tokens, cfg, noisy=None, levels=None, mu=0.0, sd=1.0):
    if levels is None:
        levels = jnp.zeros(tokens[:, :-1].shape, jnp.int32)
    cond, cv = condition(p, ids, H, instr, cfg)
    return decode(p, cond, cv, image_inputs(p, tokens, noisy, levels, cfg, mu, sd), cfg)


def karras_sigmas(cfg, sigma_min=0.02, sigma_max=20.0, rho=7.0):
    """sigma[k] for k = 0..K: sigma[0] = 0 (clean), then increasing Karras levels 1..K."""
    K = cfg.levels
    t = np.linspace(0, 1, K)
    s = (sigma_min ** (1 / rho) + t * (sigma_max ** (1 / rho) - sigma_min ** (1 / rho))) ** rho
    return np.concatenate([[0.0], s]).astype(np.float32)


def alpha_sigma(sig):
    """VP form of level sigma: z = alpha*e0 + sbar*eps with alpha = 1/sqrt(1+s^2), sbar = s/sqrt(1+s^2)."""
    a = 1.0 / np.sqrt(1.0 + sig.astype(np.float64) ** 2)
    return a.astype(np.float32), (sig * a).astype(np.float32)
