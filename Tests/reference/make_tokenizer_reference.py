#!/usr/bin/env python3
"""Writes the tokenizer reference fixture from llama.cpp itself (via llama-cpp-python).

Loads the SmolLM2-135M-Instruct GGUF with vocab_only=True and records, for each test string, the
token ids llama.cpp produces (add_bos=False, special=True) and its detokenised text. It also records
the pre-token splits that the Python `regex` module gives for the llama3, qwen2 and gpt2 patterns
(the regexes llama.cpp's llama-vocab.cpp names for those pre-tokenizers), and the ids llama.cpp itself
gives with SmolLM2's vocabulary and merges relabelled as those pre-tokenizers (a temporary GGUF with no
tensors and `tokenizer.ggml.pre` changed), so the paths for models we do not have on disk are checked too.

SentencePiece ('llama' tokenizer model) is checked the same way on a small vocabulary made here: SmolLM2's
first 3,000 tokens rewritten as SentencePiece pieces (spaces as U+2581, score = -rank), plus <0xXX> byte
tokens and two control tokens, written as a tensor-less GGUF that the Swift tests read too.

Usage: python3 Tests/reference/make_tokenizer_reference.py [model.gguf]
Output: Tests/ModelsTests/Fixtures/tokenizer/{smollm2_reference.json, spm_vocab.gguf, spm_reference.json}
"""
import ctypes
import json
import os
import sys
import tempfile

import gguf
import regex
import llama_cpp

STRINGS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "hello",
    " hello",
    "  hello  ",
    "12345",
    "3.14",
    "pi is 3.14159 and e is 2.71828",
    "1,000,000 items in 2024",
    "Version v1.2.3-rc4",
    "don't I'll we're they've she'd I'm it's",
    "DON'T I'LL WE'RE",
    "emoji: 😀 👍🏽",
    "family: 👨‍👩‍👧‍👦 and 🏳️‍🌈",
    "日本語のテキストです。",
    "中文分词测试",
    "한국어 문장",
    "مرحبا بالعالم",
    "Привет, мир!",
    "naïve café résumé",
    "e\u0301 combining accent",
    "    four spaces",
    "trailing spaces    ",
    "a\tb\t\tc",
    "line one\nline two\n\nline four",
    "\r\nwindows\r\nnewlines",
    "   \n\t  \n",
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "<html><body class=\"main\">text</body></html>",
    "https://example.com/path?q=1&r=two#frag",
    "$100 + 20% = €120.00",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>after",
    "text<|im_end|>",
    "<|im_start|><|im_end|>",
    "a<|im_start|>b",
    "<|im_start|",
    "!!!???...",
    "___init___",
    "ThisIsCamelCase and snake_case_name",
    "x",
    " ",
    "\n",
    "",
    "∑ ∫ √ ≠ ≤ ≥ ∞",
    "١٢٣ ٤٥٦",
    "Ⅻ roman ½ fraction",
    "zero\u200bwidth",
    "tab\tthen  two  spaces",
]

LLAMA3 = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
# GPT-2's pattern; llama.cpp's hand-written scanner for it also takes a trailing lone whitespace run (\s+).
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def model_path():
    if len(sys.argv) > 1:
        return sys.argv[1]
    d = os.environ.get("TOKENLOOM_MODEL_DIR")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "tokenloom", "models")
    return os.path.join(d, "SmolLM2-135M-Instruct.Q4_1.gguf")


def write_with_pre(src, pre, dest):
    """Copies every metadata value of `src` into a tensor-less GGUF at `dest`, with tokenizer.ggml.pre = pre."""
    r = gguf.GGUFReader(src)
    w = gguf.GGUFWriter(dest, "llama")
    T = gguf.GGUFValueType
    for key, f in r.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        kind = f.types[0]
        if kind == T.ARRAY:
            if f.types[-1] == T.STRING:
                w.add_array(key, [bytes(f.parts[i]).decode("utf-8") for i in f.data])
            elif key == "tokenizer.ggml.token_type":
                w.add_token_types([int(f.parts[i][0]) for i in f.data])
            else:
                w.add_array(key, [int(f.parts[i][0]) for i in f.data])
        elif kind == T.STRING:
            w.add_string(key, pre if key == "tokenizer.ggml.pre" else bytes(f.parts[f.data[0]]).decode("utf-8"))
        elif kind == T.UINT32:
            w.add_uint32(key, int(f.parts[f.data[0]][0]))
        elif kind == T.FLOAT32:
            w.add_float32(key, float(f.parts[f.data[0]][0]))
        elif kind == T.BOOL:
            w.add_bool(key, bool(f.parts[f.data[0]][0]))
        else:
            raise SystemExit(f"unexpected metadata type {kind} for {key}")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def gpt2_byte_decoder():
    """GPT-2's byte-level character -> byte map."""
    table, n = {}, 0
    for b in range(256):
        if 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255:
            table[chr(b)] = b
        else:
            table[chr(256 + n)] = b
            n += 1
    return table


