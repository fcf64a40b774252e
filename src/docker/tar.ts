// A minimal ustar writer: regular files (with their mode) and directories, enough for an image's
// build context. Each entry is a 512-byte header and its content padded to 512 bytes; the
// archive ends with two zero blocks.

const BLOCK = 512;

export type TarEntry =
  | { type: "file"; path: string; content: Buffer | string; mode?: number; mtime?: Date }
  | { type: "directory"; path: string; mode?: number; mtime?: Date };

/** Thrown for an entry ustar cannot hold (a name too long, a file too big). */
export class TarError extends Error {
  override name = "TarError";
}

/** The archive of `entries`, in their order; files default to mode 0644, directories to 0755. */
export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content =
      entry.type === "file"
        ? typeof entry.content === "string"
          ? Buffer.from(entry.content)
          : entry.content
        : Buffer.alloc(0);
    parts.push(header(entry, content.length));
    if (content.length > 0) {
      parts.push(content);
      const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (padding > 0) parts.push(Buffer.alloc(padding));
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  let path = entry.path.replace(/^\.?\/+/, "");
  if (path === "" || path.split("/").includes(".."))
    throw new TarError(
      `adding ${JSON.stringify(entry.path)} to a tar archive: not a relative path inside it`,
    );
  if (entry.type === "directory" && !path.endsWith("/")) path += "/";
  const [prefix, name] = splitPath(path);
  const mode = entry.mode ?? (entry.type === "directory" ? 0o755 : 0o644);
  const mtime = Math.floor((entry.mtime ?? new Date(0)).getTime() / 1000);
  if (size >= 8 ** 11)
    throw new TarError(`adding ${path} to a tar archive: ${size} bytes is more than ustar holds (8 GiB)`);

  block.write(name, 0, 100, "utf8");
  writeOctal(block, mode & 0o7777, 100, 8);
  writeOctal(block, 0, 108, 8); // uid
  writeOctal(block, 0, 116, 8); // gid
  writeOctal(block, size, 124, 12);
  writeOctal(block, mtime, 136, 12);
  block.fill(" ", 148, 156); // the checksum counts its own field as spaces
  block.write(entry.type === "directory" ? "5" : "0", 156, 1, "ascii");
  block.write("ustar\u000000", 257, 8, "ascii");
  block.write("root", 265, 32, "ascii");
  block.write("root", 297, 32, "ascii");
  block.write(prefix, 345, 155, "utf8");

  let sum = 0;
  for (const byte of block) sum += byte;
  // Six octal digits, a NUL, a space: the form tar itself writes.
  block.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "ascii");
  return block;
}

/** [prefix, name]: the name field holds 100 bytes; a longer path is cut at a "/" into a 155-byte prefix. */
function splitPath(path: string): [string, string] {
  if (Buffer.byteLength(path) <= 100) return ["", path];
  // The cut is at a "/" that is not the last character (a directory's own trailing slash).
  for (let cut = path.lastIndexOf("/", path.length - 2); cut > 0; cut = path.lastIndexOf("/", cut - 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(name) > 100) break;
    if (Buffer.byteLength(prefix) <= 155) return [prefix, name];
  }
  throw new TarError(`adding ${path} to a tar archive: the path is too long for ustar (100 + 155 bytes)`);
}

/** `value` in octal, zero-padded to width - 1 digits and NUL-terminated. */
function writeOctal(block: Buffer, value: number, offset: number, width: number): void {
  block.write(`${value.toString(8).padStart(width - 1, "0")}\u0000`, offset, width, "ascii");
}
