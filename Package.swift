// swift-tools-version: 6.0
// tokenloom: a terminal explorer of how models decode, one forward pass at a time.
// Layers (imports point down only): kernels -> models -> decoding -> session -> TUI -> CLI.
import PackageDescription

// Kernels and model code are numeric hot loops: optimise them even in debug builds, so that
// `swift test` (debug) runs the real 135M model in seconds rather than minutes.
let hotLoopFlags: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "tokenloom",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tokenloom", targets: ["tokenloom"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // ncurses: Linux's ncursesw, or on macOS the SDK's ncurses 5.7 (<curses.h>, libncurses) unless
        // Homebrew's keg-only ncurses is put on PKG_CONFIG_PATH. A module map cannot link per platform,
        // so the library is linked by TokenloomTUI below.
        .systemLibrary(name: "CNcursesw", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"]), .brew(["ncurses"])]),
        // The engine's intrinsics (AVX-512 VNNI, AVX2, NEON or scalar, chosen at run time); -O3 even in debug.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "TokenloomKernels", dependencies: ["CKernels"], swiftSettings: hotLoopFlags),
        .target(name: "TokenloomModels", dependencies: ["TokenloomKernels"],
                resources: [.copy("Resources")], swiftSettings: hotLoopFlags),
        .target(name: "TokenloomDecoding", dependencies: ["TokenloomModels", "TokenloomKernels"],
                exclude: ["Decoders/README.md"]),
        .target(name: "TokenloomSession", dependencies: [
            "TokenloomDecoding", "TokenloomKernels", .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .target(name: "TokenloomTUI", dependencies: [
            "TokenloomSession", "TokenloomDecoding", "TokenloomModels", "CNcursesw",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ], resources: [.copy("Resources")],
        linkerSettings: [.linkedLibrary("ncursesw", .when(platforms: [.linux])),
                         .linkedLibrary("ncurses", .when(platforms: [.macOS]))]),
        .executableTarget(name: "tokenloom", dependencies: [
            "TokenloomTUI", "TokenloomSession", "TokenloomDecoding", "TokenloomModels", "TokenloomKernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // What the tests (and the dev fuzzer) share: the GGUF writer and tiny models, the SmolLM2
        // fetch, the child-process runner, the tmux driver, the leak check and chi-square.
        // Production targets never depend on it.
        .target(name: "CTestSupport"),
        .target(name: "TokenloomTestSupport", dependencies: ["CTestSupport", "TokenloomModels", "TokenloomKernels"]),
        // A deterministic structure-aware fuzzer for the GGUF reader and model loaders (issue 7).
        .executableTarget(name: "tokenloom-fuzz", dependencies: [
            "TokenloomModels", "TokenloomKernels", "TokenloomDecoding", "TokenloomSession", "TokenloomTUI", "TokenloomTestSupport",
        ]),
        .testTarget(name: "KernelsTests", dependencies: ["TokenloomKernels", "TokenloomTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelsTests", dependencies: ["TokenloomModels", "TokenloomKernels", "TokenloomTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DecodingTests", dependencies: ["TokenloomDecoding", "TokenloomModels", "TokenloomTestSupport"]),
        .testTarget(name: "SessionTests", dependencies: ["TokenloomSession", "TokenloomDecoding", "TokenloomModels", "TokenloomTestSupport"]),
        .testTarget(name: "TUITests", dependencies: ["TokenloomTUI", "TokenloomSession", "TokenloomDecoding", "TokenloomTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TokenloomModels", "TokenloomKernels", "TokenloomDecoding", "TokenloomTestSupport",
                                                     "tokenloom", "tokenloom-fuzz"]),
    ],
    // Swift 5 mode: the engine queue / UI loop hand-off is through immutable snapshots, checked by
    // `swift test --sanitize=thread`, rather than by strict-concurrency annotations everywhere.
    swiftLanguageModes: [.v5]
)
