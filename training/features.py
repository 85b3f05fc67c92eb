"""SmolLM2 hidden states for the fused model, computed by tokenloom's own Swift engine.

  python3 features.py prepare   -> data/feature_request.json (token ids of every prompt + instruction prompt)
  TOKENLOOM_DUMP_FEATURES=training/data swift test --filter ImageFeatureDump
                                -> data/feature_states.f32 (LlamaModel.hiddenStates, little-endian float32)
  python3 features.py collect   -> data/features.npz: H [N, maxlen, 576], instr [4, 576], layer
"""
import json, os, sys
import numpy as np
from data import tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
LAYER = 20          # hidden state after block 20 of SmolLM2's 30
INSTRUCTIONS = ["objects:", "colours:", "count:", "layout:"]   # the stabiliser tokens' prompts (last position)
D = 576


def prepare():
    z = np.load(os.path.join(HERE, "data", "emoji.npz"))
    prompts = [[int(t) for t in row if t >= 0] for row in z["prompt_ids"]]
    tok = tokenizer()
    instr = [list(tok(s)) for s in INSTRUCTIONS]
    req = dict(layer=LAYER, sequences=prompts + instr, prompts=len(prompts))
    with open(os.path.join(HERE, "data", "feature_request.json"), "w") as f:
        json.dump(req, f)
    print(f"{len(prompts)} prompts + {len(instr)} instructions, layer {LAYER}")


def collect():
    req = json.load(open(os.path.join(HERE, "data", "feature_request.json")))
    flat = np.fromfile(os.path.join(HERE, "data", "feature_states.f32"), dtype="<f4")
    lens = [len(s) for s in req["sequences"]]
    assert flat.size == sum(lens) * D, f"{flat.size} floats for {sum(lens)} tokens"
    states = np.split(flat.reshape(-1, D), np.cumsum(lens)[:-1])
    n = req["prompts"]
    maxlen = max(lens[:n])
    H = np.zeros((n, maxlen, D), np.float32)
    for i in range(n):
        H[i, : lens[i]] = states[i]
    instr = np.stack([s[-1] for s in states[n:]]).astype(np.float32)
    np.savez(os.path.join(HERE, "data", "features.npz"), H=H, instr=instr, layer=req["layer"])
    print(f"features: H {H.shape}, instr {instr.shape}, |H| rms {np.sqrt((H[H != 0] ** 2).mean()):.2f}")


if __name__ == "__main__":
    {"prepare": prepare, "collect": collect}[sys.argv[1]]()
