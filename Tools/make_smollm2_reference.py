#!/usr/bin/env python3
"""make_smollm2_reference.py: reference last-token embeddings of the real SmolLM2-135M-Instruct Q4_1 GGUF.

The embedding is the VLM2Vec recipe applied to a plain decoder: the hidden state after the final RMSNorm
(`model.norm`) at the LAST prompt token, L2-normalised. It is computed three ways on 30 fixed prompts
(5 to 300 tokens: prose, questions, code, numbers, non-English/Unicode, retrieval instructions):

  torch             PyTorch fp32 on transformers' dequantization of the GGUF
                    (AutoModelForCausalLM.from_pretrained(dir, gguf_file=..., torch_dtype=float32),
                    eager attention, torch.set_num_threads(1), deterministic algorithms);
                    hidden = model.model(input_ids).last_hidden_state[0, -1] (checked to be the output
                    of model.model.norm), L2-normalised in float64, stored as float32
  llama_cpp_native  llama.cpp `llama-embedding` (llama-cpp-python 0.3.36 sdist, Tools/build_llama_cpp.sh
                    native: clang -march=native)
  llama_cpp_avx2    the same, AVX2-only build (GGML_NATIVE=OFF, AVX2/FMA/F16C)
  llama.cpp flags: --pooling last --embd-normalize 2 -c 512 -t 1 --no-escape -f <prompt file>
                   --embd-separator <never in a prompt> --embd-output-format array --verbose-prompt
                   (one process per prompt, so every prompt is decoded alone as one sequence; -c 64 asserts.
                   The array output prints each value with %1.7f, i.e. rounded to 1e-7.)

Token ids. transformers' GGUF tokenizer (LlamaTokenizerFast for the llama arch) ADDS a BOS
(`<|im_start|>`, id 1) with the default add_special_tokens=True, although the GGUF says
tokenizer.ggml.add_bos_token = false, which llama.cpp follows.
Both conventions are computed, each on identical ids in all three engines:
  with BOS  (tensors `torch`, `llama_cpp_native`, `llama_cpp_avx2`): ids = tokenizer(text).input_ids as
            transformers gives them; llama.cpp gets "<|im_start|>" + text, which it parses as the special
            token (parse_special is on in llama-embedding)
  no BOS    (tensors `*_no_bos`): ids = tokenizer(text, add_special_tokens=False) = llama.cpp's own
            tokenization of the text = ids[1:] (all three checked for every prompt)
llama.cpp's ids are read back from --verbose-prompt and must equal transformers' ids (else the script fails).

Weights check: every GGUF tensor dequantized by gguf-py (gguf.quants.dequantize) is compared bit for bit with
transformers' state_dict; attn_q/attn_k are expected to equal gguf-py's rows un-permuted
(reshape(n_head, d/n_head/2, 2, in).swapaxes(1, 2), n_head = 9 for q, 3 for k; the inverse of
convert_hf_to_gguf's permute) and to differ from the raw GGUF order; lm_head must equal embed_tokens (tied).

Outputs (in -o DIR, default <repo>/Fixtures/real):
  smollm2_embeddings.safetensors  float32 [30, 576]: torch, llama_cpp_native, llama_cpp_avx2,
                                  torch_no_bos, llama_cpp_native_no_bos, llama_cpp_avx2_no_bos
  smollm2_embeddings.json         versions, GGUF sha256, CPU model and each binary's system_info, the
                                  tokenization facts, the weights check, per prompt: text, ids (with BOS),
                                  token counts, torch hidden-state norm, cosines; summary (min/median)
Prints the cosine summary. Deterministic: rerunning gives identical files (no timestamps).

Pinned versions (asserted; Tools/requirements.txt): torch 2.15.0, transformers 4.52.3, tokenizers 0.21.4,
gguf 0.19.0, numpy 2.4.6, safetensors 0.8.0; llama.cpp from llama-cpp-python 0.3.36.

Usage:
  Tools/fetch_real_data.sh models && Tools/build_llama_cpp.sh all     # once
  Tools/make_smollm2_reference.py [-o Fixtures/real] [--cache DIR]   (re-runs itself under $VENV/bin/python
                                                                     when the current Python lacks torch)
    --cache  default ${VLMEMBED_CACHE:-$HOME/.cache/vlmembed} (real/, llama.cpp-0.3.36{,-avx2}/bin/)
  VENV is <cache>/tools-venv (make tools-venv). Single-threaded on purpose (shared 2-core machines);
  about 5 CPU-minutes, 9-12 minutes wall on a busy 2-core EPYC (124 llama-embedding processes). No network.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF loading progress bar

import argparse
import hashlib
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


PROG = "make_smollm2_reference"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
PINS = {"torch": "2.15.0", "transformers": "4.52.3", "tokenizers": "0.21.4", "gguf": "0.19.0",
        "numpy": "2.4.6", "safetensors": "0.8.0"}
LLAMA_CPP_VERSION = "llama-cpp-python 0.3.36 (vendor/llama.cpp)"
BUILDS = {"native": "llama.cpp-0.3.36/bin", "avx2": "llama.cpp-0.3.36-avx2/bin"}
LLAMA_FLAGS = ["--pooling", "last", "--embd-normalize", "2", "-c", "512", "-t", "1", "--no-escape"]
SEPARATOR = "<#vlmembed-prompt-separator#>"  # llama-embedding splits -f text on this; never in a prompt
N_EMBD = 576

# Fixed prompts, sorted by token count (transformers' ids, BOS included): 5 ... 300.
PROMPTS = [
    "Good morning, world",
    "What is the capital of France",
    "print(sum(range(10)))",
    "¿Dónde está la biblioteca?",
    "Represent the given sentence for retrieval: a dog runs on the beach",
    "Find a passage that answers the question: how do vaccines train immune cells?",
    "東京は日本の首都です。",
    "Ich habe heute leider keine Zeit, aber morgen komme ich gerne.",
    "Invoice total: $1,234.56, due 2024-03-15.",
    "func clamp(_ x: Float, lo: Float, hi: Float) -> Float {\n    min(max(x, lo), hi)\n}",
    "Represent the given image caption for retrieval: two children in yellow raincoats jump into a muddy "
    "puddle while their grandmother laughs under a big red umbrella on a windy autumn afternoon.",
    "Instruct: Given a web search query, retrieve relevant passages that answer the query\n"
    "Query: what are the health benefits of drinking green tea every day, and are there any risks for people "
    "who are sensitive to caffeine?",
    "The lighthouse keeper climbed the spiral staircase every evening at dusk. One hundred and twelve steps, "
    "worn smooth by a century of boots, led to the lamp room, where he trimmed the wick, polished the great "
    "lens and watched the first ships slip past the rocks.",
    "Le renard brun et rapide saute par-dessus le chien paresseux, puis il s'endort au soleil près de la "
    "rivière, pendant que les oiseaux chantent dans les grands arbres du jardin.",
    "Solve for x: 3x + 7 = 22. Then compute x squared minus 4, divide the result by 7, and report it "
    "to three decimal places. Finally, check whether 0.142857 is close to 1/7 and explain why in one sentence.",
    "def fibonacci(n: int) -> list[int]:\n"
    '    """Return the first n Fibonacci numbers."""\n'
    "    out = [0, 1]\n"
    "    while len(out) < n:\n"
    "        out.append(out[-1] + out[-2])\n"
    "    return out[:n]\n\n\n"
    "print(fibonacci(12))",
    '{"id": 4821, "name": "Ada Lovelace", "born": "1815-12-10", "languages": ["English", "French"], '
    '"notes": "wrote the first published algorithm", "scores": [98.5, 87.25, 100], "active": false, '
    '"tags": null}',
    "Q: My sourdough bread comes out flat and dense. I feed the starter twice a day with equal weights of flour "
    "and water, and I bake at 230 °C for 40 minutes.\nA: A flat loaf usually means the dough was over-proofed "
    "or the starter was not active enough. Try baking when the starter has doubled, shorten the bulk "
    "fermentation, and shape the loaf more tightly so that it holds its structure.",
    "SELECT c.name, COUNT(o.id) AS orders, SUM(o.amount) AS total\n"
    "FROM customers AS c\n"
    "LEFT JOIN orders AS o ON o.customer_id = c.id AND o.created_at >= '2023-01-01'\n"
    "WHERE c.country IN ('DE', 'FR', 'IT')\n"
    "GROUP BY c.name\n"
    "HAVING SUM(o.amount) > 1000\n"
    "ORDER BY total DESC\n"
    "LIMIT 25;",
    "Привет, мир! 👋 Как у тебя дела сегодня? Погода в Москве: −5 °C, снег ❄️. "
    "Ελληνικά: Καλημέρα! 中文：机器学习很有趣。한국어: 안녕하세요! 🚀✨",
    "Instruct: Retrieve the product review that best matches the customer's complaint.\n"
    "Complaint: I ordered the blue hiking backpack (model TR-45, 38 litres) three weeks ago. The left shoulder "
    "strap tore at the seam after two short day hikes, and the zipper on the front pocket jams every time it is "
    "more than half full. Customer service told me to wait for a replacement, but nobody has answered my last "
    "four emails. I would like to know whether other buyers had the same problem with the stitching, and "
    "whether the newer version of the bag fixed it, because I am thinking about asking for a refund instead.",
    "Photosynthesis is the process by which green plants, algae and some bacteria convert light energy into "
    "chemical energy. In the light-dependent reactions, which take place in the thylakoid membranes of the "
    "chloroplast, chlorophyll absorbs photons and uses their energy to split water molecules, releasing oxygen "
    "and producing ATP and NADPH. In the light-independent reactions, also called the Calvin cycle, the enzyme "
    "RuBisCO fixes carbon dioxide from the air into three-carbon sugars, using the ATP and NADPH made earlier. "
    "These sugars are then used to build glucose, starch and cellulose. Because nearly all food chains begin "
    "with photosynthetic organisms, the process supports almost all life on Earth, and it is also the source "
    "of the oxygen in the atmosphere that animals need to breathe.",
    "city,country,population,area_km2,founded\n"
    "Lisbon,Portugal,545923,100.05,1200 BC\n"
    "Reykjavik,Iceland,139875,273,874\n"
    "Nairobi,Kenya,4397073,696,1899\n"
    "Kyoto,Japan,1463723,827.83,794\n"
    "Montevideo,Uruguay,1319108,201,1724\n"
    "Tallinn,Estonia,461537,159.2,1248",
    "Represent the following support ticket for retrieving similar resolved tickets: After upgrading the "
    "mobile app to version 5.2.1, users on Android 14 report that the login screen freezes for about ten "
    "seconds before showing an error that reads 'token expired'. The problem does not happen on iOS, and it "
    "does not happen on Android 13 or earlier. Clearing the cache and reinstalling the app does not help. The "
    "server logs show that the refresh request arrives with a timestamp that is several minutes in the "
    "future, which suggests the client clock is being read incorrectly after the device wakes from sleep. A "
    "temporary workaround is to disable automatic time zone detection, but most users will not want to do "
    "that. We need to know whether this matches any earlier incident, which component owned the fix, how "
    "long the rollout took, and whether the release notes ever mentioned it to customers.",
    "#include <stdio.h>\n#include <stdlib.h>\n\n"
    "/* Compute the dot product of two float vectors. */\n"
    "static float dot(const float *a, const float *b, size_t n) {\n"
    "    float acc = 0.0f;\n"
    "    for (size_t i = 0; i < n; ++i) {\n"
    "        acc += a[i] * b[i];\n"
    "    }\n"
    "    return acc;\n"
    "}\n\n"
    "int main(void) {\n"
    "    float a[4] = {1.0f, 2.0f, 3.0f, 4.0f};\n"
    "    float b[4] = {0.5f, -1.0f, 0.25f, 2.0f};\n"
    "    printf(\"%f\\n\", dot(a, b, 4));\n"
    "    return EXIT_SUCCESS;\n"
    "}",
    "Travel notes / Reisenotizen / Notes de voyage\n"
    "Day 1 — Arrived in Lyon at 14:05 after a 2 h 10 min train ride from Paris. Le dîner était excellent: "
    "quenelles de brochet, un verre de Beaujolais, et une tarte aux pralines.\n"
    "Tag 2 — Weiter nach Genf. Der Zug hatte 12 Minuten Verspätung, aber die Aussicht auf den See war "
    "wunderschön. Abends Fondue für 32 CHF pro Person.\n"
    "Day 3 — Milano: visited the Duomo (ticket €15), walked to the Galleria, and ate risotto alla milanese. "
    "Domani si parte per Venezia alle 9:30, con il treno regionale.\n"
    "Summary: 3 countries, 4 languages, 612 km by rail, and a very tired but happy traveller. 😊",
    "Instruct: Given a question, retrieve Wikipedia passages that answer the question.\n"
    "Query: Why did the Roman Empire split into an eastern and a western half, and how did the two halves "
    "develop differently over the following centuries?\n"
    "Passage: By the late third century the Roman Empire had become too large and too threatened to be governed "
    "effectively by a single ruler. Diocletian divided the administration among four emperors, the tetrarchy, "
    "and although the arrangement collapsed after his retirement, the idea of separate eastern and western "
    "courts survived. Constantine founded a new capital at Byzantium, renamed Constantinople in 330, which "
    "gave the east a wealthy and well-defended centre. After the death of Theodosius I in 395 the empire was "
    "permanently divided between his sons. The west, with a weaker economy, long frontiers on the Rhine and "
    "Danube, and a growing dependence on barbarian soldiers, lost its last emperor in 476. The east, later "
    "called the Byzantine Empire, kept Roman law, the Greek language and an elaborate bureaucracy, and it "
    "lasted for nearly a thousand more years, until the Ottoman conquest of Constantinople in 1453.",
    "class LRUCache:\n"
    '    """A small least-recently-used cache built on an ordered dictionary."""\n\n'
    "    def __init__(self, capacity: int) -> None:\n"
    "        if capacity <= 0:\n"
    "            raise ValueError(\"capacity must be positive\")\n"
    "        self.capacity = capacity\n"
    "        self._data: dict[str, int] = {}\n\n"
    "    def get(self, key: str) -> int | None:\n"
    "        if key not in self._data:\n"
    "            return None\n"
    "        value = self._data.pop(key)\n"
    "        self._data[key] = value  # move to the end: most recently used\n"
    "        return value\n\n"
    "    def put(self, key: str, value: int) -> None:\n"
    "        if key in self._data:\n"
    "            self._data.pop(key)\n"
    "        elif len(self._data) >= self.capacity:\n"
    "            oldest = next(iter(self._data))\n"
    "            del self._data[oldest]\n"
    "        self._data[key] = value\n\n\n"
    "cache = LRUCache(2)\n"
    "cache.put(\"a\", 1)\n"
    "cache.put(\"b\", 2)\n"
    "cache.get(\"a\")\n"
    "cache.put(\"c\", 3)\n"
    "assert cache.get(\"b\") is None",
    "The history of timekeeping is a story of ever finer division. Early societies tracked the day by the sun "
    "and the year by the stars, marking solstices with standing stones and aligning temples with the rising "
    "of particular constellations. Sundials divided daylight into hours, but those hours stretched in summer "
    "and shrank in winter. Water clocks, used in Egypt, Babylon and China, could measure time at night and "
    "indoors, and some Chinese designs of the eleventh century drove elaborate astronomical displays. The "
    "mechanical clock, which appeared in European monasteries and town towers around 1300, replaced the flow "
    "of water with the verge-and-foliot escapement, a device that released a falling weight in regular steps. "
    "These clocks were impressive but inaccurate, often wandering by a quarter of an hour a day. The pendulum, "
    "applied to clocks by Christiaan Huygens in 1656, cut the error to about ten seconds a day, and the marine "
    "chronometers of John Harrison in the eighteenth century finally allowed sailors to find their longitude "
    "at sea. In the twentieth century, quartz crystals vibrating thousands of times a second made accurate "
    "watches cheap enough for everyone, and in 1955 the first caesium atomic clock at the National Physical "
    "Laboratory in England began to measure time by the oscillations of atoms themselves. Today the best "
    "optical clocks would "
    "drift by less than a second over the age of the universe.",
    "In the spring of 1869, the railway finally reached the small town at the edge of the plains. For years the "
    "settlers had hauled their grain by wagon across forty miles of rutted track to the nearest depot, losing "
    "days of work and a good part of their harvest to rain and broken axles. Now the whistle of the locomotive "
    "could be heard every morning at seven, and with it came newspapers, machinery, strangers and news from the "
    "coast. The general store doubled in size within a year, a bank opened on Main Street, and the school "
    "hired a second teacher. Not everyone welcomed the change. The old ferryman, who had carried travellers "
    "across the river for two decades, found that nobody needed his boat once the iron bridge was finished, "
    "and the blacksmith complained that the factory-made ploughs arriving by freight car were cheaper than "
    "anything he could forge. Farmers who had once traded with their neighbours now sold to agents from the "
    "city, who set prices by telegraph and paid in paper money. Land near the station rose in value so quickly "
    "that some families sold their homesteads and moved west again, while others borrowed heavily to buy more "
    "acres, betting that the good years would last. When the drought of 1874 came, followed by a plague of "
    "grasshoppers that stripped the fields bare in a single afternoon, many of those loans could not be repaid, "
    "and the bank on Main Street finally closed its doors for good well before the winter was over.",
]


def fail(message: str) -> None:
    """Exit with one line on stderr."""
    sys.exit(f"{PROG}: {message}")




def check_inputs(cache: Path) -> tuple[Path, dict[str, Path]]:
    """The GGUF (with the pinned sha256) and both llama-embedding binaries, or a one-line error."""
    gguf_path = cache / "real" / GGUF_NAME
    if not gguf_path.is_file():
        fail(f"{gguf_path}: missing; run Tools/fetch_real_data.sh models")
    bins = {}
    for variant, sub in BUILDS.items():
        exe = cache / sub / "llama-embedding"
        if not (exe.is_file() and os.access(exe, os.X_OK)):
            fail(f"{exe}: missing; run Tools/build_llama_cpp.sh all")
        bins[variant] = exe
    from real_data_reference import file_sha256  # Tools/ sibling (needs the tools venv, imported after the re-exec)
    sha = file_sha256(gguf_path)
    if sha != GGUF_SHA256:
        fail(f"{gguf_path}: sha256 {sha} != pinned {GGUF_SHA256}; rerun Tools/fetch_real_data.sh models")
    return gguf_path, bins


def reexec_in_tools_venv(cache: Path) -> None:
    """Run again under <cache>/tools-venv/bin/python when this interpreter lacks the pinned packages."""
    import importlib.util
    venv_python = cache / "tools-venv" / "bin" / "python"
    if importlib.util.find_spec("torch") is not None or not venv_python.is_file():
        return
    if Path(sys.prefix).resolve() == (cache / "tools-venv").resolve():
        return
    os.execv(str(venv_python), [str(venv_python), str(Path(__file__).resolve()), *sys.argv[1:]])


def check_versions() -> dict[str, str]:
    import importlib.metadata as md
    found = {}
    for name, want in PINS.items():
        try:
            have = md.version(name)
        except md.PackageNotFoundError:
            fail(f"python package {name} not installed; run with the tools venv (make tools-venv)")
        if have.split("+")[0] != want:
            fail(f"{name} {have} != pinned {want}; make tools-venv (Tools/requirements.txt)")
        found[name] = have
    found["python"] = platform.python_version()
    return found


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (lscpu failed)"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def cpu_simd_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    keep = re.compile(r"^(sse\d.*|ssse3|avx.*|fma|f16c|bmi2|amx.*)$")
    return sorted(f for f in flags if keep.match(f))


# ---------------------------------------------------------------- transformers / torch


def unpermute_rows(w, n_head: int):
    """Inverse of convert_hf_to_gguf's llama Q/K row permutation (GGUF order -> HF order)."""
    rows = w.shape[0]
    return w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_name(gguf_name: str) -> str:
    fixed = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight"}
    if gguf_name in fixed:
        return fixed[gguf_name]
    m = re.fullmatch(r"blk\.(\d+)\.(\w+)\.weight", gguf_name)
    parts = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
             "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}
    if m is None or m.group(2) not in parts:
        fail(f"{GGUF_NAME}: unexpected tensor {gguf_name}")
    return f"model.layers.{m.group(1)}.{parts[m.group(2)]}.weight"


