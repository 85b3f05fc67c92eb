"""Mimir's non-destructive start: with zero-initialised Z_beta the fused model's output equals the
encoder-only model's exactly (bit for bit), whatever the LLM states. Run: python3 -m pytest test_fuser.py
(or python3 test_fuser.py)."""
import numpy as np
import jax
import jax.numpy as jnp
import model as M


def test_fused_equals_encoder_only_at_init():
    cfg = M.Config(d=32, heads=2, ffn=64, enc_layers=1, dec_layers=2, text_vocab=50)
    p = M.init_params(cfg, jax.random.key(0))
    rng = np.random.default_rng(0)
    ids = np.full((3, cfg.text_len), -1, np.int32)
    ids[0, :4] = [1, 5, 9, 2]; ids[1, :2] = [7, 0]                  # row 2: the empty prompt
    H = jnp.asarray(rng.normal(0, 300, (3, cfg.text_len, cfg.llm_dim)).astype(np.float32))
    instr = jnp.asarray(rng.normal(0, 300, (cfg.stab, cfg.llm_dim)).astype(np.float32))
    tokens = jnp.asarray(rng.integers(0, cfg.colours, (3, cfg.n_img)).astype(np.int32))
    E, _ = M.encode_text(p, jnp.asarray(ids), cfg)
    e0, s0 = M.fuse(p, E, None, None, cfg)
    e1, s1 = M.fuse(p, E, H, instr, cfg)
    assert np.array_equal(np.asarray(e0), np.asarray(e1)) and np.array_equal(np.asarray(s0), np.asarray(s1))
    a = M.logits(p, jnp.asarray(ids), None, None, tokens, cfg)
    b = M.logits(p, jnp.asarray(ids), H, instr, tokens, cfg)
    assert np.array_equal(np.asarray(a), np.asarray(b))


if __name__ == "__main__":
    test_fused_equals_encoder_only_at_init()
    print("ok: fused == encoder-only at initialisation")
