import Foundation

/// A JSON value as a schema sees it: booleans, integers and other numbers told apart.
indirect enum JSONNode: Decodable, Equatable, CustomStringConvertible {
    case null, bool(Bool), integer(Int), number(Double), string(String), array([JSONNode]), object([String: JSONNode])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONNode].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONNode].self)) }
    }

    static func parse(_ text: some StringProtocol) throws -> JSONNode {
        try JSONDecoder().decode(JSONNode.self, from: Data(text.utf8))
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .integer(let i): "\(i)"
        case .number(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[\(a.map(\.description).joined(separator: ","))]"
        case .object(let o): "{\(o.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ","))}"
        }
    }
}

/// The part of JSON Schema (2020-12) that docs/output.schema.json uses: `type`, `enum`,
/// `const`, `required`, `properties`, `additionalProperties`, `items`, `anyOf`, `oneOf`,
/// local `$ref`s, `minimum` and `maximum`. A keyword it does not know is an error, not
/// ignored: the schema cannot come to rely on a check that nothing makes.
struct SchemaValidator {
    let root: JSONNode
    static let annotations: Set<String> = ["$schema", "$id", "title", "description", "$defs"]
    static let keywords: Set<String> = [
        "type", "enum", "const", "required", "properties", "additionalProperties", "items", "anyOf", "oneOf", "$ref",
        "minimum", "maximum",
    ]

    /// Why `value` does not match (empty: it does).
    func problems(_ value: JSONNode) -> [String] {
        problems(value, root, path: "$")
    }

    private func problems(_ value: JSONNode, _ schema: JSONNode, path: String) -> [String] {
        guard case .object(let s) = schema else { return ["\(path): the schema is not an object"] }
        var found: [String] = []
        for key in s.keys where !Self.keywords.contains(key) && !Self.annotations.contains(key) {
            found.append("\(path): the validator does not know the keyword \(key)")
        }
        if case .string(let ref)? = s["$ref"] {
            guard ref.hasPrefix("#/$defs/"), case .object(let defs)? = root.objectValue?["$defs"],
                let target = defs[String(ref.dropFirst("#/$defs/".count))]
            else { return found + ["\(path): unresolvable $ref \(ref)"] }
            found += problems(value, target, path: path)
        }
        if let type = s["type"] {
            let allowed: [String] = switch type {
            case .string(let t): [t]
            case .array(let list): list.compactMap { if case .string(let t) = $0 { t } else { nil } }
            default: []
            }
            if !allowed.contains(where: { Self.matches(value, type: $0) }) {
                found.append("\(path): \(value) is not of type \(allowed.joined(separator: "|"))")
            }
        }
        if case .array(let options)? = s["enum"], !options.contains(value) {
            found.append("\(path): \(value) is none of \(options)")
        }
        if let constant = s["const"], constant != value {
            found.append("\(path): \(value) is not \(constant)")
        }
        if let minimum = s["minimum"]?.doubleValue, let v = value.doubleValue, v < minimum {
            found.append("\(path): \(value) is below \(minimum)")
        }
        if let maximum = s["maximum"]?.doubleValue, let v = value.doubleValue, v > maximum {
            found.append("\(path): \(value) is above \(maximum)")
        }
        if case .object(let object) = value {
            if case .array(let required)? = s["required"] {
                for case .string(let name) in required where object[name] == nil {
                    found.append("\(path): the field \(name) is missing")
                }
            }
            let properties = s["properties"]?.objectValue ?? [:]
            for (name, field) in object {
                if let fieldSchema = properties[name] {
                    found += problems(field, fieldSchema, path: path + "." + name)
                } else if let additional = s["additionalProperties"] {
                    if case .bool(false) = additional {
                        found.append("\(path): the field \(name) is not in the schema")
                    } else if case .object = additional {
                        found += problems(field, additional, path: path + "." + name)
                    }
                }
            }
        }
        if case .array(let items) = value, let itemSchema = s["items"] {
            for (i, item) in items.enumerated() { found += problems(item, itemSchema, path: "\(path)[\(i)]") }
        }
        if case .array(let options)? = s["anyOf"] {
            let results = options.map { problems(value, $0, path: path) }
            if !results.contains(where: \.isEmpty) {
                // The closest option's problems say the most.
                found += results.min { $0.count < $1.count } ?? []
            }
        }
        if case .array(let options)? = s["oneOf"] {
            let matching = options.filter { problems(value, $0, path: path).isEmpty }.count
            if matching != 1 { found.append("\(path): matches \(matching) of oneOf, not exactly one") }
        }
        return found
    }

    static func matches(_ value: JSONNode, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer), ("number", .number),
            ("string", .string), ("array", .array), ("object", .object):
            true
        default:
            false
        }
    }
}

extension JSONNode {
    var objectValue: [String: JSONNode]? {
        if case .object(let o) = self { return o }
        return nil
    }

    var doubleValue: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }
}
