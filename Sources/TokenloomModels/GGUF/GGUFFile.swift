// GGUFFile: a memory-mapped GGUF (v2/v3) model file: its metadata, tensor directory and tensor bytes.
//
// Layout (all little-endian):
//   "GGUF" u32 version  u64 n_tensors  u64 n_kv
//   n_kv x    { string key, u32 value_type, value }
//   n_tensors { string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset }
//   padding to general.alignment (default 32), then the tensor data; offsets are relative to it.
// Every count, length, offset and extent is checked against the file size before it is used, so a
// malformed file gives a GGUFError that names what and where, never a crash or a read past the end.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TokenloomKernels

public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml order: dims[0] is the innermost (contiguous) dimension; a weight of shape [out, in]
    /// has dims == [in, out].
    public let dims: [Int]
    public let type: GGMLType
    /// Absolute byte offset of the tensor's data in the file.
    public let fileOffset: Int
    public let byteCount: Int

    public var elementCount: Int { dims.reduce(1, *) }
}

/// Owns the bytes a GGUFFile reads: either an mmap of the file or a heap copy (tests, fuzzing).
final class GGUFStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    private let isMapped: Bool

    init(mapping pointer: UnsafeRawPointer, count: Int) {
        base = pointer; self.count = count; isMapped = true
    }

    init(copying bytes: [UInt8]) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { if let src = $0.baseAddress { p.copyMemory(from: src, byteCount: bytes.count) } }
        base = UnsafeRawPointer(p); count = bytes.count; isMapped = false
    }

    deinit {
        if isMapped { munmap(UnsafeMutableRawPointer(mutating: base), count) }
        else { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }
}

