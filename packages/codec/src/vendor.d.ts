declare module 'crc-32/crc32c.js' {
  const CRC32C: {
    /** CRC32C (Castagnoli) of a byte array; returns a signed 32-bit integer. */
    buf(data: Uint8Array, seed?: number): number;
  };
  export default CRC32C;
}

declare module 'lz4js' {
  const lz4js: {
    compressBound(n: number): number;
    compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
    decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
  };
  export default lz4js;
}
