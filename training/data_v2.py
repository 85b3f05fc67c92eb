"""Builds the v2 emoji training set (issue 14): many emoji, two styles, many prompts per image.

Deterministic (seeded) from Debian `fonts-noto-color-emoji`, `fonts-symbola`, `unicode-data`
(emoji-test.txt: groups, subgroups, names), `unicode-cldr-core` (English annotations: keywords) and the
PyPI `emoji` package (aliases). Reuses data.py's renderer, k-means and tokenizer; data.py (v1) is unchanged.

Output training/data/emoji_v2.npz:
  images [M,16,16,3], tokens [M,256] (the references, one per image), palette [64,3],
  prompts [M] (each image's name: its reference prompt, exported into the GGUF), emoji [M], style [M],
  aug_tokens [M,A,256] (mildly shifted/scaled renderings, same palette),
  train_prompts [P], prompt_ids [P,L] (SmolLM2 ids, -1 pad) of every prompt string trained on,
  name_idx [M], kw_ptr/kw_idx and cat_ptr/cat_idx (CSR lists of prompt indices per image).
and training/heldout_prompts.txt: the held-out aliases/keywords (never trained on) with their emoji.
"""
import argparse, os, re, unicodedata, xml.etree.ElementTree as ET
import numpy as np
from PIL import Image, ImageDraw, ImageFont
import emoji
from data import FONT, GRID, kmeans, tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
SYMBOLA = "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"
EMOJI_TEST = "/usr/share/unicode/emoji/emoji-test.txt"
CLDR = ["/usr/share/unicode/cldr/common/annotations/en.xml",
        "/usr/share/unicode/cldr/common/annotationsDerived/en.xml"]

# Unicode emoji subgroups -> category prompts (each has many right answers).
CATEGORIES = {
    "face-smiling": ["a face", "a smiling face"], "face-affection": ["a face", "a loving face"],
    "face-tongue": ["a face"], "face-hand": ["a face"], "face-neutral-skeptical": ["a face"],
    "face-sleepy": ["a face", "a sleepy face"], "face-unwell": ["a face", "a sick face"],
    "face-hat": ["a face"], "face-glasses": ["a face"], "face-concerned": ["a face", "a worried face"],
    "face-negative": ["a face", "an angry face"], "face-costume": ["a costume face", "a monster"],
    "cat-face": ["a cat face", "a face"], "monkey-face": ["a monkey face"], "heart": ["a heart"],
    "emotion": ["an emotion symbol"],
    "hand-fingers-open": ["a hand"], "hand-fingers-partial": ["a hand"], "hand-single-finger": ["a hand"],
    "hand-fingers-closed": ["a hand"], "hands": ["hands"], "hand-prop": ["a hand"], "body-parts": ["a body part"],
    "person": ["a person"], "person-gesture": ["a person", "a gesture"], "person-role": ["a person", "a job"],
    "person-fantasy": ["a fantasy character"], "person-activity": ["a person", "an activity"],
    "person-sport": ["a sport", "an athlete"], "person-resting": ["a person resting"], "family": ["a family"],
    "person-symbol": ["a person symbol"],
    "animal-mammal": ["an animal", "a mammal"], "animal-bird": ["an animal", "a bird"],
    "animal-amphibian": ["an animal", "an amphibian"], "animal-reptile": ["an animal", "a reptile"],
    "animal-marine": ["an animal", "a sea animal"], "animal-bug": ["an animal", "a bug"],
    "plant-flower": ["a flower", "a plant"], "plant-other": ["a plant"],
    "food-fruit": ["a fruit", "food"], "food-vegetable": ["a vegetable", "food"], "food-prepared": ["a meal", "food"],
    "food-asian": ["asian food", "food"], "food-marine": ["seafood", "food"],
    "food-sweet": ["a dessert", "food"], "drink": ["a drink"], "dishware": ["dishware"],
    "place-map": ["a map"], "place-geographic": ["a landscape"], "place-building": ["a building"],
    "place-religious": ["a place of worship", "a building"], "place-other": ["a place"],
    "transport-ground": ["a vehicle"], "transport-water": ["a boat", "a vehicle"],
    "transport-air": ["an aircraft", "a vehicle"], "hotel": ["a hotel item"], "time": ["a clock"],
    "sky & weather": ["weather", "the sky"],
    "event": ["a celebration"], "award-medal": ["an award"], "sport": ["sports equipment"], "game": ["a game"],
    "arts & crafts": ["art supplies"],
    "clothing": ["clothing"], "sound": ["a sound symbol"], "music": ["music"],
    "musical-instrument": ["a musical instrument"], "phone": ["a phone"], "computer": ["a computer"],
    "light & video": ["a light", "a camera"], "book-paper": ["a book"], "money": ["money"], "mail": ["mail"],
    "writing": ["a pen"], "office": ["office supplies"], "lock": ["a lock"], "tool": ["a tool"],
    "science": ["science"], "medical": ["medicine"], "household": ["a household item"],
    "other-object": ["an object"],
    "transport-sign": ["a sign"], "warning": ["a warning sign"], "arrow": ["an arrow"],
    "religion": ["a religious symbol"], "zodiac": ["a zodiac sign"], "av-symbol": ["a button"],
    "gender": ["a gender symbol"], "math": ["a math symbol"], "punctuation": ["punctuation"],
    "currency": ["a currency symbol"], "other-symbol": ["a symbol"], "keycap": ["a keycap"],
    "alphanum": ["a letter"], "geometric": ["a shape"],
    "flag": ["a flag"], "country-flag": ["a flag", "a country flag"], "subdivision-flag": ["a flag"],
}
# Per-group caps for the Noto set (seeded sample; None = all), so training fits 2 CPU cores.
CAPS = {"Smileys & Emotion": None, "Animals & Nature": None, "Food & Drink": None, "Travel & Places": None,
        "Activities": None, "Objects": None, "Symbols": 80, "Flags": 120, "People & Body": 200}
