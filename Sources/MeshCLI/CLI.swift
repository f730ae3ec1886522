import MeshCore

/// Entry point of the `mesh` command.
public enum MeshCommandLine {
    public static func main(_ arguments: [String]) -> Int32 {
        print("mesh \(MeshVersion.release)")
        return 0
    }
}
