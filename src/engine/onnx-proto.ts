/**
 * The few protobuf messages of the ONNX schema that ferkit's exporter writes (ModelProto, GraphProto,
 * NodeProto, TensorProto, AttributeProto, ValueInfoProto), encoded by hand: five message types and three
 * wire types, where a protobuf library plus the ONNX .proto would be larger than this file.
 */

export class Pb {
  private parts: Uint8Array[] = [];
  private len = 0;
  private push(b: Uint8Array) { this.parts.push(b); this.len += b.length; }
  private varint(v: number | bigint) {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do { let byte = Number(x & 0x7fn); x >>= 7n; if (x) byte |= 0x80; out.push(byte); } while (x);
    this.push(Uint8Array.from(out));
  }
  private key(field: number, wire: number) { this.varint((field << 3) | wire); }
  int(field: number, v: number) { this.key(field, 0); this.varint(v); return this; }
  float(field: number, v: number) { this.key(field, 5); const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, v, true); this.push(b); return this; }
  bytes(field: number, b: Uint8Array) { this.key(field, 2); this.varint(b.length); this.push(b); return this; }
  str(field: number, s: string) { return this.bytes(field, new TextEncoder().encode(s)); }
  msg(field: number, m: Pb) { return this.bytes(field, m.finish()); }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

/** TensorProto.DataType values used here */
export const DType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
export type DTypeName = keyof typeof DType;

export const attrInt = (name: string, v: number) => new Pb().str(1, name).int(3, v).int(20, 2);
export const attrFloat = (name: string, v: number) => new Pb().str(1, name).float(2, v).int(20, 1);
export const attrInts = (name: string, v: number[]) => { const p = new Pb().str(1, name); for (const x of v) p.int(8, x); return p.int(20, 7); };

type TypedData = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;
const DTYPE_OF = (d: TypedData): number =>
  d instanceof Float32Array ? DType.FLOAT : d instanceof Uint8Array ? DType.UINT8 : d instanceof Int8Array ? DType.INT8
    : d instanceof Int32Array ? DType.INT32 : DType.INT64;

/** An initializer: the element type follows the typed array; raw_data is little-endian, as ONNX requires. */
export function tensor(name: string, dims: number[], data: TypedData): Pb {
  const p = new Pb();
  for (const d of dims) p.int(1, d);
  p.int(2, DTYPE_OF(data)).str(8, name);
  const raw = new Uint8Array(data.byteLength);
  const dv = new DataView(raw.buffer);
  const step = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (data instanceof Float32Array) dv.setFloat32(i * step, v as number, true);
    else if (data instanceof Int32Array) dv.setInt32(i * step, v as number, true);
    else if (data instanceof BigInt64Array) dv.setBigInt64(i * step, v as bigint, true);
    else if (data instanceof Int8Array) dv.setInt8(i, v as number);
    else dv.setUint8(i, v as number);
  }
  return p.bytes(9, raw);
}

export function valueInfo(name: string, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  return new Pb().str(1, name).msg(2, new Pb().msg(1, new Pb().int(1, DType.FLOAT).msg(2, shape)));
}
