// Tokenizing: what decoders and the CLI need from a tokenizer.

public protocol Tokenizing: Sendable {
    var vocabSize: Int { get }
    var bosID: Int? { get }
    var eosID: Int? { get }
    /// Token ids for `text`; BOS is prepended when `addSpecial` and the model asks for it.
    func encode(_ text: String, addSpecial: Bool) -> [Int]
    /// The text of a token sequence (invalid UTF-8 across token boundaries is repaired).
    func decode(_ ids: [Int]) -> String
    /// The raw bytes a single token stands for (may be a partial UTF-8 character).
    func bytes(of id: Int) -> [UInt8]
    /// Is this an end-of-generation token (EOS, EOT, <|im_end|>)?
    func isEndOfGeneration(_ id: Int) -> Bool
}
