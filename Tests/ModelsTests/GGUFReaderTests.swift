import Testing
@testable import TokenloomModels
import TokenloomKernels
import TokenloomTestSupport

@Suite struct GGUFReaderTests {
    func smallFile() -> [UInt8] {
        var w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add("llama.block_count", .uint32(2))
        w.add("tokenizer.ggml.tokens", .array([.string("a"), .string("b")]))
        w.addF32("w", dims: [4, 2], [1, 2, 3, 4, 5, 6, 7, 8])
        return w.encoded()
    }

    @Test func roundTripsMetadataAndTensors() throws {
        let f = try GGUFFile(bytes: smallFile())
        #expect(f.version == 3)
        #expect(f.architecture == "llama")
        #expect(try f.requireInt("llama.block_count") == 2)
        #expect(f.metadata["tokenizer.ggml.tokens"]?.stringArray == ["a", "b"])
        let t = try f.tensor("w")
        #expect(t.dims == [4, 2] && t.type == .f32 && t.byteCount == 32)
        let floats = f.bytes(of: t).bindMemory(to: Float.self)
        #expect(Array(floats) == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func rejectsWrongMagic() {
        var b = smallFile(); b[0] = UInt8(ascii: "X")
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: b) }
        do { _ = try GGUFFile(bytes: b) } catch let e as GGUFError { #expect(e.kind == .badMagic) } catch {}
    }

    /// A type llama.cpp writes but tokenloom cannot decode is named, so the user knows what to fetch instead.
    @Test func namesTheGGMLTypesItCannotRead() throws {
        // The tensor info of "w": name (u64 length, bytes), n_dims u32, dims u64 x 2, then the type u32.
        var marker: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "w"), 2, 0, 0, 0]
        marker += [4, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
        let file = smallFile()
        let at = try #require((0...(file.count - marker.count)).first { Array(file[$0..<($0 + marker.count)]) == marker }) + marker.count
        func message(rawType: UInt8) -> String {
            var b = file
            b.replaceSubrange(at..<(at + 4), with: [rawType, 0, 0, 0])
            do { _ = try GGUFFile(bytes: b); return "loaded" } catch let e as GGUFError {
                #expect(e.kind == .unsupportedType)
                return "\(e)"
            } catch { return "unexpected \(error)" }
        }
        #expect(message(rawType: 0) == "loaded")
        #expect(message(rawType: 23).contains("tensor 'w' is IQ4_XS (GGML type 23), which tokenloom cannot read"))
        #expect(message(rawType: 16).contains("is IQ2_XXS (GGML type 16)"))
        #expect(message(rawType: 200).contains("tensor 'w' has unknown tensor type 200"))
    }

    @Test func rejectsEveryTruncation() {
        let b = smallFile()
        for n in stride(from: 1, to: b.count, by: 1) {
            do { _ = try GGUFFile(bytes: Array(b.prefix(n))); Issue.record("prefix \(n) accepted") }
            catch let e as GGUFError { #expect(e.kind == .truncated || e.kind == .badValue || e.kind == .badTensor) }
            catch { Issue.record("unexpected error \(error)") }
        }
    }
}
