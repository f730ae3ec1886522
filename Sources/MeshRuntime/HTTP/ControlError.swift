import MeshCore

/// Reading the control API's error answers: `{"error": {"code", "message", ...details}}`, the one
/// shape every error path answers with. Nodes built before it answered `{"error": MESSAGE, "code",
/// "field"?}`; both are read, so a client can still explain an older node's refusal.
public enum ControlError {
    /// The error's message, or nil when `json` is not an error answer.
    public static func message(in json: JSONValue) -> String? {
        json["error"]?["message"]?.string ?? json["error"]?.string
    }

    /// A field of the error (`code`, `field`, `membersAsked`, …) in either shape.
    public static func detail(_ name: String, in json: JSONValue) -> JSONValue? {
        if let inner = json["error"], inner.object != nil { return inner[name] }
        return json[name]
    }
}
