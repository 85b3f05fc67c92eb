#!/usr/bin/env python3
"""Writes the tokenizer reference fixture from llama.cpp itself (via llama-cpp-python).

Loads the SmolLM2-135M-Instruct GGUF with vocab_only=True and records, for each test string, the
token ids llama.cpp produces (add_bos=False, special=True) and its detokenised text. It also records
the pre-token splits that the Python `regex` module gives for the llama3, qwen2 and gpt2 patterns
(the regexes llama.cpp's llama-vocab.cpp names for those pre-tokenizers), so the Swift scanners for
models we do not have on disk are still checked against their definition.

Usage: python3 Tests/reference/make_tokenizer_reference.py [model.gguf]
Output: Tests/ModelsTests/Fixtures/tokenizer/smollm2_reference.json
"""
import json
import os
import sys

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


def split(pattern, s):
    return [m.group(0) for m in regex.finditer(pattern, s)]


def main():
    llm = llama_cpp.Llama(model_path=model_path(), vocab_only=True, verbose=False)
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
    out = {
        "source": f"llama-cpp-python {llama_cpp.__version__}, tokenize(add_bos=False, special=True)",
        "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "hello_with_add_bos_true": with_bos,
        "cases": cases,
        "pretokenizer_regex": pre,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    dest = os.path.join(here, "..", "ModelsTests", "Fixtures", "tokenizer", "smollm2_reference.json")
    with open(dest, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(dest)}")


if __name__ == "__main__":
    main()
