// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "tnx",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tnx", targets: ["tnx"]),
        .executable(name: "tnx-sandbox", targets: ["tnx-sandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Helpers, named for what they hold (as swift-nio's NIOConcurrencyHelpers); any module
        // may use them, and they use nothing of tnx.
        // The one sanitiser of text shown on a terminal. Pure.
        .target(name: "TerminalText"),
        // Every call into the C library: files, signals, the terminal, blocking work off the
        // cooperative pool.
        .target(name: "TnxSystem", dependencies: ["CFileShim"]),
        // The one C call Swift's Glibc module does not declare (sync_file_range, GNU).
        .target(name: "CFileShim"),
        // Whether bytes are a whole MP3 or WAV file, and how long they play, checked as they
        // stream. Pure.
        .target(name: "AudioCheck"),
        // Dates as the API writes them (ISO 8601, UTC): parsing, printing, day arithmetic. Pure.
        .target(name: "CivilTime"),
        // text → tokens → AST → diagnostics. Pure: no I/O.
        .target(name: "TnxLanguage", dependencies: ["TerminalText", "CivilTime"]),
        // The one shared async client of the Telnyx recordings API.
        .target(
            name: "TelnyxRecordings",
            dependencies: [
                "TerminalText", "TnxSystem", "CivilTime", "AudioCheck",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "CLibCrypto",
            ]
        ),
        // SHA-256 of downloaded media, from the system's libcrypto (`libssl-dev`): swift-crypto
        // vendored a second BoringSSL into every first build for this one hash.
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // AST → effects: settings, bulk engine, outcomes, journal, reporting.
        .target(name: "TnxInterpreter", dependencies: ["TnxLanguage", "TelnyxRecordings", "TnxSystem", "TerminalText", "CivilTime", "AudioCheck"]),
        // libedit, from the system (`libedit-dev`).
        .systemLibrary(
            name: "CLibEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // Fixed-argument wrappers of libedit's variadic calls, which Swift cannot call.
        .target(name: "CEditLineShim", dependencies: ["CLibEdit"]),
        .target(name: "LineEditor", dependencies: ["CEditLineShim", "TnxSystem"]),
        // A local fake of the recordings API, for `tnx-sandbox` and the tests.
        .target(
            name: "TnxSandbox",
            dependencies: [
                "TnxSystem", "CivilTime",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .executableTarget(
            name: "tnx",
            dependencies: [
                "TnxLanguage", "TelnyxRecordings", "TnxInterpreter", "LineEditor", "TnxSystem", "TerminalText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The sandbox as a server of its own, which `tnx --sandbox` starts as a child: tnx itself
        // then links neither Hummingbird nor full Foundation.
        .executableTarget(
            name: "tnx-sandbox",
            dependencies: [
                "TnxSandbox", "TnxSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "TnxLanguageTests", dependencies: ["TnxLanguage"]),
        .testTarget(name: "AudioCheckTests", dependencies: ["AudioCheck"]),
        .testTarget(name: "TelnyxRecordingsTests", dependencies: ["TelnyxRecordings", "TnxSandbox", "TnxSystem"]),
        .testTarget(name: "TnxInterpreterTests", dependencies: ["TnxInterpreter", "TnxSandbox", "TelnyxRecordings", "TnxSystem", "CivilTime"]),
        .testTarget(name: "TnxEndToEndTests", dependencies: ["tnx", "tnx-sandbox", "TnxSandbox"]),
    ],
    swiftLanguageModes: [.v6]
)