def check_weights(gguf_path: Path, model) -> dict:
    """Every GGUF tensor via gguf-py == transformers' state_dict (q/k un-permuted); lm_head tied."""
    import numpy as np
    from gguf import GGUFReader
    from gguf.quants import dequantize

    cfg = model.config
    state = model.state_dict()
    reader = GGUFReader(gguf_path)
    types: dict[str, int] = {}
    mismatches = []
    qk_raw_equal = []
    for t in reader.tensors:
        ref = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32)
        name = hf_name(t.name)
        if name not in state:
            fail(f"{GGUF_NAME}: transformers has no {name} for {t.name}")
        mine = state[name].detach().cpu().numpy()
        types[t.tensor_type.name] = types.get(t.tensor_type.name, 0) + 1
        kind = t.name.split(".")[-2]
        if kind in ("attn_q", "attn_k"):
            n_head = cfg.num_attention_heads if kind == "attn_q" else cfg.num_key_value_heads
            if np.array_equal(ref, mine):
                qk_raw_equal.append(t.name)
            ref = unpermute_rows(ref, n_head)
        if ref.shape != mine.shape or not np.array_equal(ref, mine):
            mismatches.append(t.name)
    tied = bool(np.array_equal(state["lm_head.weight"].numpy(), state["model.embed_tokens.weight"].numpy()))
    n_qk = 2 * cfg.num_hidden_layers
    result = {
        "compared": "gguf.quants.dequantize (float32) vs transformers state_dict, exact equality",
        "tensors": len(reader.tensors),
        "types": dict(sorted(types.items())),
        "all_equal": not mismatches,
        "mismatches": mismatches,
        "attn_q_k_unpermuted_by_transformers": not mismatches and not qk_raw_equal,
        "attn_q_k_tensors": n_qk,
        "attn_q_k_equal_in_raw_gguf_row_order": qk_raw_equal,
        "unpermute": "w.reshape(n_head, rows/n_head/2, 2, cols).swapaxes(1, 2); n_head 9 (q), 3 (k)",
        "lm_head_tied_to_embed_tokens": tied,
    }
    if mismatches or qk_raw_equal or not tied:
        fail(f"{GGUF_NAME}: weights check failed: {json.dumps(result)}")
    return result


