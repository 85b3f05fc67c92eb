// `tokenloom models`: the built-in and cached models with the facts their GGUF headers hold.
import ArgumentParser
import Foundation
import TokenloomModels

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models",
        abstract: "List the built-in and cached models.")
    @OptionGroup var output: OutputOptions

    struct Entry: Encodable {
        let name: String
        let path: String
        let bytes: Int
        let sha256: String
        let architecture: String?
        let parameters: Int?
        let tensorTypes: [String: Int]?
        let prompts: [String]?
        let error: String?
        enum CodingKeys: String, CodingKey {
            case name, path, bytes, sha256, architecture, parameters
            case tensorTypes = "tensor_types", prompts, error
        }
    }

    func run() throws {
        var refs: [(String, String)] = ModelStore.builtinNames.map { ("builtin:\($0)", ModelStore.builtinDirectory! + "/\($0).gguf") }
        for k in ModelStore.known where FileManager.default.fileExists(atPath: ModelStore.cachedPath(of: k)) {
            refs.append((k.name, ModelStore.cachedPath(of: k)))
        }
        let knownFiles = Set(ModelStore.known.map(\.fileName))
        let dir = ModelStore.modelDirectory
        for f in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        where f.hasSuffix(".gguf") && !knownFiles.contains(f) {
            refs.append((dir + "/" + f, dir + "/" + f))
        }
        let entries = refs.map { describe(name: $0.0, path: $0.1) }
        if output.json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try enc.encode(entries), as: UTF8.self))
            return
        }
        if entries.isEmpty {
            print("No models yet. Run `tokenloom fetch smollm2` to get SmolLM2-135M-Instruct.")
            print("Cache: \(dir)")
            return
        }
        // Names, paths and metadata come from files: escape their control characters.
        func show(_ s: String) -> String { s.escapingControlCharacters }
        for e in entries {
            print(show(e.name))
            print("  path        \(show(e.path))")
            print("  size        \(String(format: "%.1f MB", Double(e.bytes) / 1e6)) (\(e.bytes) bytes)")
            print("  sha256      \(e.sha256)")
            if let err = e.error { print("  error       \(show(err))"); continue }
            print("  arch        \(show(e.architecture ?? "?"))")
            if let p = e.parameters { print("  parameters  \(String(format: "%.1fM", Double(p) / 1e6))") }
            if let t = e.tensorTypes {
                print("  tensors     " + t.sorted { $0.value > $1.value }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))
            }
            if let p = e.prompts { print("  prompts     \(p.count) trained prompts, e.g. \(show(p.prefix(4).joined(separator: ", ")))") }
        }
    }

    private func describe(name: String, path: String) -> Entry {
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        let sha = (try? ModelStore.sha256(ofFile: path)) ?? ""
        do {
            let f = try GGUFFile(path: path)
            var types: [String: Int] = [:]
            for t in f.tensors { types[t.type.name, default: 0] += 1 }
            return Entry(name: name, path: path, bytes: bytes, sha256: sha, architecture: f.architecture,
                         parameters: f.tensors.reduce(0) { $0 + $1.elementCount }, tensorTypes: types,
                         prompts: f.metadata["tokenloom-image.prompts"]?.stringArray, error: nil)
        } catch {
            return Entry(name: name, path: path, bytes: bytes, sha256: sha, architecture: nil, parameters: nil,
                         tensorTypes: nil, prompts: nil, error: "\(error)")
        }
    }
}
