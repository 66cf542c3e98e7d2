#!/usr/bin/env python3
"""Writes Fixtures/calibration/requests.jsonl: the default calibration set of `convert --method
importance` (72 requests in MMEB's instruction style: 40 text queries, 20 image queries with the
VLM2Vec prompts, 12 text+image). Images: Fixtures/calibration/images (see
make_calibration_images.py). Deterministic: no randomness, the same file every run."""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Fixtures", "calibration", "requests.jsonl")
# Tools/quant/make_calibration_images.py: real images from scikit-image's wheel, none of them in
# Fixtures/eval_smoke or among the reference cases' images (so the cosine tables are not measured
# on calibration data).
IMAGES = ["images/color.jpg", "images/horse.jpg", "images/logo.jpg", "images/moon.jpg", "images/motorcycle_left.jpg",
          "images/page.jpg", "images/phantom.jpg", "images/chessboard_RGB.jpg"]
CAPTIONS = ["A man riding a wave on top of a surfboard.", "Two dogs play with a frisbee in a grassy park.",
            "A plate of pasta with tomatoes and basil on a wooden table.", "A red double-decker bus drives down a busy street.",
            "A child flies a kite on a windy beach.", "An old clock tower stands in the middle of a square.",
            "A bowl of fruit with bananas, apples and oranges.", "A cyclist rides along a mountain road at sunset.",
            "Snow covers the roofs of a small village.", "A laptop, a cup of coffee and a notebook on a desk."]
NEWS = ["Officials announced new measures to reduce traffic congestion in the city centre on Monday.",
        "The championship final drew a record crowd as the home team won in extra time.",
        "Researchers unveiled a battery design that charges in under ten minutes.",
        "Floods forced thousands of residents to leave their homes after days of heavy rain.",
        "The museum reopened its modern art wing after a two-year renovation."]
QUESTIONS = ["What color is the vehicle?", "How many people are in the picture?", "What is the weather like?",
             "What sport is being played?", "Where was this photo taken?", "What is on the table?",
             "Is it day or night?", "What animal is shown?", "What is the person holding?", "What material is the wall made of?"]
WIKI = ["Who designed the bridge that crosses the harbour?", "When was the cathedral completed?",
        "What is the tallest mountain in the range?", "Which river flows through the capital?", "What year did the festival begin?"]
CLASSES = ["artichoke, globe artichoke", "golden retriever", "sports car", "lighthouse", "espresso"]


def main():
    rows = []
    # 40 text queries (T→I, T→T retrieval and classification targets).
    for c in CAPTIONS:
        rows.append({"text": f"Find me an everyday image that matches the given caption: {c}"})
        rows.append({"text": c})
    for n in NEWS:
        rows.append({"text": f"Retrieve an image of this news caption. {n}"})
        rows.append({"text": n})
    for q in WIKI:
        rows.append({"text": f"Find a Wikipedia image that answers this question: {q}"})
    for i, c in enumerate(CLASSES):
        rows.append({"text": f"Represent the given dialogue about an image, which is used for image retrieval: Q: {QUESTIONS[i]} A: {c}"})
    assert len(rows) == 40, len(rows)
    # 20 image queries and targets.
    image_prompts = ["Represent the given image.", "Represent the given image for classification",
                     "Find an image caption describing the given everyday image.", "Find a caption for the news in the given photo.",
                     "Find a day-to-day image that looks similar to the provided image."]
    for i in range(20):
        rows.append({"text": f"<|image_1|> {image_prompts[i % len(image_prompts)]}", "images": [IMAGES[i % len(IMAGES)]]})
    # 12 text+image queries.
    for i in range(12):
        img = IMAGES[(3 * i + 1) % len(IMAGES)]
        if i % 3 == 0:
            t = f"<|image_1|> Represent the given image with the following question: {QUESTIONS[i % len(QUESTIONS)]}"
        elif i % 3 == 1:
            t = f"<|image_1|> Given an image, find a similar everyday image with the described changes: make it {['brighter', 'smaller', 'black and white', 'at night'][i % 4]}"
        else:
            t = f"<|image_1|> Represent the given news image with the following caption for domain classification: {NEWS[i % len(NEWS)]}"
        rows.append({"text": t, "images": [img]})
    for i, r in enumerate(rows):
        r["id"] = f"cal{i:02d}"
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        for r in rows:
            f.write(json.dumps({"id": r["id"], **{k: v for k, v in r.items() if k != "id"}}) + "\n")
    print(f"wrote {len(rows)} requests to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
