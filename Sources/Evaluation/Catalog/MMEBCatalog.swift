/// The 36 MMEB-eval datasets (VLM2Vec paper Tables 1, 6–10; spec `vlm2vec.md` §5–6): meta-task,
/// IND/OOD split, the query instruction and target side as the MMEB data writes them (`<|image_1|>\n`
/// before an instruction whose input carries an image, `{…}` for the per-sample text), and the
/// published P@1 of VLM2Vec LLaVA-1.6 LoRA at 1344² (the 62.9-overall model).
///
/// Names are the `TIGER-Lab/MMEB-eval` config names, which are also the JSON-lines file names.
public enum MMEBCatalog {
    static let img = "<|image_1|>\n"
    static let vqa = img + "Represent the given image with the following question: {question}"
    static let represent = img + "Represent the given image."
    static let cropped = img + "Represent the given cropped image of the object"

    /// All 36, in the paper's table order.
    public static let datasets: [DatasetInfo] = [
        // Classification: 5 IND + 5 OOD.
        DatasetInfo(name: "ImageNet-1K", metaTask: .classification, split: .ind,
                    queryInstruction: img + "Represent the given image for classification", targetSide: "class name", publishedPrecisionAt1: 74.5),
        DatasetInfo(name: "N24News", metaTask: .classification, split: .ind,
                    queryInstruction: img + "Represent the given news image with the following caption for domain classification: {caption}",
                    targetSide: "domain label", publishedPrecisionAt1: 80.3),
        DatasetInfo(name: "HatefulMemes", metaTask: .classification, split: .ind,
                    queryInstruction: img + "Represent the given image for binary classification to determine whether it constitutes hateful speech or not",
                    targetSide: "Yes / No", publishedPrecisionAt1: 67.9),
        DatasetInfo(name: "VOC2007", metaTask: .classification, split: .ind,
                    queryInstruction: img + "Identify the object shown in the image", targetSide: "class name", publishedPrecisionAt1: 91.5),
        DatasetInfo(name: "SUN397", metaTask: .classification, split: .ind,
                    queryInstruction: img + "Identify the scene shown in the image", targetSide: "class name", publishedPrecisionAt1: 75.8),
        DatasetInfo(name: "Place365", metaTask: .classification, split: .ood,
                    queryInstruction: img + "Identify the scene shown in the image", targetSide: "class name", publishedPrecisionAt1: 44.0),
        DatasetInfo(name: "ImageNet-A", metaTask: .classification, split: .ood,
                    queryInstruction: img + "Represent the given image for classification", targetSide: "class name", publishedPrecisionAt1: 43.6),
        DatasetInfo(name: "ImageNet-R", metaTask: .classification, split: .ood,
                    queryInstruction: img + "Represent the given image for classification", targetSide: "class name", publishedPrecisionAt1: 79.8),
        DatasetInfo(name: "ObjectNet", metaTask: .classification, split: .ood,
                    queryInstruction: img + "Identify the object shown in the image", targetSide: "class name", publishedPrecisionAt1: 39.6),
        DatasetInfo(name: "Country211", metaTask: .classification, split: .ood,
                    queryInstruction: img + "Identify the country depicted in the image", targetSide: "country name", publishedPrecisionAt1: 14.7),
        // VQA: 6 IND + 4 OOD.
        DatasetInfo(name: "OK-VQA", metaTask: .vqa, split: .ind, queryInstruction: vqa, targetSide: "answer", publishedPrecisionAt1: 69.0),
        DatasetInfo(name: "A-OKVQA", metaTask: .vqa, split: .ind, queryInstruction: vqa, targetSide: "answer", publishedPrecisionAt1: 54.4),
        DatasetInfo(name: "DocVQA", metaTask: .vqa, split: .ind, queryInstruction: vqa, targetSide: "answer", publishedPrecisionAt1: 52.0),
        DatasetInfo(name: "InfographicsVQA", metaTask: .vqa, split: .ind, queryInstruction: vqa, targetSide: "answer", publishedPrecisionAt1: 30.7),
        DatasetInfo(name: "ChartQA", metaTask: .vqa, split: .ind, queryInstruction: vqa, targetSide: "answer", publishedPrecisionAt1: 34.8),
        DatasetInfo(name: "Visual7W", metaTask: .vqa, split: .ind, queryInstruction: vqa, targetSide: "answer", publishedPrecisionAt1: 49.8),
        DatasetInfo(name: "ScienceQA", metaTask: .vqa, split: .ood, queryInstruction: vqa, targetSide: "answer", publishedPrecisionAt1: 42.1),
        DatasetInfo(name: "VizWiz", metaTask: .vqa, split: .ood, queryInstruction: vqa, targetSide: "answer", publishedPrecisionAt1: 43.0),
        DatasetInfo(name: "GQA", metaTask: .vqa, split: .ood, queryInstruction: vqa, targetSide: "full-sentence answer", publishedPrecisionAt1: 61.2),
        DatasetInfo(name: "TextVQA", metaTask: .vqa, split: .ood, queryInstruction: vqa, targetSide: "answer", publishedPrecisionAt1: 62.0),
        // Retrieval: 8 IND + 4 OOD.
        DatasetInfo(name: "VisDial", metaTask: .retrieval, split: .ind,
                    queryInstruction: "Represent the given dialogue about an image, which is used for image retrieval: {dialogue}",
                    targetSide: represent, publishedPrecisionAt1: 80.9),
        DatasetInfo(name: "CIRR", metaTask: .retrieval, split: .ind,
                    queryInstruction: img + "Given an image, find a similar everyday image with the described changes: {modification}",
                    targetSide: represent, publishedPrecisionAt1: 49.9),
        DatasetInfo(name: "VisualNews_t2i", metaTask: .retrieval, split: .ind,
                    queryInstruction: "Retrieve an image of this news caption. {caption}", targetSide: represent, publishedPrecisionAt1: 75.4),
        DatasetInfo(name: "VisualNews_i2t", metaTask: .retrieval, split: .ind,
                    queryInstruction: img + "Find a caption for the news in the given photo.", targetSide: "caption", publishedPrecisionAt1: 80.0),
        DatasetInfo(name: "MSCOCO_t2i", metaTask: .retrieval, split: .ind,
                    queryInstruction: "Find me an everyday image that matches the given caption: {caption}", targetSide: represent, publishedPrecisionAt1: 75.7),
        DatasetInfo(name: "MSCOCO_i2t", metaTask: .retrieval, split: .ind,
                    queryInstruction: img + "Find an image caption describing the given everyday image.", targetSide: "caption", publishedPrecisionAt1: 73.1),
        DatasetInfo(name: "NIGHTS", metaTask: .retrieval, split: .ind,
                    queryInstruction: img + "Find a day-to-day image that looks similar to the provided image.", targetSide: represent, publishedPrecisionAt1: 65.5),
        DatasetInfo(name: "WebQA", metaTask: .retrieval, split: .ind,
                    queryInstruction: "<|image_1|>\nFind a Wikipedia image that answers this question: {question} (marker without an image)",
                    targetSide: img + "Represent the given Wikipedia image with related text information: {text}", publishedPrecisionAt1: 87.6),
        DatasetInfo(name: "FashionIQ", metaTask: .retrieval, split: .ood,
                    queryInstruction: img + "Find an image to match the fashion image and style note: {note}", targetSide: represent, publishedPrecisionAt1: 16.2),
        DatasetInfo(name: "Wiki-SS-NQ", metaTask: .retrieval, split: .ood,
                    queryInstruction: "Find the document image that can answer the given query: {query}", targetSide: represent, publishedPrecisionAt1: 60.2),
        DatasetInfo(name: "OVEN", metaTask: .retrieval, split: .ood,
                    queryInstruction: img + "Retrieve a Wikipedia image-description pair that provides evidence for the question of this image: {question}",
                    targetSide: img + "Represent the given Wikipedia image with related text information: {title and summary}", publishedPrecisionAt1: 56.5),
        DatasetInfo(name: "EDIS", metaTask: .retrieval, split: .ood,
                    queryInstruction: "<|image_1|>\nFind a news image that matches the provided caption: {caption} (marker without an image)",
                    targetSide: img + "Represent the given image with related text information: {headline}", publishedPrecisionAt1: 87.8),
        // Visual grounding: 1 IND + 3 OOD.
        DatasetInfo(name: "MSCOCO", metaTask: .grounding, split: .ind,
                    queryInstruction: img + "Select the portion of the image that isolates the object labeled as \"{label}\"",
                    targetSide: cropped, publishedPrecisionAt1: 80.6),
        DatasetInfo(name: "RefCOCO", metaTask: .grounding, split: .ood,
                    queryInstruction: img + "Select the portion of the image that follows the language expressions. {expression}",
                    targetSide: cropped, publishedPrecisionAt1: 88.7),
        DatasetInfo(name: "RefCOCO-Matching", metaTask: .grounding, split: .ood,
                    queryInstruction: img + "Select the portion of the image that follows the language expressions: {expression}",
                    targetSide: img + "Select the portion of the image that follows the language expressions: {expression} (cropped image)",
                    publishedPrecisionAt1: 84.0),
        DatasetInfo(name: "Visual7W-Pointing", metaTask: .grounding, split: .ood,
                    queryInstruction: img + "Select the portion of the image that answers the question \"{question}\"",
                    targetSide: cropped, publishedPrecisionAt1: 90.9),
    ]

    /// The entry named `name` (MMEB-eval config name), if it is one of the 36.
    public static func info(named name: String) -> DatasetInfo? {
        datasets.first { $0.name == name }
    }
}
