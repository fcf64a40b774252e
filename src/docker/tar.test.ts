import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { TarError, writeTar } from "./tar.js";

/** The sum of a header's bytes with its checksum field counted as spaces, as tar checks it. */
function checksumOk(header: Buffer): boolean {
  const copy = Buffer.from(header);
  copy.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of copy) sum += byte;
  return Number.parseInt(header.subarray(148, 154).toString("ascii"), 8) === sum;
}

test("writeTar: 512-byte blocks, content padded, two zero blocks at the end, valid checksums", () => {
  const archive = writeTar([
    { type: "directory", path: "www" },
    { type: "file", path: "www/index.html", content: "hello\n" },
  ]);
  assert.equal(archive.length, 512 * 5); // dir header; file header + one content block; two end blocks
  assert.ok(checksumOk(archive.subarray(0, 512)));
  assert.ok(checksumOk(archive.subarray(512, 1024)));
  assert.equal(archive.subarray(0, 4).toString(), "www/");
  assert.equal(archive.subarray(257, 263).toString("latin1"), "ustar\u0000");
  assert.equal(archive.subarray(1024, 1030).toString(), "hello\n");
  assert.ok(archive.subarray(1030).every((byte) => byte === 0));
});

test("writeTar: GNU tar reads it back: names, modes, directories, sizes, a path longer than 100 bytes", () => {
  const deep = `${"d".repeat(60)}/${"e".repeat(60)}/file.txt`;
  const big = Buffer.alloc(70_000, 7);
  const archive = writeTar([
    { type: "directory", path: "www/cgi-bin", mode: 0o755 },
    { type: "file", path: "www/cgi-bin/headers", content: "#!/bin/sh\necho hi\n", mode: 0o755 },
    { type: "file", path: "Dockerfile", content: "FROM scratch\n" },
    { type: "file", path: deep, content: "deep\n" },
    { type: "file", path: "big.bin", content: big, mode: 0o600 },
  ]);
  const dir = mkdtempSync(join(tmpdir(), "berth-tar-"));
  try {
    const listed = spawnSync("tar", ["-tvf", "-"], { input: archive, encoding: "utf8" });
    assert.equal(listed.status, 0, listed.stderr);
    const lines = listed.stdout.trim().split("\n");
    assert.equal(lines.length, 5);
    assert.match(lines[0]!, /^drwxr-xr-x root\/root +0 .* www\/cgi-bin\/$/);
    assert.match(lines[1]!, /^-rwxr-xr-x root\/root +18 .* www\/cgi-bin\/headers$/);
    assert.match(lines[2]!, /^-rw-r--r-- root\/root +13 .* Dockerfile$/);
    assert.ok(lines[3]!.endsWith(` ${deep}`), lines[3]);
    assert.match(lines[4]!, /^-rw------- root\/root +70000 .* big\.bin$/);

    const extracted = spawnSync("tar", ["-xf", "-", "-C", dir], { input: archive });
    assert.equal(extracted.status, 0, extracted.stderr.toString());
    assert.equal(readFileSync(join(dir, "www/cgi-bin/headers"), "utf8"), "#!/bin/sh\necho hi\n");
    assert.equal(statSync(join(dir, "www/cgi-bin/headers")).mode & 0o777, 0o755);
    assert.equal(readFileSync(join(dir, deep), "utf8"), "deep\n");
    assert.ok(readFileSync(join(dir, "big.bin")).equals(big));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writeTar: a path ustar cannot hold, or one leaving the archive, is refused", () => {
  assert.throws(() => writeTar([{ type: "file", path: `${"x".repeat(101)}`, content: "" }]), TarError);
  assert.throws(
    () => writeTar([{ type: "file", path: `${"p".repeat(160)}/name`, content: "" }]),
    /too long for ustar/,
  );
  assert.throws(
    () => writeTar([{ type: "file", path: "../etc/passwd", content: "" }]),
    /not a relative path/,
  );
  assert.throws(() => writeTar([{ type: "file", path: "/", content: "" }]), /not a relative path/);
  // A leading "./" or "/" is dropped, as tar does.
  assert.equal(
    writeTar([{ type: "file", path: "./a", content: "" }])
      .subarray(0, 2)
      .toString(),
    "a\u0000",
  );
});
