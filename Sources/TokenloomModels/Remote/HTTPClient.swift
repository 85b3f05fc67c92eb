// HTTPClient: a small blocking HTTP/1.1 client over POSIX sockets, for talking to an inference server
// on a LAN or loopback (plain http only). Every wait is a poll() slice of at most 100 ms, so the
// connect timeout, the per-request deadline and cancellation (Ctrl-C) are each checked at least
// ten times a second; a server that stops sending cannot hang the caller.
import TokenloomKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct HTTPResponse: Sendable {
    public let status: Int
    /// Header names lower-cased.
    public let headers: [String: String]
    public let body: [UInt8]
}

public enum HTTPClient {
    /// Largest body accepted: a completions answer for a few thousand positions with top-K logprobs
    /// is a few MB; anything far beyond that is refused instead of buffered.
    public static let maxBodyBytes = 64 << 20

    /// Sends one request and returns the whole response. `isCancelled` is polled between slices.
    public static func send(method: String, host: String, port: Int, path: String, body: [UInt8]?,
                            headers extra: [(String, String)] = [],
                            connectTimeout: Double, requestTimeout: Double,
                            isCancelled: () -> Bool = { false }) throws -> HTTPResponse {
        let start = MonotonicClock.seconds()
        let fd = try connect(host: host, port: port, timeout: connectTimeout, isCancelled: isCancelled)
        defer { close(fd) }
        let deadline = start + requestTimeout
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nAccept: application/json\r\n"
        for (k, v) in extra { head += "\(k): \(v)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        try write(fd, Array(head.utf8) + (body ?? []), deadline: deadline, isCancelled: isCancelled, host: host, port: port)
        let raw = try readAll(fd, deadline: deadline, isCancelled: isCancelled, host: host, port: port)
        return try parse(raw, host: host, port: port)
    }

    // MARK: connect

    static func connect(host: String, port: Int, timeout: Double, isCancelled: () -> Bool) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw RemoteError.unreachable("\(host):\(port)", "the host name does not resolve")
        }
        defer { freeaddrinfo(list) }
        let deadline = MonotonicClock.seconds() + timeout
        var lastReason = "connection refused"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            #if canImport(Glibc)
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            #else
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            #endif
            guard fd >= 0 else { continue }
            #if canImport(Darwin)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var nodelay: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &nodelay, socklen_t(MemoryLayout<Int32>.size))
            if Glibc_connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else { lastReason = String(cString: strerror(errno)); close(fd); continue }
            // Wait for the connection in slices.
            while true {
                if isCancelled() { close(fd); throw RemoteError.cancelled }
                let left = deadline - MonotonicClock.seconds()
                if left <= 0 { close(fd); throw RemoteError.unreachable("\(host):\(port)", "no connection within \(seconds(timeout))") }
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let r = poll(&p, 1, Int32(min(100, max(1, left * 1000))))
                if r < 0 && errno != EINTR { lastReason = String(cString: strerror(errno)); break }
                if r > 0 {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    if err == 0 { return fd }
                    lastReason = String(cString: strerror(err))
                    break
                }
            }
            close(fd)
        }
        throw RemoteError.unreachable("\(host):\(port)", lastReason.lowercased())
    }

    // MARK: I/O

    static func wait(_ fd: Int32, for events: Int16, deadline: Double, isCancelled: () -> Bool) throws {
        while true {
            if isCancelled() { throw RemoteError.cancelled }
            let left = deadline - MonotonicClock.seconds()
            if left <= 0 { throw RemoteError.timeout }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, Int32(min(100, max(1, left * 1000))))
            if r > 0 { return }
            if r < 0 && errno != EINTR { throw RemoteError.timeout }
        }
    }

    static func write(_ fd: Int32, _ bytes: [UInt8], deadline: Double, isCancelled: () -> Bool,
                      host: String, port: Int) throws {
        var sent = 0
        while sent < bytes.count {
            try wait(fd, for: Int16(POLLOUT), deadline: deadline, isCancelled: isCancelled)
            let n = bytes.withUnsafeBytes { b in
                #if canImport(Glibc)
                Glibc.send(fd, b.baseAddress! + sent, b.count - sent, Int32(MSG_NOSIGNAL))
                #else
                Darwin.send(fd, b.baseAddress! + sent, b.count - sent, 0)
                #endif
            }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw RemoteError.unreachable("\(host):\(port)", "the connection closed while sending (\(String(cString: strerror(errno)).lowercased()))")
            }
            sent += n
        }
    }

    static func readAll(_ fd: Int32, deadline: Double, isCancelled: () -> Bool, host: String, port: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            try wait(fd, for: Int16(POLLIN), deadline: deadline, isCancelled: isCancelled)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 { return out }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                if out.isEmpty {
                    throw RemoteError.unreachable("\(host):\(port)", "the connection was reset (\(String(cString: strerror(errno)).lowercased()))")
                }
                return out
            }
            out += buf[0..<n]
            if out.count > maxBodyBytes + 65536 {
                throw RemoteError.badAnswer("the server sent more than \(maxBodyBytes >> 20) MB")
            }
            if let complete = completeLength(out), out.count >= complete { return Array(out[0..<complete]) }
        }
    }

    /// The total length of a response whose headers are in and carry Content-Length (so the read
    /// can stop without waiting for the close); nil otherwise.
    static func completeLength(_ raw: [UInt8]) -> Int? {
        guard let end = headerEnd(raw) else { return nil }
        let head = String(decoding: raw[0..<end], as: UTF8.self).lowercased()
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            if let n = Int(line.dropFirst("content-length:".count).trimmed(" \t")), n >= 0 { return end + 4 + n }
        }
        return nil
    }

    static func headerEnd(_ raw: [UInt8]) -> Int? {
        guard raw.count >= 4 else { return nil }
        for i in 0...(raw.count - 4) where raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 { return i }
        return nil
    }

    // MARK: parse

    /// Status line, headers and body (Content-Length, chunked, or up to the close).
    public static func parse(_ raw: [UInt8], host: String, port: Int) throws -> HTTPResponse {
        guard let end = headerEnd(raw) else {
            if raw.isEmpty { throw RemoteError.unreachable("\(host):\(port)", "the server closed the connection without answering") }
            throw RemoteError.badAnswer("the answer is not HTTP (no end of headers)")
        }
        let lines = String(decoding: raw[0..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let status = lines.first.map { $0.split(separator: " ") } ?? []
        guard status.count >= 2, status[0].hasPrefix("HTTP/1."), let code = Int(status[1]), (100...599).contains(code) else {
            throw RemoteError.badAnswer("the answer is not HTTP (status line \(String(lines.first ?? "").prefix(40).debugDescription))")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmed(" \t")
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true { body = try dechunk(body) }
        else if let n = headers["content-length"].flatMap({ Int($0) }) {
            guard n >= 0, body.count >= n else { throw RemoteError.badAnswer("the answer ended after \(body.count) of \(n) bytes") }
            body = Array(body[0..<n])
        }
        return HTTPResponse(status: code, headers: headers, body: body)
    }

    static func dechunk(_ b: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while true {
            var j = i
            while j + 1 < b.count && !(b[j] == 13 && b[j + 1] == 10) { j += 1 }
            guard j + 1 < b.count else { throw RemoteError.badAnswer("a chunked answer ended early") }
            let sizeText = String(decoding: b[i..<j], as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmed(" "), radix: 16), size >= 0, size <= maxBodyBytes else {
                throw RemoteError.badAnswer("a chunked answer has a bad chunk size")
            }
            if size == 0 { return out }
            let from = j + 2
            guard from + size <= b.count else { throw RemoteError.badAnswer("a chunked answer ended early") }
            out += b[from..<(from + size)]
            i = from + size + 2
        }
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
}

#if canImport(Glibc)
@inline(__always) private func Glibc_connect(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>!, _ len: socklen_t) -> Int32 {
    Glibc.connect(fd, addr, len)
}
#else
@inline(__always) private func Glibc_connect(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>!, _ len: socklen_t) -> Int32 {
    Darwin.connect(fd, addr, len)
}
#endif

extension StringProtocol {
    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
