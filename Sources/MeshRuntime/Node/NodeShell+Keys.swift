import MeshCore

/// `GET /v1/keys` and `POST /v1/keys/{install,use,remove}`: the keyring of a running node, changed
/// through the core (which owns it) and saved to the key file so a restart keeps it.
extension NodeShell {
    /// `{"keys": [{"fingerprint", "primary"}], "members": [{"name", "state", "keyFingerprint"}], "keyFile"}`:
    /// this node's keys by fingerprint (never the keys), and the primary key each member advertises.
    func keysJSON() -> JSONValue {
        let keys = (core.keyring?.keys ?? []).enumerated().map { index, key in
            JSONValue.object([("fingerprint", .string(key.fingerprintText)), ("primary", .bool(index == 0))])
        }
        var members = [memberKeyJSON(name: core.name, state: core.selfMember.status, meta: core.meta)]
        for member in core.members.members.sorted(by: { $0.name < $1.name }) {
            members.append(memberKeyJSON(name: member.name, state: member.status, meta: member.meta))
        }
        return .object([("keys", .array(keys)), ("members", .array(members)),
                        ("keyFile", options.keyFile.map(JSONValue.string) ?? .null)])
    }

    private func memberKeyJSON(name: String, state: MemberStatus, meta: Bytes) -> JSONValue {
        .object([("name", .string(name)), ("state", .string(state.description)),
                 ("keyFingerprint", MemberMeta.keyFingerprint(in: meta).map(JSONValue.string) ?? .null)])
    }

    /// `{"key": BASE64}` → the keyring after the change (as `GET /v1/keys`), once it is saved.
    func changeKeys(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        guard let text = ControlBody.parse(request.body)?["key"]?.string else {
            return respond(.error(400, "body must be {\"key\": BASE64}"))
        }
        let key: MeshKey
        do {
            key = try MeshKey(parsing: text)
        } catch {
            return respond(.error(400, "key: \(error.description)"))
        }
        let change: KeyChange = switch request.path {
        case "/v1/keys/install": .install(key)
        case "/v1/keys/use": .use(key)
        default: .remove(key)
        }
        control(.keys(change)) { [self] reply in
            switch reply {
            case .accepted:
                if let problem = saveKeys() {
                    logger.error("key change in force but not saved", ["error": problem])
                    return respond(.error(500, "the change is in force, but \(problem); a restart would go back to the file's keys"))
                }
                logger.info("keyring changed", ["change": request.path.split(separator: "/").last.map(String.init) ?? "",
                                                "key": key.fingerprintText])
                respond(.json(keysJSON()))
            case .refused(let reason): respond(.error(409, reason))
            default: respond(.error(500, "unexpected answer to a key change"))
            }
        }
    }

    /// Rewrites the key file with the core's keyring, primary first (mode 600, atomically: a crash
    /// leaves the old file or the new one). Returns what went wrong, or nil.
    func saveKeys() -> String? {
        guard let path = options.keyFile, let keyring = core.keyring else { return "there is no key file to save to" }
        var text = "# mesh cluster keys: the first is the primary, later ones are still accepted.\n"
        text += "# Rewritten by the node on mesh keys install/use/remove.\n"
        for key in keyring.keys { text += key.base64 + "\n" }
        do {
            try Files.writeAtomically(path, Array(text.utf8), mode: 0o600)
            return nil
        } catch {
            return "could not be saved to \(path): \(error.reason)"
        }
    }
}
