/// The recordings in the order `GET /recordings` answers them (newest first, then by id), with
/// a Fenwick tree of which are still there: a page of a million matches costs a few
/// logarithmic steps and the page itself, not a pass over a million recordings.
struct RecordingIndex: Sendable {
    struct Entry: Sendable {
        var created: Int64
        var id: String
        var index: Int
    }

    private(set) var order: [Entry] = []
    private var position: [String: Int] = [:]
    private var alive: [Bool] = []
    /// 1-based Fenwick tree of `alive`.
    private var tree: [Int32] = []

    init(recordings: [String: Int]) {
        order = recordings.map { Entry(created: SandboxData.createdMillis(index: $0.value), id: $0.key, index: $0.value) }
        order.sort { $0.created != $1.created ? $0.created > $1.created : $0.id < $1.id }
        position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($0.element.id, $0.offset) })
        alive = Array(repeating: true, count: order.count)
        tree = Array(repeating: 0, count: order.count + 1)
        // Built in one pass: each node adds itself to its parent.
        for i in tree.indices.dropFirst() {
            tree[i] += 1
            let parent = i + (i & -i)
            if parent < tree.count { tree[parent] += tree[i] }
        }
    }

    /// The recording is gone.
    mutating func remove(_ id: String) {
        guard let p = position[id], alive[p] else { return }
        alive[p] = false
        var i = p + 1
        while i < tree.count {
            tree[i] -= 1
            i += i & -i
        }
    }

    /// Recordings still there among positions `0..<end`.
    private func prefix(_ end: Int) -> Int {
        var sum = 0
        var i = end
        while i > 0 {
            sum += Int(tree[i])
            i -= i & -i
        }
        return sum
    }

    /// The positions whose `created` is within the bounds (inclusive), as a range of `order`.
    func range(createdFrom: Int64?, createdTo: Int64?) -> Range<Int> {
        // Newest first: positions with created <= createdTo start at `lower`; those with
        // created >= createdFrom end before `upper`.
        let lower = createdTo.map { to in firstPosition { $0.created <= to } } ?? 0
        let upper = createdFrom.map { from in firstPosition { $0.created < from } } ?? order.count
        return lower..<max(lower, upper)
    }

    /// The first position where `isPast` holds (it holds for every later one too).
    private func firstPosition(where isPast: (Entry) -> Bool) -> Int {
        var low = 0
        var high = order.count
        while low < high {
            let mid = (low + high) / 2
            if isPast(order[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// Recordings still there in `range`.
    func count(in range: Range<Int>) -> Int { prefix(range.upperBound) - prefix(range.lowerBound) }

    /// Up to `limit` recordings still there in `range`, after skipping `skip` of them.
    func entries(in range: Range<Int>, skip: Int, limit: Int) -> [Entry] {
        let wanted = prefix(range.lowerBound) + skip  // alive positions before the first one taken
        // The first position with `wanted + 1` alive positions up to and including it.
        var p = 0
        var remaining = wanted
        var step = 1
        while step * 2 < tree.count { step *= 2 }
        while step > 0 {
            if p + step < tree.count, Int(tree[p + step]) <= remaining {
                p += step
                remaining -= Int(tree[p])
            }
            step /= 2
        }
        var result: [Entry] = []
        var i = max(p, range.lowerBound)
        while i < range.upperBound, result.count < limit {
            if alive[i] { result.append(order[i]) }
            i += 1
        }
        return result
    }

    /// Every recording still there in `range`, in order (for filters the tree cannot answer).
    func all(in range: Range<Int>) -> [Entry] {
        range.filter { alive[$0] }.map { order[$0] }
    }
}
