import MeshCore

/// Small builders for the OpenAPI 3.1 document (`OpenAPIDocument`): JSON Schema pieces, parameters,
/// bodies, responses and operations, so each route reads as one short declaration.
enum OAS {
    /// A reference to schema `name` in `components.schemas`.
    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(name)"))]) }

    /// An object schema; `properties` in order, `required` names among them.
    static func object(_ properties: [(String, JSONValue)], required: [String] = [], description: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("object")), ("properties", .object(properties))]
        if !required.isEmpty { members.append(("required", .array(required.map { .string($0) }))) }
        if let description { members.append(("description", .string(description))) }
        return .object(members)
    }

    /// An object whose every value has schema `values` (a map by name).
    static func map(_ values: JSONValue, description: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("object")), ("additionalProperties", values)]
        if let description { members.append(("description", .string(description))) }
        return .object(members)
    }

    /// A string schema.
    static func string(_ description: String? = nil, minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil,
                       values: [String]? = nil, format: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("string"))]
        if let minLength { members.append(("minLength", .integer(Int64(minLength)))) }
        if let maxLength { members.append(("maxLength", .integer(Int64(maxLength)))) }
        if let pattern { members.append(("pattern", .string(pattern))) }
        if let values { members.append(("enum", .array(values.map { .string($0) }))) }
        if let format { members.append(("format", .string(format))) }
        if let description { members.append(("description", .string(description))) }
        return .object(members)
    }

    /// An integer schema with optional bounds.
    static func integer(_ description: String? = nil, minimum: Int64? = nil, maximum: Int64? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("integer"))]
        if let minimum { members.append(("minimum", .integer(minimum))) }
        if let maximum { members.append(("maximum", .integer(maximum))) }
        if let description { members.append(("description", .string(description))) }
        return .object(members)
    }

    /// A number schema.
    static func number(_ description: String? = nil, minimum: Double? = nil, maximum: Double? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("number"))]
        if let minimum { members.append(("minimum", .number(minimum))) }
        if let maximum { members.append(("maximum", .number(maximum))) }
        if let description { members.append(("description", .string(description))) }
        return .object(members)
    }

    static let boolean: JSONValue = .object([("type", .string("boolean"))])

    /// An array of `items`, at most `maxItems` long.
    static func array(_ items: JSONValue, maxItems: Int? = nil, description: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("array")), ("items", items)]
        if let maxItems { members.append(("maxItems", .integer(Int64(maxItems)))) }
        if let description { members.append(("description", .string(description))) }
        return .object(members)
    }

    /// `schema` or null.
    static func nullable(_ schema: JSONValue) -> JSONValue {
        .object([("anyOf", .array([schema, .object([("type", .string("null"))])]))])
    }

    /// A query parameter.
    static func query(_ name: String, _ schema: JSONValue, required: Bool = false, _ description: String,
                      example: JSONValue? = nil) -> JSONValue {
        parameter(name, in: "query", schema, required: required, description, example: example)
    }

    /// A path parameter (always required).
    static func path(_ name: String, _ schema: JSONValue, _ description: String, example: JSONValue? = nil) -> JSONValue {
        parameter(name, in: "path", schema, required: true, description, example: example)
    }

    private static func parameter(_ name: String, in place: String, _ schema: JSONValue, required: Bool, _ description: String,
                                  example: JSONValue?) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(name)), ("in", .string(place)), ("required", .bool(required)),
                                              ("description", .string(description)), ("schema", schema)]
        if let example { members.append(("example", example)) }
        return .object(members)
    }

    /// A required request body of `contentType` (JSON unless said), with an example.
    static func body(_ schema: JSONValue, _ description: String, example: JSONValue? = nil,
                     contentType: String = "application/json") -> JSONValue {
        var media: [(String, JSONValue)] = [("schema", schema)]
        if let example { media.append(("example", example)) }
        return .object([("required", .bool(true)), ("description", .string(description)),
                        ("content", .object([(contentType, .object(media))]))])
    }

    /// A response with a body of `contentType` (JSON unless said) and optional headers.
    static func response(_ description: String, _ schema: JSONValue, contentType: String = "application/json",
                         headers: [(String, JSONValue)] = []) -> JSONValue {
        var members: [(String, JSONValue)] = [("description", .string(description)),
                                              ("content", .object([(contentType, .object([("schema", schema)]))]))]
        if !headers.isEmpty { members.append(("headers", .object(headers))) }
        return .object(members)
    }

    /// A response header with a string value.
    static func header(_ description: String) -> JSONValue {
        .object([("description", .string(description)), ("schema", .object([("type", .string("string"))]))])
    }

    /// The error answer for `status`, from `components.responses`.
    static func error(_ status: Int) -> (String, JSONValue) {
        (String(status), .object([("$ref", .string("#/components/responses/Error\(status)"))]))
    }

    /// An operation. Every operation also lists the refusals any request can get before its route
    /// (`OpenAPIDocument.commonErrors`).
    static func operation(_ id: String, _ tag: String, _ summary: String, _ description: String,
                          parameters: [JSONValue] = [], body: JSONValue? = nil,
                          responses: [(String, JSONValue)], errors: [Int] = []) -> JSONValue {
        var members: [(String, JSONValue)] = [("operationId", .string(id)), ("tags", .array([.string(tag)])),
                                              ("summary", .string(summary)), ("description", .string(description))]
        if !parameters.isEmpty { members.append(("parameters", .array(parameters))) }
        if let body { members.append(("requestBody", body)) }
        let common = body == nil ? OpenAPIDocument.commonErrors : OpenAPIDocument.commonErrors + OpenAPIDocument.bodyErrors
        let statuses = (errors + common).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }.sorted()
        members.append(("responses", .object(responses + statuses.map(error))))
        return .object(members)
    }
}
