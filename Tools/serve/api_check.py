#!/usr/bin/env python3
"""api_check.py: `vlmembed serve` end to end against Formats/openapi.yaml, the official OpenAI SDK and
vLLM's multimodal embedding request, with every embedding compared bit for bit to `vlmembed embed`.

Usage:  python3 Tools/serve/api_check.py [VLMEMBED] [--model DIR] [--verbose]
        VLMEMBED defaults to $VLMEMBED, then .build/release/vlmembed; --model to Fixtures/models/phi3_v.
Needs:  Tools/serve/requirements.txt (make serve-check makes the venv).

What it does (every HTTP call has a timeout; the only address used is 127.0.0.1):
  1. `vlmembed embed` and `vlmembed tokenize` on the texts and images used below (the references).
  2. Starts `vlmembed serve --port 0 --api-key-file KEY` (port parsed from its "listening on" line),
     polls /health until 200, then sends good and bad requests. Every response (status, headers and
     body) is validated against Formats/openapi.yaml with openapi-core; every good request body is
     also validated against it (the spec must accept what the SDK and vLLM send).
  3. The OpenAI SDK (`OpenAI(base_url=.../v1, api_key=...)`, `client.embeddings.create`) with its
     default base64 encoding, with "float" and with explicit "base64"; token-array inputs; concurrent
     single-text requests (packed together by the server); vLLM's VLM2Vec chat request sent as vLLM's
     example sends it (requests.post, data: URL of a JPEG + "Represent the given image.").
     Also: auth (401 without / with a wrong key), ~50 malformed requests (each status and error code), limits
     (413 body and 64-megapixel image, context length), `Expect: 100-continue`.
  4. A second server with --max-queue 1 for 429 + Retry-After, and SIGTERM with a request in flight
     (it must finish with 200, and the process must exit 0). SIGTERM on the first server: exit 0.
  5. A third server with --allow-image-urls: file:// and http:// (a file server on 127.0.0.1) image URLs.
Prints one line per check and `api-check: N passed, M failed`; exits 1 on any failure.
"""
import argparse
import base64
import concurrent.futures as futures
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib

import httpx
import numpy as np
import requests
import yaml
from openai import OpenAI
import openai
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.path.join(REPO, "Formats", "openapi.yaml")
IMAGES = os.path.join(REPO, "Fixtures", "reference", "images")
HOST = "127.0.0.1"
TIMEOUT = 30          # seconds, every HTTP call
START_TIMEOUT = 60    # seconds, listening + /health 200
KEY = "sk-vlmembed-api-check-0123456789"

TEXTS = [
    "A cat and a dog.",
    "Find me an everyday image that matches the given caption: a cup of coffee on a wooden table.",
    "Represent the given image.",
    "<|image_1|> Represent the given image.",  # text-only path: the marker stays literal text
    "x",
    "Ünïcödé — 日本語のテキスト, emoji 🙂 and tabs\tand\nnewlines.",
]
IMAGE_PROMPT = "Represent the given image."


class Checks:
    def __init__(self, verbose=False):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print(f"PASS {name}" + (f" ({detail})" if detail and self.verbose else ""), flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)
        return cond

    def info(self, text):
        print(f"info {text}", flush=True)

    def guard(self, name, fn):
        """Runs fn(); an exception is one failed check."""
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - a check that raises is a failed check
            self.ok(name, False, f"{type(e).__name__}: {e}".splitlines()[0][:400])
            if self.verbose:
                traceback.print_exc()
            return None


# ---- the server ------------------------------------------------------------------------------------------

