// TestBinaries: the executables built alongside the test bundle.
import Foundation

public enum TestBinaries {
    /// The built `tokenloom`.
    public static var tokenloom: String { path(of: "tokenloom") }
    /// The built `tokenloom-fuzz`.
    public static var fuzz: String { path(of: "tokenloom-fuzz") }

    /// `name` in the build folder: on Linux the test runner sits in .build/<config>/, on macOS inside an
    /// .xctest bundle, so walk up from the runner until the executable is there.
    public static func path(of name: String) -> String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path),
              dir.pathComponents.count > 1 {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent(name).path
    }
}
