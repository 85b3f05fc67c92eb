"""Measures a v2 checkpoint in JAX (issue 14's variety, faithfulness and generalisation figures).

  python3 eval_v2.py runs/v2/stageS.npz [--json runs/v2/eval_stageS.json]

Plain AR sampling at temperature 1, no guidance unless --guidance, with a KV cache (checked against model.logits by --check).
Each figure has a 95% bootstrap interval (2000 resamples of prompts, or of seeds for "an animal").
- entropy: mean over positions of the entropy (nats) of the model's own next-token distribution while it
  samples, on the first two rows (32 tokens) and on all 256; for named prompts and for category prompts.
- distinct: number of distinct nearest references (pixel L2, over all training images) in 50 seeds of
  "an animal" (interval: over random 50-seed subsets of 200 seeds), and the share of nearest references
  that are (Noto) animals.
- retrieval on trained names: the sample's nearest reference is the prompt's own image; pixel error to it.
- held-out retrieval: the nearest reference is one of the emoji the held-out alias/keyword names
  (training/heldout_prompts.txt), with the chance rate for comparison.
"""
import argparse, json, math, os, time
import numpy as np
import jax
import jax.numpy as jnp
import model as M
from train import load, load_data
from data import tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
CATEGORY_PROMPTS = ["an animal", "a fruit", "a face", "a flag", "a vehicle", "a bird", "a flower", "food",
                    "a building", "a person"]


def make_sampler(p, cfg, guidance=1.0):
    """Returns sample(ids [B,T], key) -> (tokens [B,256], entropy [B,256]) with a KV cache."""
    T0 = cfg.text_len + cfg.stab
    Ntot = T0 + cfg.n_img
    h, hd = cfg.heads, cfg.d // cfg.heads
    g = cfg.grid
    pos = (p["img.row_embd"][:, None, :] + p["img.col_embd"][None, :, :]).reshape(g * g, -1)

    def attn_step(b, x, kc, vc, qpos, keyok):
        """x [B, n, d] new rows at positions qpos [n]; kc/vc [B, h, Ntot, hd] caches. Returns x, kc, vc."""
        B, n, d = x.shape
        a = M.rmsnorm(x, p[b + "attn_norm"], cfg.eps)
        q = (a @ p[b + "attn_q"]).reshape(B, n, h, hd).transpose(0, 2, 1, 3)
        k = (a @ p[b + "attn_k"]).reshape(B, n, h, hd).transpose(0, 2, 1, 3)
        v = (a @ p[b + "attn_v"]).reshape(B, n, h, hd).transpose(0, 2, 1, 3)
        kc = jax.lax.dynamic_update_slice(kc, k, (0, 0, qpos[0], 0))
        vc = jax.lax.dynamic_update_slice(vc, v, (0, 0, qpos[0], 0))
        allowed = (jnp.arange(Ntot)[None, :] <= qpos[:, None])[None, None] & keyok[:, None, None, :]
        s = q @ kc.transpose(0, 1, 3, 2) / math.sqrt(hd) + jnp.where(allowed, 0.0, M.NEG)
        o = (jax.nn.softmax(s, -1) @ vc).transpose(0, 2, 1, 3).reshape(B, n, d)
        x = x + o @ p[b + "attn_output"]
        m = M.rmsnorm(x, p[b + "ffn_norm"], cfg.eps)
        return x + jax.nn.silu(m @ p[b + "ffn_up"]) @ p[b + "ffn_down"], kc, vc

    @jax.jit
    def sample(ids, key, temperature=1.0):
        Bc = ids.shape[0]
        if guidance != 1.0:                      # classifier-free guidance: the empty prompt alongside
            ids = jnp.concatenate([ids, jnp.full_like(ids, -1)])
        B = ids.shape[0]
        cond, cv = M.condition(p, ids, None, None, cfg)
        keyok = jnp.concatenate([cv, jnp.ones((B, cfg.n_img), bool)], 1)
        L = cfg.dec_layers
        kc = jnp.zeros((L, B, h, Ntot, hd)); vc = jnp.zeros((L, B, h, Ntot, hd))
        x = cond
        kcs, vcs = [], []
        for i in range(L):
            x, k_, v_ = attn_step(f"dec.blk.{i}.", x, kc[i], vc[i], jnp.arange(T0), keyok)
            kcs.append(k_); vcs.append(v_)
        kc, vc = jnp.stack(kcs), jnp.stack(vcs)

        def body(carry, j):
            kc, vc, prev, key = carry
            emb = jnp.where(j == 0, jnp.broadcast_to(p["img.boi"], (B, cfg.d)),
                            p["img.token_embd"][prev] + p["img.level_embd"][0])
            x = (emb + pos[j])[:, None, :]
            kcs, vcs = [], []
            for i in range(L):
                x, k_, v_ = attn_step(f"dec.blk.{i}.", x, kc[i], vc[i], (T0 + j)[None], keyok)
                kcs.append(k_); vcs.append(v_)
            lg = M.rmsnorm(x[:, 0], p["dec.output_norm"], cfg.eps) @ p["dec.output"]
            if guidance != 1.0:
                lg = lg[Bc:] + guidance * (lg[:Bc] - lg[Bc:])
                lg = jnp.concatenate([lg, lg])
            lg = lg / temperature
            lp = jax.nn.log_softmax(lg, -1)
            ent = -(jnp.exp(lp) * lp).sum(-1)
            key, k = jax.random.split(key)
            t = jax.random.categorical(k, lg, -1)
            return (jnp.stack(kcs), jnp.stack(vcs), t, key), (t, ent, lp)

        _, (toks, ents, lps) = jax.lax.scan(body, (kc, vc, jnp.zeros(B, jnp.int32), key), jnp.arange(cfg.n_img))
        return toks.T[:Bc], ents.T[:Bc], lps.transpose(1, 0, 2)[:Bc]
    return sample