public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: Int
    public let alignment: Int
    /// Metadata in file order, and by key.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    public let tensorsByName: [String: GGUFTensorInfo]
    /// Absolute offset where tensor data begins.
    public let dataOffset: Int
    let storage: GGUFStorage

    /// Opens and validates `path`. Throws GGUFError for anything missing or malformed.
    public convenience init(path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw GGUFError(.cannotOpen, path: path, "cannot open model file: no such file")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            let kind: String
            switch st.st_mode & S_IFMT {
            case S_IFDIR: kind = "a directory"
            case S_IFCHR, S_IFBLK: kind = "a device"
            case S_IFIFO: kind = "a FIFO"
            case S_IFSOCK: kind = "a socket"
            default: kind = "something else"
            }
            throw GGUFError(.notAFile, path: path, "cannot open model file: not a regular file (it is \(kind))")
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw GGUFError(.cannotOpen, path: path, "cannot open model file: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let size = Int(st.st_size)
        guard size > 0 else { throw GGUFError(.empty, path: path, "file is empty") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw GGUFError(.cannotOpen, path: path, "cannot map file: \(String(cString: strerror(errno)))")
        }
        try self.init(storage: GGUFStorage(mapping: UnsafeRawPointer(p), count: size), path: path)
    }

    /// Parses an in-memory image of a GGUF file (tests and the fuzzing harness).
    public convenience init(bytes: [UInt8], path: String = "<memory>") throws {
        guard !bytes.isEmpty else { throw GGUFError(.empty, path: path, "file is empty") }
        try self.init(storage: GGUFStorage(copying: bytes), path: path)
    }

    init(storage: GGUFStorage, path: String) throws {
        self.storage = storage
        self.path = path
        var r = GGUFCursor(base: storage.base, count: storage.count, path: path)

        let magic = try r.u32("magic")
        guard magic == 0x4655_4747 else {  // "GGUF" read little-endian
            throw GGUFError(.badMagic, path: path, "not a GGUF file (wrong magic)", offset: 0)
        }
        let version = Int(try r.u32("version"))
        guard version == 2 || version == 3 else {
            throw GGUFError(.unsupportedVersion, path: path,
                            "unsupported GGUF version \(version) (2 and 3 are supported)", offset: 4)
        }
        self.version = version
        let nTensors = try r.count("tensor count", minBytesEach: 4 + 8 + 4 + 4 + 8)
        let nKV = try r.count("metadata count", minBytesEach: 8 + 4 + 1)

        var keys: [String] = []
        var meta: [String: GGUFValue] = [:]
        keys.reserveCapacity(nKV)
        for i in 0..<nKV {
            let keyAt = r.offset
            let key = try r.string("key of metadata entry \(i)")
            let type = try r.u32("type of '\(key)'")
            let value = try r.value(type: type, what: "'\(key)'", depth: 0)
            if meta[key] != nil {
                throw GGUFError(.badValue, path: path, "duplicate metadata key '\(key)'", offset: keyAt)
            }
            keys.append(key)
            meta[key] = value
        }
        metadataKeys = keys
        metadata = meta

        var align = 32
        if let a = meta["general.alignment"] {
            guard let v = a.int, v > 0, v & (v - 1) == 0, v <= 1 << 20 else {
                throw GGUFError(.badValue, path: path, "general.alignment must be a power of two, got \(a.summary)")
            }
            align = v
        }
        alignment = align

        struct Raw { let name: String; let dims: [Int]; let type: GGMLType; let rel: Int; let at: Int }
        var raws: [Raw] = []
        raws.reserveCapacity(nTensors)
        for i in 0..<nTensors {
            let at = r.offset
            let name = try r.string("name of tensor \(i)")
            let nDims = Int(try r.u32("dimension count of tensor '\(name)'"))
            guard (1...4).contains(nDims) else {
                throw GGUFError(.badTensor, path: path, "tensor '\(name)' has \(nDims) dimensions (1 to 4 allowed)", offset: at)
            }
            var dims: [Int] = []
            var elements = 1
            for d in 0..<nDims {
                let v = try r.u64("dimension \(d) of tensor '\(name)'")
                guard v > 0, v <= UInt64(Int32.max) else {
                    throw GGUFError(.badTensor, path: path, "tensor '\(name)' has absurd dimension \(v)", offset: at)
                }
                let (p, o) = elements.multipliedReportingOverflow(by: Int(v))
                guard !o, p <= storage.count * 8 else {
                    throw GGUFError(.badTensor, path: path, "tensor '\(name)' is larger than the file could hold", offset: at)
                }
                elements = p
                dims.append(Int(v))
            }
            let rawType = try r.u32("type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                if let known = GGMLType.unreadableTypeName(rawValue: rawType) {
                    throw GGUFError(.unsupportedType, path: path, "tensor '\(name)' is \(known) (GGML type \(rawType)), which "
                                    + "tokenloom cannot read; a Q4_K_M, Q5_K_M, Q6_K or Q8_0 file of the same model loads", offset: at)
                }
                throw GGUFError(.unsupportedType, path: path, "tensor '\(name)' has unknown tensor type \(rawType)", offset: at)
            }
            guard dims[0] % type.blockSize == 0 else {
                throw GGUFError(.badTensor, path: path,
                                "tensor '\(name)' row of \(dims[0]) is not a multiple of \(type.name)'s block of \(type.blockSize)", offset: at)
            }
            let rel = try r.u64("offset of tensor '\(name)'")
            guard rel <= UInt64(storage.count) else {
                throw GGUFError(.badTensor, path: path, "tensor '\(name)' offset \(rel) is past the end of the file", offset: at)
            }
            guard Int(rel) % align == 0 else {
                throw GGUFError(.badTensor, path: path, "tensor '\(name)' offset \(rel) is not aligned to \(align)", offset: at)
            }
            raws.append(Raw(name: name, dims: dims, type: type, rel: Int(rel), at: at))
        }

        let dataStart = (r.offset + align - 1) / align * align
        dataOffset = dataStart
        var list: [GGUFTensorInfo] = []
        var byName: [String: GGUFTensorInfo] = [:]
        for t in raws {
            guard let bytes = t.type.byteCount(elements: t.dims.reduce(1, *)) else {
                throw GGUFError(.badTensor, path: path, "tensor '\(t.name)' size overflows", offset: t.at)
            }
            let start = dataStart + t.rel
            guard start <= storage.count, bytes <= storage.count - start else {
                throw GGUFError(.truncated, path: path,
                                "tensor '\(t.name)' data (\(bytes) bytes at \(start)) runs past the end of the file (\(storage.count) bytes): truncated tensor data",
                                offset: t.at)
            }
            guard byName[t.name] == nil else {
                throw GGUFError(.badTensor, path: path, "duplicate tensor name '\(t.name)'", offset: t.at)
            }
            let info = GGUFTensorInfo(name: t.name, dims: t.dims, type: t.type, fileOffset: start, byteCount: bytes)
            list.append(info)
            byName[t.name] = info
        }
        tensors = list
        tensorsByName = byName
    }

    /// The raw bytes of a tensor, valid as long as this file object lives.
    public func bytes(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base + tensor.fileOffset, count: tensor.byteCount)
    }

    /// Looks up a tensor by name, throwing a GGUFError naming it when absent.
    public func tensor(_ name: String) throws -> GGUFTensorInfo {
        guard let t = tensorsByName[name] else {
            throw GGUFError(.missingKey, path: path, "missing tensor '\(name)'")
        }
        return t
    }

    /// Metadata accessors that throw a GGUFError naming the key when it is absent or of the wrong kind.
    /// An optional integer key: nil when absent, an error when present with another type.
    public func optionalInt(_ key: String) throws -> Int? {
        guard metadata[key] != nil else { return nil }
        return try requireInt(key)
    }

    /// An optional number key: nil when absent, an error when present with another type.
    public func optionalFloat(_ key: String) throws -> Float? {
        guard metadata[key] != nil else { return nil }
        return try requireFloat(key)
    }

    public func requireInt(_ key: String) throws -> Int {
        guard let v = metadata[key] else { throw GGUFError(.missingKey, path: path, "missing metadata key '\(key)'") }
        guard let i = v.int else { throw GGUFError(.badValue, path: path, "metadata '\(key)' should be an integer, got \(v.summary)") }
        return i
    }

    public func requireFloat(_ key: String) throws -> Float {
        guard let v = metadata[key] else { throw GGUFError(.missingKey, path: path, "missing metadata key '\(key)'") }
        guard let f = v.float else { throw GGUFError(.badValue, path: path, "metadata '\(key)' should be a number, got \(v.summary)") }
        return f
    }

    /// The model architecture (`general.architecture`), e.g. "llama".
    public var architecture: String? { metadata["general.architecture"]?.string }
}