def l2_normalise(vec):
    import numpy as np
    v = np.asarray(vec, dtype=np.float64)
    return (v / np.linalg.norm(v)).astype(np.float32)


def torch_embeddings(model, ids_list: list[list[int]]):
    """Post-final-norm hidden state of the last token per prompt: (L2-normalised rows, raw norms)."""
    import numpy as np
    import torch

    captured = {}

    def hook(_module, _inputs, output):
        captured["norm_out"] = output.detach().clone()

    handle = model.model.norm.register_forward_hook(hook)
    rows, norms = [], []
    try:
        with torch.no_grad():
            for ids in ids_list:
                x = torch.tensor([ids], dtype=torch.long)
                hidden = model.model(input_ids=x, use_cache=False).last_hidden_state
                if not torch.equal(hidden, captured["norm_out"]):
                    fail("last_hidden_state is not the output of model.model.norm")
                last = hidden[0, -1].double().numpy()
                norms.append(float(np.linalg.norm(last)))
                rows.append(l2_normalise(last))
    finally:
        handle.remove()
    return np.stack(rows), norms


# ---------------------------------------------------------------- llama.cpp


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLAMA_ARG_")}
    env["LC_ALL"] = "C"
    return env


def run_llama(exe: Path, gguf_path: Path, text: str, workdir: Path, extra: list[str] | None = None):
    """One llama-embedding process on one prompt: (ids, embedding, stderr text)."""
    import numpy as np
    prompt_file = workdir / "prompt.txt"
    prompt_file.write_bytes(text.encode("utf-8"))
    cmd = [str(exe), "-m", str(gguf_path), *LLAMA_FLAGS, "-f", str(prompt_file), "--embd-separator", SEPARATOR,
           "--embd-output-format", "array", "--verbose-prompt", *(extra or [])]
    proc = subprocess.run(cmd, capture_output=True, env=clean_env())
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        last = err.strip().splitlines()[-1] if err.strip() else "no output"
        fail(f"{exe}: exit {proc.returncode}: {last}")
    ids = [int(m.group(1)) for m in re.finditer(r"^\s*(-?\d+) -> '", out, re.M)]
    counts = re.findall(r"number of tokens in prompt = (\d+)", err)
    if counts != [str(len(ids))]:
        fail(f"{exe}: could not read the prompt's token ids (logged counts {counts}, parsed {len(ids)})")
    decodes = re.findall(r"batch_decode: n_tokens = (\d+), n_seq = (\d+)", err)
    if decodes != [(str(len(ids)), "1")]:
        fail(f"{exe}: expected one decode of one sequence, log says {decodes}")
    arrays = [line for line in out.splitlines() if line.startswith("[[")]
    if len(arrays) != 1:
        fail(f"{exe}: expected one embedding array on stdout, found {len(arrays)}")
    emb = np.asarray(json.loads(arrays[0]), dtype=np.float64)
    if emb.shape != (1, N_EMBD) or not np.all(np.isfinite(emb)):
        fail(f"{exe}: embedding shape {emb.shape} or non-finite values")
    return ids, emb[0].astype(np.float32), err


