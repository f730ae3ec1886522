/// The mesh's release version and the range of wire protocol versions it speaks.
public enum MeshVersion {
    public static let release = "0.1.0"
    /// Wire protocol version this build writes.
    public static let protocolCurrent: UInt8 = 1
    /// Oldest wire protocol version this build still reads.
    public static let protocolMinimum: UInt8 = 1
}
