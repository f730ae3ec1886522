import MeshCore

enum OpenAPIDocument {
    static let json: JSONValue = .object([])
}