def log_value(err: str, pattern: str) -> str | None:
    m = re.search(pattern, err, re.M)
    return m.group(1).strip() if m else None


def probe_build(exe: Path, gguf_path: Path, workdir: Path, cache: Path) -> dict:
    """Build facts from one verbose run: system_info, flash attention, KV cache types, BUILD_INFO."""
    _, _, err = run_llama(exe, gguf_path, "Good morning, world", workdir, ["-lv", "5"])
    info_file = exe.parent / "BUILD_INFO"
    build_info = info_file.read_text().strip().splitlines() if info_file.is_file() else []
    return {
        "binary": "<cache>/" + exe.relative_to(cache).as_posix(),
        "build_info": build_info,
        "system_info": log_value(err, r"system_info: (.*)$"),
        "flash_attn_setting": log_value(err, r"llama_context: flash_attn\s*=\s*(\S+)"),
        "flash_attn_ext_in_graph": "(FLASH_ATTN_EXT)" in err,
        "kv_cache": log_value(err, r"llama_kv_cache: size = (.*)$"),
        "n_ctx": log_value(err, r"llama_context: n_ctx\s*=\s*(\d+)"),
        "n_ubatch": log_value(err, r"llama_context: n_ubatch\s*=\s*(\d+)"),
    }


# ---------------------------------------------------------------- summary and output


