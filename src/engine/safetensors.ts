/**
 * Weights in the safetensors format (an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then raw little-endian data). Chosen because PyTorch, ONNX tools
 * and Hugging Face read it, it cannot execute code, and it is trivial to write from any language.
 * `__metadata__` (string to string) carries ferkit's graph and training facts.
 */
export interface NamedTensor { shape: number[]; data: Float32Array }

export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: ${name} has shape [${t.shape}] but ${t.data.length} values`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + 4 * n] };
    off += 4 * n;
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
    for (let i = 0; i < t.data.length; i++, p += 4) dv.setFloat32(p, t.data[i], true);
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  const bad = (why: string) => new Error(`not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad('shorter than its 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > bytes.length - 8) throw bad(`header length ${hlen} exceeds the file`);
  let header: Record<string, any>;
  try { header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen))); } catch { throw bad('header is not JSON'); }
  const base = 8 + hlen;
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (h.dtype !== 'F32') throw bad(`${name} has dtype ${h.dtype}; ferkit stores F32`);
    const [a, b] = h.data_offsets as [number, number];
    const n = (h.shape as number[]).reduce((x, y) => x * y, 1);
    if (b - a !== 4 * n || base + b > bytes.length) throw bad(`${name}'s byte range does not match its shape or the file`);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = dv.getFloat32(base + a + 4 * i, true);
    tensors[name] = { shape: h.shape, data };
  }
  return { tensors, metadata: header.__metadata__ ?? {} };
}