TONE_CAP = 100          # skin-tone variants (People & Body), seeded sample
SYMBOLA_CAP = 250       # outline-style images (Symbola), seeded sample of single-codepoint emoji with a glyph


def norm(s):
    s = unicodedata.normalize("NFKC", s).lower().replace("\u201c", "").replace("\u201d", "")
    s = re.sub(r"[:,\"]", "", s)
    return re.sub(r"\s+", " ", s).strip()


def key(e):
    return e.replace("\uFE0F", "")


def parse_test():
    out, g, sg = [], None, None
    for line in open(EMOJI_TEST, encoding="utf-8"):
        if line.startswith("# group:"):
            g = line.split(":", 1)[1].strip()
        elif line.startswith("# subgroup:"):
            sg = line.split(":", 1)[1].strip()
        elif line.strip() and not line.startswith("#"):
            cps, rest = line.split(";", 1)
            if rest.split("#")[0].strip() != "fully-qualified" or g == "Component":
                continue
            e = "".join(chr(int(x, 16)) for x in cps.split())
            name = re.sub(r"^E\d+\.\d+\s+", "", rest.split("#", 1)[1].strip().split(" ", 1)[1])
            out.append(dict(e=e, group=g, subgroup=sg, name=norm(name)))
    return out


def parse_cldr():
    kw = {}
    for path in CLDR:
        for a in ET.parse(path).getroot().iter("annotation"):
            if a.get("type") == "tts" or not a.text:
                continue
            kw.setdefault(key(a.get("cp")), []).extend(norm(x) for x in a.text.split("|"))
    return kw


def aliases(e):
    d = emoji.EMOJI_DATA.get(e) or emoji.EMOJI_DATA.get(key(e)) or {}
    return [norm(x.strip(":").replace("_", " ")) for x in d.get("alias", [])]


def glyph_rgba(font, e, color):
    canvas = Image.new("RGBA", (220, 220), (0, 0, 0, 0))
    if color:
        ImageDraw.Draw(canvas).text((8, 8), e, font=font, embedded_color=True)
    else:
        ImageDraw.Draw(canvas).text((30, 30), e, font=font, fill=(0, 0, 0, 255))
    box = canvas.getbbox()
    if box is None:
        return None
    g = canvas.crop(box)
    return g


