// GGUFError: everything that can be wrong with a GGUF file, each naming what and where.

public struct GGUFError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case cannotOpen, notAFile, empty, badMagic, unsupportedVersion, truncated
        case badValue, badTensor, unsupportedType, missingKey, mismatch
    }
    public let kind: Kind
    public let path: String
    /// What is wrong, in words a user can act on.
    public let detail: String
    /// Byte offset in the file where the problem was found, when it has one.
    public let offset: Int?

    public init(_ kind: Kind, path: String, _ detail: String, offset: Int? = nil) {
        self.kind = kind
        self.path = path
        self.detail = detail
        self.offset = offset
    }

    public var description: String {
        if let offset { return "\(path): \(detail) (at byte \(offset))" }
        return "\(path): \(detail)"
    }
}
