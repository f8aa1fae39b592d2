/**
 * A small protocol-buffers writer (proto2/proto3 wire format): what the ONNX export serializes its
 * ModelProto with. It writes fields by number and wire type; the message layouts (field numbers)
 * live with the messages (onnx-proto.ts). Only what ONNX needs: varints (int32/int64/enum),
 * length-delimited (bytes, strings, sub-messages, packed repeated), fixed32 (float).
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/): each field is a key
 * `(field_number << 3) | wire_type` as a varint, then the value: wire type 0 a varint, 2 a varint
 * length and that many bytes, 5 four little-endian bytes.
 */

const VARINT = 0;
const LEN = 2;
const I32 = 5;

/** Append-only byte buffer for one message; sub-messages are written into their own writer. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  private size = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.size + this.scratch.length;
  }

  private flush(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.size += this.scratch.length;
    this.scratch = [];
  }

  private raw(bytes: Uint8Array): void {
    this.flush();
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  /**
   * A varint of a non-negative integer, or of a negative one as its 64-bit two's complement
   * (ten bytes), as protobuf writes negative int32/int64 values.
   */
  private varint(value: number | bigint): void {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n;
    if (v < 0n || v >= 1n << 64n) throw new RangeError(`varint out of range: ${value}`);
    // The common case (small numbers) without BigInt arithmetic per byte.
    if (v < 0x80000000n) {
      let n = Number(v);
      while (n >= 0x80) {
        this.scratch.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      this.scratch.push(n);
      return;
    }
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private key(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1) throw new RangeError(`bad field number ${field}`);
    this.varint(field * 8 + wire);
  }

  /** An int32 / int64 / enum / bool field. */
  int(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isInteger(value))
      throw new RangeError(`field ${field}: ${value} is not an integer`);
    this.key(field, VARINT);
    this.varint(value);
    return this;
  }

  /** A float field (fixed32, little-endian IEEE 754 single). */
  float(field: number, value: number): this {
    this.key(field, I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.raw(b);
    return this;
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, LEN);
    this.varint(value.length);
    this.raw(value);
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message field. */
  message(field: number, sub: ProtoWriter): this {
    return this.bytes(field, sub.finish());
  }

  /** A packed repeated int64/int32 field (one length-delimited run of varints). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.chunks = [out];
    return out;
  }
}
