import Hummingbird
import NIOCore

/// The request context: Hummingbird's core context plus the connection, so that a request can
/// notice its client going away.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies are collected by the route with the server's own limit.
    public var maxUploadSize: Int { Int.max }
}
