// Assembles PNG screenshots of equal size into one animated PNG (APNG): each frame keeps its own compressed
// image data (IDAT becomes fdAT), so nothing is decoded or re-encoded. Browsers and VS Code play APNG;
// viewers without APNG support show the first frame.
import { readFileSync, writeFileSync } from 'node:fs';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});

function crc32(bytes) {
    let c = 0xffffffff;
    for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
}

/** The chunks of a PNG file: [{type, data}]. */
export function readChunks(file) {
    const bytes = readFileSync(file);
    if (!bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error(`${file} is not a PNG`);
    const chunks = [];
    for (let at = 8; at < bytes.length; ) {
        const length = bytes.readUInt32BE(at);
        const type = bytes.toString('ascii', at + 4, at + 8);
        chunks.push({ type, data: bytes.subarray(at + 8, at + 8 + length) });
        at += 12 + length;
    }
    return chunks;
}

/** `{width, height}` of a PNG file. */
export function pngSize(file) {
    const ihdr = readChunks(file).find((c) => c.type === 'IHDR').data;
    return { width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4) };
}

/**
 * Writes `out`, an APNG playing `frames` (PNG files of one size and pixel format) in a loop, each shown for
 * its `delayMs` (a number for all, or one per frame).
 */
export function writeApng(out, frames, delayMs) {
    const decoded = frames.map((file) => ({ file, chunks: readChunks(file) }));
    const ihdr = decoded[0].chunks.find((c) => c.type === 'IHDR').data;
    for (const { file, chunks } of decoded) {
        if (!chunks.find((c) => c.type === 'IHDR').data.equals(ihdr)) throw new Error(`${file}: size or pixel format differs from ${frames[0]}`);
    }
    const width = ihdr.readUInt32BE(0);
    const height = ihdr.readUInt32BE(4);
    const parts = [SIGNATURE, chunk('IHDR', ihdr)];
    const actl = Buffer.alloc(8);
    actl.writeUInt32BE(frames.length, 0);
    actl.writeUInt32BE(0, 4); // loop forever
    parts.push(chunk('acTL', actl));
    let sequence = 0;
    decoded.forEach(({ chunks }, index) => {
        const delay = Array.isArray(delayMs) ? delayMs[index] : delayMs;
        const fctl = Buffer.alloc(26);
        fctl.writeUInt32BE(sequence++, 0);
        fctl.writeUInt32BE(width, 4);
        fctl.writeUInt32BE(height, 8);
        fctl.writeUInt32BE(0, 12); // x offset
        fctl.writeUInt32BE(0, 16); // y offset
        fctl.writeUInt16BE(delay, 20); // delay numerator
        fctl.writeUInt16BE(1000, 22); // delay denominator: milliseconds
        fctl.writeUInt8(0, 24); // dispose: none
        fctl.writeUInt8(0, 25); // blend: source
        parts.push(chunk('fcTL', fctl));
        for (const { type, data } of chunks) {
            if (type === 'PLTE' || type === 'tRNS') {
                if (index === 0) parts.push(chunk(type, data));
                continue;
            }
            if (type !== 'IDAT') continue;
            if (index === 0) {
                parts.push(chunk('IDAT', data));
            } else {
                const seq = Buffer.alloc(4);
                seq.writeUInt32BE(sequence++);
                parts.push(chunk('fdAT', Buffer.concat([seq, data])));
            }
        }
    });
    parts.push(chunk('IEND', Buffer.alloc(0)));
    writeFileSync(out, Buffer.concat(parts));
}
