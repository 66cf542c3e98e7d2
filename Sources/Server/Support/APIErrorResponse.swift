import Hummingbird
import NIOCore
import Runtime

/// An OpenAI-shaped error answer: `{"error": {"message", "type", "param", "code"}}`.
struct APIErrorResponse: Error {
    var status: HTTPResponse.Status
    var message: String
    var param: String?
    var code: String?
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " ")
        self.param = param
        self.code = code
    }

    /// OpenAI's error `type` for the status.
    var type: String {
        switch status.code {
        case 401: return "authentication_error"
        case 429: return "rate_limit_error"
        case 500...: return "server_error"
        default: return "invalid_request_error"
        }
    }

    var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let body = EmbeddingsAPIResponse.error(message, type: type, param: param, code: code)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// A JSON answer.
func jsonResponse(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}
