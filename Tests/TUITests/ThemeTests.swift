// Themes: the shipped files, their documentation, errors, colour modes and nearest colours.
import Foundation
import Testing
import TokenloomSession
@testable import TokenloomTUI

@Suite struct ThemeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func read(_ rel: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(rel), encoding: .utf8)
    }

    @Test func builtinThemesAreTheShippedResources() throws {
        for name in Theme.builtinNames {
            let file = try read("Sources/TokenloomTUI/Resources/themes/\(name).toml")
            #expect(Theme.builtinText(name) == file, "the built-in \(name) theme is not the shipped resource")
            let t = try Theme.parse(file, file: name)
            #expect(t.name == name)
            #expect(Set(t.colors.keys) == Set(ThemeKey.allCases), "\(name) does not set every key")
        }
    }

    @Test func everyKeyIsDocumented() throws {
        let readme = try read("themes/README.md")
        for k in ThemeKey.allCases { #expect(readme.contains("| `\(k.rawValue)` |"), "themes/README.md misses \(k.rawValue)") }
        #expect(readme.contains("| `name` |"))
    }

    @Test func syntaxErrorsNameFileLineAndColumn() {
        let bad = "name = \"x\"\n[colors]\nbackground = \"#000000\n"
        #expect(throws: ThemeError.self) { try Theme.parse(bad, file: "my.toml") }
        do { _ = try Theme.parse(bad, file: "my.toml") } catch {
            #expect("\(error)".hasPrefix("my.toml:3:"))
        }
    }

    @Test func unknownKeysAreNamed() {
        do { _ = try Theme.parse("[colors]\nbackgrund = \"#000000\"\n", file: "my.toml"); Issue.record("no error") } catch {
            #expect("\(error)" == "my.toml: unknown theme key 'colors.backgrund'")
        }
        do { _ = try Theme.parse("[colors]\nbackground = \"red\"\n", file: "my.toml"); Issue.record("no error") } catch {
            #expect("\(error)".contains("'colors.background' wants a colour"))
        }
    }

    @Test func partialThemesInheritFromDark() throws {
        let t = try Theme.parse("name = \"mine\"\n[colors]\naccent = \"#ff0000\"\n", file: "m", base: .dark)
        #expect(t[.accent] == RGB(255, 0, 0))
        #expect(t[.background] == Theme.dark[.background])
    }

    @Test func colourModeDetection() {
        #expect(ColorMode.detect(env: ["NO_COLOR": "1", "COLORTERM": "truecolor"], terminfoColors: 256) == .mono)
        #expect(ColorMode.detect(env: [:], terminfoColors: 1 << 24) == .truecolor)
        #expect(ColorMode.detect(env: ["COLORTERM": "truecolor"], terminfoColors: 256) == .xterm256)
        #expect(ColorMode.detect(env: [:], terminfoColors: 16) == .ansi16)
        #expect(ColorMode.detect(env: [:], terminfoColors: 8) == .ansi16)
        #expect(ColorMode.detect(env: [:], terminfoColors: 0) == .mono)
    }

    @Test func nearestColoursAreExactForPaletteColours() {
        // Every cube and grey colour maps to itself (or to an identical colour).
        for i in 16..<256 {
            let c = Palette.rgb(ofXterm: i)
            #expect(Palette.rgb(ofXterm: Palette.nearest256(c)) == c)
        }
        for i in 0..<16 { #expect(Palette.nearest16(Palette.ansi16[i]) == i) }
        #expect(Palette.nearest16(RGB(250, 10, 10)) == 9)
        #expect(Palette.index(.terminal, mode: .xterm256) == -1)
        #expect(Palette.index(.rgb(RGB(1, 2, 3)), mode: .truecolor) == 0x010203)
        #expect(Palette.index(.rgb(RGB(1, 2, 3)), mode: .mono) == -1)
    }
}
