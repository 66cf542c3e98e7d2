import TensorFormats

/// Typed access to a `config.json` object with one-line errors naming the file and key.
struct ConfigReader {
    let json: JSONValue
    let file: String

    func int(_ key: String) throws -> Int {
        guard let v = json[key]?.intValue else { throw FormatError(file, "missing or non-integer '\(key)'") }
        return v
    }

    func int(_ key: String, default d: Int) throws -> Int {
        guard let v = json[key], v != .null else { return d }
        guard let i = v.intValue else { throw FormatError(file, "'\(key)' is not an integer") }
        return i
    }

    func double(_ key: String, default d: Double) throws -> Double {
        guard let v = json[key], v != .null else { return d }
        guard let x = v.doubleValue else { throw FormatError(file, "'\(key)' is not a number") }
        return x
    }

    func string(_ key: String, default d: String) -> String {
        json[key]?.stringValue ?? d
    }

    func floats(_ key: String) throws -> [Float] {
        guard let a = json[key]?.arrayValue else { throw FormatError(file, "missing array '\(key)'") }
        return try a.map { v in
            guard let d = v.doubleValue else { throw FormatError(file, "'\(key)' holds a non-number") }
            return Float(d)
        }
    }

    func object(_ key: String) -> ConfigReader? {
        guard let v = json[key], v.objectValue != nil else { return nil }
        return ConfigReader(json: v, file: file + ":" + key)
    }
}