def write_spm_vocab(src, dest):
    """A SentencePiece vocabulary derived from SmolLM2's first tokens (see the module docstring)."""
    r = gguf.GGUFReader(src)
    f = r.fields["tokenizer.ggml.tokens"]
    bpe = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    dec = gpt2_byte_decoder()
    tokens, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [2, 3, 3]
    for b in range(256):
        tokens.append("<0x%02X>" % b)
        scores.append(0.0)
        types.append(6)
    tokens += ["<|im_start|>", "<|im_end|>"]
    scores += [0.0, 0.0]
    types += [3, 3]
    seen = set(tokens)
    for rank, t in enumerate(bpe[17:3000]):
        try:
            piece = bytes(dec[c] for c in t).decode("utf-8").replace(" ", "\u2581")
        except (KeyError, UnicodeDecodeError):
            continue
        if piece and piece not in seen:
            seen.add(piece)
            tokens.append(piece)
            scores.append(-float(rank))
            types.append(1)
    w = gguf.GGUFWriter(dest, "llama")
    w.add_context_length(2048)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(128)
    w.add_head_count(2)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def detokenize(llm, ids):
    """llama.cpp's own detokenizer (remove_special=False, unparse_special=True)."""
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    arr = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
    cap = 16 * len(ids) + 16
    buf = ctypes.create_string_buffer(cap)
    n = llama_cpp.llama_detokenize(vocab, arr, len(ids), buf, cap, False, True)
    return buf.raw[:n].decode("utf-8", errors="replace")


def split(pattern, s):
    return [m.group(0) for m in regex.finditer(pattern, s)]


def main():
    src = model_path()
    llm = llama_cpp.Llama(model_path=src, vocab_only=True, verbose=False)
    cases = []
    for s in STRINGS:
        ids = llm.tokenize(s.encode("utf-8"), add_bos=False, special=True)
        text = llm.detokenize(ids, special=True).decode("utf-8", errors="replace")
        cases.append({"text": s, "ids": ids, "detokenized": text})
    with_bos = llm.tokenize(b"Hello", add_bos=True, special=True)
    pre = {
        "llama3": [{"text": s, "pieces": split(LLAMA3, s)} for s in STRINGS if "<|" not in s],
        "qwen2": [{"text": s, "pieces": split(QWEN2, s)} for s in STRINGS if "<|" not in s],
        "gpt2": [{"text": s, "pieces": split(GPT2, s)} for s in STRINGS if "<|" not in s],
    }
    # The same vocabulary under other pre-tokenizers (llama.cpp's names for them).
    other = {}
    with tempfile.TemporaryDirectory() as d:
        for ours, theirs in [("llama3", "llama-bpe"), ("qwen2", "qwen2"), ("gpt2", "gpt-2")]:
            dest = os.path.join(d, theirs + ".gguf")
            write_with_pre(src, theirs, dest)
            relabelled = llama_cpp.Llama(model_path=dest, vocab_only=True, verbose=False)
            other[ours] = [{"text": s, "ids": relabelled.tokenize(s.encode("utf-8"), add_bos=False, special=True)}
                           for s in STRINGS]
    out = {
        "source": f"llama-cpp-python {llama_cpp.__version__}, tokenize(add_bos=False, special=True)",
        "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "hello_with_add_bos_true": with_bos,
        "cases": cases,
        "pretokenizer_regex": pre,
        "smollm2_vocab_as_other_pre": other,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    dest = os.path.join(here, "..", "ModelsTests", "Fixtures", "tokenizer", "smollm2_reference.json")
    with open(dest, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(dest)}")

    spm_path = os.path.join(here, "..", "ModelsTests", "Fixtures", "tokenizer", "spm_vocab.gguf")
    write_spm_vocab(src, spm_path)
    spm = llama_cpp.Llama(model_path=spm_path, vocab_only=True, verbose=False)
    spm_cases = []
    for s in STRINGS:
        ids = spm.tokenize(s.encode("utf-8"), add_bos=False, special=True)
        spm_cases.append({"text": s, "ids": ids, "detokenized": detokenize(spm, ids)})
    spm_out = {
        "source": f"llama-cpp-python {llama_cpp.__version__}, tokenize(add_bos=False, special=True), llama_detokenize(remove_special=False, unparse_special=True)",
        "hello_with_add_bos_true": spm.tokenize(b"Hello", add_bos=True, special=True),
        "cases": spm_cases,
    }
    spm_dest = os.path.join(here, "..", "ModelsTests", "Fixtures", "tokenizer", "spm_reference.json")
    with open(spm_dest, "w", encoding="utf-8") as f:
        json.dump(spm_out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(spm_cases)} SentencePiece cases to {os.path.normpath(spm_dest)}")


if __name__ == "__main__":
    main()
