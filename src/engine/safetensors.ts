/**
 * Weights in the safetensors format (an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then raw little-endian data). Chosen because PyTorch, ONNX tools
 * and Hugging Face read it, it cannot execute code, and it is trivial to write from any language.
 * `__metadata__` (string to string) carries ferkit's graph and training facts.
 */
import { fromBfloat16Bits, fromHalfBits, toHalfBits } from './float16.js';

export interface NamedTensor { shape: number[]; data: Float32Array }

/**
 * How values are stored: F32 (the default, exact) or F16 (half the bytes; values are rounded to the nearest
 * half-precision number). Reading also accepts BF16, as PyTorch and Hugging Face write it; every dtype is
 * read into Float32Array.
 */
export type StoredDtype = 'F32' | 'F16';
const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}, dtype: StoredDtype = 'F32'): Uint8Array {
  if (dtype !== 'F32' && dtype !== 'F16') throw new Error(`safetensors: cannot store dtype ${dtype}; use F32 or F16`);
  const size = BYTES[dtype];
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: ${name} has shape [${t.shape}] but ${t.data.length} values`);
    if (dtype === 'F16') {
      const big = t.data.findIndex((v) => Math.abs(v) > 65504);
      if (big >= 0) throw new Error(`safetensors: ${name}[${big}] = ${t.data[big]} does not fit in F16 (|x| <= 65504); store this model as F32`);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + size * n] };
    off += size * n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // align the data to 8 bytes
  const hbytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hbytes.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let p = 8 + hbytes.length;
  for (const t of Object.values(tensors)) {
    if (dtype === 'F16') for (let i = 0; i < t.data.length; i++, p += 2) dv.setUint16(p, toHalfBits(t.data[i]), true);
    else for (let i = 0; i < t.data.length; i++, p += 4) dv.setFloat32(p, t.data[i], true);
  }
  return out;
}

/** The tensors (as float32) and metadata of a safetensors file, plus the dtypes it stored them in. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, NamedTensor>; metadata: Record<string, string>; dtypes: string[] } {
  const bad = (why: string) => new Error(`not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad('shorter than its 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > bytes.length - 8) throw bad(`header length ${hlen} exceeds the file`);
  let header: Record<string, any>;
  try { header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen))); } catch { throw bad('header is not JSON'); }
  const base = 8 + hlen;
  const tensors: Record<string, NamedTensor> = {};
  const dtypes = new Set<string>();
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const size = BYTES[h.dtype];
    if (!size) throw bad(`${name} has dtype ${h.dtype}; ferkit reads F32, F16 and BF16`);
    const [a, b] = h.data_offsets as [number, number];
    const n = (h.shape as number[]).reduce((x, y) => x * y, 1);
    if (b - a !== size * n || base + b > bytes.length) throw bad(`${name}'s byte range does not match its shape or the file`);
    const data = new Float32Array(n);
    const at = base + a;
    if (h.dtype === 'F32') for (let i = 0; i < n; i++) data[i] = dv.getFloat32(at + 4 * i, true);
    else if (h.dtype === 'F16') for (let i = 0; i < n; i++) data[i] = fromHalfBits(dv.getUint16(at + 2 * i, true));
    else for (let i = 0; i < n; i++) data[i] = fromBfloat16Bits(dv.getUint16(at + 2 * i, true));
    tensors[name] = { shape: h.shape, data };
    dtypes.add(h.dtype);
  }
  return { tensors, metadata: header.__metadata__ ?? {}, dtypes: [...dtypes].sort() };
}