class Server:
    """`vlmembed serve` on 127.0.0.1, any free port; stderr goes to a log file and is scanned for the port."""

    def __init__(self, binary, model, extra, log_path):
        self.log_path = log_path
        self.port = None
        self.listening = threading.Event()
        self.log = open(log_path, "w", encoding="utf-8")
        cmd = [binary, "serve", "--model", model, "--host", HOST, "--port", "0", *extra]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, encoding="utf-8", errors="replace")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.log.write(line)
            self.log.flush()
            m = re.search(r"listening on http://[^\s:]+:(\d+)", line)
            if m and not self.listening.is_set():
                self.port = int(m.group(1))
                self.listening.set()
        self.listening.set()

    @property
    def base(self):
        return f"http://{HOST}:{self.port}"

    def wait_listening(self, timeout=START_TIMEOUT):
        self.listening.wait(timeout)
        if self.port is None:
            raise RuntimeError(f"the server did not log 'listening on' (exit code {self.proc.poll()}; log {self.log_path})")

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode} (log {self.log_path})")
            try:
                r = requests.get(self.base + "/health", timeout=5)
                last = r.status_code
                if r.status_code == 200:
                    return
            except requests.RequestException as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError(f"/health not 200 within {timeout} s (last: {last})")

    def stop(self, timeout=30):
        """SIGTERM, then the exit code (SIGKILL and None after `timeout`)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            code = None
        self.reader.join(5)
        self.log.close()
        return code

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            return None


# ---- references from `vlmembed embed` -----------------------------------------------------------------------

def read_safetensors_f32(path, name):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    t = header[name]
    assert t["dtype"] == "F32", t
    start, end = t["data_offsets"]
    return np.frombuffer(data[start:end], dtype="<f4").reshape(t["shape"]), header.get("__metadata__", {})


def embed_reference(binary, model, rows, workdir):
    """`vlmembed embed` of JSON-lines rows (image paths relative to workdir): {id: float32 vector}, from the
    .safetensors output (exact bits), cross-checked against the .jsonl output."""
    req = os.path.join(workdir, "requests.jsonl")
    with open(req, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    st = os.path.join(workdir, "reference.safetensors")
    jl = os.path.join(workdir, "reference.jsonl")
    for out in (st, jl):
        p = subprocess.run([binary, "embed", "--model", model, "--input", req, "-o", out],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError(f"vlmembed embed failed ({p.returncode}): {p.stderr.strip()[-800:]}")
    matrix, _ = read_safetensors_f32(st, "embeddings")
    refs = {r["id"]: matrix[i] for i, r in enumerate(rows)}
    with open(jl, encoding="utf-8") as f:
        jsonl = {d["id"]: np.asarray(d["embedding"], dtype=np.float32) for d in map(json.loads, f)}
    return refs, jsonl


def tokenize(binary, model, text):
    p = subprocess.run([binary, "tokenize", "--model", model, "--text", text, "--json"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"vlmembed tokenize failed: {p.stderr.strip()[-400:]}")
    return json.loads(p.stdout.strip().splitlines()[0])["ids"]


def same_bits(a, b):
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def diff_text(a, b):
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    if a.shape != b.shape:
        return f"shapes {a.shape} vs {b.shape}"
    return f"max |diff| {float(np.max(np.abs(a - b))):.3g}, {int(np.sum(a != b))} of {a.size} differ"


def b64_floats(text):
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


# ---- images ---------------------------------------------------------------------------------------------------

def data_url(path, mime):
    with open(path, "rb") as f:
        return f"data:{mime};base64,{base64.b64encode(f.read()).decode('utf-8')}"


def huge_png(width=8200, height=8200):
    """A valid 1-bit grayscale PNG over 64 megapixels (~10 KB): refused from its header."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    raw = zlib.compress(row * height, 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def chat_body(parts, model="phi3_v", encoding="float"):
    return {"model": model, "messages": [{"role": "user", "content": parts}], "encoding_format": encoding}


def image_part(url):
    return {"type": "image_url", "image_url": {"url": url}}


def text_part(text):
    return {"type": "text", "text": text}


# ---- spec validation ----------------------------------------------------------------------------------------------

