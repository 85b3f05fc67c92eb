// Theme: the named colours every view draws with, loaded from TOML (the built-in ones are the
// resources Resources/themes/*.toml). Keys are a fixed list (ThemeKey); a theme file may leave
// keys out (they come from the dark theme) but may not name unknown ones.
import Foundation
import TokenloomModels
import TOMLKit
import TokenloomSession

public enum ThemeKey: String, CaseIterable, Sendable {
    case background, foreground, muted, border, borderFocus = "border_focus", title, accent
    case accepted, sampled, resampled, draft, rejected, noisy, highlight, cursor, winner
    case heatLow = "heat_low", heatMid = "heat_mid", heatHigh = "heat_high", emptyCell = "empty_cell"
    case statusBackground = "status_bg", statusForeground = "status_fg"
    case overlayBackground = "overlay_bg", overlayForeground = "overlay_fg"
}

public enum ThemeError: UserFacingError, Sendable {
    public var exitCode: Int32 { ExitStatus.badData }
    case syntax(file: String, line: Int, column: Int, message: String)
    case unknownKey(file: String, key: String)
    case badValue(file: String, key: String, value: String)
    case notFound(String, available: [String])
    case notAString(file: String, key: String)
    case unreadable(file: String, why: String)

    public var description: String {
        switch self {
        case .syntax(let f, let l, let c, let m): return "\(f):\(l):\(c): theme syntax error: \(m)"
        case .unknownKey(let f, let k): return "\(f): unknown theme key '\(k)'"
        case .badValue(let f, let k, let v): return "\(f): theme key '\(k)' wants a colour like \"#1e2030\", got \(v)"
        case .notFound(let n, let a): return "no theme '\(n)' (built-in: \(a.joined(separator: ", ")); or give a path to a .toml file)"
        case .notAString(let f, let k): return "\(f): theme key '\(k)' wants a string"
        case .unreadable(let f, let why): return "\(f): cannot read the theme: \(why)"
        }
    }
}

public struct Theme: Sendable, Equatable {
    public var name: String
    public var colors: [ThemeKey: RGB]

    public subscript(_ k: ThemeKey) -> RGB { colors[k] ?? RGB(128, 128, 128) }
    public func color(_ k: ThemeKey) -> Color { .rgb(self[k]) }

    /// Parses a theme file's text; `file` names it in errors.
    public static func parse(_ text: String, file: String, base: Theme? = nil) throws -> Theme {
        let table: TOMLTable
        if let problem = TOMLGuard.firstProblem(text) {
            throw ThemeError.syntax(file: file, line: problem.line, column: problem.column, message: problem.message)
        }
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw ThemeError.syntax(file: file, line: e.source.begin.line, column: e.source.begin.column, message: e.description)
        }
        var theme = base ?? Theme(name: "", colors: [:])
        for key in table.keys {
            switch key {
            case "name":
                guard let s = table[key]?.string else { throw ThemeError.notAString(file: file, key: key) }
                theme.name = s
            case "colors":
                guard let colors = table[key]?.table else { throw ThemeError.badValue(file: file, key: key, value: "not a table") }
                for ck in colors.keys {
                    guard let k = ThemeKey(rawValue: ck) else { throw ThemeError.unknownKey(file: file, key: "colors.\(ck)") }
                    let raw = colors[ck]?.string ?? "\(colors[ck].map { "\($0)" } ?? "nothing")"
                    guard let rgb = parseHex(raw) else { throw ThemeError.badValue(file: file, key: "colors.\(ck)", value: raw) }
                    theme.colors[k] = rgb
                }
            default:
                throw ThemeError.unknownKey(file: file, key: key)
            }
        }
        return theme
    }

    static func parseHex(_ s: String) -> RGB? {
        var h = Substring(s)
        guard h.hasPrefix("#") else { return nil }
        h = h.dropFirst()
        guard h.count == 6, h.allSatisfy(\.isHexDigit), let v = UInt32(h, radix: 16) else { return nil }
        return RGB(UInt8(v >> 16), UInt8((v >> 8) & 0xff), UInt8(v & 0xff))
    }

    public static let builtinNames = ["dark", "light", "high-contrast"]

    /// The text of a built-in theme: the TOML file shipped as a resource (Resources/themes/NAME.toml).
    static func builtinText(_ name: String) -> String? {
        guard builtinNames.contains(name) else { return nil }
        let candidates = [Bundle.module.resourceURL?.appendingPathComponent("Resources/themes/\(name).toml"),
                          Bundle.module.bundleURL.appendingPathComponent("Resources/themes/\(name).toml"),
                          Bundle.module.resourceURL?.appendingPathComponent("themes/\(name).toml")]
        for case let url? in candidates {
            if let data = FileManager.default.contents(atPath: url.path) { return String(decoding: data, as: UTF8.self) }
        }
        return nil
    }

    /// A built-in theme by name.
    public static func builtin(_ name: String) -> Theme? {
        guard let text = builtinText(name) else { return nil }
        return try? parse(text, file: "themes/\(name).toml", base: name == "dark" ? nil : builtin("dark"))
    }

    public static var dark: Theme { builtin("dark") ?? Theme(name: "dark", colors: [:]) }

    /// `--theme NAME|PATH`: a built-in name, or a path to a TOML file (keys missing there come from dark).
    public static func load(_ nameOrPath: String) throws -> Theme {
        if let t = builtin(nameOrPath) { return t }
        guard nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") else {
            throw ThemeError.notFound(nameOrPath, available: builtinNames)
        }
        let text = try readThemeFile(nameOrPath)
        var t = try parse(text, file: nameOrPath, base: dark)
        if t.name.isEmpty || t.name == "dark" { t.name = (nameOrPath as NSString).lastPathComponent }
        return t
    }

    /// The text of a theme file: a regular, readable file in UTF-8, each failure said in words.
    static func readThemeFile(_ path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ThemeError.unreadable(file: path, why: "no such file") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ThemeError.unreadable(file: path, why: "not a regular file") }
        guard st.st_size <= 1 << 20 else { throw ThemeError.unreadable(file: path, why: "larger than 1 MiB") }
        guard access(path, R_OK) == 0, let data = FileManager.default.contents(atPath: path) else {
            throw ThemeError.unreadable(file: path, why: "permission denied")
        }
        guard let text = String(data: data, encoding: .utf8), !text.contains("\0") else {
            throw ThemeError.unreadable(file: path, why: "not UTF-8 text (UTF-16? save it as UTF-8)")
        }
        return text
    }

    /// A colour on the heat scale: 0 = heat_low, 0.5 = heat_mid, 1 = heat_high.
    public func heat(_ t: Double) -> RGB {
        let x = t.isFinite ? min(1, max(0, t)) : 0
        return x < 0.5 ? mix(self[.heatLow], self[.heatMid], x * 2) : mix(self[.heatMid], self[.heatHigh], (x - 0.5) * 2)
    }
}

/// a*(1-t) + b*t per channel.
public func mix(_ a: RGB, _ b: RGB, _ t: Double) -> RGB {
    func m(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8(max(0, min(255, (Double(x) * (1 - t) + Double(y) * t).rounded()))) }
    return RGB(m(a.r, b.r), m(a.g, b.g), m(a.b, b.b))
}
