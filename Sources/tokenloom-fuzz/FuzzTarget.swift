// FuzzTarget: what one fuzz input goes through — the GGUF reader, then each loader the parsed file
// might reach. Returns a short outcome label ("ok", or the error kind) for the summary.
import TokenloomModels

enum FuzzTarget {
    static func run(_ bytes: [UInt8]) -> String {
        let file: GGUFFile
        do { file = try GGUFFile(bytes: bytes, path: "fuzz.gguf") }
        catch let e as GGUFError { return "reader: \(e.kind)" }
        catch { return "reader: other error" }
        // Touch every tensor's bytes: the reader promised they lie inside the file.
        var sum: UInt64 = 0
        for t in file.tensors {
            let raw = file.bytes(of: t)
            if let first = raw.first, let last = raw.last { sum &+= UInt64(first) &+ UInt64(last) }
        }
        _ = sum
        return FuzzLoaders.load(file)
    }
}
