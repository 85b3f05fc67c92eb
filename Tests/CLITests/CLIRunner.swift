// CLIRunner: runs the built `tokenloom` binary (next to the test bundle) and captures its output.
import Foundation

struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum CLIRunner {
    /// The `tokenloom` executable built alongside the test bundle.
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner sits in .build/<config>/; on macOS inside an .xctest bundle.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("tokenloom").path),
              dir.pathComponents.count > 1 {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("tokenloom").path
    }

    static func run(_ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Read both pipes to the end before waiting, so a chatty child cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = outBox.data
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}
