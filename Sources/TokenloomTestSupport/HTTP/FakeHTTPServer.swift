// FakeHTTPServer: a tiny HTTP server on 127.0.0.1 for the remote-model tests. It answers each request
// with what the test's handler returns, including answers no real server should give (garbage, a
// close without a word, silence). One thread, poll() with 50 ms slices, so `stop()` always returns.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class FakeHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public let method: String
        public let path: String
        public let body: String
        /// The body as JSON, when it is a JSON object.
        public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
    }

    public enum Reply: Sendable {
        case json(Int, String)
        /// Bytes written as they are, then the connection closed.
        case raw([UInt8])
        /// Close without answering.
        case close
        /// Hold the connection open and say nothing (until the server stops).
        case silence
    }

    public let port: Int
    private let fd: Int32
    private let handler: @Sendable (Request) -> Reply
    private let lock = NSLock()
    private var running = true
    private var requestLog: [Request] = []
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    public var requests: [Request] { lock.lock(); defer { lock.unlock() }; return requestLog }

    public init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        self.fd = fd
        let t = Thread { [unowned self] in self.serve(); self.done.signal() }
        thread = t
        t.start()
    }

    deinit { stop() }

    /// Stops accepting, closes every connection and waits (at most 5 s) for the thread.
    public func stop() {
        lock.lock()
        let was = running
        running = false
        lock.unlock()
        guard was else { return }
        _ = done.wait(timeout: .now() + 5)
        close(fd)
    }

    private var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return running }

    private func serve() {
        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        while isRunning {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            let c = accept(fd, nil, nil)
            guard c >= 0 else { continue }
            guard let req = readRequest(c) else { close(c); continue }
            lock.lock(); requestLog.append(req); lock.unlock()
            switch handler(req) {
            case .json(let status, let body):
                let b = Array(body.utf8)
                let head = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(b.count)\r\nConnection: close\r\n\r\n"
                writeAll(c, Array(head.utf8) + b)
                close(c)
            case .raw(let bytes): writeAll(c, bytes); close(c)
            case .close: close(c)
            case .silence: held.append(c)
            }
        }
    }

    private func readRequest(_ c: Int32) -> Request? {
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && isRunning {
            var p = pollfd(fd: c, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { return nil }
            data += buf[0..<n]
            let text = String(decoding: data, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let head = text[..<end.lowerBound]
            let lines = head.split(separator: "\r\n")
            let first = lines.first?.split(separator: " ") ?? []
            var length = 0
            for l in lines where l.lowercased().hasPrefix("content-length:") { length = Int(l.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0 }
            let bodyStart = text.utf8.distance(from: text.startIndex, to: end.upperBound)
            if data.count - bodyStart >= length {
                let body = String(decoding: data[bodyStart..<(bodyStart + length)], as: UTF8.self)
                return Request(method: first.count > 0 ? String(first[0]) : "", path: first.count > 1 ? String(first[1]) : "", body: body)
            }
        }
        return nil
    }

    private func writeAll(_ c: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { b in
                #if canImport(Glibc)
                send(c, b.baseAddress! + sent, b.count - sent, Int32(MSG_NOSIGNAL))
                #else
                send(c, b.baseAddress! + sent, b.count - sent, 0)
                #endif
            }
            if n <= 0 { return }
            sent += n
        }
    }
}
