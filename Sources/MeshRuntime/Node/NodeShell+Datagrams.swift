import Dispatch
import Glibc
import MeshCore

/// The gossip UDP socket.
extension NodeShell {
    /// Watches the UDP socket; each readiness event reads what is queued, up to a bound, so timers
    /// and streams get their turn on the queue under a flood.
    func startReceiving() {
        let source = DispatchSource.makeReadSource(fileDescriptor: udp, queue: queue)
        source.setEventHandler { [self] in receiveDatagrams() }
        let fd = udp
        source.setCancelHandler { closeDescriptor(fd) }
        udpSource = source
        source.resume()
    }

    private func receiveDatagrams() {
        for _ in 0..<64 {
            guard exitStatus == nil else { return }
            let received: (count: Int, sender: Address)?
            do {
                received = try Sockets.receiveDatagram(udp, into: receiveBuffer)
            } catch {
                return
            }
            guard let (count, sender) = received else { return }
            counters.datagramsReceived += 1
            counters.datagramBytesReceived += UInt64(count)
            // A datagram longer than the buffer arrives as count == buffer + 1; the core counts it oversized.
            let bytes = count > receiveBuffer.count
                ? Bytes(repeating: 0, count: WireLimits.datagramBytesMax + 1)
                : Bytes(UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<count]))
            perform(core.receiveDatagram(bytes, from: sender, at: SystemClock.moment()))
        }
    }

    /// Sends one datagram; a full buffer or an unreachable peer drops it (UDP promises nothing).
    func sendDatagram(_ datagram: Bytes, to destination: Address) {
        do {
            if try Sockets.sendDatagram(udp, datagram, to: destination) {
                counters.datagramsSent += 1
                counters.datagramBytesSent += UInt64(datagram.count)
            } else {
                counters.sendFailures += 1
            }
        } catch {
            counters.sendFailures += 1
        }
    }
}
