/// Why one input cannot be embedded, classified so that a server can answer with the right status.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Malformed or inconsistent (bad image bytes, marker/image count mismatch, token id out of range).
        case invalid
        /// More tokens than the model's context.
        case tooLong
        /// An image over the pixel limit (refused from its header).
        case tooLarge
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
