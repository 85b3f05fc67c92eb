// The ncurses shim on the headers it must build with (issue 15, macOS): Linux's ncursesw 6 with
// and without extended colours, and Tests/ncurses57/curses.h, a stand-in for macOS's ncurses 5.7
// (<curses.h> only, pairs as shorts, no init_extended_pair), reached through a sysroot whose
// include folder has every Linux header except the ncurses ones. clang -fsyntax-only checks every
// static inline body of the shim, and the ncurses names the Swift code calls directly are looked for
// in the stand-in too. The colour-pair table's limit is what the TUI degrades by.
import Foundation
import Testing
@testable import TokenloomTUI
import TokenloomTestSupport

@Suite struct NcursesShimTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shimDir = root.appendingPathComponent("Sources/CNcursesw").path
    static let stub = root.appendingPathComponent("Tests/ncurses57/curses.h").path

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// A fresh folder for one test, removed by the caller.
    static func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "tokenloom-shim-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// clang -fsyntax-only on a C file that includes the shim and states `asserts` about the branch taken.
    static func check(_ asserts: [String], in dir: String, flags: [String]) throws -> Subprocess.Output {
        let source = dir + "/check.c"
        let text = "#include \"shim.h\"\n" + asserts.map { "_Static_assert(\($0), \"\($0)\");\n" }.joined()
        try text.write(toFile: source, atomically: true, encoding: .utf8)
        return try Subprocess.run(["clang", "-fsyntax-only", "-Werror", "-Wall", "-Wno-unused-function",
                                   "-I", shimDir] + flags + [source], timeout: 60)
    }

    /// A sysroot at dir/sysroot whose usr/include links every header of this machine's but the ncurses
    /// ones, and holds the 5.7 stand-in as curses.h.
    static func sysrootWithoutNcursesw(_ dir: String) throws -> String {
        let include = dir + "/sysroot/usr/include"
        let fm = FileManager.default
        try fm.createDirectory(atPath: include, withIntermediateDirectories: true)
        let ncursesOwn: Set<String> = ["curses.h", "ncurses.h", "ncursesw", "ncurses", "ncurses_dll.h", "unctrl.h", "term.h",
                                       "termcap.h", "term_entry.h", "tic.h", "eti.h", "form.h", "menu.h", "panel.h"]
        for name in try fm.contentsOfDirectory(atPath: "/usr/include") where !ncursesOwn.contains(name) {
            try fm.createSymbolicLink(atPath: include + "/" + name, withDestinationPath: "/usr/include/" + name)
        }
        try fm.copyItem(atPath: stub, toPath: include + "/curses.h")
        return dir + "/sysroot"
    }

    /// Identifiers in Sources/**/*.swift files that import CNcursesw (comments removed) that this
    /// machine's ncurses header declares as a function or defines as a macro, the shim's tl_ ones aside.
    static func ncursesNamesUsedFromSwift() throws -> [String] {
        let header = try String(contentsOfFile: "/usr/include/curses.h", encoding: .utf8)
            .replacingOccurrences(of: "(?s)/\\*.*?\\*/", with: "", options: .regularExpression)
        let sources = root.appendingPathComponent("Sources").path
        var names = Set<String>()
        for case let rel as String in FileManager.default.enumerator(atPath: sources)! where rel.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + rel, encoding: .utf8)
            guard text.contains("import CNcursesw") else { continue }
            let code = text.replacingOccurrences(of: "//[^\n]*", with: "", options: .regularExpression)
            let word = try NSRegularExpression(pattern: "\\b[A-Za-z_][A-Za-z_0-9]*\\b")
            for m in word.matches(in: code, range: NSRange(code.startIndex..., in: code)) {
                names.insert(String(code[Range(m.range, in: code)!]))
            }
        }
        let keywords: Set<String> = ["if", "for", "while", "switch", "guard", "return", "case", "default"]
        return names.filter { name in
            !keywords.contains(name) && !name.hasPrefix("tl_")
                && (header.range(of: "\\b\(name)\\s*\\(", options: .regularExpression) != nil
                    || header.range(of: "#define\\s+\(name)\\b", options: .regularExpression) != nil)
        }.sorted()
    }

    @Test func shimBuildsWithThisMachinesNcurseswAndExtendedColours() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try Self.check(["TL_EXTENDED_COLORS == 1", "NCURSES_VERSION_MAJOR >= 6"], in: dir,
                                 flags: ["-D_DEFAULT_SOURCE", "-D_XOPEN_SOURCE=600"])
        #expect(out.status == 0, "\(out.stderr)")
    }

    @Test func shimBuildsWithThisMachinesNcurseswWithoutExtendedColours() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try Self.check(["TL_EXTENDED_COLORS == 0"], in: dir,
                                 flags: ["-D_DEFAULT_SOURCE", "-D_XOPEN_SOURCE=600", "-DTL_EXTENDED_COLORS=0"])
        #expect(out.status == 0, "\(out.stderr)")
    }

    @Test func shimBuildsThroughCursesHWithNcurses57Declarations() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sysroot = try Self.sysrootWithoutNcursesw(dir)
        let out = try Self.check(["TL_EXTENDED_COLORS == 0", "NCURSES_VERSION_MAJOR == 5"], in: dir, flags: ["--sysroot=" + sysroot])
        #expect(out.status == 0, "\(out.stderr)")
        // Every ncurses function and constant the Swift code names (in the files importing CNcursesw,
        // the ones this machine's curses.h declares) must be in the stand-in as well.
        let used = try Self.ncursesNamesUsedFromSwift()
        #expect(used.contains("newterm") && used.contains("KEY_UP"), "\(used)")
        try ("#define _XOPEN_SOURCE_EXTENDED 1\n#include <curses.h>\nvoid f(void) {\n"
             + used.map { "    (void)(\($0));\n" }.joined() + "}\n").write(toFile: dir + "/swift-uses.c", atomically: true, encoding: .utf8)
        let uses = try Subprocess.run(["clang", "-fsyntax-only", "-Werror", "--sysroot=" + sysroot, dir + "/swift-uses.c"], timeout: 60)
        #expect(uses.status == 0, "the Swift code uses what ncurses 5.7 lacks: \(uses.stderr)")
        // The stand-in has what 5.7 lacks missing: a call to init_extended_pair does not compile there.
        try "#define _XOPEN_SOURCE_EXTENDED 1\n#include <curses.h>\nint f(void) { return init_extended_pair(1, 2, 3); }\n"
            .write(toFile: dir + "/extended.c", atomically: true, encoding: .utf8)
        let ext = try Subprocess.run(["clang", "-fsyntax-only", "-Werror", "--sysroot=" + sysroot, dir + "/extended.c"], timeout: 60)
        #expect(ext.status != 0 && ext.stderr.contains("init_extended_pair"), "\(ext.stderr)")
    }

    @Test func colorPairsStopAtTheLimitAndFallBackToTheDefaultColours() {
        var table = ColorPairTable(limit: 256)   // a build without extended colours: pairs 1...255
        var defined: [Int32] = []
        var got: [Int32] = []
        for fg in 0..<20 { for bg in 0..<20 { got.append(table.pair(fg: fg, bg: bg) { p, _, _ in defined.append(p) }) } }
        #expect(defined == Array(1...255))
        #expect(Array(got.prefix(255)) == Array(1...255))
        #expect(got.dropFirst(255).allSatisfy { $0 == 0 }, "past the limit: pair 0, the terminal's colours")
        // A pair already defined is reused, without a second init_pair.
        #expect(table.pair(fg: 0, bg: 5) { p, _, _ in defined.append(p) } == 6)
        #expect(table.pair(fg: -1, bg: -1) { p, _, _ in defined.append(p) } == 0)
        #expect(defined.count == 255)
    }
}
