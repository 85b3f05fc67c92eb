// ImageARWeights: the tensors and hyperparameters of a `tokenloom-image` GGUF (training/FORMAT.md),
// dequantised to F32 at load. The model is small (a few million weights), so plain arrays suffice.
import Foundation
import TokenloomKernels

/// One pre-norm transformer block (text encoder or image decoder). Matrices are [out, in] row-major.
public struct ImageBlock: Sendable {
    public var attnNorm: [Float]          // [d]
    public var wq: [Float] { didSet { packs = ImagePacks() } }               // [d, d]
    public var wk: [Float] { didSet { packs = ImagePacks() } }               // [d, d]
    public var wv: [Float] { didSet { packs = ImagePacks() } }               // [d, d]
    public var wo: [Float] { didSet { packs = ImagePacks() } }               // [d, d]
    public var ffnNorm: [Float]           // [d]
    public var wUp: [Float] { didSet { packs = ImagePacks() } }              // [ffn, d]
    public var wDown: [Float] { didSet { packs = ImagePacks() } }            // [d, ffn]
    /// The matrices packed for tl_gemm_f32, built on first use; assigning a matrix drops them.
    var packs = ImagePacks()
}

/// Packed copies (PackedF32Matrix) of some weight matrices, built once on first use (under a lock:
/// forwards may run on several threads). The owner replaces the whole set when a matrix changes.
final class ImagePacks: @unchecked Sendable {
    private let lock = NSLock()
    private var mats: [Int: PackedF32Matrix] = [:]

    /// The packing of `w` [rows, cols] in slot `slot` (one slot per matrix of the owner).
    func get(_ slot: Int, _ w: [Float], rows: Int, cols: Int) -> PackedF32Matrix {
        lock.lock(); defer { lock.unlock() }
        if let p = mats[slot], p.rows == rows, p.cols == cols { return p }
        let p = PackedF32Matrix(w, rows: rows, cols: cols)
        mats[slot] = p
        return p
    }
}

public struct ImageARHyperparameters: Sendable, Equatable {
    public var d: Int, heads: Int, ffn: Int
    public var decoderLayers: Int, encoderLayers: Int
    public var textLength: Int            // T: prompt token slots
    public var stabilisers: Int           // S
    public var grid: Int                  // image is grid x grid tokens
    public var colours: Int               // image vocabulary (palette size)
    public var levels: Int                // K: SJD2 noise levels
    public var eps: Float
    public var fused: Bool
    public var llmDim: Int                // 0 when not fused
    public var llmLayer: Int              // -1 when not fused
    public var headDim: Int { d / heads }
    public var imageTokens: Int { grid * grid }
}

public struct ImageARWeights: Sendable {
    /// `general.architecture` of a tokenloom image model.
    public static let architecture = "tokenloom-image"
    public var hp: ImageARHyperparameters
    public var textTokenEmbedding: [Float]    // [textVocab, d]; row 0 = unknown token
    public var textPosition: [Float]          // [T, d]
    public var encoder: [ImageBlock]
    public var textOutputNorm: [Float]        // [d]
    public var zThetaW: [Float], zThetaB: [Float]   // [d, d], [d]
    public var zBetaW: [Float], zBetaB: [Float]     // [d, llmDim], [d]  (fused only; else empty)
    public var llmScale: [Float]                    // [llmDim]         (fused only)
    public var instructionHidden: [Float]           // [S, llmDim]      (fused only)
    public var stabiliser: [Float]            // [S, d]
    public var condPosition: [Float]          // [T + S, d]
    public var imageTokenEmbedding: [Float]   // [colours, d]
    public var boi: [Float]                   // [d]
    public var rowEmbedding: [Float]          // [grid, d]
    public var colEmbedding: [Float]          // [grid, d]
    public var levelEmbedding: [Float]        // [K + 1, d]
    public var decoder: [ImageBlock]
    public var outputNorm: [Float]            // [d]
    public var output: [Float] { didSet { packs = ImagePacks() } }   // [colours, d]
    /// `output` packed for tl_gemm_f32 on first use.
    var packs = ImagePacks()
    public var mu: [Float], sd: [Float]       // [d] each: SJD2 embedding statistics
    public var palette: [Float]               // [colours, 3] RGB 0...255
    public var sigmas: [Float]                // [K + 1]; sigmas[0] = 0 (clean)
    /// SmolLM2 ids of the text vocabulary: local id i+1 stands for textVocab[i].
    public var textVocab: [Int]
    public var prompts: [String]
    /// The training image of each prompt as tokens: references[i] is [grid * grid], for retrieval checks.
    public var references: [[Int]]
    public var instructions: [String]

