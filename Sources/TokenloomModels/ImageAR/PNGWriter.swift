// PNGWriter: encodes 8-bit RGB pixels as a PNG with zlib "stored" (uncompressed) deflate blocks,
// so no compression library is needed. Nearest-neighbour upscaling by an integer factor.

public enum PNGWriter {
    /// PNG bytes of an RGB image [height * width * 3], each pixel drawn as a scale x scale square.
    public static func encode(rgb: [UInt8], width: Int, height: Int, scale: Int = 1) -> [UInt8] {
        let s = max(1, scale), W = width * s, H = height * s
        var raw = [UInt8]()                                   // filter byte 0 + W*3 bytes per row
        raw.reserveCapacity(H * (W * 3 + 1))
        for y in 0..<H {
            raw.append(0)
            for x in 0..<W {
                let i = ((y / s) * width + x / s) * 3
                raw.append(rgb[i]); raw.append(rgb[i + 1]); raw.append(rgb[i + 2])
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = be32(W) + be32(H)
        ihdr += [8, 2, 0, 0, 0]                                // 8-bit, RGB, deflate, no filter, no interlace
        chunk("IHDR", ihdr, into: &png)
        chunk("IDAT", zlibStored(raw), into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, data.count - i)
            out.append(i + n == data.count ? 1 : 0)            // BFINAL, BTYPE = 00 (stored)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[i ..< i + n]
            i += n
        } while i < data.count
        return out + be32(Int(adler32(data)))
    }

    static func chunk(_ type: String, _ body: [UInt8], into png: inout [UInt8]) {
        let t = Array(type.utf8)
        png += be32(body.count) + t + body + be32(Int(crc32(t + body)))
    }

    static func be32(_ v: Int) -> [UInt8] {
        [UInt8((v >> 24) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for x in data { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        return (b << 16) | a
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFFFFFF
        for x in data { c = crcTable[Int((c ^ UInt32(x)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFFFFFF
    }
}