def to_grid(glyph, scale=1.0, dx=0.0, dy=0.0):
    """Pad a glyph to a square (its longer side / scale), shifted by (dx, dy) output pixels, on white, 16x16."""
    side = int(round(max(glyph.size) / scale))
    px = side / GRID
    sq = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    sq.paste(glyph, (int(round((side - glyph.size[0]) / 2 + dx * px)), int(round((side - glyph.size[1]) / 2 + dy * px))))
    white = Image.new("RGBA", sq.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, sq).convert("RGB")
    return np.asarray(flat.resize((GRID, GRID), Image.LANCZOS), dtype=np.uint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "data", "emoji_v2.npz"))
    ap.add_argument("--heldout", default=os.path.join(HERE, "heldout_prompts.txt"))
    ap.add_argument("--colours", type=int, default=64)
    ap.add_argument("--aug", type=int, default=3, help="augmented renderings per image")
    ap.add_argument("--heldout-frac", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    noto = ImageFont.truetype(FONT, 109, layout_engine=ImageFont.Layout.RAQM)
    sym = ImageFont.truetype(SYMBOLA, 120)
    missing = glyph_rgba(sym, "\U0010FFFD", False)
    missing = None if missing is None else np.asarray(missing)
    cldr = parse_cldr()

    # 1. Noto: every fully-qualified emoji that renders as one glyph, capped per group.
    by_group = {}
    for it in parse_test():
        tone = any(0x1F3FB <= ord(c) <= 0x1F3FF for c in it["e"])
        by_group.setdefault("tone" if tone else it["group"], []).append(it)
    chosen = []
    for g, items in by_group.items():
        cap = TONE_CAP if g == "tone" else CAPS.get(g)
        order = rng.permutation(len(items))
        kept = 0
        for j in order:
            if cap is not None and kept >= cap:
                break
            it = items[j]
            gl = glyph_rgba(noto, it["e"], True)
            if gl is None or gl.size[0] > 1.4 * gl.size[1] + 4:   # no glyph, or a sequence drawn as several
                continue
            it["glyph"] = gl; it["style"] = "noto"
            chosen.append(it); kept += 1
    chosen.sort(key=lambda it: [ord(c) for c in it["e"]])
    # 2. Symbola outlines of single-codepoint emoji (coloured only by the palette), "outline <name>".
    singles = [it for it in chosen if len(key(it["e"])) == 1]
    outl = []
    for j in rng.permutation(len(singles)):
        if len(outl) >= SYMBOLA_CAP:
            break
        it = singles[j]
        gl = glyph_rgba(sym, key(it["e"]), False)
        if gl is None or (missing is not None and np.asarray(gl).shape == missing.shape
                          and np.array_equal(np.asarray(gl), missing)):
            continue
        outl.append(dict(it, glyph=gl, style="symbola", name="outline " + it["name"]))
    outl.sort(key=lambda it: [ord(c) for c in it["e"]])
    items = chosen + outl
    names = [it["name"] for it in items]
    assert len(set(names)) == len(names), "duplicate names"

    # 3. Prompts: name; aliases + CLDR keywords (Noto style only); categories ("outline ..." for Symbola).
    cat_set = {c for v in CATEGORIES.values() for c in v}
    name_set = set(names)
    kw_of = []
    for it in items:
        if it["style"] != "noto":
            kw_of.append([]); continue
        ks = aliases(it["e"]) + cldr.get(key(it["e"]), [])
        seen, out = set(), []
        for k in ks:
            if k and k != it["name"] and k not in seen and k not in cat_set and k not in name_set:
                seen.add(k); out.append(k)
        kw_of.append(out)
    all_kw = sorted({k for ks in kw_of for k in ks})
    hold = set(np.array(all_kw)[rng.permutation(len(all_kw))[: int(round(a.heldout_frac * len(all_kw)))]].tolist())
    heldout = {}
    for it, ks in zip(items, kw_of):
        for k in ks:
            if k in hold:
                heldout.setdefault(k, []).append(it["e"])
    kw_of = [[k for k in ks if k not in hold] for ks in kw_of]
    cat_of = []
    for it in items:
        cs = CATEGORIES.get(it["subgroup"], [])
        cat_of.append(["outline " + c for c in cs] if it["style"] == "symbola" else list(cs))
    train_prompts = sorted(set(names) | {k for ks in kw_of for k in ks} | {c for cs in cat_of for c in cs})
    pidx = {p: i for i, p in enumerate(train_prompts)}

    # 4. Images, augmentations, palette, tokens.
    images = np.stack([to_grid(it["glyph"]) for it in items])
    aug = np.stack([np.stack([to_grid(it["glyph"], rng.uniform(0.8, 1.0), rng.uniform(-1.2, 1.2),
                                      rng.uniform(-1.2, 1.2)) for _ in range(a.aug)]) for it in items])
    pix = images.reshape(-1, 3).astype(np.float64)
    sample = pix[rng.choice(len(pix), min(len(pix), 120000), replace=False)]
    palette, _ = kmeans(sample, a.colours, a.seed, iters=40)
    palette = np.clip(np.round(palette), 0, 255).astype(np.uint8)
    palf = palette.astype(np.float64)

    def quant(x):
        p = x.reshape(-1, 3).astype(np.float64)
        out = np.concatenate([np.argmin(((p[i:i + 65536, None, :] - palf[None]) ** 2).sum(-1), 1)
                              for i in range(0, len(p), 65536)])
        return out.reshape(x.shape[:-3] + (GRID * GRID,)).astype(np.int32)
    tokens, aug_tokens = quant(images), quant(aug)
    err = np.abs(palette[tokens].reshape(images.shape).astype(np.float64) - images).mean()

    tok = tokenizer()
    ids_list = [tok(p) for p in train_prompts]
    L = max(len(t) for t in ids_list)
    ids = np.full((len(train_prompts), L), -1, np.int32)
    for i, t in enumerate(ids_list):
        ids[i, :len(t)] = t

    def csr(lists):
        ptr = np.zeros(len(lists) + 1, np.int32)
        ptr[1:] = np.cumsum([len(l) for l in lists])
        return ptr, np.array([pidx[x] for l in lists for x in l], np.int32)
    kw_ptr, kw_idx = csr(kw_of)
    cat_ptr, cat_idx = csr(cat_of)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    np.savez(a.out, images=images, tokens=tokens, aug_tokens=aug_tokens, palette=palette,
             prompts=np.array(names), emoji=np.array([it["e"] for it in items]),
             style=np.array([it["style"] for it in items]), group=np.array([it["group"] for it in items]),
             subgroup=np.array([it["subgroup"] for it in items]),
             train_prompts=np.array(train_prompts), prompt_ids=ids, name_idx=np.array([pidx[n] for n in names]),
             kw_ptr=kw_ptr, kw_idx=kw_idx, cat_ptr=cat_ptr, cat_idx=cat_idx)
    with open(a.heldout, "w", encoding="utf-8") as f:
        f.write("# issue 14 held-out prompts: a seeded (seed %d) %.0f%% of the aliases and CLDR keywords of the\n"
                "# emoji in training/data/emoji_v2.npz. Never trained on. prompt<TAB>emoji it names (space-separated)\n"
                % (a.seed, 100 * a.heldout_frac))
        for k in sorted(heldout):
            f.write(f"{k}\t{' '.join(heldout[k])}\n")
    sheet = Image.new("RGB", (32 * 40, 32 * ((len(items) + 39) // 40)), "white")
    for i, img in enumerate(palette[tokens].reshape(images.shape)):
        sheet.paste(Image.fromarray(img).resize((32, 32), Image.NEAREST), (32 * (i % 40), 32 * (i // 40)))
    sheet.save(a.out.replace(".npz", "_sheet.png"))
    print(f"{len(items)} images ({len(chosen)} Noto, {len(outl)} Symbola outline), {a.aug} augmentations each; "
          f"{len(train_prompts)} training prompts ({len(cat_set & set(train_prompts))} categories), "
          f"{len(heldout)} held out of {len(all_kw)} aliases/keywords; {a.colours} colours, mean abs error "
          f"{err:.2f}; prompt tokens <= {L}")


if __name__ == "__main__":
    main()
