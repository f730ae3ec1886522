import MeshCore

/// Feeding the measurements: crash detection, false suspicions and deaths, dissemination, traffic.
extension Simulation {
    func countDatagram(_ bytes: Bytes, from node: Int) {
        measurements.datagrams += 1
        measurements.datagramBytes += bytes.count
        if bytes.count > measurements.maxDatagramBytes { measurements.maxDatagramBytes = bytes.count }
        let overhead = datagramOverheadBytes
        if bytes.count > overhead { measurements.datagramsByKind[Int(min(bytes[overhead], 15))] += 1 }
        if bytes.count > WireLimits.datagramBytesMax {
            measurements.violation("t=\(seconds(now)) \(nodes[node].name) sent a datagram of \(bytes.count) bytes")
        }
    }

    /// A crash starts a detection sample; the victim stops being an observer of anything.
    func nodeCrashed(_ victim: Int, incarnation: UInt64) {
        // The next life starts from an empty table: what this life saw no longer binds it.
        for member in nodes.indices { measurements.views.removeValue(forKey: Measurements.key(victim, member)) }
        // An observer that crashes no longer has to detect anyone.
        for i in measurements.crashes.indices where measurements.crashes[i].completedAt == nil
            && !measurements.crashes[i].abandoned && measurements.crashes[i].observers.contains(victim) {
            measurements.crashes[i].observers.remove(victim)
            completeIfDetected(i)
        }
        // Nor has it to learn updates any more.
        for (updater, var d) in measurements.disseminations.sorted(by: { $0.key < $1.key }) where d.waiting.contains(victim) {
            d.waiting.remove(victim)
            measurements.disseminations[updater] = d.waiting.isEmpty ? nil : d
        }
        let observers = Set(nodes.indices.filter { $0 != victim && nodes[$0].instance != nil && !nodes[$0].hasLeft })
        measurements.crashes.append(.init(victim: victim, at: now, incarnation: incarnation, observers: observers))
        measurements.openCrashByVictim[victim] = measurements.crashes.count - 1
    }

    /// A restart ends the crash's sample: if not everyone saw the death by now, it never counts.
    func nodeRestarting(_ node: Int) {
        if let open = measurements.openCrashByVictim.removeValue(forKey: node) {
            measurements.crashes[open].abandoned = measurements.crashes[open].completedAt == nil
        }
    }

    func updateAnnounced(_ node: Int, incarnation: UInt64) {
        if let previous = measurements.disseminations[node] { measurements.disseminationMissing += previous.waiting.count }
        let waiting = Set(nodes.indices.filter { $0 != node && nodes[$0].instance != nil && !nodes[$0].hasLeft })
        measurements.disseminations[node] = .init(at: now, incarnation: incarnation, waiting: waiting)
    }

    func completeIfDetected(_ i: Int) {
        let crash = measurements.crashes[i]
        if crash.completedAt == nil && crash.observers.allSatisfy({ crash.detectedBy[$0] != nil }) {
            measurements.crashes[i].completedAt = crash.observers.map { crash.detectedBy[$0]! }.max() ?? now
        }
    }

    func memberChanged(_ member: Int, status: MemberStatus, incarnation: UInt64, observer: Int) {
        if let open = measurements.openCrashByVictim[member], status >= .suspect,
           incarnation <= measurements.crashes[open].incarnation {
            if measurements.crashes[open].firstSuspectAt == nil { measurements.crashes[open].firstSuspectAt = now }
            if status.isDown, measurements.crashes[open].observers.contains(observer),
               measurements.crashes[open].detectedBy[observer] == nil {
                measurements.crashes[open].detectedBy[observer] = now
                completeIfDetected(open)
            }
        }
        if status == .suspect && !isImpaired(observer) && isWronglyAccused(member, incarnation: incarnation, by: observer) {
            measurements.falseSuspectObservations += 1
        }
        if var d = measurements.disseminations[member], incarnation >= d.incarnation, d.waiting.contains(observer) {
            measurements.disseminationSamples.append(now - d.at)
            d.waiting.remove(observer)
            measurements.disseminations[member] = d.waiting.isEmpty ? nil : d
        }
    }

    func suspicionRaised(_ member: Int, incarnation: UInt64, by observer: Int) {
        guard isWronglyAccused(member, incarnation: incarnation, by: observer) else { return }
        measurements.falseSuspectEpisodes.insert(Measurements.key(member, Int(truncatingIfNeeded: incarnation)))
        if isImpaired(observer) {
            measurements.falseSuspicionsRaisedByImpaired += 1
        } else {
            measurements.falseSuspicionsRaised += 1
            if isImpaired(member) { measurements.falseSuspicionsRaisedAboutImpaired += 1 }
        }
    }

    func deathDeclared(_ member: Int, incarnation: UInt64, by observer: Int) {
        guard isWronglyAccused(member, incarnation: incarnation, by: observer) else { return }
        measurements.falseDeadEpisodes.insert(Measurements.key(member, Int(truncatingIfNeeded: incarnation)))
        if measurements.falseDeathNotes.count < 10 {
            measurements.falseDeathNotes.append("t=\(seconds(now)) \(nodes[observer].name) declared \(nodes[member].name) dead at incarnation \(incarnation); it is alive at \(nodes[member].instance!.incarnation)")
        }
    }
}
