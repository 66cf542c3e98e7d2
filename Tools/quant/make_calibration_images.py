#!/usr/bin/env python3
"""Writes Fixtures/calibration/images/*.jpg: eight real images for the default calibration set,
none of them in Fixtures/eval_smoke or among the reference cases' images. Source: the data folder
of the scikit-image 0.25.2 wheel from PyPI (pinned by SHA-256 below; BSD-3 / public-domain images,
see skimage/data/README.txt), resized to at most 448 px on the long side, JPEG quality 85.

    pip download --no-deps scikit-image==0.25.2 -d DIR && python3 Tools/quant/make_calibration_images.py DIR/scikit_image-0.25.2-*.whl
"""
import hashlib, io, os, sys, zipfile
from PIL import Image

WHEEL_SHA256 = "24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641"
NAMES = ["color.png", "horse.png", "logo.png", "moon.png", "motorcycle_left.png", "page.png", "phantom.png", "chessboard_RGB.png"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures", "calibration", "images")


def main(wheel):
    digest = hashlib.sha256(open(wheel, "rb").read()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"{wheel}: sha256 {digest}, expected {WHEEL_SHA256}")
    os.makedirs(OUT, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for name in NAMES:
            im = Image.open(io.BytesIO(z.read("skimage/data/" + name))).convert("RGB")
            scale = 448 / max(im.size)
            if scale < 1:
                im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.BICUBIC)
            path = os.path.join(OUT, os.path.splitext(name)[0] + ".jpg")
            im.save(path, "JPEG", quality=85)
            print(f"{path}: {im.size[0]}x{im.size[1]}")


if __name__ == "__main__":
    main(sys.argv[1])
