/// The documented bounds on numbers read from model files, requests and flags (README "Limits").
/// Each is far above what real checkpoints use and low enough that nothing sized by it can exhaust
/// memory or overflow; a value past a bound is refused with a one-line error naming the file, the
/// field and the value.
public enum InputLimits {
    /// Decoder or vision layers (`num_hidden_layers`, GGUF `block_count`): the largest released
    /// models have under 200.
    public static let maxLayers = 1024
    /// Any width (hidden, intermediate, head count, head size, image size, patch size): 2²⁰, 20×
    /// the widest real layer; products of two widths stay far below 2⁶³.
    public static let maxWidth = 1 << 20
    /// Vocabulary entries and token ids (`vocab_size`, tokenizer ids, GGUF token count): 2²⁴.
    public static let maxVocabulary = 1 << 24
    /// Positions (`max_position_embeddings`, `context_length`): 2²⁴.
    public static let maxPositions = 1 << 24
    /// Added-token ids may lie past the base vocabulary by at most the number of added tokens plus
    /// this slack (padded embedding tables, e.g. Phi-3's 32064 rows over 32011 tokens).
    public static let addedTokenSlack = 1 << 16
    /// Phi-3-V HD crops per image (`num_crops`, `--crops`): upstream uses 4 or 16.
    public static let maxCrops = 64
    /// LLaVA-NeXT `image_grid_pinpoints` entries (upstream has 5).
    public static let maxPinpoints = 64
    /// 336-pixel tiles in one pinpoint (upstream's largest, 1008×336 or 672×672, has 4).
    public static let maxPinpointTiles = 64
    /// Either side of an image, in pixels: 65,535, JPEG's own limit. With the 64-megapixel cap it
    /// bounds the aspect ratio, and with it the resampling tables of the backbone's resize.
    public static let maxImageSide = 65_535
    /// How many times longer a tokenizer's normalizer chain may make a text (the product of its
    /// `Replace` steps' content/pattern length ratios): 64×. Llama's `" "` → `"▁"` is 3×; a chain
    /// of replaces that multiplies the text is refused when the tokenizer loads.
    public static let maxNormalizerGrowth = 64
    /// `--shard i/n` and the shard count of partial results: 65,536.
    public static let maxShards = 1 << 16
}
