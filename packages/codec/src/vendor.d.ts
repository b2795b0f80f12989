declare module 'lz4js' {
  const lz4js: {
    compressBound(n: number): number;
    compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
    decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
  };
  export default lz4js;
}