def cosine(a, b) -> float:
    import numpy as np
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


PAIRS = [("torch_vs_native", "torch", "llama_cpp_native"), ("torch_vs_avx2", "torch", "llama_cpp_avx2"),
         ("native_vs_avx2", "llama_cpp_native", "llama_cpp_avx2")]


def summarise(tensors: dict, suffix: str) -> dict:
    out = {}
    for key, a, b in PAIRS:
        per = [cosine(x, y) for x, y in zip(tensors[a + suffix], tensors[b + suffix])]
        out[key] = {"min": min(per), "median": statistics.median(per), "per_prompt": per}
    return out


def compact_json(value, indent: int = 0) -> str:
    """JSON with objects indented and lists of scalars on one line."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {compact_json(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
        items = [f"{pad}  {compact_json(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def print_summary(counts: list[int], summary: dict) -> None:
    for label, key in (("with BOS (transformers ids)", "with_bos"), ("no BOS (GGUF / llama.cpp ids)", "no_bos")):
        s = summary[key]
        print(f"\ncosine, {label}:")
        print(f"{'#':>3} {'tokens':>6} {'torch~native':>13} {'torch~avx2':>13} {'native~avx2':>13}")
        for i, n in enumerate(counts):
            n_here = n if key == "with_bos" else n - 1
            row = [s[k]["per_prompt"][i] for k, _, _ in PAIRS]
            print(f"{i:>3} {n_here:>6} " + " ".join(f"{c:>13.9f}" for c in row))
        for stat in ("min", "median"):
            print(f"{stat:>10} " + " ".join(f"{s[k][stat]:>13.9f}" for k, _, _ in PAIRS))


def main() -> None:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description="Reference last-token embeddings of SmolLM2-135M-Instruct Q4_1.")
    ap.add_argument("-o", "--out", type=Path, default=repo / "Fixtures" / "real", help="output directory")
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("VLMEMBED_CACHE", Path.home() / ".cache" / "vlmembed")))
    args = ap.parse_args()

    cache = args.cache.expanduser().resolve()
    gguf_path, bins = check_inputs(cache)
    reexec_in_tools_venv(cache)
    versions = check_versions()
    for i, p in enumerate(PROMPTS):
        if SEPARATOR in p or p.endswith("\n") or "<|" in p:
            fail(f"prompt {i}: contains the separator, a special-token marker or a trailing newline")

    import numpy as np
    import torch
    import transformers
    from safetensors.numpy import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)

    # -- tokenization (transformers)
    tok = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    bos_id, bos_text = tok.bos_token_id, tok.bos_token
    ids_bos = [tok(p).input_ids for p in PROMPTS]
    ids_plain = [tok(p, add_special_tokens=False).input_ids for p in PROMPTS]
    for i, (a, b) in enumerate(zip(ids_bos, ids_plain)):
        if a != [bos_id] + b:
            fail(f"prompt {i}: tokenizer(text) is not [BOS] + tokenizer(text, add_special_tokens=False)")
    counts = [len(x) for x in ids_bos]
    print(f"{PROG}: token counts (with BOS): {counts}", flush=True)

    # -- model + weights check
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name,
                                                 torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    if model.config._attn_implementation != "eager" or next(model.parameters()).dtype != torch.float32:
        fail("model is not float32 with eager attention")
    weights = check_weights(gguf_path, model)
    print(f"{PROG}: weights: {weights['tensors']} tensors equal to gguf-py's dequantization "
          f"(attn_q/attn_k un-permuted: {weights['attn_q_k_unpermuted_by_transformers']})", flush=True)

    # -- torch embeddings
    tensors: dict[str, np.ndarray] = {}
    tensors["torch"], norms_bos = torch_embeddings(model, ids_bos)
    tensors["torch_no_bos"], norms_plain = torch_embeddings(model, ids_plain)
    again, _ = torch_embeddings(model, [ids_bos[0], ids_bos[-1]])
    torch_repeatable = bool(np.array_equal(again, tensors["torch"][[0, -1]]))
    if not torch_repeatable:
        fail("torch embeddings differ between two runs")
    print(f"{PROG}: torch done", flush=True)

    # -- llama.cpp embeddings
    builds = {}
    with tempfile.TemporaryDirectory(prefix="smollm2-ref-") as tmp:
        work = Path(tmp)
        for variant, exe in bins.items():
            builds[variant] = probe_build(exe, gguf_path, work, cache)
            for suffix, prefix, ids_list in (("", bos_text, ids_bos), ("_no_bos", "", ids_plain)):
                rows = []
                for i, (p, want) in enumerate(zip(PROMPTS, ids_list)):
                    got, emb, _ = run_llama(exe, gguf_path, prefix + p, work)
                    if got != want:
                        first = next((k for k, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
                        fail(f"{variant}: prompt {i}{suffix}: llama.cpp ids differ from transformers' at position "
                             f"{first} ({len(got)} vs {len(want)} tokens)")
                    rows.append(emb)
                tensors[f"llama_cpp_{variant}{suffix}"] = np.stack(rows)
                print(f"{PROG}: llama.cpp {variant}{suffix or ' with BOS'} done", flush=True)
            _, emb_again, _ = run_llama(exe, gguf_path, bos_text + PROMPTS[-1], work)
            same = np.array_equal(emb_again, tensors[f"llama_cpp_{variant}"][-1])
            builds[variant]["repeat_run_identical"] = bool(same)
            builds[variant]["args"] = [*LLAMA_FLAGS, "-f", "<prompt file>", "--embd-separator", SEPARATOR,
                                       "--embd-output-format", "array", "--verbose-prompt"]

    summary = {"with_bos": summarise(tensors, ""), "no_bos": summarise(tensors, "_no_bos")}
    native_is_avx2 = {suffix or "with_bos": bool(np.array_equal(tensors["llama_cpp_native" + suffix],
                                                                tensors["llama_cpp_avx2" + suffix]))
                      for suffix in ("", "_no_bos")}
    native_is_avx2["no_bos"] = native_is_avx2.pop("_no_bos")

    # -- outputs
    args.out.mkdir(parents=True, exist_ok=True)
    order = ["torch", "llama_cpp_native", "llama_cpp_avx2", "torch_no_bos", "llama_cpp_native_no_bos",
             "llama_cpp_avx2_no_bos"]
    st_path = args.out / "smollm2_embeddings.safetensors"
    save_file({k: np.ascontiguousarray(tensors[k], dtype=np.float32) for k in order}, str(st_path),
              # one metadata key: safetensors writes several in a random order (not reproducible bytes)
              metadata={"description": f"Tools/make_smollm2_reference.py; {GGUF_NAME} sha256 {GGUF_SHA256}; "
                                       "rows = prompts of smollm2_embeddings.json; float32 [30, 576]"})
    st_path.chmod(0o644)  # safetensors writes 0600
    doc = {
        "generator": "Tools/make_smollm2_reference.py",
        "versions": {**versions, "llama_cpp": LLAMA_CPP_VERSION},
        "gguf": {"file": GGUF_NAME, "sha256": GGUF_SHA256, "size": gguf_path.stat().st_size},
        "machine": {"lscpu_model_name": cpu_model(), "cpu_simd_flags": cpu_simd_flags()},
        "recipe": "hidden state after the final RMSNorm (model.norm / llama.cpp result_norm) at the last prompt "
                  "token, L2-normalised; no chat template, no instruction added beyond the prompt text",
        "tensors": {"file": st_path.name, "dtype": "float32", "shape": [len(PROMPTS), N_EMBD], "names": order,
                    "with_bos": "torch, llama_cpp_native, llama_cpp_avx2: ids = prompts[i].ids",
                    "no_bos": "*_no_bos: ids = prompts[i].ids[1:]",
                    "llama_cpp_precision": "llama-embedding prints %1.7f: values rounded to 1e-7"},
        "tokenization": {
            "transformers_tokenizer": type(tok).__name__,
            "transformers_default_add_special_tokens": True,
            "transformers_adds_bos": True,
            "transformers_adds_eos": False,
            "bos_token": bos_text, "bos_id": bos_id,
            "gguf_tokenizer_ggml_add_bos_token": False,
            "llama_cpp_adds_bos": False,
            "llama_cpp_with_bos_input": f"'{bos_text}' + text (parsed as the special token)",
            "ids_checked": "transformers == llama.cpp (native and avx2) for every prompt, with and without BOS; "
                           "no-BOS ids == ids[1:] == tokenizer(text, add_special_tokens=False)",
            "llama_cpp_no_escape": "--no-escape is required: llama-embedding otherwise turns a literal \\n "
                                   "in the text into a newline",
        },
        "torch": {"dtype": "float32", "attn_implementation": "eager", "threads": 1,
                  "deterministic_algorithms": True, "call": "model.model(input_ids).last_hidden_state[0, -1]",
                  "last_hidden_state_is_final_norm_output": True, "repeat_run_identical": torch_repeatable},
        "weights_check": weights,
        "llama_cpp": builds,
        "prompts": [
            {"index": i, "text": p, "n_tokens": len(ids_bos[i]), "n_tokens_no_bos": len(ids_plain[i]),
             "ids": ids_bos[i], "torch_hidden_norm": norms_bos[i], "torch_hidden_norm_no_bos": norms_plain[i],
             "cosine": {key: summary["with_bos"][key]["per_prompt"][i] for key, _, _ in PAIRS},
             "cosine_no_bos": {key: summary["no_bos"][key]["per_prompt"][i] for key, _, _ in PAIRS}}
            for i, p in enumerate(PROMPTS)
        ],
        "summary": {k: {**{key: {"min": v[key]["min"], "median": v[key]["median"]} for key, _, _ in PAIRS},
                        "native_equals_avx2_bitwise": native_is_avx2[k]}
                    for k, v in summary.items()},
    }
    json_path = args.out / "smollm2_embeddings.json"
    json_path.write_text(compact_json(doc) + "\n", encoding="utf-8")
    print_summary(counts, summary)
    print(f"native == avx2 bit for bit: {native_is_avx2}")
    print(f"\n{PROG}: wrote {st_path} and {json_path}")


if __name__ == "__main__":
    main()
