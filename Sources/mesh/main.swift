import MeshCLI
#if canImport(Glibc)
import Glibc
#endif

exit(MeshCommandLine.main(Array(CommandLine.arguments.dropFirst())))
