// BinaryHeap: the one priority queue, shared by the BPE and SentencePiece merge loops. The element
// that `precedes` every other is on top (a min-heap for `<`).

struct BinaryHeap<Element> {
    private var items: [Element] = []
    private let precedes: (Element, Element) -> Bool

    init(capacity: Int = 0, precedes: @escaping (Element, Element) -> Bool) {
        self.precedes = precedes
        items.reserveCapacity(capacity)
    }

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ e: Element) {
        items.append(e)
        var c = items.count - 1
        while c > 0 {
            let parent = (c - 1) / 2
            if !precedes(items[c], items[parent]) { break }
            items.swapAt(c, parent); c = parent
        }
    }

    /// Removes and returns the top element. The heap must not be empty.
    mutating func pop() -> Element {
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var c = 0
            while true {
                let a = 2 * c + 1, b = a + 1
                var m = c
                if a < items.count && precedes(items[a], items[m]) { m = a }
                if b < items.count && precedes(items[b], items[m]) { m = b }
                if m == c { break }
                items.swapAt(m, c); c = m
            }
        }
        return top
    }
}
