/// The only Python globals a checkpoint pickle may name. Each is a *description* the
/// unpickler interprets itself; nothing is ever looked up in or run by Python.
enum AllowedGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case rebuildTensorV3
    case rebuildParameter
    case rebuildParameterWithState
    /// `torch.<Type>Storage` (dtype set) or `torch.storage.UntypedStorage` (dtype nil).
    case storageType(name: String, dtype: DType?)
    /// `torch.float32` and friends, passed to `_rebuild_tensor_v3`.
    case dtype(name: String, DType)

    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorV3: return "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .storageType(let name, let dtype): return dtype == nil ? "torch.storage.\(name)" : "torch.\(name)"
        case .dtype(let name, _): return "torch.\(name)"
        }
    }

    static let typedStorages: [String: DType] = [
        "DoubleStorage": .f64, "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    /// Dtype globals as `torch.save` writes them (`GLOBAL 'torch uint16'`) for `_rebuild_tensor_v3`.
    static let dtypes: [String: DType] = [
        "float64": .f64, "float32": .f32, "float16": .f16, "bfloat16": .bf16,
        "int64": .i64, "int32": .i32, "int16": .i16, "int8": .i8,
        "uint64": .u64, "uint32": .u32, "uint16": .u16, "uint8": .u8, "bool": .bool,
        "float8_e4m3fn": .f8e4m3, "float8_e5m2": .f8e5m2,
    ]

    /// Resolves `module.name`, or throws: forbidden globals are named in a one-line error.
    static func resolve(module: String, name: String, file: String) throws -> AllowedGlobal {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch.storage", "UntypedStorage"): return .storageType(name: name, dtype: nil)
        default: break
        }
        if module == "torch" {
            if let d = typedStorages[name] { return .storageType(name: name, dtype: d) }
            if let d = dtypes[name] { return .dtype(name: name, d) }
            if name.hasSuffix("Storage") && name.allSatisfy({ $0.isLetter || $0.isNumber }) {
                throw FormatError(file, "pickle uses storage type torch.\(name), whose element type is not supported")
            }
        }
        let shown = printable(module) + "." + printable(name)
        throw FormatError(file, "pickle references forbidden global \(shown); only tensors and dicts of tensors are allowed")
    }

    /// Keeps an error message on one line and short.
    static func printable(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars.prefix(120) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return s.unicodeScalars.count > 120 ? out + "…" : out
    }
}

/// What the allowed globals mean when a pickle applies them (`REDUCE`) or names a storage (`BINPERSID`).
struct TorchRebuilder {
    let file: String

