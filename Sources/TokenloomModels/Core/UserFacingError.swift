// UserFacingError: the one contract of an error a person reads. Every layer's error type adopts it,
// and the CLI's one reporter turns any of them into one stderr line and an exit code, so no
// command catches an error only to wrap it in another.

public protocol UserFacingError: Error, CustomStringConvertible {
    /// 1: bad data (a model, theme, trace or scenario file); 2: bad usage (flags, settings).
    var exitCode: Int32 { get }
}

public enum ExitStatus {
    public static let badData: Int32 = 1
    public static let badUsage: Int32 = 2
}

extension String {
    /// The text with every control character (C0, DEL, C1) written as a visible escape, so a
    /// string from a file or a path can never break a line, clear a screen or cut a message short.
    public var escapingControlCharacters: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for u in unicodeScalars {
            switch u.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F..<0xA0:
                let hex = String(u.value, radix: 16, uppercase: true)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}

extension GGUFError: UserFacingError { public var exitCode: Int32 { ExitStatus.badData } }
extension ModelError: UserFacingError { public var exitCode: Int32 { ExitStatus.badData } }
extension TokenizerError: UserFacingError { public var exitCode: Int32 { ExitStatus.badData } }
extension StoreError: UserFacingError {
    public var exitCode: Int32 {
        if case .unknownModel = self { return ExitStatus.badUsage }
        return ExitStatus.badData
    }
}
