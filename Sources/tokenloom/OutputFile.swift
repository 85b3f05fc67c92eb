// OutputFile: how `--trace` and `--png` write without destroying what is at the path. A missing
// path or a regular file is written to a temporary file beside it and renamed into place when the
// run succeeds, so a failed or interrupted run leaves nothing half-written. Anything else (a
// symbolic link, a FIFO, a device) is opened and written in place, never replaced by a rename.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

final class OutputFile {
    let path: String
    /// What the file is, for messages ("trace file", "PNG file").
    let what: String
    private var fd: Int32 = -1
    private var temporary: String?
    private var done = false

    init(_ path: String, what: String) throws {
        self.path = path; self.what = what
        var st = stat()
        let exists = lstat(path, &st) == 0
        if !exists || (st.st_mode & S_IFMT) == S_IFREG {
            let tmp = path + ".partial-\(getpid())"
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw failure(errno) }
            temporary = tmp
        } else {
            // In place. A FIFO with no reader would block forever: open it non-blocking first.
            let fifo = (st.st_mode & S_IFMT) == S_IFIFO
            fd = open(path, O_WRONLY | O_CLOEXEC | (fifo ? O_NONBLOCK : O_TRUNC))
            guard fd >= 0 else {
                throw errno == ENXIO ? CLIError.data("cannot write the \(what) \(path): no process is reading that FIFO")
                                     : failure(errno)
            }
            if fifo { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        }
    }

    private func failure(_ code: Int32) -> CLIError {
        CLIError.data("cannot write the \(what) \(path): \(String(cString: strerror(code)))")
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; throw failure(errno) }
                off += n
            }
        }
    }

    /// Finishes the file: closes it and, for a temporary file, renames it into place.
    func commit() throws {
        guard !done else { return }
        done = true
        let closed = close(fd) == 0
        fd = -1
        guard closed else { let e = errno; abandonTemporary(); throw failure(e) }
        if let tmp = temporary, rename(tmp, path) != 0 { let e = errno; unlink(tmp); throw failure(e) }
    }

    /// Gives up: closes the file and removes the temporary one (a file written in place stays as written).
    func abandon() {
        guard !done else { return }
        done = true
        if fd >= 0 { close(fd); fd = -1 }
        abandonTemporary()
    }

    private func abandonTemporary() { if let tmp = temporary { unlink(tmp) } }

    deinit { abandon() }
}

/// Writes `data` to `path` through an OutputFile.
func writeOutput(_ data: Data, to path: String, what: String) throws {
    let f = try OutputFile(path, what: what)
    do { try f.write(data); try f.commit() } catch { f.abandon(); throw error }
}