def boot(x, n=2000, seed=0, stat=np.mean):
    x = np.asarray(x, np.float64)
    r = np.random.default_rng(seed)
    bs = [stat(x[r.integers(0, len(x), len(x))]) for _ in range(n)]
    return [float(stat(x)), float(np.percentile(bs, 2.5)), float(np.percentile(bs, 97.5))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--data", default=os.path.join(HERE, "data", "emoji_v2.npz"))
    ap.add_argument("--heldout", default=os.path.join(HERE, "heldout_prompts.txt"))
    ap.add_argument("--named", type=int, default=200, help="trained names to sample (evenly spaced)")
    ap.add_argument("--cat-seeds", type=int, default=16)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--json")
    ap.add_argument("--guidance", type=float, default=1.0, help="classifier-free guidance scale (1: none)")
    ap.add_argument("--animal-seeds", type=int, default=200)
    ap.add_argument("--check", action="store_true", help="compare the KV-cache sampler with model.logits")
    a = ap.parse_args()
    t0 = time.time()
    params, cfg, vocab, meta = load(a.checkpoint)
    data = load_data(a.data, cfg)
    z = np.load(a.data)
    tok = tokenizer()
    vset = {int(v): i for i, v in enumerate(vocab)}

    def ids_of(texts):
        out = np.full((len(texts), cfg.text_len), -1, np.int32)
        for r, t in enumerate(texts):
            loc = [1 + vset[x] if x in vset else 0 for x in tok(t)][: cfg.text_len]
            out[r, : len(loc)] = loc
        return out

    sample = make_sampler(params, cfg, a.guidance)

    def run(texts, seed):
        toks, ents = [], []
        for i in range(0, len(texts), a.batch):
            chunk = texts[i:i + a.batch]
            ids = ids_of(chunk)
            padn = a.batch - len(chunk)
            if padn:
                ids = np.concatenate([ids, np.full((padn, cfg.text_len), -1, np.int32)])
            t, e, _ = sample(jnp.asarray(ids), jax.random.key(seed + i))
            toks.append(np.asarray(t)[: len(chunk)]); ents.append(np.asarray(e)[: len(chunk)])
        return np.concatenate(toks), np.concatenate(ents)

    if a.check:
        ids = jnp.asarray(ids_of(["red apple", "an animal"]))
        t, e, lps = sample(ids, jax.random.key(0))
        full = jax.nn.log_softmax(M.logits(params, ids, None, None, t, cfg), -1)
        print("max |log p| difference, KV cache vs model.logits:", float(jnp.abs(full - lps).max()))
        return

    pal = z["palette"].astype(np.float64)
    refs = pal[z["tokens"]].reshape(len(z["tokens"]), -1)
    names = [str(s) for s in z["prompts"]]
    emo = [str(s) for s in z["emoji"]]
    style = [str(s) for s in z["style"]]
    sub = [str(s) for s in z["subgroup"]]

    def nearest(gen):
        g = pal[gen].reshape(len(gen), -1)
        d = (g * g).sum(1)[:, None] - 2 * g @ refs.T + (refs * refs).sum(1)[None]
        return np.argmin(d, 1), g
    res = dict(checkpoint=a.checkpoint, images=len(names), temperature=1.0, guidance=a.guidance)

    # named prompts (trained names), evenly spaced over all images (both styles)
    ev = np.linspace(0, len(names) - 1, min(a.named, len(names))).astype(int)
    gen, ent = run([names[i] for i in ev], 1000)
    nn, g = nearest(gen)
    res["named"] = dict(prompts=len(ev), retrieval=boot(nn == ev),
                        pixel_error=boot(np.abs(g - refs[ev]).mean(1)),
                        entropy_rows12=boot(ent[:, :32].mean(1)), entropy_all=boot(ent.mean(1)))
    # category prompts
    cats = [c for c in CATEGORY_PROMPTS if c in set(str(s) for s in z["train_prompts"])]
    texts = [c for c in cats for _ in range(a.cat_seeds)]
    gen, ent = run(texts, 2000)
    per = {c: dict(entropy_rows12=float(ent[i * a.cat_seeds:(i + 1) * a.cat_seeds, :32].mean()),
                   entropy_all=float(ent[i * a.cat_seeds:(i + 1) * a.cat_seeds].mean())) for i, c in enumerate(cats)}
    res["category"] = dict(prompts=cats, seeds=a.cat_seeds, entropy_rows12=boot(ent[:, :32].mean(1)),
                           entropy_all=boot(ent.mean(1)), per_prompt=per)
    # "an animal": distinct nearest references in the first 50 seeds; the interval is the 2.5-97.5 percentile of
    # the same count over 2000 random 50-seed subsets of --animal-seeds seeds (without replacement)
    S = max(50, a.animal_seeds)
    gen, ent = run(["an animal"] * S, 3000)
    nn, _ = nearest(gen)
    animal = np.array([sub[i].startswith("animal-") and style[i] == "noto" for i in nn])
    r = np.random.default_rng(0)
    subs = [len(set(nn[r.permutation(S)[:50]].tolist())) for _ in range(2000)]
    res["an_animal"] = dict(seeds=S, distinct_nearest_50=[len(set(nn[:50].tolist())), float(np.percentile(subs, 2.5)),
                                                          float(np.percentile(subs, 97.5))],
                            distinct_nearest_all=len(set(nn.tolist())), animal_share=boot(animal),
                            entropy_rows12=boot(ent[:, :32].mean(1)), nearest=[names[i] for i in nn])
    # held-out aliases and keywords
    held = []
    for line in open(a.heldout, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        k, es = line.rstrip("\n").split("\t")
        targets = {i for i, e in enumerate(emo) if style[i] == "noto" and e in set(es.split(" "))}
        held.append((k, targets))
    gen, ent = run([k for k, _ in held], 4000)
    nn, _ = nearest(gen)
    ok = np.array([n in t for n, (_, t) in zip(nn, held)])
    chance = np.array([len(t) / len(names) for _, t in held])
    unk = np.mean([0 in ids_of([k])[0] for k, _ in held])
    res["heldout"] = dict(prompts=len(held), retrieval=boot(ok), chance=float(chance.mean()),
                          share_with_unknown_tokens=float(unk), entropy_rows12=boot(ent[:, :32].mean(1)))
    # teacher-forced NLL per token of 128 reference images given their own name, another image's name, no prompt
    import optax
    ev = np.linspace(0, len(names) - 1, 128).astype(int)
    toks = jnp.asarray(z["tokens"][ev])

    def nll(ids):
        lg = M.logits(params, jnp.asarray(ids), None, None, toks, cfg)
        return float(optax.softmax_cross_entropy_with_integer_labels(lg, toks).mean())
    own = data["ids"][data["name_idx"][ev]]
    res["nll_per_token"] = dict(own_name=nll(own), other_name=nll(data["ids"][data["name_idx"][np.roll(ev, 1)]]),
                                empty_prompt=nll(np.full_like(own, -1)))
    res["seconds"] = time.time() - t0
    print(json.dumps({k: v for k, v in res.items() if k != "an_animal"} | {"an_animal": {
        k: v for k, v in res["an_animal"].items() if k != "nearest"}}, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