    public init(file: GGUFFile) throws {
        let path = file.path
        let a = "tokenloom-image."
        guard file.architecture == Self.architecture else {
            throw ModelError.unknownArchitecture(path: path, name: file.architecture ?? "(none)")
        }
        let fused = file.metadata[a + "fused"]?.bool ?? false
        hp = ImageARHyperparameters(
            d: try file.requireInt(a + "embedding_length"), heads: try file.requireInt(a + "head_count"),
            ffn: try file.requireInt(a + "feed_forward_length"),
            decoderLayers: try file.requireInt(a + "block_count"),
            encoderLayers: try file.requireInt(a + "encoder.block_count"),
            textLength: try file.requireInt(a + "text_length"), stabilisers: try file.requireInt(a + "stabiliser_count"),
            grid: try file.requireInt(a + "grid"), colours: try file.requireInt(a + "image_vocab"),
            levels: try file.requireInt(a + "levels"), eps: try file.requireFloat(a + "layer_norm_rms_epsilon"),
            fused: fused, llmDim: fused ? try file.requireInt(a + "llm.embedding_length") : 0,
            llmLayer: fused ? try file.requireInt(a + "llm.layer") : -1)
        let h = hp
        guard h.d > 0, h.heads > 0, h.d % h.heads == 0, h.grid > 0, h.colours > 0 else {
            throw ModelError.inconsistent(path: path, detail: "bad tokenloom-image hyperparameters \(h)")
        }
        // Counts that size loops and arrays before any tensor is read: refuse absurd ones up front.
        // Every size is bounded well above any real model, so no product of them can overflow.
        let size = 1...(1 << 16)
        guard (1...1024).contains(h.decoderLayers), (0...1024).contains(h.encoderLayers), size.contains(h.d),
              size.contains(h.heads), size.contains(h.ffn), (0...4096).contains(h.textLength), (0...4096).contains(h.stabilisers),
              (0...1000).contains(h.levels), (1...4096).contains(h.grid), size.contains(h.colours),
              !fused || size.contains(h.llmDim) else {
            throw ModelError.inconsistent(path: path, detail: "absurd tokenloom-image hyperparameters \(h)")
        }
        guard h.eps.isFinite, h.eps > 0, h.eps < 1 else {
            throw ModelError.inconsistent(path: path, detail: "absurd layer_norm_rms_epsilon \(h.eps) (want a number in (0, 1))")
        }
        func t(_ name: String, _ dims: [Int]) throws -> [Float] { try ImageARWeights.read(file, name, dims) }
        func block(_ p: String) throws -> ImageBlock {
            ImageBlock(attnNorm: try t(p + "attn_norm", [h.d]),
                       wq: try t(p + "attn_q", [h.d, h.d]), wk: try t(p + "attn_k", [h.d, h.d]),
                       wv: try t(p + "attn_v", [h.d, h.d]), wo: try t(p + "attn_output", [h.d, h.d]),
                       ffnNorm: try t(p + "ffn_norm", [h.d]),
                       wUp: try t(p + "ffn_up", [h.d, h.ffn]), wDown: try t(p + "ffn_down", [h.ffn, h.d]))
        }
        textVocab = file.metadata[a + "text_vocab"]?.intArray ?? []
        if Set(textVocab).count != textVocab.count {
            let dup = Dictionary(grouping: textVocab, by: { $0 }).first { $0.value.count > 1 }?.key ?? -1
            throw ModelError.inconsistent(path: path, detail: "text_vocab lists token \(dup) more than once")
        }
        textTokenEmbedding = try t("text.token_embd", [h.d, textVocab.count + 1])
        textPosition = try t("text.pos_embd", [h.d, h.textLength])
        encoder = try (0..<h.encoderLayers).map { try block("text.blk.\($0).") }
        textOutputNorm = try t("text.output_norm", [h.d])
        zThetaW = try t("fuser.z_theta.weight", [h.d, h.d]); zThetaB = try t("fuser.z_theta.bias", [h.d])
        if fused {
            zBetaW = try t("fuser.z_beta.weight", [h.llmDim, h.d]); zBetaB = try t("fuser.z_beta.bias", [h.d])
            llmScale = try t("fuser.scale", [h.llmDim])
            instructionHidden = try t("fuser.instr_hidden", [h.llmDim, h.stabilisers])
        } else {
            zBetaW = []; zBetaB = []; llmScale = []; instructionHidden = []
        }
        stabiliser = try t("fuser.stab", [h.d, h.stabilisers])
        condPosition = try t("cond.pos_embd", [h.d, h.textLength + h.stabilisers])
        imageTokenEmbedding = try t("img.token_embd", [h.d, h.colours])
        boi = try t("img.boi", [h.d])
        rowEmbedding = try t("img.row_embd", [h.d, h.grid])
        colEmbedding = try t("img.col_embd", [h.d, h.grid])
        levelEmbedding = try t("img.level_embd", [h.d, h.levels + 1])
        decoder = try (0..<h.decoderLayers).map { try block("dec.blk.\($0).") }
        outputNorm = try t("dec.output_norm", [h.d])
        output = try t("dec.output", [h.d, h.colours])
        mu = try t("img.mu", [h.d]); sd = try t("img.sd", [h.d])
        palette = try t("img.palette", [3, h.colours])
        sigmas = file.metadata[a + "sigmas"]?.floatArray ?? []
        guard sigmas.count == h.levels + 1 else {
            throw ModelError.inconsistent(path: path, detail: "\(sigmas.count) sigmas for \(h.levels) levels")
        }
        guard sigmas.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw ModelError.inconsistent(path: path, detail: "the sigmas must be finite and not negative, got \(sigmas.prefix(8))")
        }
        prompts = file.metadata[a + "prompts"]?.stringArray ?? []
        let refInfo = try file.tensor("img.references")
        guard refInfo.type == .i8, refInfo.dims == [h.imageTokens, prompts.count] else {
            throw ModelError.badShape(path: path, tensor: "img.references", expected: [h.imageTokens, prompts.count],
                                      found: refInfo.dims)
        }
        let refBytes = file.bytes(of: refInfo)
        references = (0..<prompts.count).map { i in
            (0..<h.imageTokens).map { Int(Int8(bitPattern: refBytes[i * h.imageTokens + $0])) }
        }
        instructions = file.metadata[a + "llm.instructions"]?.stringArray ?? []
    }

    /// A tensor as F32, checking its ggml dims (innermost first).
    static func read(_ file: GGUFFile, _ name: String, _ dims: [Int]) throws -> [Float] {
        let info = try file.tensor(name)
        guard info.dims == dims else {
            throw ModelError.badShape(path: file.path, tensor: name, expected: dims, found: info.dims)
        }
        let raw = file.bytes(of: info)
        let n = info.elementCount
        switch info.type {
        case .f32:
            return (0..<n).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        case .f16:
            return (0..<n).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        default:
            throw ModelError.unsupportedTensorType(path: file.path, tensor: name, type: info.type.name)
        }
    }
}
