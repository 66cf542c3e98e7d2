/// A regular-expression matcher whose time is linear in the text (a Thompson NFA simulated over
/// sets of states), for patterns read from files — PEFT's `target_modules`, `rank_pattern` and
/// `alpha_pattern`. A backtracking engine spins forever on `(.*)*Z`; this one cannot.
///
/// Syntax (Python `re`'s common subset): literals, `.`, `[...]` classes with ranges and negation,
/// `\d \w \s \D \W \S`, escaped metacharacters, groups `( )` and `(?: )`, `|`, `* + ?` (lazy forms
/// accepted: a full match does not depend on laziness), `{m}`, `{m,}`, `{m,n}` (m, n ≤ 1000), and
/// `^`/`$`/`\A`/`\Z` anchors. Backreferences, lookarounds and word boundaries need backtracking and
/// are refused, as is a pattern compiling to more than `maxStates` states.
public struct LinearRegex: Sendable {
    /// The most NFA states a pattern may compile to (counted repetitions are unrolled).
    public static let maxStates = 20_000

    /// Why a pattern was refused.
    public struct PatternError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    enum State: Sendable {
        case scalar(Matcher, next: Int)
        case split(Int, Int)
        case atStart(next: Int)
        case atEnd(next: Int)
        case match
    }

    enum Matcher: Sendable {
        case any
        case literal(Unicode.Scalar)
        case set([ClosedRange<UInt32>], negated: Bool)

        func matches(_ s: Unicode.Scalar) -> Bool {
            switch self {
            case .any: return s != "\n"
            case .literal(let c): return s == c
            case .set(let ranges, let negated): return ranges.contains { $0.contains(s.value) } != negated
            }
        }
    }

    let states: [State]
    let start: Int
    public let pattern: String

    /// Compiles `pattern`; unsupported syntax or too large a pattern is a `PatternError`.
    public init(_ pattern: String) throws(PatternError) {
        self.pattern = pattern
        var parser = RegexParser(Array(pattern.unicodeScalars))
        let ast = try parser.parse()
        var compiler = RegexCompiler()
        let matchState = compiler.add(.match)
        start = try compiler.compile(ast, next: matchState)
        states = compiler.states
    }

    /// Whether the whole of `text` matches (Python's `re.fullmatch`).
    public func wholeMatch(_ text: String) -> Bool {
        let input = Array(text.unicodeScalars)
        var current: [Int] = []
        var mark = [Int](repeating: -1, count: states.count)
        addClosure(start, position: 0, count: input.count, into: &current, mark: &mark)
        for (i, c) in input.enumerated() {
            var next: [Int] = []
            for s in current {
                if case .scalar(let m, let n) = states[s], m.matches(c) {
                    addClosure(n, position: i + 1, count: input.count, into: &next, mark: &mark)
                }
            }
            if next.isEmpty { return false }
            current = next
        }
        return current.contains { if case .match = states[$0] { return true } else { return false } }
    }

    /// Adds `s` and every state reachable from it without consuming input, each once per position.
    private func addClosure(_ s: Int, position: Int, count: Int, into list: inout [Int], mark: inout [Int]) {
        var stack = [s]
        while let t = stack.popLast() {
            guard mark[t] != position else { continue }
            mark[t] = position
            switch states[t] {
            case .split(let a, let b): stack.append(b); stack.append(a)
            case .atStart(let n): if position == 0 { stack.append(n) }
            case .atEnd(let n): if position == count { stack.append(n) }
            case .scalar, .match: list.append(t)
            }
        }
    }
}

/// The parsed pattern.
indirect enum RegexNode: Sendable {
    case empty
    case atom(LinearRegex.Matcher)
    case start, end
    case concat([RegexNode])
    case alternation([RegexNode])
    case repeated(RegexNode, min: Int, max: Int?)
}

struct RegexParser {
    let s: [Unicode.Scalar]
    var i = 0

    init(_ s: [Unicode.Scalar]) { self.s = s }

    func fail(_ what: String) -> LinearRegex.PatternError {
        LinearRegex.PatternError(message: "\(what) at character \(i) of the pattern")
    }

    mutating func parse() throws(LinearRegex.PatternError) -> RegexNode {
        let node = try alternation()
        guard i == s.count else { throw fail("unbalanced ')'") }
        return node
    }

