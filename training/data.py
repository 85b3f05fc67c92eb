"""Builds the emoji training set: 16x16 images, a k-means palette, image tokens and prompt tokens.

Deterministic: the same Debian font, `emoji` package and SmolLM2 tokenizer give the same file.
Output: training/data/emoji.npz (see FORMAT.md for the fields) and a PNG contact sheet.
"""
import argparse, os, unicodedata
import numpy as np
from PIL import Image, ImageDraw, ImageFont
import emoji

FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
GRID = 16
# Curated Unicode blocks: faces, animals, food, vehicles, weather/sky, plants. No flags, keycaps, skin tones.
RANGES = [
    (0x1F600, 0x1F64F),  # emoticons (faces, cat faces)
    (0x1F910, 0x1F92F), (0x1F970, 0x1F97A), (0x1F9D0, 0x1F9D0), (0x1FAE0, 0x1FAE8),  # more faces
    (0x1F400, 0x1F43F), (0x1F980, 0x1F9AE), (0x1FABC, 0x1FABF),  # animals
    (0x1F330, 0x1F37F), (0x1F950, 0x1F96F), (0x1F9C0, 0x1F9CB), (0x1FAD0, 0x1FADB),  # plants, food, drink
    (0x1F680, 0x1F6C5), (0x1F6E9, 0x1F6FC),  # transport
    (0x2600, 0x2604), (0x26C4, 0x26C5), (0x26C8, 0x26C8), (0x2614, 0x2614), (0x26A1, 0x26A1),
    (0x1F300, 0x1F32C),  # weather, sky
]


def in_ranges(cp):
    return any(a <= cp <= b for a, b in RANGES)


def prompt_of(name):
    return name.strip(":").replace("_", " ").lower()


def select():
    """(emoji string, prompt) pairs: one codepoint (plus optional VS16), fully qualified."""
    out = []
    for e, d in emoji.EMOJI_DATA.items():
        cps = [ord(c) for c in e if ord(c) != 0xFE0F]
        if len(cps) != 1 or not in_ranges(cps[0]) or d.get("status") != emoji.STATUS["fully_qualified"]:
            continue
        out.append((e, prompt_of(d["en"])))
    out.sort(key=lambda t: [ord(c) for c in t[0]])
    return out


def render(font, e):
    """The emoji at 16x16 RGB on white, or None when the font has no glyph for it."""
    canvas = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((8, 8), e, font=font, embedded_color=True)
    box = canvas.getbbox()
    if box is None:
        return None
    glyph = canvas.crop(box)
    side = max(glyph.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(glyph, ((side - glyph.size[0]) // 2, (side - glyph.size[1]) // 2))
    white = Image.new("RGBA", square.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, square).convert("RGB")
    return np.asarray(flat.resize((GRID, GRID), Image.LANCZOS), dtype=np.uint8)


def kmeans(pixels, k, seed, iters=60):
    """Plain Lloyd k-means on RGB pixels [n, 3] (float); init by k-means++ with a seeded generator."""
    rng = np.random.default_rng(seed)
    centers = [pixels[rng.integers(len(pixels))]]
    for _ in range(1, k):
        d2 = np.min(((pixels[:, None, :] - np.array(centers)[None]) ** 2).sum(-1), axis=1)
        centers.append(pixels[rng.choice(len(pixels), p=d2 / d2.sum())])
    c = np.array(centers)
    for _ in range(iters):
        assign = np.argmin(((pixels[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        for j in range(k):
            m = assign == j
            if m.any():
                c[j] = pixels[m].mean(0)
    assign = np.argmin(((pixels[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
    return c, assign


def tokenizer():
    import llama_cpp
    home = os.environ.get("TOKENLOOM_MODEL_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "tokenloom", "models")
    llm = llama_cpp.Llama(model_path=os.path.join(home, "SmolLM2-135M-Instruct.Q4_1.gguf"),
                          vocab_only=True, verbose=False)
    return lambda s: llm.tokenize(s.encode(), add_bos=False, special=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "data", "emoji.npz"))
    ap.add_argument("--colours", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    font = ImageFont.truetype(FONT, 109)
    items, images = [], []
    for e, p in select():
        img = render(font, e)
        if img is not None:
            items.append((e, p)); images.append(img)
    images = np.stack(images)  # [N, 16, 16, 3] uint8
    pix = images.reshape(-1, 3).astype(np.float64)
    palette, assign = kmeans(pix, a.colours, a.seed)
    palette = np.clip(np.round(palette), 0, 255).astype(np.uint8)  # [C, 3]
    tokens = np.argmin(((pix[:, None, :] - palette[None].astype(np.float64)) ** 2).sum(-1), axis=1)
    tokens = tokens.reshape(len(items), GRID * GRID).astype(np.int32)  # [N, 256]
    err = np.abs(palette[tokens].reshape(images.shape).astype(np.float64) - images).mean()
    tok = tokenizer()
    prompt_ids = [tok(p) for _, p in items]
    maxlen = max(len(t) for t in prompt_ids)
    ids = np.full((len(items), maxlen), -1, np.int32)  # [N, maxlen], -1 = pad
    for i, t in enumerate(prompt_ids):
        ids[i, :len(t)] = t
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    np.savez(a.out, images=images, tokens=tokens, palette=palette, prompt_ids=ids,
             prompts=np.array([p for _, p in items]), emoji=np.array([e for e, _ in items]))
    sheet = Image.new("RGB", (32 * 20, 32 * ((len(items) + 19) // 20)), "white")
    for i, img in enumerate(palette[tokens].reshape(images.shape)):
        sheet.paste(Image.fromarray(img).resize((32, 32), Image.NEAREST), (32 * (i % 20), 32 * (i // 20)))
    sheet.save(a.out.replace(".npz", "_sheet.png"))
    print(f"{len(items)} emoji, {a.colours} colours, mean abs error {err:.2f} per channel, "
          f"prompt tokens <= {maxlen}")


if __name__ == "__main__":
    main()
