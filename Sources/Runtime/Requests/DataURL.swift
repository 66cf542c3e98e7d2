import Foundation

/// `data:[<mediatype>][;base64],<data>` URLs (RFC 2397) carrying images.
public enum DataURL {
    /// The decoded payload of a base64 `data:` URL; `where_` names the field in errors.
    public static func payload(_ url: String, where_: String) throws(APIRequestError) -> [UInt8] {
        guard let comma = url.firstIndex(of: ",") else {
            throw APIRequestError("'\(where_)': a data: URL needs a ',' before its payload", param: "messages", code: "invalid_image_url")
        }
        let header = url[url.index(url.startIndex, offsetBy: 5)..<comma]
        guard header.split(separator: ";").contains("base64") else {
            throw APIRequestError("'\(where_)': only base64 data: URLs are supported", param: "messages", code: "invalid_image_url")
        }
        let encoded = url[url.index(after: comma)...]
        guard let data = Data(base64Encoded: String(encoded)), !data.isEmpty else {
            throw APIRequestError("'\(where_)': the data: URL's payload is not valid base64", param: "messages", code: "invalid_base64")
        }
        return [UInt8](data)
    }
}