    mutating func alternation() throws(LinearRegex.PatternError) -> RegexNode {
        var branches = [try concatenation()]
        while i < s.count, s[i] == "|" {
            i += 1
            branches.append(try concatenation())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func concatenation() throws(LinearRegex.PatternError) -> RegexNode {
        var items: [RegexNode] = []
        while i < s.count, s[i] != "|", s[i] != ")" {
            items.append(try repetition())
        }
        return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
    }

    mutating func repetition() throws(LinearRegex.PatternError) -> RegexNode {
        var node = try atom()
        while i < s.count {
            let bounds: (Int, Int?)
            switch s[i] {
            case "*": bounds = (0, nil); i += 1
            case "+": bounds = (1, nil); i += 1
            case "?": bounds = (0, 1); i += 1
            case "{":
                guard let b = counted() else { return node }
                bounds = b
            default: return node
            }
            if i < s.count, s[i] == "?" { i += 1 }  // lazy: same full-match result
            else if i < s.count, s[i] == "+" { throw fail("possessive quantifier is not supported") }
            node = .repeated(node, min: bounds.0, max: bounds.1)
        }
        return node
    }

    /// `{m}`, `{m,}`, `{m,n}` at `i` (consumed), or nil when the brace is a literal.
    mutating func counted() -> (Int, Int?)? {
        var j = i + 1
        func number() -> Int? {
            var v = 0, digits = 0
            while j < s.count, let d = Int(String(s[j])), s[j].isASCII, digits < 5 { v = v * 10 + d; j += 1; digits += 1 }
            return digits == 0 ? nil : v
        }
        let lo = number()
        var hi: Int?? = .some(lo)
        if j < s.count, s[j] == "," { j += 1; hi = .some(number()) }
        guard j < s.count, s[j] == "}", let m = lo ?? (hi != nil ? 0 : nil) else { return nil }
        let n = hi ?? nil
        guard m <= 1000, (n ?? 0) <= 1000, n.map({ $0 >= m }) ?? true else { return nil }
        i = j + 1
        return (m, n)
    }

    mutating func atom() throws(LinearRegex.PatternError) -> RegexNode {
        let c = s[i]
        i += 1
        switch c {
        case "(":
            if i < s.count, s[i] == "?" {
                guard i + 1 < s.count, s[i + 1] == ":" else { throw fail("group extension (?…) is not supported") }
                i += 2
            }
            let inner = try alternation()
            guard i < s.count, s[i] == ")" else { throw fail("missing ')'") }
            i += 1
            return inner
        case "[": return .atom(try characterClass())
        case ".": return .atom(.any)
        case "^": return .start
        case "$": return .end
        case "\\": return try escape()
        case "*", "+", "?": throw fail("nothing to repeat")
        default: return .atom(.literal(c))
        }
    }

    mutating func escape() throws(LinearRegex.PatternError) -> RegexNode {
        guard i < s.count else { throw fail("trailing backslash") }
        let c = s[i]
        i += 1
        switch c {
        case "A": return .start
        case "Z": return .end
        case "b", "B": throw fail("word boundary \\\(c) is not supported")
        case "1"..."9": throw fail("backreference \\\(c) is not supported")
        default:
            if let m = Self.classEscape(c) { return .atom(m) }
            return .atom(.literal(Self.control(c)))
        }
    }

    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let space: [ClosedRange<UInt32>] = [0x09...0x0D, 0x20...0x20]

    static func classEscape(_ c: Unicode.Scalar) -> LinearRegex.Matcher? {
        switch c {
        case "d": return .set(digit, negated: false)
        case "D": return .set(digit, negated: true)
        case "w": return .set(word, negated: false)
        case "W": return .set(word, negated: true)
        case "s": return .set(space, negated: false)
        case "S": return .set(space, negated: true)
        default: return nil
        }
    }

    static func control(_ c: Unicode.Scalar) -> Unicode.Scalar {
        switch c {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        default: return c
        }
    }

    mutating func characterClass() throws(LinearRegex.PatternError) -> LinearRegex.Matcher {
        var negated = false
        if i < s.count, s[i] == "^" { negated = true; i += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard i < s.count else { throw fail("missing ']'") }
            var c = s[i]
            if c == "]" && !first { i += 1; break }
            first = false
            i += 1
            if c == "\\" {
                guard i < s.count else { throw fail("trailing backslash") }
                let e = s[i]
                i += 1
                if let m = Self.classEscape(e), case .set(let r, let neg) = m {
                    guard !neg else { throw fail("negated class escape inside [...] is not supported") }
                    ranges += r
                    continue
                }
                c = Self.control(e)
            }
            if i + 1 < s.count, s[i] == "-", s[i + 1] != "]" {
                var hi = s[i + 1]
                i += 2
                if hi == "\\" {
                    guard i < s.count else { throw fail("trailing backslash") }
                    hi = Self.control(s[i])
                    i += 1
                }
                guard hi.value >= c.value else { throw fail("bad character range") }
                ranges.append(c.value...hi.value)
            } else {
                ranges.append(c.value...c.value)
            }
        }
        return .set(ranges, negated: negated)
    }
}

struct RegexCompiler {
    var states: [LinearRegex.State] = []

    mutating func add(_ s: LinearRegex.State) -> Int {
        states.append(s)
        return states.count - 1
    }

    func checkSize() throws(LinearRegex.PatternError) {
        guard states.count <= LinearRegex.maxStates else {
            throw LinearRegex.PatternError(message: "pattern compiles to more than \(LinearRegex.maxStates) states")
        }
    }

    /// Compiles `node` so that it continues at `next`; returns its entry state.
    mutating func compile(_ node: RegexNode, next: Int) throws(LinearRegex.PatternError) -> Int {
        try checkSize()
        switch node {
        case .empty: return next
        case .atom(let m): return add(.scalar(m, next: next))
        case .start: return add(.atStart(next: next))
        case .end: return add(.atEnd(next: next))
        case .concat(let items):
            var entry = next
            for item in items.reversed() { entry = try compile(item, next: entry) }
            return entry
        case .alternation(let branches):
            var entry = try compile(branches[branches.count - 1], next: next)
            for b in branches.dropLast().reversed() {
                let e = try compile(b, next: next)
                entry = add(.split(e, entry))
            }
            return entry
        case .repeated(let inner, let lo, let hi):
            var entry = next
            if let hi {
                // Optional copies from the end: (inner (inner …)?)?
                for _ in 0..<(hi - lo) {
                    let body = try compile(inner, next: entry)
                    entry = add(.split(body, next))
                }
            } else {
                // A loop: split → inner → back to the split.
                let loop = add(.split(0, next))
                let body = try compile(inner, next: loop)
                states[loop] = .split(body, next)
                entry = loop
            }
            for _ in 0..<lo { entry = try compile(inner, next: entry) }
            return entry
        }
    }
}
