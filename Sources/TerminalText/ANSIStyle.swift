/// The few ANSI styles tnx paints with, in one table for the reporter and the diagnostics.
/// Off (no terminal, or `NO_COLOR`), every style is the empty string and `paint` returns the
/// text as it is: callers never test for colour themselves.
public struct ANSIStyle: Sendable, Hashable {
    public enum Code: String, Sendable {
        case bold = "1", dim = "2"
        case red = "31", green = "32", yellow = "33", cyan = "36"
        case boldRed = "1;31", boldGreen = "1;32", boldYellow = "1;33", boldCyan = "1;36"
    }

    public let isOn: Bool

    public init(on: Bool) { isOn = on }

    /// The sequence that starts `code`, or "".
    public func start(_ code: Code) -> String { isOn ? "\u{1B}[\(code.rawValue)m" : "" }

    /// The sequence that ends every style, or "".
    public var reset: String { isOn ? "\u{1B}[0m" : "" }

    /// `text` in `code`, or `text` alone.
    public func paint(_ text: String, _ code: Code) -> String { isOn ? start(code) + text + reset : text }
}
