// TOMLGuard: a lexical check before a text reaches the TOML parser. toml++ (under TOMLKit) stops the
// process with an assertion on some malformed keys and table headers ("[^colors]", "[é]"), found by
// the fuzzer. So before parsing: no character outside strings and comments may be other than
// printable ASCII, and every table header and key must be made of bare keys (A-Z a-z 0-9 _ -) or
// quoted ones, joined by dots. What fails is refused with its line and column.

public enum TOMLGuard {
    /// The first problem in `text`: a stray character (see below) or a malformed key or table header.
    public static func firstProblem(_ text: String) -> (line: Int, column: Int, message: String)? {
        if let s = firstStrayCharacter(text) {
            return (s.line, s.column, "unexpected character '\(String(s.char).escapingControlCharacters)' outside a string")
        }
        var depth = 0           // open brackets / braces of a value that spans lines
        var inMulti = false     // inside a multi-line string
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            let quotes = line.components(separatedBy: "\"\"\"").count - 1 + line.components(separatedBy: "'''").count - 1
            defer { if quotes % 2 == 1 { inMulti.toggle() } }
            if inMulti || depth > 0 {
                depth = max(0, depth + bracketBalance(line))
                continue
            }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("[") {
                let double = trimmed.hasPrefix("[[")
                let body = trimmed.dropFirst(double ? 2 : 1)
                guard let close = body.firstIndex(of: "]"), isKeyPath(body[..<close]) else {
                    return (n + 1, line.count - trimmed.count + 1, "a table header must be [name] or [[name]] of bare or quoted keys")
                }
                continue
            }
            guard let eq = equalsOutsideQuotes(Substring(trimmed)), isKeyPath(trimmed[..<eq]) else {
                return (n + 1, line.count - trimmed.count + 1, "expected key = value, with a bare or quoted key")
            }
            depth = max(0, bracketBalance(String(trimmed[trimmed.index(after: eq)...])))
        }
        return nil
    }

    /// `a`, `a.b`, `"x y".c`: bare keys (A-Z a-z 0-9 _ -) or quoted ones, joined by dots.
    static func isKeyPath(_ s: Substring) -> Bool {
        var parts: [Substring] = []
        var cur = Substring(), quote: Character?
        for c in s {
            if let q = quote { cur.append(c); if c == q { quote = nil }; continue }
            if c == "\"" || c == "'" { quote = c; cur.append(c); continue }
            if c == "." { parts.append(cur); cur = Substring(); continue }
            cur.append(c)
        }
        if quote != nil { return false }
        parts.append(cur)
        return parts.allSatisfy { p in
            let k = p.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
            guard let first = k.first else { return false }
            if first == "\"" || first == "'" { return k.count >= 2 && k.last == first }
            return k.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        }
    }

    /// The first `=` not inside quotes.
    static func equalsOutsideQuotes(_ s: Substring) -> Substring.Index? {
        var quote: Character?
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == "=" { return i }
            i = s.index(after: i)
        }
        return nil
    }

    /// Opening minus closing brackets and braces outside strings and comments.
    static func bracketBalance(_ s: String) -> Int {
        var n = 0
        var quote: Character?
        for c in s {
            if let q = quote { if c == q { quote = nil }; continue }
            switch c {
            case "\"", "'": quote = c
            case "#": return n
            case "[", "{": n += 1
            case "]", "}": n -= 1
            default: break
            }
        }
        return n
    }

    /// The first character outside strings and comments that is not printable ASCII (or tab, CR, LF):
    /// its 1-based line and column, and the character. Nil when there is none.
    public static func firstStrayCharacter(_ text: String) -> (line: Int, column: Int, char: Character)? {
        var line = 1, column = 0
        enum Mode { case plain, comment, basic, literal, multiBasic, multiLiteral }
        var mode = Mode.plain
        let chars = Array(text)
        var i = 0
        func at(_ k: Int) -> Character? { k < chars.count ? chars[k] : nil }
        while i < chars.count {
            let c = chars[i]
            column += 1
            if c == "\n" || c == "\r\n" { line += 1; column = 0; if mode == .comment || mode == .basic || mode == .literal { mode = .plain }; i += 1; continue }
            switch mode {
            case .plain:
                if c == "#" { mode = .comment }
                else if c == "\"" { if at(i + 1) == "\"", at(i + 2) == "\"" { mode = .multiBasic; i += 2; column += 2 } else { mode = .basic } }
                else if c == "'" { if at(i + 1) == "'", at(i + 2) == "'" { mode = .multiLiteral; i += 2; column += 2 } else { mode = .literal } }
                else if !(c.isASCII && (c == "\t" || c == "\r" || (c.asciiValue! >= 0x20 && c.asciiValue! < 0x7F))) {
                    return (line, column, c)
                }
            case .comment: break
            case .basic: if c == "\\" { i += 1; column += 1 } else if c == "\"" { mode = .plain }
            case .literal: if c == "'" { mode = .plain }
            case .multiBasic:
                if c == "\\" { i += 1; column += 1 } else if c == "\"", at(i + 1) == "\"", at(i + 2) == "\"" { mode = .plain; i += 2; column += 2 }
            case .multiLiteral: if c == "'", at(i + 1) == "'", at(i + 2) == "'" { mode = .plain; i += 2; column += 2 }
            }
            i += 1
        }
        return nil
    }
}