class Spec:
    def __init__(self, base):
        with open(SPEC_PATH, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        doc["servers"] = [{"url": base}]  # the server runs on a free port, not the documented 8080
        self.api = OpenAPI.from_dict(doc)
        self.base = base

    def check_response(self, method, path, resp, body=None):
        """Raises unless (status, headers, body) is what the spec documents for method+path."""
        req = MockRequest(self.base, method, path, data=body, content_type="application/json")
        ctype = resp.headers.get("content-type", "")
        res = MockResponse(resp.content, status_code=resp.status_code, headers=dict(resp.headers),
                           content_type=ctype)
        self.api.validate_response(req, res)

    def check_request(self, method, path, body, key=KEY):
        req = MockRequest(self.base, method, path, data=json.dumps(body).encode(),
                          headers={"Authorization": f"Bearer {key}"}, content_type="application/json")
        self.api.validate_request(req)


def error_of(resp):
    try:
        return resp.json().get("error", {})
    except ValueError:
        return {}


# ---- the checks ------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vlmembed", nargs="?", default=os.environ.get("VLMEMBED", os.path.join(REPO, ".build/release/vlmembed")))
    ap.add_argument("--model", default=os.path.join(REPO, "Fixtures/models/phi3_v"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    binary = os.path.abspath(args.vlmembed)
    model = os.path.abspath(args.model)
    if not os.access(binary, os.X_OK):
        print(f"api-check: error: no vlmembed binary at {binary} (pass its path or set VLMEMBED)", file=sys.stderr)
        print("api-check: 0 passed, 1 failed")
        return 1
    c = Checks(args.verbose)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="vlmembed-api-check-")
    servers = []
    try:
        run(c, binary, model, work, servers)
    except Exception as e:  # noqa: BLE001
        c.ok("the check run itself", False, f"{type(e).__name__}: {e}")
        traceback.print_exc()
    finally:
        for s in servers:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait(10)
    c.info(f"took {time.monotonic() - started:.1f} s; server logs in {work}")
    print(f"api-check: {c.passed} passed, {c.failed} failed", flush=True)
    if c.failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if c.failed == 0 else 1


def run(c, binary, model, work, servers):
    for name in ("example.jpg", "coffee.png"):
        shutil.copy(os.path.join(IMAGES, name), work)
    jpeg_url = data_url(os.path.join(work, "example.jpg"), "image/jpeg")
    png_url = data_url(os.path.join(work, "coffee.png"), "image/png")

    # -- references ------------------------------------------------------------------------------------------
    rows = [{"id": f"t{i}", "text": t} for i, t in enumerate(TEXTS)]
    rows += [{"id": f"c{i}", "text": f"Caption number {i}: a {w} on a table."}
             for i, w in enumerate(["cup", "cat", "dog", "plate of food with many things on it", "book", "lamp", "phone", "key"])]
    rows += [
        {"id": "vllm", "text": "<|image_1|> Represent the given image.", "images": ["example.jpg"]},
        {"id": "png_q", "text": "<|image_1|> What is on the table?", "images": ["coffee.png"]},
        {"id": "two", "text": "<|image_1|> <|image_2|> Compare the two images.", "images": ["example.jpg", "coffee.png"]},
    ]
    refs, refs_jsonl = embed_reference(binary, model, rows, work)
    c.ok("embed reference: .jsonl output equals .safetensors output bit for bit",
         all(same_bits(refs[k], refs_jsonl[k]) for k in refs), "")
    width = len(refs["t0"])
    ids_t0 = tokenize(binary, model, TEXTS[0])
    ids_t1 = tokenize(binary, model, TEXTS[1])

    # -- server 1: with a key ---------------------------------------------------------------------------------
    key_file = os.path.join(work, "api-key.txt")
    with open(key_file, "w") as f:
        f.write(KEY + "\n")
    max_body = 2 << 20
    s = Server(binary, model, ["--api-key-file", key_file, "--max-body-bytes", str(max_body), "--threads", "2"],
               os.path.join(work, "server-main.log"))
    servers.append(s)
    s.wait_listening()
    spec = Spec(s.base)
    auth = {"Authorization": f"Bearer {KEY}"}

    # /health right away: 503 loading or 200 (the tiny model may already be open)
    loading_503 = [0]  # POST answers 503 loading we caused (counted in /metrics)
    def early_health():
        r = requests.get(s.base + "/health", timeout=TIMEOUT)
        spec.check_response("get", "/health", r)
        c.ok("GET /health right after 'listening' is 200 ok or 503 loading and matches the spec",
             (r.status_code, r.json()) in ((200, {"status": "ok"}), (503, {"status": "loading"})), f"{r.status_code} {r.text}")
        if r.status_code == 503:
            r2 = requests.post(s.base + "/v1/embeddings", json={"input": "x"}, headers=auth, timeout=TIMEOUT)
            spec.check_response("post", "/v1/embeddings", r2)
            loading_503[0] = int(r2.status_code == 503)
            c.ok("POST /v1/embeddings while loading is 503 loading (or 200 if it became ready)",
                 r2.status_code == 200 or (r2.status_code == 503 and error_of(r2).get("code") == "loading"), r2.text[:200])
        else:
            c.info("the model was ready before the first /health (no 503 loading seen)")
    c.guard("GET /health while loading", early_health)
    s.wait_ready()

    def get(path, name, expect, headers=None):
        r = requests.get(s.base + path, headers=headers or {}, timeout=TIMEOUT)
        spec.check_response("get", path, r)
        c.ok(f"{name}: {expect} and matches the spec", r.status_code == expect, f"got {r.status_code}: {r.text[:200]}")
        return r

    def health():
        r = get("/health", "GET /health", 200)
        c.ok("GET /health body is {\"status\":\"ok\"}", r.json() == {"status": "ok"}, r.text)
    c.guard("GET /health", health)

    context = [8192]  # the model's max_tokens, read from /v1/models

    def models():
        for hdr, label in ((None, "no key"), ({"Authorization": "Bearer wrong"}, "wrong key")):
            r = get("/v1/models", f"GET /v1/models with {label}", 401, hdr)
            c.ok(f"GET /v1/models with {label}: code invalid_api_key", error_of(r).get("code") == "invalid_api_key", r.text[:200])
        r = get("/v1/models", "GET /v1/models with the key", 200, auth)
        m = r.json()["data"][0]
        backbone = json.load(open(os.path.join(model, "config.json")))["model_type"] if os.path.isdir(model) else m["backbone"]
        marker = {"phi3_v": "<|image_1|>", "llava_next": "<image>"}.get(backbone, m["image_marker"])
        c.ok("/v1/models describes the model", m["embedding_width"] == width and m["backbone"] == backbone
             and m["image_marker"] == marker and m["takes_images"] is True and m["max_tokens"] > 0
             and m["quantization"]["decoder"] and m["quantization"]["vision"], json.dumps(m))
        context[0] = m["max_tokens"]
        c.ok("/v1/models limits reflect the command line", m["limits"]["max_body_bytes"] == max_body
             and m["limits"]["max_queue"] == 64 and m["limits"]["max_batch_tokens"] == 2048
             and m["limits"]["image_urls"] is False and m["limits"]["max_inputs"] == 2048, json.dumps(m["limits"]))
    c.guard("GET /v1/models", models)

    def metrics():
        r = get("/metrics", "GET /metrics", 200)
        c.ok("/metrics is Prometheus text with the request histogram",
             r.headers.get("content-type", "").startswith("text/plain") and "vlmembed_request_duration_seconds" in r.text, r.text[:200])
    c.guard("GET /metrics", metrics)

    def post(name, body, expect, code=None, param=None, headers=None, raw=None, validate_request=False):
        """POSTs body (JSON) or raw bytes; checks status, error code/param, and the spec; returns the response."""
        hdr = dict(auth if headers is None else headers)
        if raw is not None:
            hdr.setdefault("Content-Type", "application/json")
            r = requests.post(s.base + "/v1/embeddings", data=raw, headers=hdr, timeout=TIMEOUT)
            sent = raw if isinstance(raw, bytes) else None
        else:
            r = requests.post(s.base + "/v1/embeddings", json=body, headers=hdr, timeout=TIMEOUT)
            sent = json.dumps(body).encode()
        if validate_request:
            spec.check_request("post", "/v1/embeddings", body)
        spec.check_response("post", "/v1/embeddings", r, sent)
        good = r.status_code == expect
        if good and code is not None:
            good = error_of(r).get("code") == code
        if good and param is not None:
            good = error_of(r).get("param") == param
        c.ok(f"{name}: {expect}" + (f" {code}" if code else "") + " and matches the spec", good,
             f"got {r.status_code}: {r.text[:300]}")
        return r

    # -- auth on /v1/embeddings ------------------------------------------------------------------------------------
    def auth_checks():
        body = {"model": "phi3_v", "input": "A cat and a dog."}
        post("POST without a key", body, 401, "invalid_api_key", headers={})
        post("POST with a wrong key", body, 401, "invalid_api_key", headers={"Authorization": "Bearer " + KEY[:-1] + "X"})
        post("POST with a longer key", body, 401, "invalid_api_key", headers={"Authorization": "Bearer " + KEY + "0"})
        post("POST with Basic auth", body, 401, "invalid_api_key", headers={"Authorization": "Basic " + base64.b64encode(KEY.encode()).decode()})
        r = post("POST with the key", body, 200)
        c.ok("the key-authenticated answer equals embed", same_bits(r.json()["data"][0]["embedding"], refs["t0"]))
    c.guard("auth", auth_checks)

    # -- the official OpenAI SDK ---------------------------------------------------------------------------------------
    sent = []  # the SDK's request bodies, to see what it asked for

    def record(request):
        if request.method == "POST":
            sent.append(json.loads(request.content))
    client = OpenAI(base_url=s.base + "/v1", api_key=KEY, timeout=TIMEOUT, max_retries=0,
                    http_client=httpx.Client(timeout=TIMEOUT, event_hooks={"request": [record]}))

    def sdk_checks():
        c.info(f"openai SDK {openai.__version__}")
        res = client.embeddings.create(model="phi3_v", input=TEXTS)  # the SDK asks for base64 and decodes it
        got = [d.embedding for d in res.data]
        c.ok("SDK default asked for encoding_format base64", sent and sent[-1].get("encoding_format") == "base64",
             json.dumps(sent[-1] if sent else None)[:200])
        c.ok("SDK default (base64, decoded by the SDK): every vector equals embed bit for bit",
             len(got) == len(TEXTS) and all(same_bits(got[i], refs[f"t{i}"]) for i in range(len(TEXTS))),
             "; ".join(diff_text(got[i], refs[f"t{i}"]) for i in range(min(len(got), len(TEXTS)))))
        c.ok("SDK default: indices, model echo and usage", [d.index for d in res.data] == list(range(len(TEXTS)))
             and res.model == "phi3_v" and res.usage.prompt_tokens == res.usage.total_tokens > 0, str(res.usage))
        res = client.embeddings.create(model="phi3_v", input=TEXTS, encoding_format="float")
        got = [d.embedding for d in res.data]
        c.ok("SDK encoding_format=float: every vector equals embed bit for bit",
             all(same_bits(got[i], refs[f"t{i}"]) for i in range(len(TEXTS))),
             "; ".join(diff_text(got[i], refs[f"t{i}"]) for i in range(len(TEXTS))))
        res = client.embeddings.create(model="phi3_v", input=TEXTS, encoding_format="base64")
        got = [d.embedding for d in res.data]
        c.ok("SDK encoding_format=base64 (string returned as is): decoded vectors equal embed bit for bit",
             all(isinstance(g, str) for g in got) and all(same_bits(b64_floats(got[i]), refs[f"t{i}"]) for i in range(len(TEXTS))))
        res = client.embeddings.create(model="phi3_v", input=TEXTS[1])
        c.ok("SDK single string input equals embed", same_bits(res.data[0].embedding, refs["t1"]))
        res = client.embeddings.create(model="phi3_v", input=TEXTS[0], dimensions=width)
        c.ok(f"SDK dimensions={width} (the width) is accepted", same_bits(res.data[0].embedding, refs["t0"]))
        try:
            client.embeddings.create(model="phi3_v", input=TEXTS[0], dimensions=width // 2)
            c.ok("SDK dimensions=width/2 raises BadRequestError", False, "no error")
        except openai.BadRequestError as e:
            c.ok("SDK dimensions=width/2 raises BadRequestError (400 unsupported_dimensions)",
                 e.status_code == 400 and (e.body or {}).get("code") == "unsupported_dimensions", str(e.body))
        bad = OpenAI(base_url=s.base + "/v1", api_key="wrong", timeout=TIMEOUT, max_retries=0)
        try:
            bad.embeddings.create(model="phi3_v", input="x")
            c.ok("SDK with a wrong key raises AuthenticationError", False, "no error")
        except openai.AuthenticationError as e:
            c.ok("SDK with a wrong key raises AuthenticationError (401)", e.status_code == 401)
        for body in sent:
            spec.check_request("post", "/v1/embeddings", body)
        c.ok(f"the SDK's {len(sent)} request bodies are valid per the spec", len(sent) >= 6)
        ms = client.models.list()
        c.ok("SDK models.list() reads /v1/models", [m.id for m in ms.data] == [os.path.basename(model)], str([m.id for m in ms.data]))
    c.guard("OpenAI SDK", sdk_checks)

    # -- token arrays ---------------------------------------------------------------------------------------------------
    def token_checks():
        body = {"model": "phi3_v", "input": ids_t0}
        r = post("token array input", body, 200, validate_request=True)
        c.ok("token array (BOS included, from `vlmembed tokenize`) equals embed of the text",
             same_bits(r.json()["data"][0]["embedding"], refs["t0"]), diff_text(r.json()["data"][0]["embedding"], refs["t0"]))
        c.ok("token array usage counts its tokens", r.json()["usage"]["prompt_tokens"] == len(ids_t0), json.dumps(r.json()["usage"]))
        body = {"model": "phi3_v", "input": [ids_t0, TEXTS[1], ids_t1], "encoding_format": "base64"}
        r = post("mixed batch of token arrays and a string (base64)", body, 200, validate_request=True)
        d = r.json()["data"]
        c.ok("mixed batch: each equals embed", len(d) == 3 and same_bits(b64_floats(d[0]["embedding"]), refs["t0"])
             and same_bits(b64_floats(d[1]["embedding"]), refs["t1"]) and same_bits(b64_floats(d[2]["embedding"]), refs["t1"]))
    c.guard("token arrays", token_checks)

    # -- concurrent single-text requests (packed across requests by the scheduler) ---------------------------------------
    def concurrency_checks():
        caps = [r for r in rows if r["id"].startswith("c")]

        def one(row):
            r = requests.post(s.base + "/v1/embeddings", json={"model": "phi3_v", "input": row["text"], "encoding_format": "base64"},
                              headers=auth, timeout=TIMEOUT)
            return row["id"], r.status_code, (b64_floats(r.json()["data"][0]["embedding"]) if r.status_code == 200 else r.text)
        before = requests.get(s.base + "/metrics", timeout=TIMEOUT).text
        results = []
        for _ in range(3):
            with futures.ThreadPoolExecutor(len(caps)) as pool:
                results += list(pool.map(one, caps * 2))
        after = requests.get(s.base + "/metrics", timeout=TIMEOUT).text
        c.ok(f"{len(results)} concurrent single-text requests: all 200 and each equals embed bit for bit",
             all(st == 200 and same_bits(v, refs[i]) for i, st, v in results),
             "; ".join(f"{i}: {st} {diff_text(v, refs[i]) if st == 200 else v[:100]}" for i, st, v in results if st != 200 or not same_bits(v, refs[i]))[:600])

        def batches(text):
            n = re.search(r"^vlmembed_batch_inputs_count\S* (\d+)", text, re.M)
            s_ = re.search(r"^vlmembed_batch_inputs_sum\S* ([\d.e+]+)", text, re.M)
            return (int(n.group(1)) if n else 0, float(s_.group(1)) if s_ else 0.0)
        (n0, s0), (n1, s1) = batches(before), batches(after)
        if n1 > n0:
            c.info(f"those requests ran in {n1 - n0} forward passes ({(s1 - s0) / (n1 - n0):.2f} inputs per pass)")
    c.guard("concurrency", concurrency_checks)

    # -- vLLM's VLM2Vec request -------------------------------------------------------------------------------------------
    def vllm_checks():
        # As vLLM's examples/online_serving/openai_chat_embedding_client_for_multimodal.py (vlm2vec) sends it, with the
        # image as a data: URL of the JPEG's bytes (the example's image is a remote URL) and our key added.
        body = {
            "model": "TIGER-Lab/VLM2Vec-Full",
            "messages": [{
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": jpeg_url}},
                    {"type": "text", "text": "Represent the given image."},
                ],
            }],
            "encoding_format": "float",
        }
        spec.check_request("post", "/v1/embeddings", body)
        response = requests.post(s.base + "/v1/embeddings", json=body, headers=auth, timeout=TIMEOUT)
        spec.check_response("post", "/v1/embeddings", response)
        response.raise_for_status()
        response_json = response.json()
        e = response_json["data"][0]["embedding"]
        c.ok("vLLM VLM2Vec chat request (data: JPEG + 'Represent the given image.') equals embed of "
             "'<|image_1|> Represent the given image.' + example.jpg bit for bit", same_bits(e, refs["vllm"]), diff_text(e, refs["vllm"]))
        c.ok("vLLM request: model echoed, usage counts the image tokens",
             response_json["model"] == "TIGER-Lab/VLM2Vec-Full" and response_json["usage"]["prompt_tokens"] > 20, json.dumps(response_json["usage"]))
        body = chat_body([image_part(png_url), text_part("What is on the table?")], encoding="base64")
        r = post("chat form with a PNG data: URL (base64)", body, 200, validate_request=True)
        c.ok("chat PNG request equals embed bit for bit", same_bits(b64_floats(r.json()["data"][0]["embedding"]), refs["png_q"]))
        body = chat_body([image_part(jpeg_url), image_part(png_url), text_part("Compare the two images.")])
        r = post("chat form with two images", body, 200, validate_request=True)
        c.ok("two images become <|image_1|> <|image_2|> and equal embed", same_bits(r.json()["data"][0]["embedding"], refs["two"]))
        body = {"model": "phi3_v", "messages": [{"role": "user", "content": TEXTS[2]}]}
        r = post("chat form with string content", body, 200, validate_request=True)
        c.ok("chat string content equals embed of the text", same_bits(r.json()["data"][0]["embedding"], refs["t2"]))
        body = chat_body([{"type": "image_url", "image_url": jpeg_url}, text_part("Represent the given image.")])
        r = post("chat form with image_url as a bare string", body, 200, validate_request=True)
        c.ok("bare-string image_url equals embed", same_bits(r.json()["data"][0]["embedding"], refs["vllm"]))
    c.guard("vLLM chat form", vllm_checks)

    # -- bad requests -----------------------------------------------------------------------------------------------------
    def bad_checks():
        jpeg = open(os.path.join(work, "example.jpg"), "rb").read()
        post("malformed JSON", None, 400, "invalid_json", raw=b'{"model": "phi3_v", "input": ')
        post("a JSON array body", None, 400, "invalid_json", raw=b"[1, 2, 3]")
        post("an empty body", None, 400, "invalid_json", raw=b"")
        post("input is a number", {"input": 5}, 400, param="input")
        post("input is null", {"input": None}, 400, param="input")
        post("input is an empty string", {"input": ""}, 400, param="input")
        post("input is an empty array", {"input": []}, 400, param="input")
        post("input holds an empty string", {"input": ["a", ""]}, 400, param="input")
        post("input holds an empty token array", {"input": [[]]}, 400, param="input")
        post("input mixes ints and strings", {"input": [1, "a"]}, 400, param="input")
        post("input holds floats", {"input": [1.5, 2.0]}, 400, param="input")
        post("token id -1", {"input": [1, -1]}, 400, "invalid_input", "input")
        post("token id past the vocabulary", {"input": [1, 10_000_000]}, 400, "invalid_input", "input")
        post("token id past Int64", None, 400, raw=b'{"input": [1, 123456789012345678901234567890]}')
        post("2049 inputs", {"input": ["a"] * 2049}, 400, param="input")
        post("encoding_format 'hex'", {"input": "a", "encoding_format": "hex"}, 400, param="encoding_format")
        post("encoding_format a number", {"input": "a", "encoding_format": 1}, 400, param="encoding_format")
        post("dimensions not the width", {"input": "a", "dimensions": width // 2}, 400, "unsupported_dimensions", "dimensions")
        post("dimensions a string", {"input": "a", "dimensions": str(width)}, 400, param="dimensions")
        post("model a number", {"input": "a", "model": 5}, 400, param="model")
        post("user a number", {"input": "a", "user": 5}, 400, param="user")
        post("neither input nor messages", {"model": "phi3_v"}, 400, param="input")
        post("both input and messages", {"input": "a", "messages": [{"role": "user", "content": "a"}]}, 400, param="messages")
        post("two messages", {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}, 400, param="messages")
        post("messages not an array", {"messages": {"role": "user"}}, 400, param="messages")
        post("message content a number", {"messages": [{"role": "user", "content": 5}]}, 400, param="messages")
        post("empty message", {"messages": [{"role": "user", "content": []}]}, 400, param="messages")
        post("unknown content part", chat_body([{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]),
             400, "unknown_content_part", "messages")
        post("content part without type", chat_body([{"text": "a"}]), 400, param="messages")
        post("text part without text", chat_body([{"type": "text"}]), 400, param="messages")
        post("image part without url", chat_body([{"type": "image_url", "image_url": {}}]), 400, param="messages")
        post("invalid base64 in a data: URL", chat_body([image_part("data:image/jpeg;base64,@@not base64@@"), text_part("x")]),
             400, "invalid_base64", "messages")
        post("a data: URL without base64", chat_body([image_part("data:image/png,abcd"), text_part("x")]), 400, "invalid_image_url")
        post("a data: URL without a comma", chat_body([image_part("data:image/png;base64"), text_part("x")]), 400, "invalid_image_url")
        post("an ftp: URL", chat_body([image_part("ftp://127.0.0.1/a.png"), text_part("x")]), 400, "invalid_image_url")
        post("an http URL without --allow-image-urls", chat_body([image_part("http://127.0.0.1:9/a.png"), text_part("x")]),
             400, "image_urls_disabled")
        post("not-an-image bytes", chat_body([image_part("data:image/jpeg;base64," + base64.b64encode(b"hello, world").decode()),
                                              text_part("x")]), 400, "invalid_input", "input")
        post("a truncated JPEG", chat_body([image_part("data:image/jpeg;base64," + base64.b64encode(jpeg[:len(jpeg) // 3]).decode()),
                                           text_part("x")]), 400, "invalid_input")
        post("a JPEG header only", chat_body([image_part("data:image/jpeg;base64," + base64.b64encode(jpeg[:600]).decode()),
                                             text_part("x")]), 400, "invalid_input")
        post("marker/image mismatch (an extra <|image_1|> in the text)",
             chat_body([image_part(jpeg_url), text_part("<|image_1|> Represent the given image.")]), 400, "invalid_input", "input")
        post("marker/image mismatch (<|image_2|> with one image)",
             chat_body([image_part(jpeg_url), text_part("<|image_2|> Represent the given image.")]), 400, "invalid_input", "input")
        post("a token array longer than the context", {"input": [1] + [306] * context[0]}, 400, "context_length_exceeded", "input")
        post("a text longer than the context", {"input": "hello " * (context[0] + 100)}, 400, "context_length_exceeded", "input")
        post("an image over 64 megapixels", chat_body([image_part("data:image/png;base64," + base64.b64encode(huge_png()).decode()),
                                                      text_part("x")]), 413, "image_too_large", "input")
        post("a body over --max-body-bytes (Content-Length)", None, 413, "body_too_large",
             raw=b'{"input": "' + b"a" * max_body + b'"}')

        def chunks():
            yield b'{"input": "'
            for _ in range(max_body // 65536 + 1):
                yield b"a" * 65536
            yield b'"}'
        post("a body over --max-body-bytes (chunked, no Content-Length)", None, 413, "body_too_large", raw=chunks())
        post("deeply nested JSON (600 levels)", None, 400, "invalid_json", raw=b'{"input": ' + b"[" * 600 + b"]" * 600 + b"}")
        r = post("nested JSON within the limit (500 levels)", None, 400, raw=b'{"input": ' + b"[" * 500 + b"]" * 500 + b"}")
        # the server must still answer after all of that
        r = requests.post(s.base + "/v1/embeddings", json={"input": TEXTS[0]}, headers=auth, timeout=TIMEOUT)
        c.ok("the server still answers correctly after the bad requests", r.status_code == 200
             and same_bits(r.json()["data"][0]["embedding"], refs["t0"]), f"{r.status_code} {r.text[:200]}")
        r = requests.get(s.base + "/v1/nothing", headers=auth, timeout=TIMEOUT)
        c.ok("an unknown path is 404", r.status_code == 404, f"{r.status_code}")
        r = requests.get(s.base + "/v1/embeddings", headers=auth, timeout=TIMEOUT)
        c.ok("GET /v1/embeddings is 404 or 405", r.status_code in (404, 405), f"{r.status_code} {r.text[:200]}")
    c.guard("bad requests", bad_checks)

    # -- Expect: 100-continue (curl sends it for bodies over 1 MiB, e.g. any photo as a data: URL) --------------------------
    def expect_continue():
        body = json.dumps({"model": "phi3_v", "input": TEXTS[0]}).encode()
        head = (f"POST /v1/embeddings HTTP/1.1\r\nHost: {HOST}:{s.port}\r\nAuthorization: Bearer {KEY}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode()
        with socket.create_connection((HOST, s.port), timeout=TIMEOUT) as sock:
            sock.sendall(head)
            sock.settimeout(2)
            try:
                first = sock.recv(65536)
            except socket.timeout:
                first = b""
            c.ok("Expect: 100-continue is answered with 100 Continue (clients such as curl otherwise wait 1 s before sending the body)",
                 first.startswith(b"HTTP/1.1 100"), f"got {first[:60]!r} within 2 s")
            if first.startswith(b"HTTP/1.1 100"):
                first = first.split(b"\r\n\r\n", 1)[1]
            sock.settimeout(TIMEOUT)
            sock.sendall(body)
            answer = first

            def complete(a):
                if b"\r\n\r\n" not in a:
                    return False
                head_, rest = a.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?i)content-length: *(\d+)", head_)
                return m is not None and len(rest) >= int(m.group(1))
            while not complete(answer):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.1") else b"?"
        payload = json.loads(answer.split(b"\r\n\r\n", 1)[1]) if status == b"200" else None
        c.ok("... and the request then answers 200, equal to embed", status == b"200" and same_bits(payload["data"][0]["embedding"], refs["t0"]),
             repr(answer[:200]))
    c.guard("Expect: 100-continue", expect_continue)

    def metrics_after():
        r = requests.get(s.base + "/metrics", timeout=TIMEOUT)
        counts = dict(re.findall(r'^vlmembed_requests_total\{status="(\d+)"\} (\d+)', r.text, re.M))
        c.ok("/metrics counts requests by status (200, 400, 401, 413 seen)", all(k in counts for k in ("200", "400", "401", "413")), str(counts))
        c.ok("no 5xx counted in /metrics (but the 503 loading answers this check caused)",
             not any(k.startswith("5") and k != "503" for k in counts) and int(counts.get("503", 0)) == loading_503[0], str(counts))
    c.guard("metrics after", metrics_after)

    peak = s.rss_kib()
    code = s.stop()
    c.ok("SIGTERM: the server exits with code 0", code == 0, f"exit code {code}; log {s.log_path}")
    if peak:
        c.info(f"server peak RSS {peak / 1024:.1f} MiB")

    # -- server 2: --max-queue 1, no key: 429 and SIGTERM with work in flight ----------------------------------------------
    s2 = Server(binary, model, ["--max-queue", "1", "--threads", "1"], os.path.join(work, "server-limits.log"))
    servers.append(s2)
    s2.wait_listening()
    s2.wait_ready()
    spec2 = Spec(s2.base)
    long_tokens = [1] + [306] * 7999  # ~0.2-1 s of forward each on the tiny model: the queue fills

    def long_request(_=None):
        r = requests.post(s2.base + "/v1/embeddings", json={"input": long_tokens, "encoding_format": "base64"}, timeout=TIMEOUT)
        return r

    def queue_checks():
        t0 = time.monotonic()
        r = long_request()
        one = time.monotonic() - t0
        c.ok("a long (8000-token) request without a key on a keyless server: 200", r.status_code == 200, r.text[:200])
        ref_long = b64_floats(r.json()["data"][0]["embedding"])
        c.info(f"one 8000-token request takes {one:.2f} s")
        with futures.ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(long_request, range(6)))
        statuses = [a.status_code for a in answers]
        for a in answers:
            spec2.check_response("post", "/v1/embeddings", a)
        c.ok("6 concurrent long requests with --max-queue 1: some 429, the rest 200, nothing else",
             429 in statuses and 200 in statuses and set(statuses) <= {200, 429}, str(statuses))
        too_many = [a for a in answers if a.status_code == 429]
        c.ok("429 has Retry-After and code queue_full (spec-validated)",
             all(a.headers.get("Retry-After", "").isdigit() and error_of(a).get("code") == "queue_full"
                 and error_of(a).get("type") == "rate_limit_error" for a in too_many), str([dict(a.headers) for a in too_many])[:300])
        c.ok("the 200 answers under load equal the unloaded answer bit for bit",
             all(same_bits(b64_floats(a.json()["data"][0]["embedding"]), ref_long) for a in answers if a.status_code == 200))
        return ref_long
    ref_long = c.guard("429", queue_checks)

    def shutdown_checks():
        with futures.ThreadPoolExecutor(1) as pool:
            inflight = pool.submit(long_request)
            time.sleep(0.15)
            s2.proc.send_signal(signal.SIGTERM)
            time.sleep(0.05)
            try:
                late = requests.post(s2.base + "/v1/embeddings", json={"input": "x"}, timeout=5)
                spec2.check_response("post", "/v1/embeddings", late)
                c.ok("a request after SIGTERM: 503 shutting_down (or refused)",
                     late.status_code == 503 and error_of(late).get("code") == "shutting_down", f"{late.status_code} {late.text[:200]}")
            except requests.ConnectionError:
                c.ok("a request after SIGTERM: 503 shutting_down (or refused)", True)
                c.info("the request after SIGTERM was refused (connection closed)")
            r = inflight.result(TIMEOUT)
        c.ok("the request in flight at SIGTERM finishes with 200", r.status_code == 200, f"{r.status_code} {r.text[:200]}")
        if ref_long is not None and r.status_code == 200:
            c.ok("... and its embedding is right", same_bits(b64_floats(r.json()["data"][0]["embedding"]), ref_long))
        code = s2.stop()
        c.ok("SIGTERM with work in flight: exit code 0", code == 0, f"exit code {code}; log {s2.log_path}")
    c.guard("shutdown", shutdown_checks)

    # -- server 3: --allow-image-urls (file:// and http:// from a loopback file server) -----------------------------------
    def image_url_checks():
        p = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=60)
        flag = "--allow-image-urls"
        if not c.ok("`serve --help` documents --allow-image-urls", "--allow-image-urls" in p.stdout,
                    "the flag is spelled " + ", ".join(sorted(set(re.findall(r"--allow-image-[\w-]+", p.stdout))))):
            found = re.findall(r"--allow-image-[\w-]+", p.stdout)
            if not found:
                return
            flag = found[0]
            c.info(f"continuing with {flag}")
        s3 = Server(binary, model, [flag], os.path.join(work, "server-urls.log"))
        servers.append(s3)
        s3.wait_listening()
        s3.wait_ready()
        spec3 = Spec(s3.base)
        r = requests.get(s3.base + "/v1/models", timeout=TIMEOUT)
        spec3.check_response("get", "/v1/models", r)
        c.ok("with image URLs allowed, /v1/models says limits.image_urls true", r.json()["data"][0]["limits"]["image_urls"] is True)

        import http.server
        import socketserver

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k):
                super().__init__(*a, directory=work, **k)

            def log_message(self, *a):
                pass
        httpd = socketserver.TCPServer((HOST, 0), Quiet)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            file_port = httpd.server_address[1]

            def chat(url):
                body = chat_body([image_part(url), text_part(IMAGE_PROMPT)])
                r = requests.post(s3.base + "/v1/embeddings", json=body, timeout=TIMEOUT)
                spec3.check_response("post", "/v1/embeddings", r, json.dumps(body).encode())
                return r
            r = chat("file://" + os.path.join(work, "example.jpg"))
            c.ok("a file:// image URL equals embed", r.status_code == 200 and same_bits(r.json()["data"][0]["embedding"], refs["vllm"]),
                 f"{r.status_code} {r.text[:200]}")
            r = chat(f"http://{HOST}:{file_port}/example.jpg")
            c.ok("an http:// image URL (loopback) equals embed", r.status_code == 200 and same_bits(r.json()["data"][0]["embedding"], refs["vllm"]),
                 f"{r.status_code} {r.text[:200]}")
            r = chat(f"http://{HOST}:{file_port}/missing.jpg")
            c.ok("an http:// image URL answering 404: 400 image_fetch_failed",
                 r.status_code == 400 and error_of(r).get("code") == "image_fetch_failed", f"{r.status_code} {r.text[:200]}")
            r = chat("file:///nonexistent/example.jpg")
            c.ok("a missing file:// image: 400 image_fetch_failed", r.status_code == 400 and error_of(r).get("code") == "image_fetch_failed",
                 f"{r.status_code} {r.text[:200]}")
        finally:
            httpd.shutdown()
            httpd.server_close()
        code = s3.stop()
        c.ok("SIGTERM: exit code 0 (image-URL server)", code == 0, f"exit code {code}")
    c.guard("image URLs", image_url_checks)


if __name__ == "__main__":
    sys.exit(main())
