#!/usr/bin/env python3
"""A reference inference server for tokenloom's remote-model tests: llama.cpp (through
llama-cpp-python's Llama, logits for every position) behind the completions API in vLLM's dialect:
the prompt is a list of token ids, `echo` + `logprobs: K` return the top K at every position, and
`return_tokens_as_token_ids` names tokens "token_id:N". llama-cpp-python's own server takes only
text, which re-tokenises ("\\n" "\\n" comes back as one "\\n\\n"), so it cannot verify arbitrary
token sequences; this one can. It keeps the KV cache of the previous request and evaluates only the
positions after the longest shared prefix, as vLLM's prefix caching does.

Usage: python3 Tests/reference/llama_id_server.py MODEL.gguf --port 8766 [--alias NAME] [--threads 2]
Prints "ready" on stdout once it listens. Standard library HTTP only (plus numpy, llama_cpp).
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import llama_cpp


class Engine:
    def __init__(self, path, threads, n_ctx):
        self.llm = llama_cpp.Llama(path, logits_all=True, n_ctx=n_ctx, n_batch=512, n_threads=threads,
                                   n_threads_batch=threads, verbose=False)
        self.lock = threading.Lock()
        self.lp_rows = []          # float32 log-probability rows of the sequence the cache holds
        self.top_rows = []         # and each row's 100 most likely ids (unordered)

    def logprobs(self, ids):
        """Log-probabilities [len(ids), vocab] after each prompt token. Rows for the prefix shared with
        the previous request are kept (KV cache and log-softmax alike); only the rest is evaluated."""
        llm = self.llm
        with self.lock:
            held = list(llm.input_ids[: llm.n_tokens])
            pre = 0
            while pre < min(len(held), len(ids) - 1) and held[pre] == ids[pre]:
                pre += 1
            llm.n_tokens = pre
            llm.eval(ids[pre:])
            new = np.array(llm.scores[pre: len(ids)], dtype=np.float64)       # [L - pre, vocab]
            m = new.max(axis=1, keepdims=True)
            lp = new - (np.log(np.exp(new - m).sum(axis=1, keepdims=True)) + m)
            lp = lp.astype(np.float32)
            top = np.argpartition(-lp, 100, axis=1)[:, :100]                     # [L - pre, 100]
            self.lp_rows = self.lp_rows[:pre] + list(lp)
            self.top_rows = self.top_rows[:pre] + list(top)
            return self.lp_rows[: len(ids)], self.top_rows[: len(ids)]

    def completion(self, ids, k):
        t0 = time.perf_counter()
        lp, tops100 = self.logprobs(ids)
        L = len(ids)
        gen = int(np.argmax(lp[L - 1]))
        seq = list(ids) + [gen]
        tokens, token_lps, tops = [], [], []
        for e in range(L + 1):
            tokens.append("token_id:%d" % seq[e])
            if e == 0:
                token_lps.append(None)
                tops.append(None)
                continue
            row = lp[e - 1]
            cand = tops100[e - 1] if k <= 100 else np.arange(row.size)
            best = cand[np.argsort(-row[cand], kind="stable")[:k]]
            top = {"token_id:%d" % int(i): float(row[i]) for i in best}  # float32 -> exact in JSON
            top["token_id:%d" % seq[e]] = float(row[seq[e]])
            token_lps.append(float(row[seq[e]]))
            tops.append(top)
        ms = (time.perf_counter() - t0) * 1000
        return {"object": "text_completion", "choices": [{"index": 0, "text": "", "finish_reason": "length",
                "logprobs": {"tokens": tokens, "token_logprobs": token_lps, "top_logprobs": tops}}],
                "usage": {"prompt_tokens": L, "completion_tokens": 1}, "server_ms": ms}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--port", type=int, default=8766)
    ap.add_argument("--alias", default="smol")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-ctx", type=int, default=2048)
    args = ap.parse_args()
    engine = Engine(args.model, args.threads, args.n_ctx)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def do_GET(self):
            if self.path == "/v1/models":
                return self.reply(200, {"object": "list", "data": [{"id": args.alias, "object": "model"}]})
            self.reply(404, {"error": {"message": "not found"}})

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(n))
            except ValueError:
                return self.reply(400, {"error": {"message": "the body is not JSON"}})
            if self.path != "/v1/completions":
                return self.reply(404, {"error": {"message": "not found"}})
            if body.get("model") != args.alias:
                return self.reply(404, {"error": {"message": "The model `%s` does not exist." % body.get("model")}})
            ids = body.get("prompt")
            if not isinstance(ids, list) or not ids or not all(isinstance(t, int) for t in ids):
                return self.reply(400, {"error": {"message": "prompt must be a non-empty list of token ids"}})
            if not body.get("echo") or body.get("logprobs") is None:
                return self.reply(400, {"error": {"message": "this server answers echo + logprobs only"}})
            try:
                self.reply(200, engine.completion(ids, int(body["logprobs"])))
            except Exception as ex:  # a bad id or a full context: say so, keep serving
                self.reply(400, {"error": {"message": str(ex)}})

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