    /// `('storage', storage_type, key, location, numel)` → a storage description.
    func persistentLoad(_ pid: PickleObject) throws -> PickleObject {
        guard case .tuple(let f, _, _) = pid, f.count == 5, case .value(.string("storage")) = f[0] else {
            throw FormatError(file, "pickle has a persistent id that is not ('storage', type, key, location, numel)")
        }
        guard case .global(.storageType(let typeName, let dtype)) = f[1] else {
            throw FormatError(file, "persistent id names \(f[1].kindName) where a torch storage type belongs")
        }
        guard case .value(.string(let key)) = f[2], !key.isEmpty, key.utf8.count <= 128,
              key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }),
              key != ".", key != ".." else {
            throw FormatError(file, "persistent id has an invalid storage key")
        }
        guard case .value(.string(let location)) = f[3] else {
            throw FormatError(file, "storage \(key): location is a \(f[3].kindName), expected a string")
        }
        guard case .value(let n) = f[4], let numel = n.intValue, numel >= 0 else {
            throw FormatError(file, "storage \(key) (\(typeName)): element count is not a non-negative integer")
        }
        let (bytes, overflow) = numel.multipliedReportingOverflow(by: dtype?.byteSize ?? 1)
        guard !overflow else { throw FormatError(file, "storage \(key): \(numel) elements overflow the byte count") }
        return .value(.storage(TorchStorage(key: key, dtype: dtype, elementCount: numel, location: location, byteCount: bytes)))
    }

    /// `REDUCE` of an allowed global with an argument tuple.
    func apply(_ g: AllowedGlobal, _ args: [PickleObject]) throws -> PickleObject {
        switch g {
        case .orderedDict:
            guard args.isEmpty else {
                throw FormatError(file, "collections.OrderedDict is called with arguments; only OrderedDict() is supported")
            }
            return .box(PickleBox(.orderedDict))
        case .rebuildTensorV2:
            guard args.count == 6 || args.count == 7 else { throw arity(g, args.count, "6 or 7") }
            return .value(.tensor(try tensor(args, dtype: nil)))
        case .rebuildTensorV3:
            guard args.count == 7 || args.count == 8 else { throw arity(g, args.count, "7 or 8") }
            guard case .global(.dtype(_, let d)) = args[6] else {
                throw FormatError(file, "torch._utils._rebuild_tensor_v3: dtype argument is a \(args[6].kindName), not a torch dtype")
            }
            return .value(.tensor(try tensor(args, dtype: d)))
        case .rebuildParameter, .rebuildParameterWithState:
            let n = g == .rebuildParameter ? 3 : 4
            guard args.count == n else { throw arity(g, args.count, "\(n)") }
            guard case .value(.tensor(var t)) = args[0] else {
                throw FormatError(file, "\(g.qualifiedName): first argument is a \(args[0].kindName), not a tensor")
            }
            t.requiresGrad = try bool(args[1], "requires_grad")
            return .value(.tensor(t))
        case .storageType, .dtype:
            throw FormatError(file, "pickle calls \(g.qualifiedName), which a checkpoint never does")
        }
    }

    private func arity(_ g: AllowedGlobal, _ n: Int, _ expected: String) -> FormatError {
        FormatError(file, "\(g.qualifiedName) called with \(n) arguments, expected \(expected)")
    }

    private func bool(_ o: PickleObject, _ what: String) throws -> Bool {
        guard case .value(let v) = o, let i = v.intValue else {
            throw FormatError(file, "tensor \(what) is a \(o.kindName), expected a bool")
        }
        return i != 0
    }

    private func int(_ o: PickleObject, _ what: String) throws -> Int {
        guard case .value(.int(let i)) = o else {
            throw FormatError(file, "tensor \(what) is a \(o.kindName), expected an int")
        }
        return i
    }

    private func ints(_ o: PickleObject, _ what: String) throws -> [Int] {
        guard case .tuple(let items, _, _) = o else {
            throw FormatError(file, "tensor \(what) is a \(o.kindName), expected a tuple of ints")
        }
        return try items.map { try int($0, what) }
    }

    /// `(storage, storage_offset, size, stride, requires_grad, backward_hooks, ...)`: validates
    /// that every element the view reaches lies inside the storage.
    private func tensor(_ a: [PickleObject], dtype v3dtype: DType?) throws -> TorchTensor {
        guard case .value(.storage(let storage)) = a[0] else {
            throw FormatError(file, "tensor storage argument is a \(a[0].kindName), not a storage")
        }
        guard let dtype = v3dtype ?? storage.dtype else {
            throw FormatError(file, "storage \(storage.key) is untyped but the tensor names no dtype")
        }
        if let v3dtype, let sd = storage.dtype, sd != v3dtype {
            throw FormatError(file, "storage \(storage.key) is \(sd.rawValue) but the tensor claims \(v3dtype.rawValue)")
        }
        let offset = try int(a[1], "storage offset")
        let shape = try ints(a[2], "size")
        let strides = try ints(a[3], "stride")
        let requiresGrad = try bool(a[4], "requires_grad")
        let where_ = "tensor on storage \(storage.key)"
        guard shape.count == strides.count else {
            throw FormatError(file, "\(where_): \(shape.count) sizes but \(strides.count) strides")
        }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw FormatError(file, "\(where_): negative offset, size or stride")
        }
        guard let count = TensorDescriptor.checkedElementCount(shape),
              !count.multipliedReportingOverflow(by: dtype.byteSize).overflow else {
            throw FormatError(file, "\(where_): shape \(shape) overflows")
        }
        // Last element index reached (exclusive end), in elements.
        var end = offset
        if count > 0 {
            for (size, stride) in zip(shape, strides) {
                let (step, o1) = (size - 1).multipliedReportingOverflow(by: stride)
                let (next, o2) = end.addingReportingOverflow(step)
                guard !o1, !o2 else { throw FormatError(file, "\(where_): strides overflow") }
                end = next
            }
            let (past, o4) = end.addingReportingOverflow(1)
            guard !o4 else { throw FormatError(file, "\(where_): strides overflow") }
            end = past
        }
        let (endBytes, o3) = end.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o3, endBytes <= storage.byteCount else {
            throw FormatError(file, "\(where_): view (offset \(offset), size \(shape), stride \(strides)) reaches element \(end) of \(dtype.rawValue) but the storage holds \(storage.byteCount) bytes")
        }
        return TorchTensor(storage: storage, dtype: dtype, storageOffset: offset, shape: shape,
                           strides: strides, requiresGrad: requiresGrad)
    }
}
